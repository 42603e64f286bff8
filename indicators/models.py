"""The indicator framework: domains, geographies, indicators, observations and the summaries
the dashboard reads."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class GeographyQuerySet(models.QuerySet):
    def municipalities(self):
        return self.filter(level=Geography.Level.MUNICIPALITY)


class Geography(models.Model):
    """A place the plan reports on: Ontario, Halton Region or one of its four municipalities."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        REGION = "region", _("Region")
        MUNICIPALITY = "municipality", _("Local municipality")

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    level = models.CharField(_("level"), max_length=20, choices=Level)
    code = models.CharField(
        _("Statistics Canada code"),
        max_length=20,
        unique=True,
        help_text=_("Standard Geographical Classification code, e.g. 35 for Ontario."),
    )
    dguid = models.CharField(
        _("DGUID"),
        max_length=40,
        blank=True,
        help_text=_("Statistics Canada's dissemination geography identifier, used by its tables."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = GeographyQuerySet.as_manager()

    class Meta:
        verbose_name = _("geography")
        verbose_name_plural = _("geographies")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        if self.level == self.Level.MUNICIPALITY:
            return reverse("indicators:municipality", args=[self.slug])
        return reverse("indicators:overview")


class Domain(models.Model):
    """One of the indicator framework's three domains: Health, Safety, Community Well-Being."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("indicators:domain", args=[self.slug])


class Zone(models.TextChoices):
    """The provincial framework's four zones of intervention (actiontables.Zone.Code's values)."""

    SOCIAL_DEVELOPMENT = "social-development", _("Social development")
    PREVENTION = "prevention", _("Prevention")
    RISK_INTERVENTION = "risk-intervention", _("Risk intervention")
    INCIDENT_RESPONSE = "incident-response", _("Incident response")


class IndicatorQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)


class Indicator(models.Model):
    class Unit(models.TextChoices):
        PERCENT = "percent", _("Percent")
        RATE_1000 = "rate_1000", _("Rate per 1,000")
        RATE_100000 = "rate_100000", _("Rate per 100,000")
        COUNT = "count", _("Count")
        INDEX = "index", _("Index")
        DOLLARS = "dollars", _("Dollars")

    class Direction(models.TextChoices):
        HIGHER_IS_BETTER = "higher", _("Higher is better")
        LOWER_IS_BETTER = "lower", _("Lower is better")
        NEUTRAL = "neutral", _("Neither (context only)")

    domain = models.ForeignKey(
        Domain, verbose_name=_("domain"), on_delete=models.PROTECT, related_name="indicators"
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    definition = models.TextField(_("definition"), blank=True)
    unit = models.CharField(_("unit"), max_length=20, choices=Unit)
    decimals = models.PositiveSmallIntegerField(
        _("decimals"), default=1, help_text=_("How many decimal places to show (0 to 4).")
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction)
    zone = models.CharField(
        _("zone of intervention"), max_length=30, choices=Zone, blank=True
    )
    source_name = models.CharField(_("source"), max_length=300, blank=True)
    source_url = models.URLField(_("source link"), max_length=500, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    published = models.BooleanField(
        _("published"), default=False,
        help_text=_("Shown on the public dashboard and in open data."),
    )
    is_sample = models.BooleanField(
        _("sample data"),
        default=False,
        help_text=_(
            "Generated figures for demonstration; every page that shows them says they are not "
            "official statistics."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["domain__order", "order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decimals__lte=4), name="indicator_decimals_at_most_4"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("indicators:indicator", args=[self.slug])


class Observation(models.Model):
    """One value of an indicator for one geography and period (a year or a span of years)."""

    class Status(models.TextChoices):
        FINAL = "final", _("Final")
        PRELIMINARY = "preliminary", _("Preliminary")
        SUPPRESSED = "suppressed", _("Suppressed")
        NOT_AVAILABLE = "not_available", _("Not available")

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE,
        related_name="observations",
    )
    geography = models.ForeignKey(
        Geography, verbose_name=_("geography"), on_delete=models.PROTECT,
        related_name="observations",
    )
    period = models.CharField(
        _("period"), max_length=9, help_text=_("A year (2021) or a span of years (2017-2018).")
    )
    period_start = models.PositiveSmallIntegerField(_("first year"))
    period_end = models.PositiveSmallIntegerField(_("last year"))
    value = models.DecimalField(
        _("value"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    ci_low = models.DecimalField(
        _("confidence interval, low"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    ci_high = models.DecimalField(
        _("confidence interval, high"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.FINAL)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["indicator", "geography__order", "period_end", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "geography", "period"],
                name="observation_one_per_indicator_geography_period",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="observation_period_in_order",
                violation_error_message=_("The period's last year comes before its first."),
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(value__isnull=False, status__in=["final", "preliminary"])
                    | models.Q(value__isnull=True, status__in=["suppressed", "not_available"])
                ),
                name="observation_value_matches_status",
                violation_error_message=_(
                    "A final or preliminary figure needs a value; a suppressed or not available "
                    "one has none."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["geography", "indicator"], name="observation_geo_indicator"),
        ]

    def __str__(self):
        return f"{self.indicator} · {self.geography} · {self.period}"

    def clean(self):
        """Normalize the period (setting its first and last year) and check the value against
        the status and the confidence interval."""
        from indicators.importing import parse_period

        errors = {}
        if self.period:
            try:
                self.period, self.period_start, self.period_end = parse_period(self.period)
            except ValidationError as exc:
                errors["period"] = exc.messages
        empty = {self.Status.SUPPRESSED, self.Status.NOT_AVAILABLE}
        if self.value is None and self.status not in empty:
            errors["value"] = _("Give the value, or set the status to suppressed or not "
                                "available.")
        elif self.value is not None and self.status in empty:
            errors["value"] = _("A suppressed or not available figure has no value: leave it "
                                "empty.")
        if (self.ci_low is None) != (self.ci_high is None):
            errors["ci_high"] = _("Give both ends of the confidence interval, or neither.")
        elif self.ci_low is not None and self.ci_low > self.ci_high:
            errors["ci_high"] = _("The interval's high end is below its low end.")
        if errors:
            raise ValidationError(errors)


class IndicatorSummary(models.Model):
    """What the dashboard shows for one indicator, written by the refresh task."""

    class Comparison(models.TextChoices):
        BETTER = "better", _("Better than Ontario")
        SIMILAR = "similar", _("Similar to Ontario")
        WORSE = "worse", _("Worse than Ontario")
        NOT_COMPARED = "not_compared", _("Not compared")

    class Trend(models.TextChoices):
        IMPROVING = "improving", _("Improving")
        STABLE = "stable", _("Stable")
        WORSENING = "worsening", _("Worsening")
        NOT_ENOUGH_DATA = "not_enough_data", _("Not enough data")
        NOT_ASSESSED = "not_assessed", _("Not assessed")

    indicator = models.OneToOneField(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE,
        primary_key=True, related_name="summary",
    )
    region_period = models.CharField(_("latest regional period"), max_length=9, blank=True)
    region_value = models.DecimalField(
        _("latest regional value"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    region_status = models.CharField(
        _("regional status"), max_length=20, choices=Observation.Status, blank=True
    )
    province_period = models.CharField(_("provincial period"), max_length=9, blank=True)
    province_value = models.DecimalField(
        _("provincial value"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    comparison = models.CharField(
        _("comparison"), max_length=20, choices=Comparison, default=Comparison.NOT_COMPARED
    )
    trend = models.CharField(
        _("trend"), max_length=20, choices=Trend, default=Trend.NOT_ENOUGH_DATA
    )
    trend_periods = models.CharField(_("trend periods"), max_length=20, blank=True)
    latest = models.JSONField(
        _("latest value per geography"), default=dict, blank=True,
        help_text=_("Geography slug to its latest period, value and status."),
    )
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    error = models.TextField(_("error in the last refresh"), blank=True)

    class Meta:
        verbose_name = _("dashboard summary")
        verbose_name_plural = _("dashboard summaries")
        ordering = ["indicator"]

    def __str__(self):
        return str(self.indicator_id)


class DashboardState(models.Model):
    """The one row that claims the refresh and remembers when the dashboard last changed."""

    SINGLETON_ID = 1

    refresh_token = models.CharField(_("running refresh"), max_length=40, blank=True)
    refresh_started_at = models.DateTimeField(_("refresh started"), null=True, blank=True)
    refresh_requested_at = models.DateTimeField(_("refresh requested"), null=True, blank=True)
    refresh_finished_at = models.DateTimeField(_("refresh finished"), null=True, blank=True)
    refresh_failures = models.PositiveIntegerField(_("indicators that failed"), default=0)
    changed_at = models.DateTimeField(_("data changed"), default=timezone.now)

    class Meta:
        verbose_name = _("dashboard state")
        verbose_name_plural = _("dashboard state")

    def __str__(self):
        return str(_("Dashboard state"))

    @classmethod
    def get(cls) -> "DashboardState":
        state, _created = cls.objects.get_or_create(pk=cls.SINGLETON_ID)
        return state


class RemoteSource(models.Model):
    """A file published elsewhere that the periodic refresh downloads into one indicator."""

    class Layout(models.TextChoices):
        PORTAL_CSV = "portal", _("Portal CSV or XLSX (geography, period, value, status, ...)")
        STATCAN_CSV = "statcan", _("Statistics Canada full-table CSV")

    name = models.CharField(_("name"), max_length=200)
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE,
        related_name="remote_sources",
    )
    url = models.URLField(_("URL"), max_length=1000)
    layout = models.CharField(_("layout"), max_length=20, choices=Layout)
    mapping = models.JSONField(
        _("mapping"),
        default=dict,
        blank=True,
        help_text=_(
            'Portal layout: the file\'s column names, e.g. {"columns": {"geography": "GEO_CODE", '
            '"period": "YEAR", "value": "RATE"}}. Statistics Canada layout: the dimension '
            'filter, e.g. {"filters": {"Sex": "Both sexes"}}, and optionally where the '
            'confidence intervals are: "ci": {"column": "Characteristics", "value": "Percent", '
            '"low": "Low 95% confidence interval - percent", "high": "High 95% confidence '
            'interval - percent"}.'
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_row_count = models.PositiveIntegerField(_("rows in the last good file"), default=0)

    class Meta:
        verbose_name = _("remote source")
        verbose_name_plural = _("remote sources")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        """Check the mapping's shape for the layout, so a fetch never fails on a typo in it."""
        from indicators.services import PORTAL_COLUMNS

        mapping = self.mapping
        key = "filters" if self.layout == self.Layout.STATCAN_CSV else "columns"
        inner = mapping.get(key, {}) if isinstance(mapping, dict) else None
        if not isinstance(inner, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in inner.items()
        ) or set(mapping) - {key, "ci" if key == "filters" else key}:
            raise ValidationError({"mapping": _(
                'Write the mapping as {"%(key)s": {"name": "value", ...}} for this layout.'
            ) % {"key": key}})
        ci = mapping.get("ci") if key == "filters" else None
        if ci is not None and (not isinstance(ci, dict) or set(ci) != {"column", "value", "low",
                                                                        "high"}):
            raise ValidationError({"mapping": _(
                'Write "ci" as {"column": ..., "value": ..., "low": ..., "high": ...}.'
            )})
        unknown = set(inner) - set(PORTAL_COLUMNS) if key == "columns" else set()
        if unknown:
            raise ValidationError({"mapping": _(
                "Unknown column names %(names)s: map any of %(known)s."
            ) % {"names": ", ".join(sorted(unknown)), "known": ", ".join(PORTAL_COLUMNS)}})

    def record_result(self, *, error: str = "", rows: int = 0) -> None:
        """Store the outcome of a fetch: the error, or the time and size of the good file."""
        now = timezone.now()
        with transaction.atomic():
            fields = {"last_attempt_at": now, "last_error": error}
            if not error:
                fields.update(last_success_at=now, last_row_count=rows)
            type(self).objects.filter(pk=self.pk).update(**fields)
            for name, value in fields.items():
                setattr(self, name, value)
