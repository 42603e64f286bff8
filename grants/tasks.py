from celery import shared_task

from grants import services


@shared_task
def send_report_reminders():
    """Remind award contacts of reports due soon and tell staff of overdue ones (once each)."""
    return services.reports_remind()
