"""django-import-export resources for the admin's import (with preview) and export.

The observation resource runs import-export's bulk mode with its slow parts replaced: rows are
checked by the same ``RowCleaner`` as every other import (cached lookups, duplicates, statuses),
existing observations are looked up from one preloaded dict instead of one query per row, no
per-row diff is built, and the rows are written by the project's own upsert at the end.
Exports escape every cell a spreadsheet would run as a formula.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader

from cswb.lib.exports import EscapedExportMixin
from indicators.dashboard import dashboard_changed
from indicators.files import FileRejected, require_columns
from indicators.importing import UPDATE_FIELDS, RowCleaner, observations_write
from indicators.models import Domain, Geography, Indicator, Observation

PREVIEW_ROWS = 50


class PreloadedObservationLoader(BaseInstanceLoader):
    """Find existing observations in a dict loaded with one query for the file's indicators."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        slugs = set()
        if dataset is not None and "indicator" in (dataset.headers or []):
            slugs = {str(s).strip().lower() for s in dataset["indicator"] if s}
        ids = [pk for slug, pk in resource.cleaner.indicators.items() if slug in slugs]
        self.existing = {
            (obs.indicator_id, obs.geography_id, obs.period): obs
            for obs in Observation.objects.filter(indicator_id__in=ids).only(
                "pk", "indicator_id", "geography_id", "period"
            )
        }

    def get_instance(self, row):
        return self.existing.get(self.resource.current.key)


def _decimal_field(name):
    return fields.Field(
        attribute=name, column_name=name, widget=widgets.DecimalWidget(coerce_to_string=False)
    )


class ObservationResource(EscapedExportMixin, resources.ModelResource):
    indicator = fields.Field(
        attribute="indicator", column_name="indicator",
        widget=widgets.ForeignKeyWidget(Indicator, "slug"),
    )
    geography = fields.Field(
        attribute="geography", column_name="geography",
        widget=widgets.ForeignKeyWidget(Geography, "code"),
    )
    value = _decimal_field("value")
    ci_low = _decimal_field("ci_low")
    ci_high = _decimal_field("ci_high")

    class Meta:
        model = Observation
        fields = ("indicator", "geography", "period", "value", "status", "ci_low", "ci_high",
                  "note")
        export_order = fields
        import_id_fields = ("indicator", "geography", "period")
        use_bulk = True
        batch_size = 2000
        skip_diff = True
        report_skipped = False
        instance_loader_class = PreloadedObservationLoader

    def get_queryset(self):
        return Observation.objects.select_related("indicator", "geography").order_by(
            "indicator__slug", "geography__order", "period_end", "period_start"
        )

    def before_import(self, dataset, **kwargs):
        self.cleaner = RowCleaner()
        self.current = None
        self.pending = []
        self.preview = []
        # Related objects set from these dicts, so that neither import-export's row report
        # (which prints each instance) nor anything else fetches them row by row.
        self.indicator_objects = {i.pk: i for i in Indicator.objects.only("pk", "name", "slug")}
        self.geography_objects = {g.pk: g for g in Geography.objects.all()}
        try:
            require_columns(dataset.headers or [], ["indicator", "geography", "period", "value"])
        except FileRejected as exc:
            raise ValueError(str(exc)) from None

    def before_import_row(self, row, **kwargs):
        # import-export counts data rows from 1; staff read the spreadsheet's row numbers, where
        # the header is row 1.
        number = kwargs["row_number"] + 1
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.append((number, list(row.values())))
        try:
            self.current = self.cleaner.clean(row, row_number=number)
        except ValidationError as exc:
            raise ValidationError(
                [_("Spreadsheet row %(row)s: %(error)s") % {"row": number, "error": message}
                 for message in exc.messages]
            ) from None

    def import_instance(self, instance, row, **kwargs):
        # The row was checked and converted in before_import_row: copy it, skipping the widgets.
        current = self.current
        instance.indicator = self.indicator_objects[current.indicator_id]
        instance.geography = self.geography_objects[current.geography_id]
        for name in ("period", *UPDATE_FIELDS):
            setattr(instance, name, getattr(current, name))

    def save_instance(self, instance, is_create, row, **kwargs):
        # Rows are kept and written together by the same upsert every other import uses
        # (COPY on PostgreSQL), instead of import-export's bulk_create/bulk_update batches.
        self.pending.append(self.current)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        # The admin's preview shows the first rows as they are in the file (no per-row diff).
        result.preview_headers = list(dataset.headers or [])
        result.preview_rows = self.preview
        # The preview (dry run) stops here: every row has been validated without the database,
        # which the write would add nothing to but time.
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        observations_write(self.pending)


class IndicatorResource(EscapedExportMixin, resources.ModelResource):
    domain = fields.Field(
        attribute="domain", column_name="domain", widget=widgets.ForeignKeyWidget(Domain, "slug")
    )

    class Meta:
        model = Indicator
        fields = ("slug", "name", "domain", "definition", "unit", "decimals", "direction",
                  "zone", "source_name", "source_url", "notes", "published", "is_demo",
                  "order")
        export_order = fields
        import_id_fields = ("slug",)
        clean_model_instances = True
        skip_unchanged = True

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not kwargs.get("dry_run") and not result.has_errors():
            dashboard_changed()
