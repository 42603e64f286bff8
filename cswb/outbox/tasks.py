from celery import shared_task

from cswb.outbox import services


@shared_task(bind=True, max_retries=services.MAX_ATTEMPTS)
def deliver(self, message_id: int) -> None:
    """Send one outbox message; schedule the next try when the mail server refused it."""
    wait = services.message_deliver(message_id=message_id)
    if wait is not None:
        services.enqueue_delivery(message_id, countdown=wait.total_seconds())


@shared_task
def requeue_stale() -> int:
    """Queue messages that are due but were never handed to a worker (e.g. broker was down)."""
    return services.messages_requeue_stale()
