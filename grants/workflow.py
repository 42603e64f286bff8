"""The grant application workflow, as data.

Each state lists the transitions that leave it, the state each one leads to and who may perform
it. ``grants.services.application_transition`` is the only code that changes an application's
state: it looks the transition up here, checks the actor, records an event and queues mail.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


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


class Actor(models.TextChoices):
    """Who may perform a transition: the applicant (through their private link) or grant staff."""

    APPLICANT = "applicant", _("Applicant")
    STAFF = "staff", _("Grant staff")


@dataclass(frozen=True)
class Transition:
    name: str
    target: State
    label: str
    actors: frozenset
    # A reason is stored with the event and, for decisions, told to the applicant.
    reason_required: bool = False
    # Decisions carry an amount and years (approve) and are told to the applicant by email.
    decision: bool = False


STAFF = frozenset({Actor.STAFF})
APPLICANT = frozenset({Actor.APPLICANT})
ANYONE = frozenset({Actor.APPLICANT, Actor.STAFF})


def _withdraw():
    return Transition("withdraw", State.WITHDRAWN, _("Withdraw"), ANYONE, reason_required=True)


def _decline():
    return Transition(
        "decline", State.DECLINED, _("Decline"), STAFF, reason_required=True, decision=True
    )


def _approve():
    return Transition("approve", State.APPROVED, _("Approve"), STAFF, decision=True)


TRANSITIONS: dict[State, dict[str, Transition]] = {
    State.DRAFT: {
        "submit": Transition("submit", State.SUBMITTED, _("Submit"), APPLICANT),
    },
    State.SUBMITTED: {
        "start_screening": Transition(
            "start_screening", State.SCREENING, _("Start screening"), STAFF
        ),
        "withdraw": _withdraw(),
    },
    State.SCREENING: {
        "pass_screening": Transition(
            "pass_screening", State.IN_REVIEW, _("Eligible: send to review"), STAFF
        ),
        "screen_out": Transition(
            "screen_out",
            State.DECLINED,
            _("Not eligible: decline"),
            STAFF,
            reason_required=True,
            decision=True,
        ),
        "withdraw": _withdraw(),
    },
    State.IN_REVIEW: {
        "recommend": Transition("recommend", State.RECOMMENDED, _("Recommend"), STAFF),
        "not_recommend": Transition(
            "not_recommend",
            State.NOT_RECOMMENDED,
            _("Do not recommend"),
            STAFF,
            reason_required=True,
        ),
        "withdraw": _withdraw(),
    },
    State.RECOMMENDED: {
        "approve": _approve(),
        "decline": _decline(),
        "withdraw": _withdraw(),
    },
    State.NOT_RECOMMENDED: {
        "approve": _approve(),
        "decline": _decline(),
        "withdraw": _withdraw(),
    },
    State.APPROVED: {
        "start_reporting": Transition(
            "start_reporting", State.REPORTING, _("Agreement signed: start reporting"), STAFF
        ),
    },
    State.REPORTING: {
        "close": Transition("close", State.CLOSED, _("Close the file"), STAFF),
    },
    State.DECLINED: {},
    State.WITHDRAWN: {},
    State.CLOSED: {},
}

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


def transitions_from(state: str) -> dict[str, Transition]:
    """Return the transitions leaving ``state`` by name."""
    return TRANSITIONS[State(state)]


def transition_for(state: str, name: str) -> Transition | None:
    return TRANSITIONS[State(state)].get(name)


def available(state: str, actor: Actor) -> list[Transition]:
    """Return the transitions ``actor`` may perform from ``state``, in table order."""
    return [t for t in TRANSITIONS[State(state)].values() if actor in t.actors]


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
    for transitions in TRANSITIONS.values():
        if name in transitions:
            return transitions[name].label
    return EVENT_LABELS.get(name, name)
