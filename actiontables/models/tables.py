"""Action tables, their leads, key areas of action and progress updates."""

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from actiontables.models.organizations import Organization, Zone

# A table with no published update for this long is flagged for staff.
STALE_AFTER = timedelta(days=183)
# Slugs taken by the app's own pages (see urls.py).
RESERVED_SLUGS = frozenset({"leadership-group", "feed", "follow", "unsubscribe"})


def validate_table_slug(value):
    if value in RESERVED_SLUGS:
        raise ValidationError(
            _("“%(slug)s” is the address of another page of the portal. Choose a different slug."),
            code="reserved_slug",
            params={"slug": value},
        )


class ActionTableQuerySet(models.QuerySet):
    def public(self):
        """Return the tables shown to the public (forming tables are not yet announced)."""
        return self.exclude(status=ActionTable.Status.FORMING)

    def for_listing(self):
        """Return public tables with leads, zones and last update date, in three queries."""
        leads = ActionTableLead.objects.select_related("organization")
        return (
            self.public()
            .annotate(
                last_published=models.Max(
                    "updates__date", filter=Q(updates__status=ProgressUpdate.Status.PUBLISHED)
                )
            )
            .prefetch_related(models.Prefetch("leads", queryset=leads), "zones")
        )

    def for_page(self):
        """Return tables with everything a table page shows prefetched (a fixed query count)."""
        leads = ActionTableLead.objects.select_related("organization")
        indicators = apps.get_model("indicators", "Indicator").objects.published().order_by("name")
        return self.prefetch_related(
            models.Prefetch("leads", queryset=leads),
            models.Prefetch("members", queryset=Organization.objects.order_by("name")),
            "zones",
            "key_areas",
            models.Prefetch("indicators", queryset=indicators, to_attr="public_indicators"),
        )

    def with_published_update_since(self, since):
        recent = ProgressUpdate.objects.published().filter(table=OuterRef("pk"), date__gte=since)
        return self.filter(Exists(recent))

    def stale(self, today=None):
        """Return the non-sunset tables with no published update in the last six months."""
        today = today or timezone.localdate()
        recent = ProgressUpdate.objects.published().filter(
            table=OuterRef("pk"), date__gte=today - STALE_AFTER
        )
        return self.exclude(status=ActionTable.Status.SUNSET).exclude(Exists(recent))


class ActionTable(models.Model):
    class Status(models.TextChoices):
        FORMING = "forming", _("Forming")
        ACTIVE = "active", _("Active")
        SUNSET = "sunset", _("Sunset")

    # The life cycle as data: the states a table may move to from each state.
    TRANSITIONS = {
        Status.FORMING: {Status.ACTIVE},
        Status.ACTIVE: {Status.SUNSET},
        Status.SUNSET: {Status.ACTIVE},
    }

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        validators=[validate_table_slug],
        help_text=_("The last part of the table's web address, e.g. mental-health."),
        error_messages={
            "unique": _("Another action table already uses this slug. Choose a different one.")
        },
    )
    summary = models.TextField(_("summary"), help_text=_("What the table is for, in plain words."))
    priority_issue = models.CharField(
        _("priority issue"),
        max_length=300,
        blank=True,
        help_text=_("The plan's priority issue the table addresses."),
    )
    zones = models.ManyToManyField(
        Zone, blank=True, related_name="action_tables", verbose_name=_("zones of intervention")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.FORMING
    )
    convened_on = models.DateField(_("date convened"), null=True, blank=True)
    sunset_on = models.DateField(_("date sunset"), null=True, blank=True)
    reconvened_on = models.DateField(
        _("date re-convened"),
        null=True,
        blank=True,
        help_text=_("Set when a sunset table is brought back; the earlier sunset date is kept."),
    )
    contact_email = models.EmailField(
        _("contact email"),
        blank=True,
        help_text=_("Where the portal sends residents' issues routed to this table."),
    )
    organizations = models.ManyToManyField(
        Organization,
        through="ActionTableLead",
        related_name="led_tables",
        verbose_name=_("lead organizations"),
    )
    members = models.ManyToManyField(
        Organization,
        blank=True,
        related_name="member_of_tables",
        verbose_name=_("member organizations"),
    )
    indicators = models.ManyToManyField(
        "indicators.Indicator",
        blank=True,
        related_name="action_tables",
        verbose_name=_("related indicators"),
        help_text=_("The dashboard indicators the table aims to move."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ActionTableQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("action table")
        verbose_name_plural = _("action tables")
        constraints = [
            models.CheckConstraint(
                condition=Q(sunset_on__isnull=True)
                | Q(convened_on__isnull=True)
                | Q(sunset_on__gte=models.F("convened_on")),
                name="actiontables_table_sunset_after_convened",
            ),
            models.CheckConstraint(
                condition=~Q(status="sunset") | Q(sunset_on__isnull=False),
                name="actiontables_table_sunset_has_date",
            ),
            models.CheckConstraint(
                condition=Q(reconvened_on__isnull=True)
                | Q(sunset_on__isnull=True)
                | Q(reconvened_on__gte=models.F("sunset_on")),
                name="actiontables_table_reconvened_after_sunset",
            ),
        ]
        indexes = [models.Index(fields=["status", "name"], name="actiontables_status_name")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("actiontables:table", kwargs={"slug": self.slug})

    @classmethod
    def from_db(cls, db, field_names, values):
        """Remember the stored status, so that clean() can check the life-cycle step."""
        table = super().from_db(db, field_names, values)
        table._stored_status = table.__dict__.get("status")
        return table

    def clean(self):
        errors = {}
        stored = getattr(self, "_stored_status", None)
        if stored and self.status != stored and not self.can_move_to(self.status, origin=stored):
            errors["status"] = ValidationError(
                _("The status cannot go from “%(old)s” to “%(new)s”. Forming tables become "
                  "active, active tables are sunset, and sunset tables are re-convened "
                  "(active again)."),
                code="bad_transition",
                params={"old": self.Status(stored).label.lower(),
                        "new": self.Status(self.status).label.lower()},
            )
        elif (
            stored == self.Status.SUNSET
            and self.status == self.Status.ACTIVE
            and not self.reconvened_on
        ):
            errors["reconvened_on"] = ValidationError(
                _("Enter the date the table was re-convened."), code="reconvened_missing"
            )
        if self.convened_on and self.sunset_on and self.sunset_on < self.convened_on:
            errors["sunset_on"] = ValidationError(
                _("The sunset date (%(sunset)s) is before the date convened (%(convened)s). "
                  "Correct one of the two dates."),
                code="sunset_before_convened",
                params={"sunset": date_format(self.sunset_on),
                        "convened": date_format(self.convened_on)},
            )
        if self.status == self.Status.SUNSET and not self.sunset_on:
            errors["sunset_on"] = ValidationError(
                _("A sunset table needs the date it was sunset."), code="sunset_without_date"
            )
        if self.reconvened_on:
            if not self.sunset_on:
                errors["reconvened_on"] = ValidationError(
                    _("Only a table that was sunset can be re-convened: enter the sunset date "
                      "or clear this date."),
                    code="reconvened_without_sunset",
                )
            elif self.reconvened_on < self.sunset_on:
                errors["reconvened_on"] = ValidationError(
                    _("A table cannot be re-convened before the date it was sunset."),
                    code="reconvened_before_sunset",
                )
        if errors:
            raise ValidationError(errors)

    @property
    def is_sunset(self) -> bool:
        return self.status == self.Status.SUNSET

    def can_move_to(self, status: str, *, origin: str | None = None) -> bool:
        """Return True when the life cycle allows ``origin`` (the current status) -> ``status``."""
        return status in self.TRANSITIONS.get(self.Status(origin or self.status), set())

    def sunset(self, *, on) -> None:
        """End the table's work on ``on``."""
        self._move(self.Status.SUNSET, sunset_on=on)

    def reconvene(self, *, on) -> None:
        """Bring a sunset table back on ``on``, keeping the date it was sunset."""
        self._move(self.Status.ACTIVE, reconvened_on=on)

    def _move(self, status, **dates):
        if not self.can_move_to(status):
            raise ValidationError(
                _("The status cannot go from “%(old)s” to “%(new)s”."),
                code="bad_transition",
                params={"old": self.get_status_display().lower(),
                        "new": self.Status(status).label.lower()},
            )
        with transaction.atomic():
            for name, value in dates.items():
                setattr(self, name, value)
            self.status = status
            self.full_clean(exclude=["zones", "organizations", "members", "indicators"])
            self.save()
            self._stored_status = status

    def related_indicators(self) -> list:
        """Return the published indicators the table aims to move.

        Uses the list prefetched by ``for_page()``; without it, runs one query.
        """
        if hasattr(self, "public_indicators"):
            return self.public_indicators
        return list(self.indicators.published().order_by("name"))

    def notification_emails(self) -> list[str]:
        """Return who to tell about a resident's issue routed to this table.

        The table's contact email first, then the email of every active staff contact of its
        lead organizations; no duplicates. Runs one query for the staff contacts.
        """
        from django.contrib.auth import get_user_model

        emails = [self.contact_email] if self.contact_email else []
        users = (
            get_user_model()
            .objects.filter(
                is_active=True,
                actiontable_organizations__leads__table=self,
            )
            .exclude(email="")
            .order_by("actiontable_organizations__leads__order", "pk")
            .values_list("email", flat=True)
        )
        for email in users:
            if email.lower() not in {e.lower() for e in emails}:
                emails.append(email)
        return emails


class ActionTableLead(models.Model):
    """An organization leading a table; ``order`` states who is named first."""

    table = models.ForeignKey(
        ActionTable, on_delete=models.CASCADE, related_name="leads", verbose_name=_("action table")
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="leads",
        verbose_name=_("organization"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("lead organization")
        verbose_name_plural = _("lead organizations")
        constraints = [
            models.UniqueConstraint(
                fields=["table", "organization"], name="actiontables_lead_table_org_unique"
            ),
        ]

    def __str__(self):
        return _("%(organization)s, lead of %(table)s") % {
            "organization": self.organization.name,
            "table": self.table.name,
        }

    def clean(self):
        if self.organization_id and not self.organization.active:
            raise ValidationError(
                {"organization": _(
                    "%(org)s is marked inactive and cannot lead a table. Choose another "
                    "organization or make this one active first."
                ) % {"org": self.organization.name}},
                code="inactive_lead",
            )


class KeyArea(models.Model):
    """One of a table's key areas of action, in the order the table lists them."""

    table = models.ForeignKey(
        ActionTable,
        on_delete=models.CASCADE,
        related_name="key_areas",
        verbose_name=_("action table"),
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("key area of action")
        verbose_name_plural = _("key areas of action")

    def __str__(self):
        return self.title


class ProgressUpdateQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=ProgressUpdate.Status.PUBLISHED)


class ProgressUpdate(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    table = models.ForeignKey(
        ActionTable,
        on_delete=models.CASCADE,
        related_name="updates",
        verbose_name=_("action table"),
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("update"))
    outcomes = models.TextField(_("outcomes"), blank=True, help_text=_("One outcome per line."))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actiontable_updates",
        verbose_name=_("author"),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProgressUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        indexes = [
            models.Index(fields=["table", "status", "-date"], name="actiontables_update_recent"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return f"{self.table.get_absolute_url()}#update-{self.pk}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def outcome_lines(self) -> list[str]:
        return [line.strip(" -•\t") for line in self.outcomes.splitlines() if line.strip(" -•\t")]
