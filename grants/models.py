import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cswb.lib import links
from cswb.lib.demo import demo_field
from cswb.lib.models import YearCounter
from cswb.lib.workflow import WorkflowEvent
from grants.workflow import FUNDED_STATES, State, action_label

ZERO = Decimal("0.00")
LINK_PURPOSE = "grants.application"
# A reviewer is asked for their scores within this many days of being assigned.
REVIEW_DAYS = 14


class OrganizationType(models.TextChoices):
    NON_PROFIT = "non_profit", _("Non-profit organization")
    CHARITY = "charity", _("Registered charity")
    INDIGENOUS = "indigenous", _("First Nations, Inuit or Métis organization")
    OTHER = "other", _("Other")


class BudgetCategory(models.TextChoices):
    STAFFING = "staffing", _("Staff and facilitators")
    SUPPLIES = "supplies", _("Program supplies and materials")
    PARTICIPANTS = "participants", _("Participant supports (food, transit, honoraria)")
    SPACE = "space", _("Space and equipment")
    EVALUATION = "evaluation", _("Evaluation")
    ADMINISTRATION = "administration", _("Administration")
    OTHER = "other", _("Other")


def money_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(ZERO)],
        **kwargs,
    )


class Fund(models.Model):
    """Money received from a funder and redistributed as grants through intake rounds."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    funder = models.CharField(_("funder"), max_length=200)
    total_allocation = money_field(
        _("total allocation"), help_text=_("The most this fund may ever commit, in dollars.")
    )
    starts_on = models.DateField(_("period starts"))
    ends_on = models.DateField(_("period ends"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="grants_fund_period_order"
            ),
        ]

    def __str__(self):
        return self.name

    def committed(self) -> Decimal:
        """Return the total of every award made from this fund (one query)."""
        return self.awards.aggregate(total=Sum("amount"))["total"] or ZERO

    def remaining(self) -> Decimal:
        return self.total_allocation - self.committed()

    def figures_by_year(self) -> list[dict]:
        """Return allocated, committed and remaining money per funding year (two queries)."""
        allocated = dict(
            self.rounds.values_list("funding_year").annotate(total=Sum("amount_available"))
        )
        committed = dict(
            self.awards.values_list("application__round__funding_year").annotate(
                total=Sum("amount")
            )
        )
        rows = []
        for year in sorted(set(allocated) | set(committed)):
            a, c = allocated.get(year) or ZERO, committed.get(year) or ZERO
            rows.append({"year": year, "allocated": a, "committed": c, "remaining": a - c})
        return rows


class RoundQuerySet(models.QuerySet):
    def open_for_intake(self, now):
        return self.filter(opens_at__lte=now, closes_at__gte=now)

    def upcoming(self, now):
        return self.filter(opens_at__gt=now)

    def closed(self, now):
        return self.filter(closes_at__lt=now)


class Round(models.Model):
    """One intake window of a fund, with its rules of eligibility and its review criteria."""

    class Status(models.TextChoices):
        UPCOMING = "upcoming", _("Upcoming")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    fund = models.ForeignKey(
        Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="rounds"
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(
        _("closes"), help_text=_("Submissions are accepted up to and including this moment.")
    )
    funding_year = models.PositiveSmallIntegerField(
        _("funding year"),
        help_text=_("The year the funded programs of this round are listed under, e.g. 2024."),
    )
    amount_available = money_field(_("amount available"))
    max_request = money_field(_("most an application may request"))
    allow_one_year = models.BooleanField(_("one-year grants allowed"), default=True)
    allow_two_years = models.BooleanField(_("two-year grants allowed"), default=True)
    program_starts_on = models.DateField(_("programs may start"))
    program_ends_on = models.DateField(_("programs must end by"))
    min_age = models.PositiveSmallIntegerField(_("youngest eligible age"), default=6)
    max_age = models.PositiveSmallIntegerField(_("oldest eligible age"), default=29)
    eligible_org_types = models.JSONField(
        _("eligible organization types"),
        default=list,
        help_text=_("Which kinds of organization may apply."),
    )
    guidelines = models.TextField(_("guidelines"), blank=True)
    information_sessions = models.TextField(
        _("information sessions"), blank=True, help_text=_("One session per line.")
    )
    results_note = models.TextField(
        _("published results"),
        blank=True,
        help_text=_("What has been announced about this round's results, shown to the public."),
    )
    is_demo = demo_field()

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("intake round")
        verbose_name_plural = _("intake rounds")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="grants_round_window_order"
            ),
            models.CheckConstraint(
                condition=Q(max_age__gte=models.F("min_age")), name="grants_round_age_order"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("grants:apply", args=[self.slug])

    def status(self, now=None) -> str:
        now = now or timezone.now()
        if now < self.opens_at:
            return self.Status.UPCOMING
        if now <= self.closes_at:
            return self.Status.OPEN
        return self.Status.CLOSED

    def is_open(self, now=None) -> bool:
        return self.status(now) == self.Status.OPEN

    def allowed_durations(self) -> list[int]:
        return [years for years, ok in ((1, self.allow_one_year), (2, self.allow_two_years)) if ok]

    def eligible_org_type_labels(self) -> list[str]:
        labels = dict(OrganizationType.choices)
        return [labels[value] for value in self.eligible_org_types if value in labels]

    def session_lines(self) -> list[str]:
        return [line.strip() for line in self.information_sessions.splitlines() if line.strip()]


class Criterion(models.Model):
    """Something reviewers score from 0 to 5 for every application of a round."""

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="criteria"
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("what reviewers look for"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("review criterion")
        verbose_name_plural = _("review criteria")
        ordering = ["round", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="grants_criterion_unique_name"),
        ]

    def __str__(self):
        return self.name


class ReferenceCounter(YearCounter):
    """The last reference number handed out in a year; its row is locked while one is taken."""

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")


class ApplicationQuerySet(models.QuerySet):
    def submitted(self):
        return self.exclude(state=State.DRAFT)

    def funded(self):
        return self.filter(state__in=FUNDED_STATES)

    def visible_to(self, user):
        """Return the applications ``user`` may open (see ``grants.permissions``)."""
        from grants import permissions

        if permissions.is_grant_staff(user):
            return self
        if permissions.is_reviewer(user):
            return self.filter(
                reviews__reviewer=user, reviews__conflict=Review.Conflict.NONE
            ).distinct()
        return self.none()


class Application(models.Model):
    """An organization's request for a grant, from draft to closed file.

    The applicant has no account: ``public_id`` is what their signed private link carries.
    """

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.PROTECT, related_name="applications"
    )
    state = models.CharField(_("state"), max_length=20, choices=State, default=State.DRAFT)
    reference = models.CharField(
        _("reference number"), max_length=20, unique=True, null=True, blank=True
    )
    # Organization
    org_legal_name = models.CharField(_("legal name of the organization"), max_length=200)
    org_type = models.CharField(
        _("type of organization"), max_length=20, choices=OrganizationType, blank=True
    )
    org_registration_number = models.CharField(
        _("registration or charity number"), max_length=50, blank=True
    )
    org_address = models.TextField(_("mailing address"), blank=True)
    municipalities = models.ManyToManyField(
        "indicators.Geography",
        verbose_name=_("municipalities served"),
        blank=True,
        related_name="grant_applications",
    )
    # Contact
    contact_name = models.CharField(_("contact person"), max_length=200)
    contact_title = models.CharField(_("position"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"))
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    # Program
    program_title = models.CharField(_("program title"), max_length=200, blank=True)
    program_summary = models.TextField(_("program summary"), blank=True)
    population_served = models.TextField(_("population served"), blank=True)
    age_min = models.PositiveSmallIntegerField(_("youngest participant age"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("oldest participant age"), null=True, blank=True)
    risk_factors = models.TextField(_("risk factors addressed"), blank=True)
    protective_factors = models.TextField(_("protective factors strengthened"), blank=True)
    activities = models.TextField(_("activities"), blank=True)
    expected_outcomes = models.TextField(_("expected outcomes"), blank=True)
    measurement = models.TextField(_("how outcomes will be measured"), blank=True)
    partners = models.TextField(_("partners"), blank=True)
    duration_years = models.PositiveSmallIntegerField(
        _("duration in years"),
        null=True,
        blank=True,
        choices=[(1, _("One year")), (2, _("Two years"))],
    )
    amount_requested = money_field(_("amount requested"), null=True, blank=True)
    # Declarations
    declare_accurate = models.BooleanField(_("information is accurate"), default=False)
    declare_authority = models.BooleanField(_("authorized to apply"), default=False)
    declare_privacy = models.BooleanField(_("agrees to the collection notice"), default=False)
    publish_consent = models.BooleanField(
        _("agrees to publication if funded"),
        default=False,
        help_text=_("Organization, program, amount and municipalities may be listed publicly."),
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-submitted_at", "-created_at"]
        indexes = [
            models.Index(fields=["round", "state"], name="grants_app_round_state_idx"),
        ]

    def __str__(self):
        label = self.program_title or self.org_legal_name
        return f"{self.reference} {label}" if self.reference else f"{label} ({_('draft')})"

    def private_token(self) -> str:
        return links.make_token(LINK_PURPOSE, str(self.public_id))

    def private_link(self) -> str:
        """Return the applicant's absolute private link: the form while a draft, then the
        status page."""
        name = "grants:resume" if self.state == State.DRAFT else "grants:status"
        return settings.SITE_URL + reverse(name, args=[self.private_token()])

    def budget_total(self) -> Decimal:
        return sum((line.amount for line in self.budget_lines.all()), ZERO)

    def budget_by_year(self) -> dict[int, Decimal]:
        totals: dict[int, Decimal] = {}
        for line in self.budget_lines.all():
            totals[line.year] = totals.get(line.year, ZERO) + line.amount
        return totals


class BudgetLine(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="budget_lines"
    )
    category = models.CharField(_("category"), max_length=20, choices=BudgetCategory)
    year = models.PositiveSmallIntegerField(
        _("program year"), validators=[MinValueValidator(1), MaxValueValidator(2)]
    )
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["year", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "category", "year"], name="grants_budget_unique_cell"
            ),
        ]

    def __str__(self):
        return f"{self.get_category_display()}, year {self.year}: {self.amount}"


# Files one application may carry in all (checked by the form and, under a lock, the service).
MAX_ATTACHMENTS = 5


class Attachment(models.Model):
    """A file sent with an application, stored under PRIVATE_MEDIA_ROOT with a random name."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    original_name = models.CharField(_("file name"), max_length=255)
    stored_name = models.CharField(_("stored as"), max_length=64, unique=True, editable=False)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name


class Review(models.Model):
    """A reviewer's assignment to an application, their conflict declaration and their scores."""

    class Conflict(models.TextChoices):
        PENDING = "pending", _("Not declared yet")
        NONE = "none", _("No conflict")
        DECLARED = "declared", _("Conflict declared")

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        related_name="grant_reviews",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    conflict = models.CharField(
        _("conflict of interest"), max_length=10, choices=Conflict, default=Conflict.PENDING
    )
    conflict_note = models.TextField(_("about the conflict"), blank=True)
    comment = models.TextField(_("comments"), blank=True)
    submitted_at = models.DateTimeField(_("scored"), null=True, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["application", "assigned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="grants_review_one_per_reviewer"
            ),
        ]

    def __str__(self):
        return _("%(reviewer)s on %(application)s") % {
            "reviewer": self.reviewer,
            "application": self.application,
        }

    def due_on(self):
        """Return the date the scores are expected: REVIEW_DAYS after the assignment."""
        return timezone.localtime(self.assigned_at).date() + timedelta(days=REVIEW_DAYS)

    def total(self):
        values = [score.value for score in self.scores.all()]
        return sum(values) if values else None


class Score(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    value = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(0), MaxValueValidator(5)]
    )

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["criterion__order"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="grants_score_unique"),
            models.CheckConstraint(condition=Q(value__lte=5), name="grants_score_at_most_5"),
        ]

    def __str__(self):
        return f"{self.criterion}: {self.value}"


class Event(WorkflowEvent):
    """One step in an application's life: who did what, when and why."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="events"
    )
    from_state = models.CharField(_("from"), max_length=20, choices=State, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=State, blank=True)

    class Meta(WorkflowEvent.Meta):
        verbose_name = _("application event")
        verbose_name_plural = _("application events")

    def __str__(self):
        when = date_format(timezone.localtime(self.created_at), "DATETIME_FORMAT")
        return f"{when} {self.transition} ({self.actor_label})"

    def action_label(self) -> str:
        return action_label(self.transition)


class Award(models.Model):
    """The money committed to an approved application."""

    application = models.OneToOneField(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="award"
    )
    fund = models.ForeignKey(
        Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="awards"
    )
    amount = money_field(_("approved amount"))
    years = models.PositiveSmallIntegerField(
        _("years"), validators=[MinValueValidator(1), MaxValueValidator(2)]
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="grants_award_positive"),
        ]

    def __str__(self):
        return f"{self.application} ({self.amount})"


class Report(models.Model):
    """An interim or final report an award holder owes, and whether it has come in."""

    class Kind(models.TextChoices):
        INTERIM = "interim", _("Interim report")
        FINAL = "final", _("Final report")

    award = models.ForeignKey(
        Award, verbose_name=_("award"), on_delete=models.CASCADE, related_name="reports"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    due_on = models.DateField(_("due"))
    received_on = models.DateField(_("received"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(fields=["award", "kind"], name="grants_report_one_per_kind"),
        ]
        indexes = [models.Index(fields=["received_on", "due_on"], name="grants_report_due_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.award.application}"
