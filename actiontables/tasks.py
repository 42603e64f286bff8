from celery import shared_task

from actiontables import services


@shared_task
def notify_followers(update_id: int) -> int:
    """Mail the followers of a newly published progress update (safe to run twice)."""
    return services.progress_update_notify(update_id=update_id)
