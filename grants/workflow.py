"""The grant application workflow, as data.

``WORKFLOW`` lists every transition: the states it leaves from, the state it leads to, who may
perform it (grant staff, with CSWB administrators; or the applicant through their private link),
the form it needs and the emails it sends. The shared engine (``cswb.lib.workflow``) performs
it; ``grants.services`` holds the checks that need more than the form (eligibility, the fund's
money), named here by dotted path.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cswb.accounts.roles import Role
from cswb.lib.workflow import LINK_HOLDER, Notification, Transition, Workflow


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    SCREENING = "screening", _("Screening")
    IN_REVIEW = "in_review", _("In review")
    RECOMMENDED = "recommended", _("Recommended")
    NOT_RECOMMENDED = "not_recommended", _("Not recommended")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REPORTING = "reporting", _("Reporting")
    CLOSED = "closed", _("Closed")


STAFF = frozenset({Role.GRANT_STAFF})
APPLICANT = frozenset({LINK_HOLDER})
ANYONE = STAFF | APPLICANT

# Applications in these states hold an award and appear among the funded programs.
FUNDED_STATES = (State.APPROVED, State.REPORTING, State.CLOSED)
# Applications in these states are with staff and reviewers, no longer editable by the applicant.
ACTIVE_STATES = (
    State.SUBMITTED,
    State.SCREENING,
    State.IN_REVIEW,
    State.RECOMMENDED,
    State.NOT_RECOMMENDED,
)


# Who is emailed ----------------------------------------------------------------------------------


def grant_staff_emails() -> list[str]:
    """Return the addresses of every active grant staff member (one query)."""
    users = get_user_model().objects.filter(
        is_active=True, is_staff=True, groups__name=Role.GRANT_STAFF.value
    ).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def _applicant(application, inputs):
    return [application.contact_email]


def _staff(application, inputs):
    return grant_staff_emails()


def _applicant_context(application, event, inputs, extra):
    return {
        "application": application,
        "link": application.private_link(),
        "reason": (inputs.get("reason") or "").strip(),
        **extra,
    }


def _staff_context(application, event, inputs, extra):
    admin_link = settings.SITE_URL + reverse(
        "admin:grants_application_change", args=[application.pk]
    )
    return {**_applicant_context(application, event, inputs, extra), "admin_link": admin_link}


def _decision_context(application, event, inputs, extra):
    context = _applicant_context(application, event, inputs, extra)
    context.setdefault("approved", application.state == State.APPROVED)
    context.setdefault("award", None)
    return context


ACKNOWLEDGEMENT = Notification(
    audience=_("The applicant's contact"),
    template="grants-acknowledgement",
    kind="grants.acknowledgement",
    recipients=_applicant,
    context=_applicant_context,
    dedupe=lambda application, event, to: f"grants:ack:{application.pk}",
)
STAFF_NEW = Notification(
    audience=_("Grant staff"),
    template="grants-staff-new",
    kind="grants.staff_new",
    recipients=_staff,
    context=_staff_context,
    dedupe=lambda application, event, to: f"grants:new:{application.pk}:{to.lower()}",
)
DECISION = Notification(
    audience=_("The applicant's contact, with the reason"),
    template="grants-decision",
    kind="grants.decision",
    recipients=_applicant,
    context=_decision_context,
    dedupe=lambda application, event, to: f"grants:decision:{application.pk}",
)
WITHDRAWN = Notification(
    audience=_("The applicant's contact"),
    template="grants-withdrawn",
    kind="grants.withdrawn",
    recipients=_applicant,
    context=_applicant_context,
    dedupe=lambda application, event, to: f"grants:withdrawn:{application.pk}",
)

REASON = "grants.forms.ReasonForm"
REASON_REQUIRED = "grants.forms.RequiredReasonForm"


def _t(name, label, sources, target, **options) -> Transition:
    options.setdefault("roles", STAFF)
    options.setdefault("form", REASON)
    return Transition(name=name, label=label, sources=tuple(sources), target=target, **options)


WORKFLOW = Workflow(
    model_label="grants.Application",
    states=State,
    state_field="state",
    event_model_label="grants.Event",
    event_object_field="application",
    link_holder_label=_("Applicant"),
    transitions=[
        _t("submit", _("Submit"), [State.DRAFT], State.SUBMITTED, roles=APPLICANT,
           notifies=(ACKNOWLEDGEMENT, STAFF_NEW), public=True),
        _t("start_screening", _("Start screening"), [State.SUBMITTED], State.SCREENING),
        _t("pass_screening", _("Eligible: send to review"), [State.SCREENING], State.IN_REVIEW,
           apply="grants.services.screening_apply",
           help=_("The eligibility check below is kept with the decision.")),
        _t("screen_out", _("Not eligible: decline"), [State.SCREENING], State.DECLINED,
           form="grants.forms.ScreenOutForm", notifies=(DECISION,), public=True,
           apply="grants.services.screening_apply"),
        _t("recommend", _("Recommend"), [State.IN_REVIEW], State.RECOMMENDED),
        _t("not_recommend", _("Do not recommend"), [State.IN_REVIEW], State.NOT_RECOMMENDED,
           form=REASON_REQUIRED, apply="grants.services.reason_required"),
        _t("approve", _("Approve"), [State.RECOMMENDED, State.NOT_RECOMMENDED], State.APPROVED,
           form="grants.forms.ApproveForm", notifies=(DECISION,), public=True,
           apply="grants.services.approval_apply"),
        _t("decline", _("Decline"), [State.RECOMMENDED, State.NOT_RECOMMENDED], State.DECLINED,
           form="grants.forms.DecisionReasonForm", notifies=(DECISION,), public=True,
           apply="grants.services.reason_required"),
        _t("withdraw", _("Withdraw"), ACTIVE_STATES, State.WITHDRAWN, roles=ANYONE,
           form=REASON_REQUIRED, notifies=(WITHDRAWN,), public=True,
           apply="grants.services.reason_required"),
        _t("start_reporting", _("Agreement signed: start reporting"), [State.APPROVED],
           State.REPORTING),
        _t("close", _("Close the file"), [State.REPORTING], State.CLOSED),
    ],
)


# Events that are not transitions: they record a step without changing the state.
EVENT_LABELS = {
    "assign_reviewer": _("Reviewer assigned"),
    "declare_conflict": _("Conflict of interest declared"),
    "declare_no_conflict": _("No conflict of interest declared"),
    "score": _("Scored"),
    "rescore": _("Scores changed"),
}


def action_label(name: str) -> str:
    """Return the human name of a transition or event recorded as ``name``."""
    if name in EVENT_LABELS:
        return str(EVENT_LABELS[name])
    return WORKFLOW.label(name)
