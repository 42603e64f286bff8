"""Thin Celery tasks around ``cswb.outbox.services``: they take ids and may run twice safely."""

from celery import shared_task

from cswb.lib.tasks import stop_on_sigterm
from cswb.outbox import services


def _follow_up(report: services.DeliveryReport) -> int:
    """Queue each retry after its backoff, and another run when this one stopped early (time,
    size, or a warm shutdown that gave its claims back); return how many were sent."""
    for failed_id, wait in report.retries:
        services.enqueue_delivery(failed_id, countdown=wait.total_seconds())
    if report.unfinished:
        services.enqueue_drain()
    return len(report.sent)


@shared_task(
    acks_late=True,
    time_limit=services.TASK_TIME_LIMIT,
    soft_time_limit=services.TASK_TIME_LIMIT - 30,
)
def deliver(message_id: int) -> int:
    """Send one outbox message, then other due ones over the same connection.

    A message the server refused is queued again after its backoff; return how many were sent.
    """
    # A SIGTERM to this pool process stops the run between two messages (see services).
    with stop_on_sigterm():
        return _follow_up(services.messages_deliver(message_id=message_id))


@shared_task(
    acks_late=True,
    time_limit=services.TASK_TIME_LIMIT,
    soft_time_limit=services.TASK_TIME_LIMIT - 30,
)
def deliver_due() -> int:
    """Send due messages (a batch queued by the sweep); return how many were sent."""
    with stop_on_sigterm():
        return _follow_up(services.messages_deliver())


@shared_task
def requeue_stale() -> int:
    """Queue overdue messages (e.g. the broker was down) and release claims of dead workers."""
    return services.messages_requeue_stale()
