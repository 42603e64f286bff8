"""One workflow engine for every app whose objects move through states.

An app writes its workflow as data in ``<app>/workflow.py``: a ``Workflow`` holding
``Transition`` rows, each naming the states it leaves from, the state it leads to, the roles
that may perform it, the form that collects its inputs, and the ``Notification`` emails it sends.
``Workflow.perform`` is the only code that moves an object: inside one transaction it locks the
row, finds the transition, checks the user may perform it, applies it, records one event (an app
model built on ``WorkflowEvent``) and stores its emails in the outbox, whose delivery is queued
with ``transaction.on_commit``: a change and its emails exist together or not at all.
``cswb.lib.workflow_admin.WorkflowAdminMixin`` shows the same table in the admin.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cswb.accounts.roles import Role, has_role
from cswb.outbox import services as outbox

# Who acts through a private link (an applicant, a resident) rather than a staff account.
LINK_HOLDER = "link holder"


class WorkflowEvent(models.Model):
    """One step in an object's life: what happened, who did it, when, and who may read it.

    ``public`` events are shown to the person outside (the resident on their private page, the
    applicant on their status page); the others stay with staff.
    """

    transition = models.CharField(gettext_lazy("action"), max_length=40, blank=True)
    from_state = models.CharField(gettext_lazy("from"), max_length=20, blank=True)
    to_state = models.CharField(gettext_lazy("to"), max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(gettext_lazy("by (as recorded)"), max_length=200, blank=True)
    text = models.TextField(gettext_lazy("text"), blank=True)
    public = models.BooleanField(
        gettext_lazy("shown outside"),
        default=False,
        help_text=gettext_lazy(
            "Shown to the resident or applicant on their private page; other entries stay with "
            "staff."
        ),
    )
    data = models.JSONField(gettext_lazy("details"), default=dict, blank=True)
    created_at = models.DateTimeField(gettext_lazy("when"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]


@dataclass(frozen=True)
class Notification:
    """An email a transition sends, and to whom.

    ``recipients(obj, inputs)`` returns the addresses; ``inputs`` is None before the form is
    filled in, when the answer may not be known yet (return None then: the screen shows
    ``audience`` alone). ``context(obj, event, inputs, extra)`` builds the template's context.
    """

    audience: str
    template: str
    kind: str
    recipients: Callable[[Any, dict | None], list[str] | None]
    context: Callable[[Any, Any, dict, dict], dict]
    # The outbox's deduplication key, ``dedupe(obj, event, recipient)``: apps that find or forget
    # an object's mail by key prefix give their own.
    dedupe: Callable[[Any, Any, str], str] | None = None

    def dedupe_key(self, obj, event, recipient: str) -> str:
        if self.dedupe is not None:
            return self.dedupe(obj, event, recipient)[:200]
        label = obj._meta.label_lower
        return f"workflow:{label}:{obj.pk}:{event.pk}:{self.kind}:{recipient.lower()}"[:200]


class TransitionForm(forms.Form):
    """The inputs of one transition; a transition with no inputs is confirmed with a button.

    Subclasses receive the object, the transition and the user acting, for choices that depend
    on them.
    """

    def __init__(self, *args, obj=None, transition=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.obj = obj
        self.transition = transition
        self.user = user


@dataclass(frozen=True)
class Transition:
    """One row of a workflow table."""

    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    # Roles that may perform it (CSWB administrators and superusers always may), or LINK_HOLDER.
    roles: frozenset[str]
    # The form of its inputs: a TransitionForm class, or its dotted path (forms import models,
    # which import the workflow's states).
    form: type[TransitionForm] | str = TransitionForm
    notifies: tuple[Notification, ...] = ()
    # What the button does, in a sentence shown above its form.
    help: str = ""
    # Whether the recorded event is shown to the resident or applicant.
    public: bool = False
    # Extra work inside the same transaction, after the state changed and before the event is
    # recorded: ``apply(obj, inputs, by=, now=)`` may change fields, write other rows, raise
    # ValidationError to refuse (everything is rolled back), and return a dict with "data" (kept
    # on the event), "event" (more fields of the event) and "context" (given to the
    # notifications). A dotted path names a function
    # in a module the table cannot import (services import the workflow).
    apply: Callable[..., dict | None] | str | None = None

    @property
    def form_class(self) -> type[TransitionForm]:
        return import_string(self.form) if isinstance(self.form, str) else self.form

    @property
    def apply_function(self) -> Callable[..., dict | None] | None:
        return import_string(self.apply) if isinstance(self.apply, str) else self.apply


def _administrator(user) -> bool:
    return has_role(user, Role.ADMINISTRATOR)


@dataclass
class Workflow:
    """A workflow table and the engine that performs it on one model.

    Models are named by label ("issues.Issue"): the table is built while the models module
    imports its states.
    """

    model_label: str
    states: type[models.TextChoices]
    state_field: str
    event_model_label: str
    # The event model's foreign key to the model.
    event_object_field: str
    transitions: list[Transition]
    # Fields every recorded transition event gets (e.g. an event kind).
    event_defaults: dict = field(default_factory=dict)
    # How events name the person acting through a private link.
    link_holder_label: str = gettext_lazy("Applicant or resident, by private link")

    def __post_init__(self):
        states = set(self.states.values)
        for t in self.transitions:
            unknown = {*t.sources, t.target} - states
            if unknown:
                raise ValueError(f"Transition {t.name!r} names unknown states: {unknown}")
        seen = set()
        for t in self.transitions:
            for source in t.sources:
                if (source, t.name) in seen:
                    raise ValueError(f"Two transitions {t.name!r} leave {source!r}")
                seen.add((source, t.name))

    @cached_property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    @cached_property
    def event_model(self) -> type[WorkflowEvent]:
        return apps.get_model(self.event_model_label)

    # Reading the table ---------------------------------------------------------------------------

    def transitions_from(self, state: str) -> list[Transition]:
        """Return the transitions that leave ``state``, in table order."""
        return [t for t in self.transitions if state in t.sources]

    def get(self, state: str, name: str) -> Transition | None:
        return next((t for t in self.transitions_from(state) if t.name == name), None)

    def label(self, name: str) -> str:
        """Return the human name of the transition recorded as ``name``."""
        return next((str(t.label) for t in self.transitions if t.name == name), name)

    def actor_label(self, user) -> str:
        """Return how an event names who acted: the full name, or the link holder."""
        if user is None:
            return str(self.link_holder_label)
        return user.get_full_name() or user.get_username()

    def state_of(self, obj) -> str:
        return getattr(obj, self.state_field)

    def may(self, user, transition: Transition) -> bool:
        """Return True when ``user`` may perform ``transition``; None is the link holder."""
        if user is None:
            return LINK_HOLDER in transition.roles
        staff_roles = [r for r in transition.roles if r != LINK_HOLDER]
        if not staff_roles:
            return False
        return _administrator(user) or has_role(user, *staff_roles)

    def available(self, obj, user) -> list[Transition]:
        """Return what ``user`` may do next with ``obj``."""
        return [t for t in self.transitions_from(self.state_of(obj)) if self.may(user, t)]

    def audience(self, obj, transition: Transition, inputs: dict | None = None):
        """Return [(audience, addresses or None)] for the emails ``transition`` would send."""
        return [(n.audience, n.recipients(obj, inputs)) for n in transition.notifies]

    # Writing ---------------------------------------------------------------------------------

    def record(self, obj, *, name: str, by, text: str = "", public: bool = False,
               data: dict | None = None, from_state: str = "", to_state: str = "", now=None,
               **fields):
        """Record an event on ``obj`` (a transition, or a step that keeps the state)."""
        return self.event_model.objects.create(
            **{self.event_object_field: obj},
            transition=name,
            from_state=from_state,
            to_state=to_state,
            actor=by,
            actor_label=self.actor_label(by),
            text=text,
            public=public,
            data=data or {},
            created_at=now or timezone.now(),
            **fields,
        )

    def perform(self, obj, name: str, *, by, inputs: dict | None = None, now=None,
                locked: bool = False):
        """Move ``obj`` by the transition called ``name``; return the recorded event.

        ``by`` is the staff user acting, or None for the holder of a private link. Raise
        ``ValidationError`` when the transition does not apply to the object's current state
        or ``apply`` refuses the inputs, and ``PermissionDenied`` when ``by`` may not perform
        it; nothing is written then. ``locked`` says the caller already holds the row lock.
        """
        inputs = dict(inputs or {})
        with transaction.atomic():
            current = obj
            if not locked:
                # Two people acting at once: the second waits here and then sees the new state.
                current = (
                    type(obj)._default_manager.select_for_update(of=("self",)).get(pk=obj.pk)
                )
            state = self.state_of(current)
            transition = self.get(state, name)
            if transition is None:
                state_label = self.states(state).label
                raise ValidationError(
                    _("“%(action)s” is not possible while this is “%(state)s”."),
                    code="invalid_transition",
                    params={"action": self.label(name), "state": state_label},
                )
            if not self.may(by, transition):
                raise PermissionDenied(_("Your role may not do this."))
            now = now or timezone.now()
            setattr(current, self.state_field, transition.target)
            result = {}
            if transition.apply is not None:
                result = transition.apply_function(current, inputs, by=by, now=now) or {}
            current.save()
            if current is not obj:
                # The caller's copy shows what was stored.
                for f in current._meta.concrete_fields:
                    setattr(obj, f.attname, getattr(current, f.attname))
            event = self.record(
                current,
                name=transition.name,
                by=by,
                from_state=state,
                to_state=transition.target,
                text=_event_text(inputs),
                public=transition.public,
                data=result.get("data"),
                now=now,
                **{**self.event_defaults, **(result.get("event") or {})},
            )
            self._notify(current, transition, event, inputs, result.get("context") or {})
        return event

    def _notify(self, obj, transition, event, inputs, extra) -> None:
        for notification in transition.notifies:
            recipients = notification.recipients(obj, inputs) or []
            if not recipients:
                continue
            context = notification.context(obj, event, inputs, extra)
            for recipient in _unique(recipients):
                # The outbox stores the row in this transaction and queues its delivery with
                # transaction.on_commit.
                outbox.message_queue(
                    to=recipient,
                    template=notification.template,
                    context=context,
                    kind=notification.kind,
                    dedupe_key=notification.dedupe_key(obj, event, recipient),
                )


def _event_text(inputs: dict) -> str:
    for key in ("reason", "response", "text"):
        value = inputs.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _unique(emails: Iterable[str]) -> list[str]:
    seen, unique = set(), []
    for email in emails:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            unique.append(email)
    return unique
