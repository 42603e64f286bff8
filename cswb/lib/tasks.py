"""Queue Celery tasks without making anyone wait on a broker that is down or frozen.

``task_enqueue`` sends a task, or says False at once when the broker does not answer: the
caller's work is already saved, and something durable picks the task up later (the outbox sweep
for mail, a fallback the caller runs). A web process that failed to reach the broker does not
try again for ``BROKER_RETRY_SECONDS`` (a circuit breaker per process), so a frozen Redis costs
one two-second wait per interval, not one per submission.
"""

import logging
import os
import signal
import threading
from contextlib import contextmanager

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


# Stopping long tasks on a warm shutdown ---------------------------------------------------------
#
# Celery's warm shutdown (SIGTERM to the worker) waits for running tasks to end, and the platform
# kills the worker when its stop timeout runs out: a task that loops over a batch must stop
# between two items instead. The worker's main process gets the signal, but the tasks run in its
# pool processes; a flag in memory shared across the fork tells them. Where SIGTERM reaches the
# pool processes too (systemd's default KillMode=control-group), ``stop_on_sigterm`` turns it
# into the same flag while a loop runs, instead of the instant death Celery leaves them.
# The flag reaches pool processes through fork (billiard's default on Linux); with a spawn start
# method only the SIGTERM path works.

_shutdown_flag = None  # a byte of shared memory, made in the worker's main process before forking
_worker_pid = None
_pool_process = False
_terminated = False


def watch_for_shutdown(**kwargs) -> None:
    """Make the shared flag (``worker_init``: the main process, before the pool starts)."""
    global _shutdown_flag, _worker_pid
    import ctypes
    import multiprocessing

    # Without a lock: reading and writing one byte needs none, and a pool process killed while
    # holding a lock would hang the main process's shutdown.
    _shutdown_flag = multiprocessing.RawValue(ctypes.c_bool, False)
    _worker_pid = os.getpid()


def announce_shutdown(**kwargs) -> None:
    """Raise the flag (``worker_shutting_down``: Celery's signal handler, in the main process)."""
    if _shutdown_flag is not None:
        _shutdown_flag.value = True


def mark_pool_process(**kwargs) -> None:
    """Note that this process is one of a worker's pool processes (``worker_process_init``; the
    solo pool sends it in the main process, which keeps Celery's own SIGTERM handler)."""
    global _pool_process
    _pool_process = os.getpid() != _worker_pid


def worker_stop_requested() -> bool:
    """Return True once this process's worker is shutting down: a loop should stop before its
    next item and give back what it has not started."""
    return _terminated or (_shutdown_flag is not None and _shutdown_flag.value)


@contextmanager
def stop_on_sigterm():
    """Within the block, a SIGTERM to this pool process asks the loop to stop
    (``worker_stop_requested``) instead of ending the process mid-item; it ends the process
    once the block is left, unless the whole worker is shutting down anyway. Outside a pool
    process (web, tests, Celery's own main process, whose handler already does a warm shutdown)
    this does nothing."""
    if not _pool_process or threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []

    def note(signum, frame):
        global _terminated
        _terminated = True
        received.append(signum)

    previous = signal.signal(signal.SIGTERM, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if received and not (_shutdown_flag is not None and _shutdown_flag.value):
            # Only this process was told to end: do so now (the broker gives the task to another
            # worker). When the whole worker is shutting down, the task ends normally instead
            # and Celery stops its pool itself.
            os.kill(os.getpid(), signal.SIGTERM)
