"""The life of a resident's issue, as data: states, and for each state what may happen next.

``WORKFLOW`` is the whole workflow, performed by the shared engine (``cswb.lib.workflow``): each
transition says where it leaves from, where it leads, who may perform it (CSWB administrators
always may), the form it needs, and whom it emails.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cswb.accounts.roles import Role
from cswb.lib.workflow import Notification, Transition, Workflow


class State(models.TextChoices):
    NEW = "new", gettext_lazy("New")
    IN_REVIEW = "in_review", gettext_lazy("In review")
    REFERRED = "referred", gettext_lazy("Referred to an action table")
    RESPONDED = "responded", gettext_lazy("Responded")
    CLOSED = "closed", gettext_lazy("Closed")
    SPAM = "spam", gettext_lazy("Spam")


# What the resident reads about each state on their private page.
PUBLIC_DESCRIPTIONS = {
    State.NEW: gettext_lazy("We received your issue. Staff will look at it soon."),
    State.IN_REVIEW: gettext_lazy("Staff are looking at your issue."),
    State.REFERRED: gettext_lazy(
        "Your issue was passed to the action table that works on this topic. Staff will reply "
        "here when there is news."
    ),
    State.RESPONDED: gettext_lazy("Staff have responded. Read the response below."),
    State.CLOSED: gettext_lazy("This issue is closed. Thank you for bringing it forward."),
    # A resident never sees this state as such: spam reads as closed to them.
    State.SPAM: gettext_lazy("This issue is closed."),
}

# Issues in these states still wait for staff.
OPEN_STATES = frozenset({State.NEW, State.IN_REVIEW, State.REFERRED})
FINAL_STATES = frozenset({State.CLOSED, State.SPAM})

TRIAGE = frozenset({Role.ISSUE_TRIAGE})
ADMINISTRATORS = frozenset({Role.ADMINISTRATOR})


# Who is emailed ----------------------------------------------------------------------------------


def _resident(issue, inputs):
    return [issue.email] if issue.can_be_emailed else []


def _resident_context(issue, event, inputs, extra):
    return {
        "name": issue.name,
        "reference": issue.reference,
        "response": (inputs.get("response") or "").strip(),
        "follow_url": issue.follow_url(),
    }


def _table_contacts(issue, inputs):
    if inputs is None:
        return None  # known once a table is chosen
    table = inputs.get("action_table") or issue.action_table
    return table.notification_emails() if table else []


def staff_context(issue) -> dict:
    """Return what staff emails say about an issue: never the resident's contact details."""
    return {
        "reference": issue.reference,
        "topic": issue.get_topic_display(),
        "municipality": issue.municipality.name,
        "description": issue.description,
        "affected": issue.affected,
        "submitted_at": issue.submitted_at,
        "admin_url": settings.SITE_URL + reverse("admin:issues_issue_change", args=[issue.pk]),
    }


def _referral_context(issue, event, inputs, extra):
    return {**staff_context(issue), "action_table": issue.action_table.name}


RESPONSE_TO_RESIDENT = Notification(
    audience=gettext_lazy("The resident (only when they gave an address and agreed)"),
    template="issues-responded",
    kind="issues.responded",
    recipients=_resident,
    context=_resident_context,
    # issues_remove_expired_contacts forgets the resident's mail by this prefix.
    dedupe=lambda issue, event, to: f"issue:{issue.pk}:resident:event:{event.pk}",
)
CLOSED_TO_RESIDENT = Notification(
    audience=gettext_lazy("The resident (only when they gave an address and agreed)"),
    template="issues-closed",
    kind="issues.closed",
    recipients=_resident,
    context=_resident_context,
    # issues_remove_expired_contacts forgets the resident's mail by this prefix.
    dedupe=lambda issue, event, to: f"issue:{issue.pk}:resident:event:{event.pk}",
)
REFERRAL_TO_TABLE = Notification(
    audience=gettext_lazy("The contacts of the action table you choose"),
    template="issues-referred",
    kind="issues.referred",
    recipients=_table_contacts,
    context=_referral_context,
    dedupe=lambda issue, event, to: f"issue:{issue.pk}:referral:{event.pk}:{to.lower()}",
)


# What each transition does besides changing the state ---------------------------------------


def _apply(issue, inputs, *, by, now):
    """Keep the dates right, and record a response as a public entry the resident reads."""
    issue.closed_at = now if issue.status in FINAL_STATES else None
    response = (inputs.get("response") or "").strip()
    if response:
        if issue.first_response_at is None:
            issue.first_response_at = now
        WORKFLOW.record(issue, name="", by=by, text=response, public=True, now=now,
                        kind="response")
    return None


def _apply_response(issue, inputs, *, by, now):
    if not (inputs.get("response") or "").strip():
        raise ValidationError(_("Write the response to the resident."), code="response_required")
    return _apply(issue, inputs, by=by, now=now)


def referral_problem(table) -> str | None:
    """Return why ``table`` cannot receive a referral now, or None when it can."""
    if table.is_sunset:
        return _("%(table)s is sunset: it no longer receives referrals.") % {"table": table}
    if not table.notification_emails():
        return _(
            "%(table)s has no contact yet, so nobody would hear of the referral. Add the "
            "table's contact email, or a staff contact to one of its lead organizations, first."
        ) % {"table": table}
    return None


def _apply_referral(issue, inputs, *, by, now):
    table = inputs.get("action_table") or issue.action_table
    if table is None:
        raise ValidationError(_("Choose the action table."), code="action_table_required")
    problem = referral_problem(table)
    if problem:
        raise ValidationError(problem, code="table_cannot_receive")
    issue.action_table = table
    _apply(issue, inputs, by=by, now=now)
    # The event keeps which table it went to, for the resident's timeline after a later referral.
    return {"event": {"action_table": table}}


def _t(name, label, sources, target, **options) -> Transition:
    options.setdefault("roles", TRIAGE)
    options.setdefault("apply", _apply)
    return Transition(name=name, label=label, sources=tuple(sources), target=target, **options)


RESPOND = {
    "form": "issues.forms.RespondForm",
    "notifies": (RESPONSE_TO_RESIDENT,),
    "apply": _apply_response,
}

WORKFLOW = Workflow(
    model_label="issues.Issue",
    states=State,
    state_field="status",
    event_model_label="issues.IssueEvent",
    event_object_field="issue",
    event_defaults={"kind": "transition"},
    link_holder_label=gettext_lazy("Resident"),
    transitions=[
        _t("start_review", gettext_lazy("Start the review"), [State.NEW], State.IN_REVIEW,
           help=gettext_lazy("Tell the resident staff are looking at their issue (their page "
                             "says so; no email).")),
        _t("refer", gettext_lazy("Refer to an action table"), [State.NEW, State.IN_REVIEW],
           State.REFERRED, form="issues.forms.ReferForm", notifies=(REFERRAL_TO_TABLE,),
           apply=_apply_referral),
        _t("respond", gettext_lazy("Respond to the resident"),
           [State.NEW, State.IN_REVIEW, State.REFERRED], State.RESPONDED, **RESPOND),
        _t("respond", gettext_lazy("Respond again"), [State.RESPONDED], State.RESPONDED,
           **RESPOND),
        _t("close", gettext_lazy("Close"),
           [State.NEW, State.IN_REVIEW, State.REFERRED, State.RESPONDED], State.CLOSED,
           form="issues.forms.CloseForm", notifies=(CLOSED_TO_RESIDENT,)),
        _t("mark_spam", gettext_lazy("Mark as spam"), [State.NEW, State.IN_REVIEW], State.SPAM,
           help=gettext_lazy("The resident's page will say the issue is closed; nobody is "
                             "emailed.")),
        _t("return_to_review", gettext_lazy("Take back into review"),
           [State.REFERRED, State.RESPONDED], State.IN_REVIEW),
        # Reopening restarts the retention clock and may email the resident again later:
        # an administrator decides.
        _t("reopen", gettext_lazy("Reopen"), [State.CLOSED], State.IN_REVIEW,
           roles=ADMINISTRATORS),
        _t("not_spam", gettext_lazy("Not spam: back to new"), [State.SPAM], State.NEW),
    ],
)


def transitions_from(state: str) -> list[Transition]:
    return WORKFLOW.transitions_from(state)
