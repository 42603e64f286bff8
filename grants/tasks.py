from celery import shared_task

from grants import services


@shared_task
def send_report_reminders():
    """Remind award contacts of reports due soon and tell staff of overdue ones (once each)."""
    return services.reports_remind()


@shared_task
def expire_drafts():
    """Delete drafts abandoned for GRANTS_DRAFT_EXPIRY_DAYS, with their files."""
    return services.drafts_expire()
