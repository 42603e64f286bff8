"""Queue Celery tasks without making anyone wait on a broker that is down or frozen.

``task_enqueue`` sends a task, or says False at once when the broker does not answer: the
caller's work is already saved, and something durable picks the task up later (the outbox sweep
for mail, a fallback the caller runs). A web process that failed to reach the broker does not
try again for ``BROKER_RETRY_SECONDS`` (a circuit breaker per process), so a frozen Redis costs
one two-second wait per interval, not one per submission.
"""

import logging

from django.conf import settings

from cswb.lib.breaker import CircuitBreaker

log = logging.getLogger(__name__)

_breaker: CircuitBreaker | None = None


def broker_breaker() -> CircuitBreaker:
    global _breaker
    if _breaker is None:
        _breaker = CircuitBreaker("Redis (task broker)", interval=settings.BROKER_RETRY_SECONDS)
    return _breaker


def task_enqueue(task, *args, countdown: float | None = None) -> bool:
    """Send ``task`` with ``args`` to the broker; return False when it could not be sent.

    With eager tasks (a laptop, most tests) the task runs now, in this process, and its failure
    is logged the same way.
    """
    from cswb.celery import app

    eager = app.conf.task_always_eager
    breaker = broker_breaker()
    if not eager and not breaker.allow():
        log.info("%s not queued: the broker was unreachable moments ago", task.name)
        return False
    try:
        task.apply_async(args, countdown=countdown, retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the caller's fallback covers it
        if not eager:
            breaker.failed(exc)
        log.warning("%s not queued (%s: %s)", task.name, type(exc).__name__, exc)
        return False
    breaker.succeeded()
    return True
