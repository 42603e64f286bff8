"""The report's PDF through a real Celery worker over Redis."""

import pytest

from cswb.testing.pdf import pdfinfo
from cswb.testing.worker import wait_for
from plan import services, tasks
from plan.models import ProgressReport, ReportPdf


@pytest.mark.worker
def test_a_worker_writes_the_pdf_once_even_when_asked_twice(celery_worker, known_plan,
                                                             cswb_admin):
    report = services.report_generate(report=ProgressReport(
        plan=known_plan, year=2024, introduction="Written by staff."))

    services.report_approve(report=report, user=cswb_admin)  # autocommit: queued now
    tasks.render_report_pdf.delay(report.pk)  # a duplicate delivery of the same task

    wait_for(lambda: ProgressReport.objects.get(pk=report.pk).pdf_state in ("ready", "failed"),
             what="the PDF", timeout=60)
    report.refresh_from_db()
    assert report.pdf_state == ProgressReport.PdfState.READY
    assert ReportPdf.objects.count() == 1
    assert pdfinfo(bytes(report.pdf.content))["Tagged"] == "yes"
