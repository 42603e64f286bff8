"""The plan as data: its versions, their timeline, risk factors, strategies and outcomes."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from issues.models import Topic
from plan import progress
from plan.models.choices import ChoiceListValidator, RiskCategory, StrategyApproach

# The law asks for a review of the plan this often, counted from its adoption.
REVIEW_EVERY_YEARS = 4
# The law asks for the adopted plan to be online within this many days.
PUBLISH_WITHIN_DAYS = 30


def add_years(day: datetime.date, years: int) -> datetime.date:
    """Return ``day`` moved by ``years``; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class DatePrecision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month only")
    YEAR = "year", _("Year only")


class PlanVersionQuerySet(models.QuerySet):
    def adopted(self, today=None):
        """Return the versions council has adopted by ``today``, newest first."""
        today = today or timezone.localdate()
        return self.filter(adopted_on__isnull=False, adopted_on__lte=today).order_by(
            "-adopted_on", "-pk"
        )

    def current(self, today=None):
        """Return the plan in force (the newest adopted version), or None. One query."""
        return self.adopted(today).first()


class PlanVersion(models.Model):
    """One adopted (or draft) version of the community safety and well-being plan."""

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(
        _("slug"), max_length=100, unique=True,
        help_text=_("Used in export file names, e.g. halton-2017."),
    )
    summary = models.TextField(_("summary"), blank=True)
    adopted_on = models.DateField(
        _("adopted on"), null=True, blank=True,
        help_text=_("The day council adopted the plan by resolution. Empty while it is a draft."),
    )
    council_resolution = models.CharField(
        _("council resolution"), max_length=200, blank=True,
        help_text=_("The number or reference of the resolution that adopted the plan."),
    )
    published_on = models.DateField(
        _("published online on"), null=True, blank=True,
        help_text=_("The day the adopted plan went online. The law asks for 30 days at most."),
    )
    date_precision = models.CharField(
        _("dates known to the"), max_length=8, choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_("Choose “month only” when only the month of adoption and publication is "
                    "on record; the pages then show no day."),
    )
    document_url = models.URLField(
        _("the plan document"), max_length=500, blank=True,
        help_text=_("Address of the published plan (PDF or web page)."),
    )
    review_due_on = models.DateField(
        _("review due"), null=True, blank=True,
        help_text=_("Four years after adoption unless you set another date; never before "
                    "adoption."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PlanVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-adopted_on", "-pk"]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        constraints = [
            models.CheckConstraint(
                condition=Q(review_due_on__isnull=True)
                | (Q(adopted_on__isnull=False) & Q(review_due_on__gte=models.F("adopted_on"))),
                name="plan_version_review_after_adoption",
                violation_error_message=_("The review cannot be due before the plan is adopted."),
            ),
            models.CheckConstraint(
                condition=Q(published_on__isnull=True)
                | (Q(adopted_on__isnull=False) & Q(published_on__gte=models.F("adopted_on"))),
                name="plan_version_published_after_adoption",
                violation_error_message=_("The plan cannot be published before it is adopted."),
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.adopted_on and not self.review_due_on:
            self.review_due_on = add_years(self.adopted_on, REVIEW_EVERY_YEARS)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("plan:index")

    def clean(self):
        errors = {}
        if self.review_due_on and not self.adopted_on:
            errors["review_due_on"] = ValidationError(
                _("Enter the adoption date first: the review is counted from it."),
                code="review_without_adoption",
            )
        elif self.review_due_on and self.review_due_on < self.adopted_on:
            errors["review_due_on"] = ValidationError(
                _("The review date (%(review)s) is before the adoption date (%(adopted)s). A plan "
                  "is reviewed after it is adopted: correct one of the two dates, or clear the "
                  "review date to use four years after adoption."),
                code="review_before_adoption",
                params={"review": date_format(self.review_due_on),
                        "adopted": date_format(self.adopted_on)},
            )
        if self.published_on and not self.adopted_on:
            errors["published_on"] = ValidationError(
                _("Enter the adoption date first: only an adopted plan is published."),
                code="published_without_adoption",
            )
        elif self.published_on and self.published_on < self.adopted_on:
            errors["published_on"] = ValidationError(
                _("The publication date (%(published)s) is before the adoption date "
                  "(%(adopted)s)."),
                code="published_before_adoption",
                params={"published": date_format(self.published_on),
                        "adopted": date_format(self.adopted_on)},
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_adopted(self) -> bool:
        return self.adopted_on is not None

    @property
    def publication_deadline(self) -> datetime.date | None:
        if self.adopted_on is None:
            return None
        return self.adopted_on + datetime.timedelta(days=PUBLISH_WITHIN_DAYS)

    def priorities(self):
        """Return the risk factors chosen as priorities, in order."""
        return self.risk_factors.filter(is_priority=True)


class Milestone(models.Model):
    """A dated step in making the plan: draft approved, adopted, launched, in effect."""

    plan = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="milestones",
        verbose_name=_("plan version"),
    )
    title = models.CharField(_("what happened"), max_length=200)
    on = models.DateField(_("date"))
    precision = models.CharField(
        _("date known to the"), max_length=8, choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )

    class Meta:
        ordering = ["on", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self):
        return self.title


class RiskFactor(models.Model):
    """A risk to safety and well-being the plan identifies; some are chosen as priorities."""

    plan = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="risk_factors",
        verbose_name=_("plan version"),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    evidence = models.TextField(
        _("evidence"), blank=True,
        help_text=_("The figures or findings that show the risk, with their source."),
    )
    categories = models.JSONField(
        _("statutory categories"), default=list, blank=True,
        validators=[ChoiceListValidator(RiskCategory)],
        help_text=_("What the factor contributes to, as the Act lists it."),
    )
    is_priority = models.BooleanField(
        _("a priority"), default=False,
        help_text=_("The plan treats this risk factor as a priority to reduce."),
    )
    issue_topics = models.JSONField(
        _("residents' issue topics"), default=list, blank=True,
        validators=[ChoiceListValidator(Topic)],
        help_text=_("The yearly report counts residents' issues on these topics under this "
                    "priority."),
    )
    funds = models.ManyToManyField(
        "grants.Fund", blank=True, related_name="plan_priorities", verbose_name=_("grant funds"),
        help_text=_("The yearly report lists awards from these funds under this priority."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["-is_priority", "order", "name"]
        verbose_name = _("risk factor")
        verbose_name_plural = _("risk factors")
        constraints = [
            models.UniqueConstraint(fields=["plan", "name"], name="plan_risk_factor_unique_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return f"{reverse('plan:index')}#priority-{self.pk}"

    def category_labels(self) -> list[str]:
        from plan.models.choices import labels

        return labels(RiskCategory, self.categories)

    def topic_labels(self) -> list[str]:
        from plan.models.choices import labels

        return labels(Topic, self.issue_topics)


class StrategyQuerySet(models.QuerySet):
    def of_current_plan(self, today=None):
        current = PlanVersion.objects.current(today)
        return self.filter(plan=current) if current else self.none()


class Strategy(models.Model):
    """What the plan does about one or more priority risk factors, carried out by tables."""

    plan = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="strategies",
        verbose_name=_("plan version"),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    approaches = models.JSONField(
        _("approach"), default=list, blank=True,
        validators=[ChoiceListValidator(StrategyApproach)],
        help_text=_("The kinds of strategy the Act names."),
    )
    risk_factors = models.ManyToManyField(
        RiskFactor, related_name="strategies", verbose_name=_("priority risk factors answered"),
    )
    tables = models.ManyToManyField(
        "actiontables.ActionTable", blank=True, related_name="plan_strategies",
        verbose_name=_("action tables carrying it out"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = StrategyQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        constraints = [
            models.UniqueConstraint(fields=["plan", "name"], name="plan_strategy_unique_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return f"{reverse('plan:index')}#strategy-{self.pk}"

    def approach_labels(self) -> list[str]:
        from plan.models.choices import labels

        return labels(StrategyApproach, self.approaches)

    @staticmethod
    def risk_factor_problems(plan, risk_factors) -> list[ValidationError]:
        """Return why ``risk_factors`` cannot be what a strategy of ``plan`` answers."""
        risk_factors = list(risk_factors)
        if not risk_factors:
            return [ValidationError(
                _("Choose at least one priority risk factor: every strategy answers a priority "
                  "of the plan."),
                code="no_priority",
            )]
        problems = []
        not_priority = [risk.name for risk in risk_factors if not risk.is_priority]
        if not_priority:
            problems.append(ValidationError(
                _("Only priority risk factors can be answered by a strategy; not a priority: "
                  "%(names)s. Mark them as priorities first, or choose others."),
                code="not_priority",
                params={"names": ", ".join(not_priority)},
            ))
        other_plan = [risk.name for risk in risk_factors if plan and risk.plan_id != plan.pk]
        if other_plan:
            problems.append(ValidationError(
                _("These risk factors belong to another version of the plan: %(names)s."),
                code="other_plan",
                params={"names": ", ".join(other_plan)},
            ))
        return problems


class Outcome(models.Model):
    """A measurable result a strategy should produce, measured by one dashboard indicator."""

    class Direction(models.TextChoices):
        INCREASE = progress.INCREASE, _("The figure should rise")
        DECREASE = progress.DECREASE, _("The figure should fall")

    strategy = models.ForeignKey(
        Strategy, on_delete=models.CASCADE, related_name="outcomes", verbose_name=_("strategy"),
    )
    statement = models.CharField(
        _("outcome"), max_length=300, help_text=_("The change the strategy should bring about."),
    )
    indicator = models.ForeignKey(
        "indicators.Indicator", on_delete=models.PROTECT, related_name="plan_outcomes",
        verbose_name=_("indicator that measures it"),
        error_messages={
            key: _("Choose the indicator that measures this outcome: without one it cannot be "
                   "measured. Add the indicator to the dashboard first if it is missing.")
            for key in ("blank", "null")
        },
    )
    geography = models.ForeignKey(
        "indicators.Geography", on_delete=models.PROTECT, related_name="plan_outcomes",
        verbose_name=_("measured for"),
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    baseline_period = models.CharField(
        _("baseline period"), max_length=9, blank=True,
        help_text=_("A year (2016) or a span of years (2017-2018)."),
    )
    baseline_value = models.DecimalField(
        _("baseline value"), max_digits=18, decimal_places=4, null=True, blank=True,
        help_text=_("Leave empty to take the indicator's figure for the baseline period."),
    )
    target_value = models.DecimalField(
        _("target value"), max_digits=18, decimal_places=4, null=True, blank=True,
    )
    target_year = models.PositiveSmallIntegerField(_("target year"), null=True, blank=True)
    target_note = models.CharField(
        _("note on the target"), max_length=300, blank=True,
        help_text=_("E.g. why no target is set yet."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["strategy__order", "order", "pk"]
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        constraints = [
            models.CheckConstraint(
                condition=Q(target_value__isnull=True, target_year__isnull=True)
                | Q(target_value__isnull=False, target_year__isnull=False),
                name="plan_outcome_target_whole",
                violation_error_message=_("Give both the target value and its year, or neither."),
            ),
        ]

    def __str__(self):
        return self.statement

    def get_absolute_url(self):
        return f"{reverse('plan:index')}#outcome-{self.pk}"

    @classmethod
    def from_db(cls, db, field_names, values):
        """Remember the stored target, so that clean() refuses only a *new* past target."""
        outcome = super().from_db(db, field_names, values)
        outcome._stored_target = (outcome.__dict__.get("target_value"),
                                  outcome.__dict__.get("target_year"))
        return outcome

    def clean(self):
        from indicators.importing import parse_period

        errors = {}
        baseline_end = None
        if self.baseline_period:
            try:
                self.baseline_period, _start, baseline_end = parse_period(self.baseline_period)
            except ValidationError as exc:
                errors["baseline_period"] = exc
        elif self.baseline_value is not None:
            errors["baseline_period"] = ValidationError(
                _("Say which period the baseline value is for."), code="baseline_without_period"
            )
        if (self.target_value is None) != (self.target_year is None):
            errors["target_year" if self.target_year is None else "target_value"] = (
                ValidationError(
                    _("Give both the target value and its year, or leave both empty when no "
                      "target is set."),
                    code="target_incomplete",
                )
            )
        elif self.target_year is not None:
            this_year = timezone.localdate().year
            changed = getattr(self, "_stored_target", None) != (self.target_value,
                                                                self.target_year)
            if changed and self.target_year < this_year:
                errors["target_year"] = ValidationError(
                    _("The target year %(year)s has already passed. Set a target for "
                      "%(now)s or later, or leave the target empty (“no target set”)."),
                    code="target_in_past",
                    params={"year": self.target_year, "now": this_year},
                )
            elif baseline_end is not None and self.target_year <= baseline_end:
                errors["target_year"] = ValidationError(
                    _("The target year must come after the baseline period (%(period)s)."),
                    code="target_before_baseline",
                    params={"period": self.baseline_period},
                )
            elif self.baseline_value is not None and self.direction:
                wrong = (
                    self.target_value <= self.baseline_value
                    if self.direction == self.Direction.INCREASE
                    else self.target_value >= self.baseline_value
                )
                if wrong:
                    errors["target_value"] = ValidationError(
                        _("The target (%(target)s) does not %(way)s from the baseline "
                          "(%(baseline)s). Check the direction or the target."),
                        code="target_wrong_way",
                        params={
                            "target": _number(self.target_value),
                            "baseline": _number(self.baseline_value),
                            "way": _("rise") if self.direction == self.Direction.INCREASE
                            else _("fall"),
                        },
                    )
        if errors:
            raise ValidationError(errors)

    @property
    def has_target(self) -> bool:
        return self.target_year is not None

    @property
    def baseline_end(self) -> int | None:
        from indicators.importing import parse_period

        if not self.baseline_period:
            return None
        try:
            return parse_period(self.baseline_period)[2]
        except ValidationError:
            return None

    def assess(self, figures: list[progress.Figure], as_of_year: int | None = None):
        """Return this outcome's progress (a progress.Reading) from its indicator's figures."""
        return progress.assess(
            direction=self.direction,
            baseline_end=self.baseline_end,
            baseline_value=self.baseline_value,
            target_value=self.target_value,
            target_year=self.target_year,
            figures=figures,
            as_of_year=as_of_year,
        )


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"
