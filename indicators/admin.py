from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from cswb.lib.admin import SlugFixedAfterCreationMixin
from cswb.lib.spreadsheets import SafeImportForm
from indicators import services
from indicators.files import FileRejected
from indicators.forms import StatcanImportForm
from indicators.importing import ImportRejected
from indicators.models import (
    DashboardState,
    Domain,
    Geography,
    Indicator,
    IndicatorSummary,
    Observation,
    RemoteSource,
    SourceSeries,
)
from indicators.permissions import can_export_data, can_import_data, can_manage_indicators
from indicators.resources import IndicatorResource, ObservationResource
from indicators.statcan import statcan_import_bytes


class StewardAdmin(admin.ModelAdmin):
    """Open to data stewards and administrators; a staff edit makes the dashboard refresh."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_module_permission(self, request):
        return can_manage_indicators(request.user)

    def has_view_permission(self, request, obj=None):
        return can_manage_indicators(request.user)

    def has_add_permission(self, request):
        return can_manage_indicators(request.user)

    def has_change_permission(self, request, obj=None):
        return can_manage_indicators(request.user)

    def has_delete_permission(self, request, obj=None):
        return can_manage_indicators(request.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.dashboard_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.dashboard_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.dashboard_changed()


class ImportExportStewardAdmin(ImportExportModelAdmin, StewardAdmin):
    import_form_class = SafeImportForm
    import_formats = [CSV, XLSX]
    export_formats = [CSV, XLSX]

    def has_import_permission(self, request):
        return can_import_data(request.user)

    def has_export_permission(self, request):
        return can_export_data(request.user)


@admin.register(Domain)
class DomainAdmin(SlugFixedAfterCreationMixin, StewardAdmin):
    list_display = ("name", "slug", "order")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


@admin.register(Geography)
class GeographyAdmin(StewardAdmin):
    list_display = ("name", "level", "code", "dguid", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code", "dguid")
    readonly_fields = ("slug", "level")

    # The six places are reference data other apps point at: staff may correct a code, not add
    # or remove places.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RemoteSourceInline(admin.TabularInline):
    model = RemoteSource
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ("name", "layout", "table", "url", "active", "state", "last_success_at",
              "last_error")
    readonly_fields = ("state", "last_success_at", "last_error")
    show_change_link = True


@admin.register(Indicator)
class IndicatorAdmin(SlugFixedAfterCreationMixin, ImportExportStewardAdmin):
    resource_classes = [IndicatorResource]
    list_display = ("name", "domain", "unit", "direction", "zone", "published", "is_demo",
                    "summary_comparison", "summary_trend", "refresh_problem")
    list_filter = ("domain", "published", "is_demo", "zone", "unit", "direction")
    list_select_related = ("domain", "summary")
    search_fields = ("name", "slug", "definition", "source_name")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("data_updated_at",)
    actions = ("publish", "unpublish")
    inlines = [RemoteSourceInline]
    fieldsets = (
        (None, {"fields": ("domain", "name", "slug", "definition", "zone", "order")}),
        (_("Figures"), {"fields": ("unit", "decimals", "direction")}),
        (_("Source"), {"fields": ("source_name", "source_url", "citation", "licence",
                                  "licence_terms", "how_updated", "next_release",
                                  "data_updated_at", "notes")}),
        (_("Publication"), {"fields": ("published", "is_demo")}),
    )

    @admin.display(description=_("compared with Ontario"))
    def summary_comparison(self, obj):
        summary = getattr(obj, "summary", None)
        return summary.get_comparison_display() if summary else "—"

    @admin.display(description=_("trend"))
    def summary_trend(self, obj):
        summary = getattr(obj, "summary", None)
        return summary.get_trend_display() if summary else "—"

    @admin.display(description=_("refresh problem"))
    def refresh_problem(self, obj):
        summary = getattr(obj, "summary", None)
        return summary.error if summary and summary.error else ""

    @admin.action(description=_("Publish the selected indicators"))
    def publish(self, request, queryset):
        count = queryset.update(published=True)
        services.dashboard_changed()
        self.message_user(request, ngettext("%d indicator published.",
                                            "%d indicators published.", count) % count)

    @admin.action(description=_("Withdraw the selected indicators from the dashboard"))
    def unpublish(self, request, queryset):
        count = queryset.update(published=False)
        services.dashboard_changed()
        self.message_user(request, ngettext("%d indicator withdrawn.",
                                            "%d indicators withdrawn.", count) % count)


@admin.register(Observation)
class ObservationAdmin(ImportExportStewardAdmin):
    resource_classes = [ObservationResource]
    change_list_template = "indicators/admin/observation_change_list.html"
    import_template_name = "indicators/admin/observation_import.html"
    list_display = ("indicator", "geography", "period", "value", "status", "ci_low", "ci_high")
    list_filter = ("status", "geography", "indicator__domain", "indicator__is_demo")
    list_select_related = ("indicator", "geography")
    search_fields = ("indicator__name", "indicator__slug", "period")
    autocomplete_fields = ("indicator",)
    readonly_fields = ("period_start", "period_end")
    list_per_page = 100

    def get_urls(self):
        return [
            path("import-statcan/", self.admin_site.admin_view(self.statcan_import_view),
                 name="indicators_observation_import_statcan"),
        ] + super().get_urls()

    def generate_log_entries(self, result, request):
        """Record one admin log entry per imported file, not one per row (files are large)."""
        totals = result.totals
        LogEntry.objects.create(
            user_id=request.user.pk,
            content_type=ContentType.objects.get_for_model(Observation),
            object_repr=_("%(count)s observations from a file")
            % {"count": totals.get("new", 0) + totals.get("update", 0)},
            action_flag=ADDITION,
            change_message=_("Imported %(new)s new and %(update)s updated observations.")
            % {"new": totals.get("new", 0), "update": totals.get("update", 0)},
        )

    def statcan_import_view(self, request):
        """Upload a Statistics Canada full-table CSV into one indicator, all or nothing."""
        if not can_import_data(request.user):
            raise PermissionDenied
        form = StatcanImportForm(request.POST or None, request.FILES or None)
        row_errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["csv_file"]
            try:
                result = statcan_import_bytes(
                    upload.read(), indicator=form.cleaned_data["indicator"],
                    filters=form.cleaned_data["filters"], replace=form.cleaned_data["replace"],
                    ci=form.cleaned_data["ci"],
                )
            except FileRejected as exc:
                form.add_error("csv_file", str(exc))
            except ImportRejected as exc:
                form.add_error(None, _("Nothing was imported: fix the rows below and upload "
                                       "the file again."))
                row_errors = [str(error) for error in exc.errors]
                if exc.more:
                    row_errors.append(_("… and %(count)s more.") % {"count": exc.more})
            else:
                self.message_user(request, _(
                    "%(kept)s observations imported into “%(indicator)s” from %(read)s rows of "
                    "the table. The dashboard is being refreshed."
                ) % {"kept": result.kept, "indicator": form.cleaned_data["indicator"],
                     "read": result.read})
                return redirect("admin:indicators_observation_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import a Statistics Canada table"),
            "opts": self.model._meta,
            "form": form,
            "row_errors": row_errors,
        }
        return TemplateResponse(request, "indicators/admin/statcan_import.html", context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["period"].help_text = _("A year (2021) or a span (2017-2018).")
        return form


class SourceSeriesInline(admin.TabularInline):
    model = SourceSeries
    extra = 0
    can_delete = False
    fields = ("geography", "role", "coordinate", "vector_id", "member_names", "title",
              "resolved_at")
    readonly_fields = fields
    verbose_name_plural = _("Series found in the table (coordinates and vectors)")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("members"))
    def member_names(self, obj):
        return "; ".join(f"{dim}: {name}" for dim, _id, name in obj.members)


@admin.register(RemoteSource)
class RemoteSourceAdmin(StewardAdmin):
    list_display = ("name", "indicator", "layout", "table", "active", "state_shown",
                    "last_success_at", "last_changed_at", "health")
    list_filter = ("state", "layout", "active")
    list_select_related = ("indicator",)
    search_fields = ("name", "url", "table", "indicator__name")
    autocomplete_fields = ("indicator",)
    readonly_fields = ("state", "progress", "queued_at", "started_at", "retry_at",
                       "last_attempt_at", "last_success_at", "last_changed_at", "last_message",
                       "last_row_count", "last_error", "release_time", "table_title")
    fieldsets = (
        (None, {"fields": ("name", "indicator", "layout", "table", "url", "mapping", "periods",
                           "active")}),
        (_("State"), {"fields": ("state", "progress", "queued_at", "started_at", "retry_at",
                                 "last_attempt_at", "last_success_at", "last_changed_at",
                                 "last_message", "last_row_count", "last_error",
                                 "release_time", "table_title")}),
    )
    inlines = [SourceSeriesInline]
    actions = ("fetch_now", "resolve_again")

    @admin.display(description=_("state"), ordering="state")
    def state_shown(self, obj):
        if obj.state in (RemoteSource.State.QUEUED, RemoteSource.State.RUNNING) and obj.progress:
            return f"{obj.get_state_display()}: {obj.progress}"
        return obj.get_state_display()

    @admin.display(description=_("last fetch"))
    def health(self, obj):
        if obj.last_error:
            return format_html('<strong class="errornote">{}</strong> {}', _("Failed:"),
                               obj.last_error[:300])
        if obj.last_message:
            return obj.last_message[:300]
        if obj.last_success_at:
            return _("OK (%(rows)s rows)") % {"rows": obj.last_row_count}
        return _("Not fetched yet")

    def save_model(self, request, obj, form, change):
        if change and {"mapping", "table", "layout"} & set(form.changed_data):
            # The steward chose other members: resolve them on the next fetch.
            obj.series.all().delete()
            obj.release_time = None
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Fetch the selected sources now"))
    def fetch_now(self, request, queryset):
        wanted = queryset.count()
        result = services.sources_queue(source_ids=queryset.values_list("pk", flat=True))
        count = result.queued
        if count:
            self.message_user(request, ngettext(
                "%(n)s source queued: its state below shows the fetch's progress (reload the "
                "page).",
                "%(n)s sources queued: their state below shows each fetch's progress (reload the "
                "page).", count) % {"n": count})
        if result.refused:
            self.message_user(request, ngettext(
                "%(n)s source was not queued: the task queue did not answer. Try again in a "
                "minute; the nightly refresh fetches it anyway.",
                "%(n)s sources were not queued: the task queue did not answer. Try again in a "
                "minute; the nightly refresh fetches them anyway.", result.refused)
                % {"n": result.refused}, level=messages.ERROR)
        skipped = wanted - count - result.refused
        if skipped:
            self.message_user(request, ngettext(
                "%(n)s source is being fetched already.", "%(n)s sources are being fetched "
                "already.", skipped) % {"n": skipped}, level=messages.WARNING)

    @admin.action(description=_("Find the members again (after checking Statistics Canada's "
                                "new names)"))
    def resolve_again(self, request, queryset):
        deleted, _detail = SourceSeries.objects.filter(source__in=queryset).delete()
        queryset.update(release_time=None)
        self.message_user(request, _("The next fetch finds the members of %(n)s sources by "
                                     "name again (%(series)s stored series forgotten).")
                          % {"n": queryset.count(), "series": deleted})


@admin.register(IndicatorSummary)
class IndicatorSummaryAdmin(StewardAdmin):
    list_display = ("indicator", "region_period", "region_value", "province_value",
                    "comparison", "trend", "computed_at", "error")
    list_filter = ("comparison", "trend")
    list_select_related = ("indicator",)
    search_fields = ("indicator__name",)
    actions = ("refresh_now",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        state = DashboardState.get()
        finished = state.refresh_finished_at
        when = (date_format(timezone.localtime(finished), "DATETIME_FORMAT") if finished
                else _("never"))
        extra_context = {**(extra_context or {}), "title": _(
            "Dashboard summaries (last refresh finished %(when)s; %(failed)s indicators failed)"
        ) % {"when": when, "failed": state.refresh_failures}}
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Recompute the whole dashboard now"))
    def refresh_now(self, request, queryset):
        result = services.dashboard_refresh()
        if result is None:
            self.message_user(request, _("A refresh is already running; it will include the "
                                         "latest data."), level=messages.WARNING)
        else:
            self.message_user(request, _("Dashboard recomputed: %(n)s indicators, %(f)s failed.")
                              % {"n": result.indicators, "f": result.failures})

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can_import_data(request.user):
            actions.pop("refresh_now", None)
        return actions
