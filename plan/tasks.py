from celery import shared_task

from plan import services


@shared_task
def render_report_pdf(report_id: int) -> str:
    """Write a published report's PDF (safe to run twice: it claims the report first)."""
    return services.report_pdf_render(report_id=report_id)


@shared_task
def notify_report_followers(report_id: int) -> int:
    """Email the followers who asked for the yearly report (once per address)."""
    return services.report_notify_followers(report_id=report_id)


@shared_task
def daily() -> dict:
    """Send the deadline reminders that are due and re-queue PDFs a dead worker left."""
    return services.plan_daily()
