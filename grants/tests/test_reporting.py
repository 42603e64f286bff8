import datetime

import pytest
from django.utils import timezone

from cswb.outbox.models import Message
from grants import services, tasks
from grants.tests.factories import ReportFactory
from grants.workflow import State

pytestmark = pytest.mark.django_db


def test_it_reminds_the_contact_once_before_a_report_is_due(grant_staff_user):
    today = timezone.localdate()
    report = ReportFactory(due_on=today + datetime.timedelta(days=10))
    ReportFactory(due_on=today + datetime.timedelta(days=40))  # too early to remind
    assert services.reports_remind(today=today) == {"reminded": 1, "overdue": 0}
    assert services.reports_remind(today=today) == {"reminded": 0, "overdue": 0}
    message = Message.objects.get(kind="grants.report_reminder")
    assert message.to_email == report.award.application.contact_email
    assert "Interim report" in message.subject


def test_it_tells_staff_once_when_a_report_is_overdue(grant_staff_user):
    today = timezone.localdate()
    ReportFactory(due_on=today - datetime.timedelta(days=1))
    assert services.reports_remind(today=today)["overdue"] == 1
    assert services.reports_remind(today=today + datetime.timedelta(days=1))["overdue"] == 0
    message = Message.objects.get(kind="grants.report_overdue")
    assert message.to_email == grant_staff_user.email


def test_it_leaves_received_reports_and_closed_files_alone(grant_staff_user):
    today = timezone.localdate()
    ReportFactory(due_on=today - datetime.timedelta(days=1), received_on=today)
    ReportFactory(due_on=today + datetime.timedelta(days=1),
                  award__application__state=State.CLOSED)
    assert services.reports_remind(today=today) == {"reminded": 0, "overdue": 0}


def test_it_runs_from_the_periodic_task(grant_staff_user, settings):
    ReportFactory(due_on=timezone.localdate() + datetime.timedelta(days=3))
    assert tasks.send_report_reminders.delay().get() == {"reminded": 1, "overdue": 0}
    entry = settings.CELERY_BEAT_SCHEDULE["grants-report-reminders"]
    assert entry["task"] == "grants.tasks.send_report_reminders"
