"""Organizations, the zones of intervention and the System Leadership Group."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Zone(models.Model):
    """One of the plan's four zones of intervention (a fixed list, created by a migration)."""

    class Code(models.TextChoices):
        SOCIAL_DEVELOPMENT = "social-development", _("Social development")
        PREVENTION = "prevention", _("Prevention")
        RISK_INTERVENTION = "risk-intervention", _("Risk intervention")
        INCIDENT_RESPONSE = "incident-response", _("Incident response")

    code = models.CharField(_("code"), max_length=32, choices=Code.choices, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order"]
        verbose_name = _("zone of intervention")
        verbose_name_plural = _("zones of intervention")

    def __str__(self):
        return str(self.Code(self.code).label)

    @property
    def name(self) -> str:
        return str(self)

    @classmethod
    def ensure_all(cls) -> None:
        """Create any of the four zones that is missing (the first migration creates them)."""
        for order, code in enumerate(cls.Code.values, start=1):
            cls.objects.get_or_create(code=code, defaults={"order": order})


class Organization(models.Model):
    class Sector(models.TextChoices):
        REGIONAL_GOVERNMENT = "regional-government", _("Regional government")
        POLICE = "police", _("Police")
        HEALTH = "health", _("Health")
        HOSPITAL = "hospital", _("Hospital")
        EDUCATION = "education", _("Education")
        CHILD_WELFARE = "child-welfare", _("Child welfare")
        COMMUNITY_AGENCY = "community-agency", _("Community agency")
        FUNDER = "funder", _("Funder or foundation")
        MUNICIPALITY = "municipality", _("Municipality")
        OTHER = "other", _("Other")

    name = models.CharField(
        _("name"),
        max_length=200,
        unique=True,
        error_messages={"unique": _("An organization with this name already exists.")},
    )
    short_name = models.CharField(
        _("short name"), max_length=40, blank=True, help_text=_("E.g. ROCK, CMHA, HRPS.")
    )
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices)
    website = models.URLField(_("website"), blank=True)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive organizations cannot be made the lead of an action table."),
    )
    staff_contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="actiontable_organizations",
        verbose_name=_("staff contacts"),
        help_text=_(
            "Portal users who speak for this organization. Those with the action-table lead "
            "role may keep the key areas and updates of the tables it leads."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        if self.short_name and self.short_name != self.name:
            return f"{self.name} ({self.short_name})"
        return self.name


class LeadershipSeatQuerySet(models.QuerySet):
    def with_current_members(self, today=None):
        """Prefetch each seat's current members and their organizations (two queries in all)."""
        members = LeadershipMember.objects.current(today).select_related("organization")
        return self.prefetch_related(
            models.Prefetch("members", queryset=members, to_attr="current_members")
        )


class LeadershipSeat(models.Model):
    """A seat on the System Leadership Group, e.g. "Local hospitals"."""

    name = models.CharField(
        _("seat"),
        max_length=200,
        unique=True,
        error_messages={"unique": _("A seat with this name already exists.")},
    )
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = LeadershipSeatQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("leadership group seat")
        verbose_name_plural = _("leadership group seats")

    def __str__(self):
        return self.name


class LeadershipMemberQuerySet(models.QuerySet):
    def current(self, today=None):
        """Return the members whose term covers ``today``."""
        today = today or timezone.localdate()
        return self.filter(
            Q(term_start__isnull=True) | Q(term_start__lte=today),
            Q(term_end__isnull=True) | Q(term_end__gte=today),
        )


class LeadershipMember(models.Model):
    """An organization holding a seat on the System Leadership Group, through a representative."""

    seat = models.ForeignKey(
        LeadershipSeat, on_delete=models.CASCADE, related_name="members", verbose_name=_("seat")
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="leadership_seats",
        verbose_name=_("organization"),
    )
    representative = models.CharField(_("representative"), max_length=200, blank=True)
    representative_title = models.CharField(_("representative's title"), max_length=200, blank=True)
    term_start = models.DateField(_("term starts"), null=True, blank=True)
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = LeadershipMemberQuerySet.as_manager()

    class Meta:
        ordering = ["seat__order", "order", "organization__name"]
        verbose_name = _("leadership group member")
        verbose_name_plural = _("leadership group members")
        constraints = [
            models.UniqueConstraint(
                fields=["seat", "organization"], name="actiontables_member_seat_org_unique"
            ),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True)
                | Q(term_start__isnull=True)
                | Q(term_end__gte=models.F("term_start")),
                name="actiontables_member_term_order",
            ),
        ]

    def __str__(self):
        return f"{self.organization.name} – {self.seat.name}"

    def clean(self):
        if self.term_start and self.term_end and self.term_end < self.term_start:
            raise ValidationError(
                {"term_end": _("The term cannot end before it starts. Check both dates.")},
                code="term_order",
            )
