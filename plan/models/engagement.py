"""Who the plan is made with: the advisory committee's seats and the consultation log."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plan.models.choices import STATUTORY_GROUPS, ChoiceListValidator, Group, Sector, labels


class CommitteeSeatQuerySet(models.QuerySet):
    def with_current_members(self, today=None):
        """Prefetch each seat's current leadership-group members (three queries in all)."""
        from actiontables.models import LeadershipMember

        members = LeadershipMember.objects.current(today).select_related("organization")
        return self.select_related("seat").prefetch_related(
            models.Prefetch("seat__members", queryset=members, to_attr="current_members")
        )


class CommitteeSeat(models.Model):
    """A System Leadership Group seat acting on the plan's advisory committee, with the sectors
    the law asks the committee to include that the seat's members represent."""

    seat = models.OneToOneField(
        "actiontables.LeadershipSeat", on_delete=models.CASCADE, related_name="committee_seat",
        verbose_name=_("leadership group seat"),
    )
    sectors = models.JSONField(
        _("sectors represented"), default=list, blank=True,
        validators=[ChoiceListValidator(Sector)],
    )
    note = models.TextField(
        _("note"), blank=True,
        help_text=_("E.g. why a sector this seat might seem to cover is not ticked."),
    )

    objects = CommitteeSeatQuerySet.as_manager()

    class Meta:
        ordering = ["seat__order", "seat__name"]
        verbose_name = _("advisory committee seat")
        verbose_name_plural = _("advisory committee seats")

    def __str__(self):
        return str(self.seat)

    def sector_labels(self) -> list[str]:
        return labels(Sector, self.sectors)


def committee_coverage(seats) -> dict:
    """Return which statutory sectors ``seats`` cover and which are missing.

    Only seats with at least one current member count (``current_members`` as prefetched by
    ``with_current_members``).
    """
    covered = set()
    for seat in seats:
        if getattr(seat.seat, "current_members", None):
            covered.update(seat.sectors)
    missing = [sector for sector in Sector if sector.value not in covered]
    return {
        "covered": [sector for sector in Sector if sector.value in covered],
        "missing": missing,
        "complete": not missing,
    }


class ConsultationQuerySet(models.QuerySet):
    def public(self):
        return self.filter(published=True)

    def in_year(self, year: int):
        """Return the consultations under way at any time in ``year``."""
        return self.filter(held_from__year__lte=year).filter(
            Q(held_to__isnull=True, held_from__year=year) | Q(held_to__year__gte=year)
        )


class Consultation(models.Model):
    """One consultation held to prepare, review or check the plan, and what it heard."""

    class Form(models.TextChoices):
        SURVEY = "survey", _("Survey")
        MEETINGS = "meetings", _("Public meetings")
        WORKSHOPS = "workshops", _("Workshops or focus groups")
        INTERVIEWS = "interviews", _("Interviews")
        ONLINE = "online", _("Online engagement")
        MIXED = "mixed", _("Several forms")
        OTHER = "other", _("Other")

    class Qualifier(models.TextChoices):
        EXACT = "exact", _("exactly")
        ABOUT = "about", _("about")
        OVER = "over", _("over")

    plan = models.ForeignKey(
        "plan.PlanVersion", on_delete=models.CASCADE, related_name="consultations",
        verbose_name=_("plan version"),
    )
    title = models.CharField(_("title"), max_length=200)
    held_from = models.DateField(_("held from"))
    held_to = models.DateField(_("held until"), null=True, blank=True)
    when_label = models.CharField(
        _("when, in words"), max_length=100, blank=True,
        help_text=_("Shown instead of the dates when they are approximate, e.g. “Summer 2017”."),
    )
    form = models.CharField(_("form"), max_length=16, choices=Form.choices)
    description = models.TextField(_("how it was done"), blank=True)
    groups_reached = models.JSONField(
        _("who was reached"), default=list, blank=True, validators=[ChoiceListValidator(Group)],
    )
    participants = models.PositiveIntegerField(_("how many took part"), null=True, blank=True)
    participants_qualifier = models.CharField(
        _("that number is"), max_length=8, choices=Qualifier.choices, default=Qualifier.EXACT,
    )
    participants_note = models.CharField(
        _("who took part"), max_length=200, blank=True,
        help_text=_("E.g. “residents, community partners and other stakeholders”."),
    )
    heard = models.TextField(_("what was heard"), blank=True)
    priorities = models.ManyToManyField(
        "plan.RiskFactor", blank=True, related_name="consultations",
        verbose_name=_("priorities it concerned"),
    )
    published = models.BooleanField(_("shown on the public pages"), default=True)

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        ordering = ["-held_from", "-pk"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            models.CheckConstraint(
                condition=Q(held_to__isnull=True) | Q(held_to__gte=models.F("held_from")),
                name="plan_consultation_dates_in_order",
                violation_error_message=_("A consultation cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.held_to and self.held_from and self.held_to < self.held_from:
            raise ValidationError(
                {"held_to": _("The consultation cannot end before it starts. Check both dates.")},
                code="dates_out_of_order",
            )

    def group_labels(self) -> list[str]:
        return labels(Group, self.groups_reached)

    def participants_display(self) -> str:
        if self.participants is None:
            return ""
        count = f"{self.participants:,}"
        if self.participants_qualifier == self.Qualifier.EXACT:
            return count
        return f"{self.get_participants_qualifier_display()} {count}"


def consultation_coverage(consultations) -> dict:
    """Return which groups the law names ``consultations`` reached and which they missed."""
    reached = set()
    for consultation in consultations:
        reached.update(consultation.groups_reached)
    return {
        "reached": [group for group in STATUTORY_GROUPS if group.value in reached],
        "missing": [group for group in STATUTORY_GROUPS if group.value not in reached],
        "complete": all(group.value in reached for group in STATUTORY_GROUPS),
    }
