"""The indicator framework: domains, geographies, indicators, observations and the summaries
the dashboard reads."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cswb.lib.demo import demo_field
from indicators.parsing import parse_period
from indicators.vocabulary import LICENCE_URLS, PORTAL_COLUMNS, Licence, ObservationStatus


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
    licence = models.CharField(_("licence"), max_length=20, choices=Licence, blank=True)
    licence_terms = models.TextField(
        _("publisher's terms"), blank=True,
        help_text=_("What the publisher states about reuse, when the licence is its own."),
    )
    citation = models.TextField(
        _("citation"), blank=True,
        help_text=_("How to cite the source, with the table number and DOI where there is one. "
                    "Leave it empty for an indicator read from Statistics Canada tables: each "
                    "table's citation is then shown."),
    )
    how_updated = models.TextField(
        _("how staff update it"), blank=True,
        help_text=_("For an indicator without an automatic source: where its figure comes from "
                    "and how staff bring in a new one."),
    )
    data_updated_at = models.DateTimeField(_("figures last updated"), null=True, blank=True)
    next_release = models.DateField(
        _("next release expected"), null=True, blank=True,
        help_text=_("Filled in by a Statistics Canada source from the table's frequency; staff "
                    "may set it for other sources."),
    )
    published = models.BooleanField(
        _("published"), default=False,
        help_text=_("Shown on the public dashboard and in open data."),
    )
    is_demo = demo_field()
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

    @property
    def licence_url(self) -> str:
        return LICENCE_URLS.get(self.licence, "")

    def citations(self) -> list[str]:
        """Return how to cite the source: the staff's citation, or else each Statistics Canada
        table the indicator is read from (with its number and DOI).

        Reads ``remote_sources``: prefetch them when listing many indicators.
        """
        if self.citation:
            return [self.citation]
        return [source.citation() for source in self.remote_sources.all()
                if source.layout in RemoteSource.WDS_LAYOUTS and source.product_id]

    @property
    def licence_text(self) -> str:
        """Return the licence's name, or the publisher's terms (empty when neither is known)."""
        if self.licence == Licence.PUBLISHER:
            return self.licence_terms or str(Licence.PUBLISHER.label)
        return str(self.get_licence_display()) if self.licence else ""


class Observation(models.Model):
    """One value of an indicator for one geography and period (a year or a span of years)."""

    Status = ObservationStatus

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
    sparkline = models.JSONField(
        _("recent regional series"), default=list, blank=True,
        help_text=_("The region's last periods with a value, as [year, value] pairs (the year "
                    "a span's midpoint), for the overview's small trend line."),
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


class RemoteSourceQuerySet(models.QuerySet):
    def failing(self):
        """Active sources whose last fetch failed (the previous figures are still shown)."""
        return self.filter(active=True, state=RemoteSource.State.FAILED)

    def stale(self, now):
        """Active sources without a good fetch for ``RemoteSource.STALE_AFTER``."""
        return self.filter(active=True).filter(
            models.Q(last_success_at__isnull=True)
            | models.Q(last_success_at__lt=now - RemoteSource.STALE_AFTER)
        )

    def due_for_retry(self, now):
        """Sources waiting for a table Statistics Canada was publishing, whose time has come."""
        return self.filter(active=True, state=RemoteSource.State.WAITING, retry_at__lte=now)


class RemoteSource(models.Model):
    """Where one indicator's figures come from automatically: a file at an address, or a
    Statistics Canada table read through its Web Data Service (WDS).

    The state fields tell the data steward how the source is doing: ``state`` (see ``State``),
    ``progress`` while it runs, ``last_success_at`` and ``last_changed_at`` (when the figures
    last changed), ``last_message`` (what the last fetch did) and ``last_error`` (why it failed;
    the previous figures stay).
    """

    class Layout(models.TextChoices):
        PORTAL_CSV = "portal", _("Portal CSV or XLSX (geography, period, value, status, ...)")
        STATCAN_CSV = "statcan", _("Statistics Canada full-table CSV at an address")
        WDS_SERIES = "wds_series", _("Statistics Canada table: chosen series (Web Data Service)")
        WDS_TABLE = "wds_table", _("Statistics Canada table: whole-table download (Web Data "
                                   "Service)")

    class State(models.TextChoices):
        NEW = "new", _("Not fetched yet")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Fetching")
        OK = "ok", _("Up to date")
        WAITING = "waiting", _("Waiting: Statistics Canada is publishing the table")
        FAILED = "failed", _("Failed (previous figures kept)")

    WDS_LAYOUTS = (Layout.WDS_SERIES, Layout.WDS_TABLE)
    # Nightly fetches: three missed nights in a row make a source stale.
    STALE_AFTER = timedelta(days=3)
    # A fetch still "running" after this long died with its worker and may be claimed again.
    RUNNING_STALE_AFTER = timedelta(minutes=30)

    name = models.CharField(_("name"), max_length=200)
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE,
        related_name="remote_sources",
    )
    url = models.URLField(
        _("URL"), max_length=1000, blank=True,
        help_text=_("For the file layouts; Statistics Canada tables need only the table number."),
    )
    table = models.CharField(
        _("Statistics Canada table"), max_length=20, blank=True,
        help_text=_("The table number as published, e.g. 35-10-0188-01."),
    )
    layout = models.CharField(_("layout"), max_length=20, choices=Layout)
    mapping = models.JSONField(
        _("mapping"),
        default=dict,
        blank=True,
        help_text=_(
            'Portal layout: the file\'s column names, e.g. {"columns": {"geography": "GEO_CODE", '
            '"period": "YEAR", "value": "RATE"}}. Statistics Canada full table: the dimension '
            'filter, e.g. {"filters": {"Sex": "Both sexes"}}, and optionally where the '
            'confidence intervals are: "ci": {"column": "Characteristics", "value": "Percent", '
            '"low": "Low 95% confidence interval - percent", "high": "High 95% confidence '
            'interval - percent"}. Chosen series: {"members": {"Statistics": "Crime severity '
            'index"}, "geographies": {"halton": "Halton Region*", "ontario": "code:35"}}: a '
            'member by its published name, a name ending in * for "begins with", or code: and '
            'its classification code; "ci" as above with "dimension" instead of "column". See '
            'the README.'
        ),
    )
    periods = models.PositiveSmallIntegerField(
        _("periods to fetch"), default=25,
        help_text=_("Chosen series: how many of the latest periods each fetch asks for."),
    )
    active = models.BooleanField(_("active"), default=True)
    state = models.CharField(_("state"), max_length=20, choices=State, default=State.NEW)
    progress = models.CharField(_("progress"), max_length=300, blank=True)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    started_at = models.DateTimeField(_("fetch started"), null=True, blank=True)
    retry_at = models.DateTimeField(_("next try"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_changed_at = models.DateTimeField(_("figures last changed"), null=True, blank=True)
    last_message = models.TextField(_("outcome of the last fetch"), blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_row_count = models.PositiveIntegerField(_("rows in the last good file"), default=0)
    release_time = models.DateTimeField(
        _("table released"), null=True, blank=True,
        help_text=_("Statistics Canada's release time of the table at the last good fetch; an "
                    "unchanged table is not downloaded again."),
    )
    table_title = models.CharField(_("table title"), max_length=500, blank=True)

    objects = RemoteSourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("remote source")
        verbose_name_plural = _("remote sources")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def product_id(self) -> int | None:
        """Return the table's WDS productId (35-10-0188-01 gives 35100188), None when unset."""
        digits = "".join(ch for ch in self.table if ch.isdigit())
        return int(digits[:8]) if len(digits) >= 8 else None

    @property
    def table_number(self) -> str:
        """Return the table number as published, with its view suffix (35-10-0188-01)."""
        digits = "".join(ch for ch in self.table if ch.isdigit())
        if len(digits) < 8:
            return self.table
        digits = (digits + "01")[:10]
        return f"{digits[:2]}-{digits[2:4]}-{digits[4:8]}-{digits[8:10]}"

    @property
    def doi(self) -> str:
        number = self.table_number.replace("-", "")
        return f"https://doi.org/10.25318/{number}-eng" if len(number) == 10 else ""

    @property
    def table_url(self) -> str:
        number = self.table_number.replace("-", "")
        return (f"https://www150.statcan.gc.ca/t1/tbl1/en/tv.action?pid={number}"
                if len(number) == 10 else "")

    def citation(self) -> str:
        """Return Statistics Canada's recommended citation of the table."""
        title = f" {self.table_title}" if self.table_title else ""
        return f"Statistics Canada. Table {self.table_number}{title}. DOI: {self.doi}"

    def clean(self):
        """Check the mapping's shape for the layout, so a fetch never fails on a typo in it."""
        mapping = self.mapping if isinstance(self.mapping, dict) else None
        if self.layout in self.WDS_LAYOUTS:
            if self.product_id is None:
                raise ValidationError({"table": _(
                    "Give the Statistics Canada table number, e.g. 35-10-0188-01."
                )})
            if mapping is None:
                raise ValidationError({"mapping": _("Write the mapping as a JSON object.")})
            if self.layout == self.Layout.WDS_SERIES:
                self._clean_series_mapping(mapping)
                return
        elif not self.url:
            raise ValidationError({"url": _("Give the address of the file.")})
        key = "filters" if self.layout in (self.Layout.STATCAN_CSV, self.Layout.WDS_TABLE) else (
            "columns")
        inner = mapping.get(key, {}) if mapping is not None else None
        allowed = {key, "ci", "geographies"} if key == "filters" else {key}
        if not isinstance(inner, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in inner.items()
        ) or set(mapping) - allowed:
            raise ValidationError({"mapping": _(
                'Write the mapping as {"%(key)s": {"name": "value", ...}} for this layout.'
            ) % {"key": key}})
        ci = mapping.get("ci") if key == "filters" else None
        if ci is not None and (not isinstance(ci, dict) or set(ci) != {"column", "value", "low",
                                                                        "high"}):
            raise ValidationError({"mapping": _(
                'Write "ci" as {"column": ..., "value": ..., "low": ..., "high": ...}.'
            )})
        self._clean_geographies(mapping.get("geographies", {}))
        unknown = set(inner) - set(PORTAL_COLUMNS) if key == "columns" else set()
        if unknown:
            raise ValidationError({"mapping": _(
                "Unknown column names %(names)s: map any of %(known)s."
            ) % {"names": ", ".join(sorted(unknown)), "known": ", ".join(PORTAL_COLUMNS)}})

    def _clean_geographies(self, geographies):
        if not isinstance(geographies, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip()
            for k, v in geographies.items()
        ):
            raise ValidationError({"mapping": _(
                'Write "geographies" as {"halton": "member name", ...}, one of our places '
                '(by slug) to Statistics Canada\'s name for it.'
            )})
        known = set(Geography.objects.values_list("slug", flat=True))
        unknown = set(geographies) - known
        if unknown:
            raise ValidationError({"mapping": _(
                "Unknown places %(names)s: use %(known)s."
            ) % {"names": ", ".join(sorted(unknown)), "known": ", ".join(sorted(known))}})

    def _clean_series_mapping(self, mapping: dict) -> None:
        allowed = {"members", "geographies", "geography_dimension", "ci"}
        members = mapping.get("members", {})
        if set(mapping) - allowed or not isinstance(members, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in members.items()
        ):
            raise ValidationError({"mapping": _(
                'Write the mapping as {"members": {"dimension": "member", ...}, "geographies": '
                '{"halton": "member", ...}}, optionally with "geography_dimension" and "ci".'
            )})
        if not mapping.get("geographies"):
            raise ValidationError({"mapping": _(
                'Name at least one place in "geographies", e.g. {"halton": "code:3524"}.'
            )})
        self._clean_geographies(mapping["geographies"])
        ci = mapping.get("ci")
        if ci is not None and (not isinstance(ci, dict) or set(ci) != {"dimension", "value",
                                                                        "low", "high"}):
            raise ValidationError({"mapping": _(
                'Write "ci" as {"dimension": ..., "value": ..., "low": ..., "high": ...}.'
            )})

    def record_result(self, *, error: str = "", rows: int = 0, message: str = "",
                      changed: bool = False, waiting_until=None, release_time=None) -> None:
        """Store the outcome of a fetch: the error, or the time and size of the good one.

        ``waiting_until`` marks a table being published: the source is tried again then.
        """
        now = timezone.now()
        fields = {"last_attempt_at": now, "last_error": error, "progress": "",
                  "started_at": None, "retry_at": waiting_until}
        if waiting_until is not None:
            fields.update(state=self.State.WAITING, last_message=message)
        elif error:
            fields.update(state=self.State.FAILED, last_message="")
        else:
            fields.update(state=self.State.OK, last_success_at=now, last_row_count=rows,
                          last_message=message)
            if changed:
                fields["last_changed_at"] = now
            if release_time is not None:
                fields["release_time"] = release_time
        with transaction.atomic():
            type(self).objects.filter(pk=self.pk).update(**fields)
        for name, value in fields.items():
            setattr(self, name, value)

    def claim(self) -> bool:
        """Mark the source as running unless another worker runs it; return whether we may.

        A conditional UPDATE: of two workers handed the same source, exactly one wins.
        """
        now = timezone.now()
        claimed = type(self).objects.filter(pk=self.pk).exclude(
            state=self.State.RUNNING, started_at__gte=now - self.RUNNING_STALE_AFTER
        ).update(state=self.State.RUNNING, started_at=now, progress=_("Started"))
        if claimed:
            self.state, self.started_at = self.State.RUNNING, now
        return bool(claimed)

    def set_progress(self, text: str) -> None:
        type(self).objects.filter(pk=self.pk).update(progress=text[:300])
        self.progress = text[:300]


class SourceSeries(models.Model):
    """One series a Statistics Canada source reads: a place's cell of the table, found by
    member names and stored with its coordinate and vector, so later fetches can check that
    Statistics Canada has not renamed or terminated a member."""

    class Role(models.TextChoices):
        VALUE = "value", _("Value")
        CI_LOW = "ci_low", _("Confidence interval, low")
        CI_HIGH = "ci_high", _("Confidence interval, high")

    source = models.ForeignKey(
        RemoteSource, verbose_name=_("source"), on_delete=models.CASCADE, related_name="series"
    )
    geography = models.ForeignKey(
        Geography, verbose_name=_("geography"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.VALUE)
    coordinate = models.CharField(_("coordinate"), max_length=80)
    vector_id = models.PositiveBigIntegerField(_("vector"))
    members = models.JSONField(
        _("members"), default=list,
        help_text=_("Per dimension, in order: the dimension's name, the member's ID and name."),
    )
    title = models.CharField(_("series title"), max_length=500, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), default=timezone.now)

    class Meta:
        verbose_name = _("source series")
        verbose_name_plural = _("source series")
        ordering = ["source", "geography__order", "role"]
        constraints = [
            models.UniqueConstraint(fields=["source", "geography", "role"],
                                    name="sourceseries_one_per_place_and_role"),
        ]

    def __str__(self):
        return f"v{self.vector_id} ({self.coordinate})"
