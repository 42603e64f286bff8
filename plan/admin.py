import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from cswb.lib.audit import export_record
from cswb.lib.exports import xlsx_response
from plan import exports, permissions, services
from plan.duties import duties
from plan.forms import (
    CommitteeSeatAdminForm,
    ConsultationAdminForm,
    OutcomeAdminForm,
    ProgressReportAdminForm,
    RiskFactorAdminForm,
    StrategyAdminForm,
)
from plan.models import (
    CommitteeSeat,
    Consultation,
    Milestone,
    Outcome,
    PlanVersion,
    ProgressReport,
    Reminder,
    RiskFactor,
    Strategy,
    committee_coverage,
    consultation_coverage,
)
from plan.reports import figures_for

# The plan -----------------------------------------------------------------------------------


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ("on", "precision", "title")


@admin.register(PlanVersion)
class PlanVersionAdmin(admin.ModelAdmin):
    list_display = ("title", "adopted_on", "published_on", "review_due_on", "duties_link")
    search_fields = ("title", "council_resolution")
    prepopulated_fields = {"slug": ("title",)}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [MilestoneInline]
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "document_url")}),
        (_("Adoption and publication"), {"fields": (
            "adopted_on", "council_resolution", "published_on", "date_precision",
            "review_due_on")}),
    )

    @admin.display(description=_("duties"))
    def duties_link(self, obj):
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:plan_planversion_duties", args=[obj.pk]),
                           gettext("Duties and evidence"))

    def get_urls(self):
        return [
            path("<int:pk>/duties/", self.admin_site.admin_view(self.duties_view),
                 name="plan_planversion_duties"),
            path("minister-export.<str:fmt>", self.admin_site.admin_view(self.export_view),
                 name="plan_planversion_export"),
        ] + super().get_urls()

    def duties_view(self, request, pk):
        if not permissions.can_view_duties(request.user):
            raise PermissionDenied
        plan = get_object_or_404(PlanVersion, pk=pk)
        today = timezone.localdate()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Duties of %(plan)s") % {"plan": plan},
            "plan": plan,
            "duties": duties(plan, today),
            "reminders": plan.reminders.all()[:20],
            "today": today,
            "export_xlsx": reverse("admin:plan_planversion_export", args=["xlsx"]),
            "export_json": reverse("admin:plan_planversion_export", args=["json"]),
        }
        return TemplateResponse(request, "admin/plan/planversion/duties.html", context)

    def export_view(self, request, fmt):
        if not permissions.can_export_plan(request.user):
            raise PermissionDenied
        if fmt not in ("xlsx", "json"):
            raise Http404
        data = exports.minister_export()
        stamp = timezone.localdate().isoformat()
        export_record(request=request, model=PlanVersion, rows=exports.row_count(data),
                      file_format=fmt.upper())
        if fmt == "xlsx":
            return xlsx_response(f"cswb-plan-{stamp}.xlsx", exports.sheets(data))
        response = HttpResponse(
            json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="cswb-plan-{stamp}.json"'
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {})}
        if permissions.can_export_plan(request.user):
            extra_context["export_links"] = [
                (reverse("admin:plan_planversion_export", args=[fmt]), label)
                for fmt, label in (("xlsx", gettext("Minister's request: XLSX")),
                                   ("json", gettext("Minister's request: JSON")))
            ]
        return super().changelist_view(request, extra_context)


@admin.register(RiskFactor)
class RiskFactorAdmin(admin.ModelAdmin):
    form = RiskFactorAdminForm
    list_display = ("name", "plan", "is_priority", "categories_display", "order")
    list_filter = ("plan", "is_priority")
    search_fields = ("name", "description")
    filter_horizontal = ("funds",)

    @admin.display(description=_("statutory categories"))
    def categories_display(self, obj):
        return ", ".join(obj.category_labels())


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    form = StrategyAdminForm
    list_display = ("name", "plan", "answers", "carried_out_by", "outcome_count", "order")
    list_filter = ("plan", "tables")
    search_fields = ("name", "description")
    filter_horizontal = ("risk_factors", "tables")

    def get_queryset(self, request):
        return (
            super().get_queryset(request)
            .annotate(outcome_total=Count("outcomes", distinct=True))
            .prefetch_related("risk_factors", "tables")
        )

    @admin.display(description=_("answers"))
    def answers(self, obj):
        names = [r.name for r in obj.risk_factors.all() if r.is_priority]
        if not names:
            return format_html('<strong>{}</strong>',
                               gettext("No priority risk factor: choose one"))
        return ", ".join(names)

    @admin.display(description=_("action tables"))
    def carried_out_by(self, obj):
        return ", ".join(t.name for t in obj.tables.all()) or "—"

    @admin.display(description=_("outcomes"), ordering="outcome_total")
    def outcome_count(self, obj):
        return obj.outcome_total


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    form = OutcomeAdminForm
    list_display = ("statement", "strategy", "indicator", "baseline", "target", "progress")
    list_filter = ("strategy__plan", "strategy")
    search_fields = ("statement", "indicator__name")
    list_select_related = ("strategy", "indicator", "geography")

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        self._figures = figures_for(list(changelist.result_list))
        return changelist

    def has_view_permission(self, request, obj=None):
        return permissions.can_change_outcome(request.user, obj) or super().has_view_permission(
            request, obj)

    @admin.display(description=_("baseline"))
    def baseline(self, obj):
        if obj.baseline_value is None:
            return gettext("none yet")
        return f"{obj.baseline_value.normalize():f} ({obj.baseline_period})"

    @admin.display(description=_("target"))
    def target(self, obj):
        if not obj.has_target:
            return gettext("No target set")
        return f"{obj.target_value.normalize():f} ({obj.target_year})"

    @admin.display(description=_("progress"))
    def progress(self, obj):
        figures = getattr(self, "_figures", {}).get((obj.indicator_id, obj.geography_id), [])
        reading = obj.assess(figures)
        return format_html('<span aria-hidden="true">{}</span> {}', reading.symbol,
                           reading.label)


# The committee and consultations ----------------------------------------------------------------


@admin.register(CommitteeSeat)
class CommitteeSeatAdmin(admin.ModelAdmin):
    form = CommitteeSeatAdminForm
    list_display = ("seat", "sectors_display", "members")

    def get_queryset(self, request):
        return super().get_queryset(request).with_current_members()

    @admin.display(description=_("sectors represented"))
    def sectors_display(self, obj):
        return ", ".join(obj.sector_labels()) or "—"

    @admin.display(description=_("current members"))
    def members(self, obj):
        return ", ".join(m.organization.name for m in obj.seat.current_members) or gettext(
            "vacant")

    def changelist_view(self, request, extra_context=None):
        coverage = committee_coverage(CommitteeSeat.objects.with_current_members())
        if coverage["missing"]:
            self.message_user(
                request,
                gettext("The committee does not yet include every sector the law names. "
                        "Missing: %(sectors)s.") % {
                    "sectors": "; ".join(str(s.label) for s in coverage["missing"])},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    form = ConsultationAdminForm
    list_display = ("title", "plan", "held_from", "form", "groups_display", "participants",
                    "published")
    list_filter = ("plan", "form", "published")
    search_fields = ("title", "heard", "description")
    filter_horizontal = ("priorities",)
    date_hierarchy = "held_from"

    @admin.display(description=_("who was reached"))
    def groups_display(self, obj):
        return ", ".join(obj.group_labels()) or "—"

    def changelist_view(self, request, extra_context=None):
        plan = PlanVersion.objects.current()
        if plan:
            reach = consultation_coverage(Consultation.objects.filter(plan=plan))
            if reach["missing"]:
                self.message_user(
                    request,
                    gettext("The consultations recorded for %(plan)s have not reached every "
                            "group the law names. Not reached: %(groups)s.") % {
                        "plan": plan,
                        "groups": "; ".join(str(g.label) for g in reach["missing"])},
                    messages.WARNING,
                )
        return super().changelist_view(request, extra_context)


# Reports and reminders --------------------------------------------------------------------------


@admin.register(ProgressReport)
class ProgressReportAdmin(admin.ModelAdmin):
    form = ProgressReportAdminForm
    list_display = ("__str__", "plan", "state", "generated_at", "published_at", "pdf_state")
    list_filter = ("plan", "state", "pdf_state")
    readonly_fields = ("state", "generated_at", "published_at", "approved_by", "pdf_state",
                       "pdf_error", "summary")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["plan", "year"]
            if obj.is_published:
                fields.append("introduction")
        return fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["plan", "year", "introduction"]
        return ["plan", "year", "introduction", "summary", "state", "generated_at",
                "published_at", "approved_by", "pdf_state", "pdf_error"]

    @admin.display(description=_("what it reports"))
    def summary(self, obj):
        totals = (obj.data or {}).get("totals")
        if not totals:
            return "—"
        rows = [
            (gettext("Progress updates published"), totals["updates"]),
            (gettext("Outcomes with a figure for the year"),
             f"{totals['outcomes_with_figure']} / {totals['outcomes']}"),
            (gettext("Grants from the priorities' funds"),
             f"{totals['awards']} ({totals['awarded_display']})"),
            (gettext("Residents' issues on the priorities' topics"), totals["issues_display"]),
            (gettext("Consultations"), totals["consultations"]),
        ]
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", rows))

    def save_model(self, request, obj, form, change):
        if not change or "introduction" in form.changed_data or not obj.data:
            if obj.is_published:
                return super().save_model(request, obj, form, change)
            services.report_generate(report=obj, data=getattr(form, "generated", None))
        else:
            super().save_model(request, obj, form, change)

    def get_urls(self):
        def post(view):
            return self.admin_site.admin_view(require_POST(view))

        return [
            path("<int:pk>/regenerate/", post(self.regenerate_view),
                 name="plan_progressreport_regenerate"),
            path("<int:pk>/approve/", post(self.approve_view), name="plan_progressreport_approve"),
            path("<int:pk>/pdf/", post(self.pdf_view), name="plan_progressreport_pdf"),
        ] + super().get_urls()

    def _report(self, request, pk):
        report = get_object_or_404(ProgressReport.objects.select_related("plan"), pk=pk)
        if not self.has_change_permission(request, report):
            raise PermissionDenied
        return report

    def _back(self, report):
        return redirect("admin:plan_progressreport_change", report.pk)

    def regenerate_view(self, request, pk):
        report = self._report(request, pk)
        if report.is_published:
            self.message_user(request, gettext("A published report keeps the figures it was "
                                               "approved with."), messages.ERROR)
            return self._back(report)
        from plan.reports import report_data

        data = report_data(plan=report.plan, year=report.year)
        if data["empty"]:
            self.message_user(request, gettext(
                "There is nothing to report for %(year)s any more: the report keeps its "
                "earlier content.") % {"year": report.year}, messages.ERROR)
            return self._back(report)
        services.report_generate(report=report, data=data)
        self.message_user(request, gettext("The report was generated again from today's data."),
                          messages.SUCCESS)
        return self._back(report)

    def approve_view(self, request, pk):
        report = self._report(request, pk)
        if not permissions.can_approve_report(request.user, report):
            raise PermissionDenied
        if not report.data:
            self.message_user(request, gettext("Generate the report before approving it."),
                              messages.ERROR)
        elif services.report_approve(report=report, user=request.user):
            self.message_user(request, gettext(
                "The %(year)s report is published on the plan page. Its PDF is being written; "
                "this page says when it is ready or if it failed.") % {"year": report.year},
                messages.SUCCESS)
        else:
            self.message_user(request, gettext("This report was already published."),
                              messages.WARNING)
        return self._back(report)

    def pdf_view(self, request, pk):
        report = self._report(request, pk)
        if services.report_pdf_request(report=report):
            self.message_user(request, gettext("The PDF is being written again."),
                              messages.SUCCESS)
        else:
            self.message_user(request, gettext("Only a published report has a PDF, and one "
                                               "already being written is left to finish."),
                              messages.WARNING)
        return self._back(report)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = ProgressReport.objects.filter(pk=object_id).first()
        extra_context = {**(extra_context or {}), "report": report}
        if report and report.pdf_state == ProgressReport.PdfState.FAILED:
            self.message_user(
                request,
                gettext("The PDF of this report could not be written: %(error)s The HTML report "
                        "stays published. Use “Write the PDF again” once the problem is "
                        "fixed.") % {"error": report.pdf_error},
                messages.ERROR,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("kind", "plan", "deadline", "lead", "send_on", "state", "sent_at",
                    "recipients")
    list_filter = ("kind", "state", "plan")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
