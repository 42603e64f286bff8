import datetime

import pytest
from django.core import mail

from plan import services
from plan.models import Reminder
from plan.tests.factories import PlanVersionFactory, ProgressReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(db):
    """Adopted 1 March 2022, not published yet; review due 1 March 2026."""
    return PlanVersionFactory(adopted_on=datetime.date(2022, 3, 1), published_on=None)


def reminders():
    return sorted((r.kind, r.deadline.isoformat(), r.lead, r.state)
                  for r in Reminder.objects.all())


def test_it_reminds_administrators_before_publication_and_only_once(
    plan, cswb_admin, make_staff, django_capture_on_commit_callbacks
):
    make_staff("second-admin", "CSWB administrator")
    today = datetime.date(2022, 3, 18)  # 13 days before the 31 March publication deadline

    assert services.reminders_create(today=today) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(today=today) == 1

    assert reminders() == [("publication", "2022-03-31", "14 days before", "sent")]
    assert sorted(m.to[0] for m in mail.outbox) == ["alice-admin@example.org",
                                                     "second-admin@example.org"]
    assert "Publish the adopted plan by March 31, 2022" in mail.outbox[0].subject
    # The task running twice (or two workers) sends nothing more.
    assert services.reminders_create(today=today) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(today=today) == 0
    assert len(mail.outbox) == 2


def test_a_second_worker_finds_the_reminder_already_claimed(plan, cswb_admin):
    services.reminders_create(today=datetime.date(2022, 3, 29))
    reminder = Reminder.objects.get()
    # Another worker claimed it between our read and our UPDATE.
    Reminder.objects.filter(pk=reminder.pk).update(state=Reminder.State.SENT)
    assert services.reminders_send(today=datetime.date(2022, 3, 29)) == 0
    assert mail.outbox == []


def test_it_sends_the_latest_due_reminder_of_each_deadline(plan, cswb_admin):
    plan.published_on = datetime.date(2022, 3, 5)
    plan.save()
    # 5 months before the review: the 6-month reminder, not the 12-month one too.
    today = datetime.date(2025, 10, 1)
    services.reminders_create(today=today)

    assert ("review", "2026-03-01", "6 months before", "pending") in reminders()
    assert not [r for r in reminders() if r[2] == "12 months before"]
    assert ("yearly-report", "2025-06-30", "60 days before", "pending") not in reminders()

    # Three months before, the 3-month reminder follows.
    services.reminders_create(today=datetime.date(2025, 12, 2))
    assert ("review", "2026-03-01", "3 months before", "pending") in reminders()


def test_it_reminds_of_the_yearly_report_until_it_is_published(plan, cswb_admin):
    plan.published_on = datetime.date(2022, 3, 5)
    plan.save()
    today = datetime.date(2024, 5, 5)  # report on 2023 due 30 June 2024
    services.reminders_create(today=today)
    assert ("yearly-report", "2024-06-30", "60 days before", "pending") in reminders()

    ProgressReportFactory(plan=plan, year=2023, state="published",
                          published_at=datetime.datetime(2024, 5, 20, tzinfo=datetime.UTC))
    services.reminders_create(today=datetime.date(2024, 6, 20))
    assert not [r for r in reminders() if r[2] == "14 days before"]


def test_the_daily_task_runs_every_chore(plan, cswb_admin):
    from plan.tasks import daily

    result = daily.delay().get()
    assert set(result) == {"reminders_created", "reminders_sent", "pdfs_requeued"}
