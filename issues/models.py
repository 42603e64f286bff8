"""Issues residents bring forward, their history, and who is told about them."""

import re
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import holidays
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cswb.lib import links
from cswb.lib.models import YearCounter
from cswb.lib.workflow import WorkflowEvent
from issues.workflow import FINAL_STATES, OPEN_STATES, PUBLIC_DESCRIPTIONS, State

FOLLOW_LINK_PURPOSE = "issue-follow"
# Every email to the resident carries a fresh link, and an expired one offers to email a new
# one to the address on file; the lifetime is declared with the others in cswb/lib/links.py.
FOLLOW_LINK_MAX_AGE = links.LIFETIMES[FOLLOW_LINK_PURPOSE]
FIRST_RESPONSE_BUSINESS_DAYS = 5
# Ontario's public holidays, with the days off given when one falls on a weekend.
STATUTORY_HOLIDAYS = holidays.Canada(subdiv="ON")


def is_working_day(day) -> bool:
    return day.weekday() < 5 and day not in STATUTORY_HOLIDAYS


def business_days_before(moment: datetime, days: int) -> datetime:
    """Return ``moment`` moved back by ``days`` working days: Monday to Friday, less Ontario's
    statutory holidays."""
    current = timezone.localtime(moment)
    remaining = days
    while remaining:
        current -= timedelta(days=1)
        if is_working_day(current.date()):
            remaining -= 1
    return current


def business_days_after(moment: datetime, days: int) -> datetime:
    """Return ``moment`` moved forward by ``days`` working days (see ``business_days_before``)."""
    current = timezone.localtime(moment)
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current.date()):
            remaining -= 1
    return current


class Topic(models.TextChoices):
    MENTAL_HEALTH = "mental_health", _("Mental health")
    HOUSING = "housing", _("Housing and homelessness")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    OLDER_ADULTS = "older_adults", _("Older adults' isolation")
    INTIMATE_PARTNER_VIOLENCE = "ipv", _("Intimate partner violence")
    SEXUAL_VIOLENCE = "sexual_violence", _("Sexual violence")
    YOUTH = "youth", _("Youth")
    FOOD_SECURITY = "food_security", _("Food security")
    GUN_GANG_VIOLENCE = "gun_gang_violence", _("Gun and gang violence")
    OTHER = "other", _("Something else")


class Channel(models.TextChoices):
    """How an issue reached CSWB: the resident's own web form, a calling system, or staff who
    recorded it for the resident."""

    WEB = "web", _("Web form")
    OPEN311 = "open311", _("311 system")
    PHONE = "phone", _("Phone call")
    EMAIL = "email", _("Email")
    WALK_IN = "walk_in", _("Walk-in")


class ConsentMethod(models.TextChoices):
    """How a resident agreed to be contacted, so staff can tell what the consent rests on."""

    WEB_FORM = "web_form", _("Ticked on the web form")
    ORAL = "oral", _("Given orally to staff")
    WRITTEN = "written", _("Given in writing (by email)")
    CALLING_SYSTEM = "calling_system", _("Given to the calling system")


# The consent a channel can carry: staff on the phone or at a counter hear it, an email states it.
CONSENT_METHOD_BY_CHANNEL = {
    Channel.WEB: ConsentMethod.WEB_FORM,
    Channel.OPEN311: ConsentMethod.CALLING_SYSTEM,
    Channel.PHONE: ConsentMethod.ORAL,
    Channel.EMAIL: ConsentMethod.WRITTEN,
    Channel.WALK_IN: ConsentMethod.ORAL,
}


class IssueQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATES)

    def overdue(self, now=None):
        """Return open issues with no first response after five working days."""
        now = now or timezone.now()
        return self.open().filter(
            first_response_at__isnull=True,
            submitted_at__lt=business_days_before(now, FIRST_RESPONSE_BUSINESS_DAYS),
        )

    def with_contact_details(self):
        return self.filter(contact_removed_at__isnull=True).exclude(
            name="", email="", phone=""
        )

    def reachable_at(self, email: str):
        """Return the issues whose resident gave ``email`` and agreed to be written to there."""
        return self.filter(
            email__iexact=email.strip(), consent_to_contact=True, contact_removed_at__isnull=True
        ).exclude(email="")

    def contact_retention_expired(self, now=None, months=None):
        """Return final issues closed more than ``months`` ago that still hold contact details."""
        now = now or timezone.now()
        months = months or settings.ISSUES_CONTACT_RETENTION_MONTHS
        cutoff = now - timedelta(days=round(months * 365.25 / 12))
        return self.with_contact_details().filter(status__in=FINAL_STATES, closed_at__lt=cutoff)


class Issue(models.Model):
    """One issue a resident brought forward: what it is about, and how to reach them, if at all.

    ``reference`` (CSWB-2026-00042) is what resident and staff quote; ``follow_key`` is the secret
    inside the resident's signed private link, so a reference alone opens nothing.
    """

    Topic = Topic
    State = State
    Channel = Channel
    ConsentMethod = ConsentMethod

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    number = models.PositiveIntegerField(_("number in the year"), editable=False)
    follow_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    topic = models.CharField(_("topic"), max_length=20, choices=Topic)
    municipality = models.ForeignKey(
        "indicators.Geography",
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="issues",
        limit_choices_to={"level": "municipality"},
    )
    description = models.TextField(_("description"), max_length=4000)
    affected = models.CharField(_("who is affected"), max_length=300, blank=True)
    location = models.CharField(
        _("where"),
        max_length=300,
        blank=True,
        help_text=_("An address or place, as the resident or the calling system gave it."),
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    channel = models.CharField(
        _("received by"), max_length=10, choices=Channel, default=Channel.WEB, editable=False
    )

    anonymous = models.BooleanField(_("anonymous"), default=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    consent_to_contact = models.BooleanField(_("agreed to be contacted"), default=False)
    consent_method = models.CharField(
        _("how consent was given"),
        max_length=20,
        choices=ConsentMethod,
        blank=True,
        editable=False,
    )

    status = models.CharField(
        _("status"), max_length=12, choices=State, default=State.NEW, editable=False
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_issues",
    )
    action_table = models.ForeignKey(
        "actiontables.ActionTable",
        verbose_name=_("referred to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now, editable=False)
    first_response_at = models.DateTimeField(
        _("first response"), null=True, blank=True, editable=False
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    contact_removed_at = models.DateTimeField(
        _("contact details removed"), null=True, blank=True, editable=False
    )

    objects = IssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="issues_issue_year_number"),
            models.CheckConstraint(
                condition=Q(anonymous=False) | (Q(name="") & Q(email="") & Q(phone="")),
                name="issues_issue_anonymous_has_no_contact",
            ),
        ]
        indexes = [
            models.Index(fields=["-submitted_at"], name="issues_submitted_idx"),
            models.Index(fields=["status", "-submitted_at"], name="issues_status_submitted_idx"),
            models.Index(fields=["topic", "-submitted_at"], name="issues_topic_submitted_idx"),
            models.Index(fields=["status", "closed_at"], name="issues_status_closed_idx"),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("issues:follow", kwargs={"token": self.follow_token()})

    def follow_token(self) -> str:
        return links.make_token(FOLLOW_LINK_PURPOSE, str(self.follow_key))

    def follow_url(self) -> str:
        """Return the resident's private link as a full address, for emails."""
        return settings.SITE_URL + self.get_absolute_url()

    @property
    def public_state(self) -> str:
        """Return the state as the resident sees it: spam reads as closed."""
        return State.CLOSED if self.status == State.SPAM else State(self.status)

    @property
    def public_status(self) -> str:
        return State(self.public_state).label

    @property
    def public_description(self) -> str:
        return PUBLIC_DESCRIPTIONS[State(self.status)]

    @property
    def can_be_emailed(self) -> bool:
        return bool(self.email) and self.consent_to_contact and not self.contact_removed_at

    def first_response_due(self) -> datetime:
        """Return when the first response is due: five working days after submission."""
        return business_days_after(self.submitted_at, FIRST_RESPONSE_BUSINESS_DAYS)

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status in OPEN_STATES
            and self.first_response_at is None
            and self.submitted_at < business_days_before(now, FIRST_RESPONSE_BUSINESS_DAYS)
        )


class IssueEvent(WorkflowEvent):
    """Something that happened to an issue: who did it and when. Public events are responses."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        TRANSITION = "transition", _("Status changed")
        ASSIGNED = "assigned", _("Assigned")
        NOTE = "note", _("Internal note")
        RESPONSE = "response", _("Public response")
        CONTACT_REMOVED = "contact_removed", _("Contact details removed")
        LINK_REVOKED = "link_revoked", _("Private link revoked")

    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    from_state = models.CharField(_("from"), max_length=12, choices=State, blank=True)
    to_state = models.CharField(_("to"), max_length=12, choices=State, blank=True)
    # Which table a referral went to, kept for the resident's timeline after a later referral.
    action_table = models.ForeignKey(
        "actiontables.ActionTable",
        verbose_name=_("action table"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta(WorkflowEvent.Meta):
        verbose_name = _("issue event")
        verbose_name_plural = _("issue events")
        indexes = [
            models.Index(fields=["issue", "public", "created_at"], name="issues_event_public_idx"),
        ]

    def __str__(self):
        return f"{self.issue}: {self.get_kind_display()}"


class TriageContact(models.Model):
    """Someone told about new issues: everyone on the list, or only those on one topic."""

    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email address"))
    topic = models.CharField(
        _("topic"),
        max_length=20,
        choices=Topic,
        blank=True,
        help_text=_("Leave empty to be told about issues on every topic."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("triage contact")
        verbose_name_plural = _("triage contacts")
        ordering = ["topic", "name"]
        constraints = [
            models.UniqueConstraint(fields=["email", "topic"], name="issues_triagecontact_unique"),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class TopicRoute(models.Model):
    """A topic that the contacts of one action table hear about as soon as an issue arrives."""

    topic = models.CharField(_("topic"), max_length=20, choices=Topic, unique=True)
    action_table = models.ForeignKey(
        "actiontables.ActionTable",
        verbose_name=_("action table"),
        on_delete=models.CASCADE,
        related_name="issue_routes",
    )

    class Meta:
        verbose_name = _("topic routing")
        verbose_name_plural = _("topic routing")
        ordering = ["topic"]

    def __str__(self):
        return f"{self.get_topic_display()} → {self.action_table}"


class SignpostQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def for_topic(self, topic: str) -> list["Signpost"]:
        """Return the active signposts shown for ``topic``, in order. One query."""
        return [s for s in self.active() if topic in s.topics]


class Signpost(models.Model):
    """Where to turn instead, or as well: shown to residents who choose one of its topics.

    Residents bring forward what the plan's partners can act on; a dog bite, a by-law complaint
    or a search for a food bank belongs elsewhere, and the form says so as soon as the topic is
    chosen, and again on the confirmation page. Staff keep the list.
    """

    title = models.CharField(
        _("for"),
        max_length=120,
        help_text=_("What the resident may be facing, e.g. “A dog bite or an animal attack”."),
    )
    advice = models.CharField(
        _("advice"),
        max_length=400,
        help_text=_("What to do, in a sentence or two, e.g. “Call 311: …”."),
    )
    phone = models.CharField(
        _("phone number"),
        max_length=30,
        blank=True,
        help_text=_("Shown as a link that dials it on a phone, e.g. 311 or 905-825-4777."),
    )
    website = models.URLField(_("website"), blank=True)
    topics = models.JSONField(
        _("topics"), default=list, help_text=_("The topics this signpost is shown for.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("shown to residents"), default=True)

    objects = SignpostQuerySet.as_manager()

    class Meta:
        verbose_name = _("signpost")
        verbose_name_plural = _("signposts")
        ordering = ["order", "pk"]

    def __str__(self):
        return self.title

    @property
    def phone_uri(self) -> str:
        """Return the ``tel:`` address of the phone number (digits and a leading + only)."""
        number = re.split(r"x|ext", self.phone.lower())[0]
        return "tel:" + "".join(c for c in number if c.isdigit() or c == "+")

    @property
    def website_label(self) -> str:
        """Return the website as people read it: no scheme, no "www.", no trailing slash."""
        parts = urlsplit(self.website)
        return (parts.netloc + parts.path.rstrip("/")).removeprefix("www.")

    def topic_labels(self) -> list[str]:
        labels = dict(Topic.choices)
        return [str(labels[t]) for t in self.topics if t in labels]


class ReferenceCounter(YearCounter):
    """The last reference number given out in a year; incremented under a row lock."""

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")
