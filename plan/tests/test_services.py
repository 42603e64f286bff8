import datetime

import pytest
from django.utils import timezone

from plan import services
from plan.models import ProgressReport, ReportPdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(known_plan, cswb_admin):
    report = services.report_generate(report=ProgressReport(
        plan=known_plan, year=2024, introduction="Written by staff."))
    services.report_approve(report=report, user=cswb_admin)  # the PDF task is never run here
    return report


def test_a_pdf_left_by_a_dead_worker_is_written_later(published,
                                                     django_capture_on_commit_callbacks):
    # A worker claimed the PDF and died: the claim is older than the lease.
    ProgressReport.objects.filter(pk=published.pk).update(
        pdf_state=ProgressReport.PdfState.RENDERING,
        pdf_updated_at=timezone.now() - datetime.timedelta(minutes=20),
    )
    assert services.reports_requeue_stale(
        now=timezone.now() - datetime.timedelta(minutes=10)) == 0  # still within the lease

    with django_capture_on_commit_callbacks(execute=True):
        assert services.reports_requeue_stale() == 1

    published.refresh_from_db()
    assert published.pdf_state == ProgressReport.PdfState.READY
    assert ReportPdf.objects.filter(report=published).exists()


def test_a_pdf_is_written_only_by_the_run_that_claims_it(published):
    assert services.report_pdf_render(report_id=published.pk) == "ready"
    written = ReportPdf.objects.get().created_at
    assert services.report_pdf_render(report_id=published.pk) == "ready"  # nothing to claim
    assert ReportPdf.objects.get().created_at == written


def test_staff_may_ask_for_the_pdf_again_only_on_a_published_report(
    published, known_plan, django_capture_on_commit_callbacks
):
    services.report_pdf_render(report_id=published.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_pdf_request(report=published) is True
    published.refresh_from_db()
    assert published.pdf_state == ProgressReport.PdfState.READY

    draft = services.report_generate(report=ProgressReport(
        plan=known_plan, year=2023, introduction="Draft."))
    assert services.report_pdf_request(report=draft) is False
    with pytest.raises(ValueError, match="keeps the content"):
        services.report_generate(report=published)


def test_a_report_published_while_the_broker_is_away_keeps_its_pdf_and_followers_mail(
    known_plan, cswb_admin, django_capture_on_commit_callbacks
):
    from actiontables.tests.factories import SubscriptionFactory
    from cswb.celery import app
    from cswb.outbox.models import Message
    from cswb.testing.worker import broker_down

    SubscriptionFactory(plan_reports=True, email="reader@example.org")
    report = services.report_generate(report=ProgressReport(plan=known_plan, year=2024))
    app.conf.task_always_eager = False
    try:
        with broker_down(app), django_capture_on_commit_callbacks(execute=True):
            assert services.report_approve(report=report, user=cswb_admin)
    finally:
        app.conf.task_always_eager = True
    report.refresh_from_db()
    assert report.state == ProgressReport.State.PUBLISHED
    # The PDF waits for the daily chores; the followers' mail waits in the outbox for the sweep.
    assert report.pdf_state == ProgressReport.PdfState.PENDING
    assert list(Message.objects.values_list("to_email", "state")) == [
        ("reader@example.org", "pending")
    ]
