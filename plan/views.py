from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from cswb.lib.pagecache import public_page
from plan import permissions, selectors
from plan.models import (
    CommitteeSeat,
    Consultation,
    PlanVersion,
    ProgressReport,
    ReportPdf,
    committee_coverage,
    consultation_coverage,
)
from plan.progress import SYMBOLS, Status


def _current_plan() -> PlanVersion:
    plan = PlanVersion.objects.current()
    if plan is None:
        raise Http404("No plan has been adopted yet.")
    return plan


def _progress_legend():
    return [(SYMBOLS[status], status.label) for status in Status]


@require_safe
@public_page
def index(request):
    plan = PlanVersion.objects.current()
    if plan is None:
        return render(request, "plan/no_plan.html", status=404)
    context = selectors.plan_page(plan)
    context["legend"] = _progress_legend()
    return render(request, "plan/index.html", context)


@require_safe
@public_page
def committee(request):
    plan = _current_plan()
    seats = list(CommitteeSeat.objects.with_current_members())
    return render(request, "plan/committee.html", {
        "plan": plan,
        "seats": seats,
        "coverage": committee_coverage(seats),
    })


@require_safe
@public_page
def consultations(request):
    plan = _current_plan()
    held = list(Consultation.objects.public().filter(plan=plan).prefetch_related("priorities"))
    return render(request, "plan/consultations.html", {
        "plan": plan,
        "consultations": held,
        "coverage": consultation_coverage(held),
    })


def _published_report(year: int) -> ProgressReport:
    report = (
        ProgressReport.objects.published().filter(year=year)
        .select_related("plan").order_by("-plan__adopted_on").first()
    )
    if report is None:
        raise Http404("No report is published for this year.")
    return report


@require_safe
@public_page
def report(request, year):
    report = _published_report(year)
    return render(request, "plan/report.html", {
        "report": report, "data": report.data, "legend": _progress_legend(),
    })


@require_safe
def report_pdf(request, year):
    report = _published_report(year)
    pdf = ReportPdf.objects.filter(report=report).first()
    if pdf is None or not report.pdf_ready:
        raise Http404("The PDF of this report is not ready.")
    response = HttpResponse(bytes(pdf.content), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{report.pdf_filename()}"'
    response["Content-Length"] = str(pdf.size)
    return response


@require_safe
def report_preview(request, pk):
    """Show staff a report as it will be published (drafts included); never cached."""
    if not request.user.is_authenticated:
        raise Http404
    report = get_object_or_404(ProgressReport.objects.select_related("plan"), pk=pk)
    if not permissions.can_preview_report(request.user, report):
        raise Http404
    return render(request, "plan/report.html", {
        "report": report, "data": report.data, "legend": _progress_legend(), "preview": True,
    })
