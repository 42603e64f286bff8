"""The life of a resident's issue, as data: states, and for each state what may happen next.

``TRANSITIONS`` is the whole workflow. ``issues.services.issue_transition`` is the only code that
changes an issue's state: it looks the transition up here, checks the role, records an event and
queues the resident's email when ``notify_resident`` is set.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from cswb.accounts.roles import Role


class State(models.TextChoices):
    NEW = "new", _("New")
    IN_REVIEW = "in_review", _("In review")
    REFERRED = "referred", _("Referred to an action table")
    RESPONDED = "responded", _("Responded")
    CLOSED = "closed", _("Closed")
    SPAM = "spam", _("Spam")


# What the resident reads about each state on their private page.
PUBLIC_DESCRIPTIONS = {
    State.NEW: _("We received your issue. Staff will look at it soon."),
    State.IN_REVIEW: _("Staff are looking at your issue."),
    State.REFERRED: _(
        "Your issue was passed to the action table that works on this topic. Staff will reply "
        "here when there is news."
    ),
    State.RESPONDED: _("Staff have responded. Read the response below."),
    State.CLOSED: _("This issue is closed. Thank you for bringing it forward."),
    # A resident never sees this state as such: spam reads as closed to them.
    State.SPAM: _("This issue is closed."),
}

# Issues in these states still wait for staff.
OPEN_STATES = frozenset({State.NEW, State.IN_REVIEW, State.REFERRED})
FINAL_STATES = frozenset({State.CLOSED, State.SPAM})

TRIAGE = frozenset({Role.ISSUE_TRIAGE})
ADMINISTRATORS = frozenset({Role.ADMINISTRATOR})


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    source: State
    target: State
    # Roles allowed besides CSWB administrators and superusers, who may do everything.
    roles: frozenset = TRIAGE
    # Email the resident (when they left an address and agreed to be contacted).
    notify_resident: bool = False
    # The public response text this transition needs.
    needs_response: bool = False
    # The action table this transition needs.
    needs_action_table: bool = False


def _t(name, label, source, target, **options) -> Transition:
    return Transition(name=name, label=label, source=source, target=target, **options)


TRANSITIONS: dict[State, list[Transition]] = {
    State.NEW: [
        _t("start_review", _("Start the review"), State.NEW, State.IN_REVIEW),
        _t("refer", _("Refer to an action table"), State.NEW, State.REFERRED,
           needs_action_table=True),
        _t("respond", _("Respond to the resident"), State.NEW, State.RESPONDED,
           needs_response=True, notify_resident=True),
        _t("close", _("Close"), State.NEW, State.CLOSED, notify_resident=True),
        _t("mark_spam", _("Mark as spam"), State.NEW, State.SPAM),
    ],
    State.IN_REVIEW: [
        _t("refer", _("Refer to an action table"), State.IN_REVIEW, State.REFERRED,
           needs_action_table=True),
        _t("respond", _("Respond to the resident"), State.IN_REVIEW, State.RESPONDED,
           needs_response=True, notify_resident=True),
        _t("close", _("Close"), State.IN_REVIEW, State.CLOSED, notify_resident=True),
        _t("mark_spam", _("Mark as spam"), State.IN_REVIEW, State.SPAM),
    ],
    State.REFERRED: [
        _t("return_to_review", _("Take back into review"), State.REFERRED, State.IN_REVIEW),
        _t("respond", _("Respond to the resident"), State.REFERRED, State.RESPONDED,
           needs_response=True, notify_resident=True),
        _t("close", _("Close"), State.REFERRED, State.CLOSED, notify_resident=True),
    ],
    State.RESPONDED: [
        _t("return_to_review", _("Take back into review"), State.RESPONDED, State.IN_REVIEW),
        _t("respond", _("Respond again"), State.RESPONDED, State.RESPONDED,
           needs_response=True, notify_resident=True),
        _t("close", _("Close"), State.RESPONDED, State.CLOSED, notify_resident=True),
    ],
    State.CLOSED: [
        # Reopening restarts the retention clock and may email the resident again later:
        # an administrator decides.
        _t("reopen", _("Reopen"), State.CLOSED, State.IN_REVIEW, roles=ADMINISTRATORS),
    ],
    State.SPAM: [
        _t("not_spam", _("Not spam: back to new"), State.SPAM, State.NEW),
    ],
}


def transitions_from(state: str) -> list[Transition]:
    return TRANSITIONS.get(State(state), [])


def get_transition(state: str, name: str) -> Transition | None:
    return next((t for t in transitions_from(state) if t.name == name), None)


def allowed(transition: Transition, user) -> bool:
    """Return True when ``user`` may perform ``transition`` (administrators always may)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
        return True
    return any(user.has_role(role) for role in transition.roles)


def transitions_for(state: str, user) -> list[Transition]:
    return [t for t in transitions_from(state) if allowed(t, user)]
