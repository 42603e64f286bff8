"""A per-process circuit breaker for a service the portal can work without (Redis).

After a call to the service fails, the breaker *opens*: for ``interval`` seconds every caller is
told to go without the service, at once, instead of each waiting for its own timeout. Then one
try is let through (by a caller, or by a background ``probe`` when one is given); if it works
the breaker closes again, else it stays open for another interval. A process therefore spends at
most one timeout per interval on a service that is down or hung, whatever its traffic.

A breaker with a ``probe`` tries the service from a background thread and runs its
``on_recovery`` functions before it lets callers back in: whatever the process could not do
while the service was away (make cached pages stale) is done before anything reads from it.
"""

import logging
import os
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        interval: float,
        probe: Callable[[], object] | None = None,
    ):
        self.name = name
        self.interval = interval
        self.probe = probe
        self.on_recovery: list[Callable[[], object]] = []
        self._lock = threading.Lock()
        self._open_until = 0.0  # 0: closed; otherwise when the next try may happen (monotonic)
        self._prober: threading.Thread | None = None
        self._prober_pid = 0
        self._stopped = False
        os.register_at_fork(after_in_child=self.reset)

    def __repr__(self):
        return f"<CircuitBreaker {self.name} {'open' if self._open_until else 'closed'}>"

    @property
    def is_open(self) -> bool:
        return bool(self._open_until)

    def probing(self) -> bool:
        """Return True in the probe's thread: its calls must fail loudly, not go without."""
        return self._prober is not None and threading.current_thread() is self._prober

    def allow(self) -> bool:
        """Return True when the caller may use the service now."""
        if not self._open_until:
            return True
        if self.probing():
            return True
        with self._lock:
            if not self._open_until:
                return True
            if self.probe is not None:
                if self._prober_pid != os.getpid():
                    self._start_prober()
                return False
            now = time.monotonic()
            if now < self._open_until:
                return False
            # This caller tries; the others keep going without until one interval later.
            self._open_until = now + self.interval
            return True

    def failed(self, error: BaseException) -> None:
        """Record that a call failed: open the breaker (it may be open already)."""
        with self._lock:
            opening = not self._open_until
            self._open_until = time.monotonic() + self.interval
            if self.probe is not None and self._prober_pid != os.getpid():
                self._start_prober()
        if opening:
            log.warning(
                "%s does not answer (%s: %s); going without it, trying again every %s s",
                self.name, type(error).__name__, error, self.interval,
            )

    def succeeded(self) -> None:
        """Record that a call worked: close the breaker when it was open (without a probe)."""
        if self._open_until and self.probe is None:
            with self._lock:
                self._open_until = 0.0
            log.warning("%s answers again", self.name)

    # Background probe --------------------------------------------------------------------------

    def _start_prober(self) -> None:
        """Start the thread that tries the service once per interval (call with the lock held)."""
        self._prober_pid = os.getpid()
        self._prober = threading.Thread(
            target=self._probe_until_back, name=f"breaker-{self.name}", daemon=True
        )
        self._prober.start()

    def _probe_until_back(self) -> None:
        while True:
            time.sleep(self.interval)
            if self._stopped:
                return
            try:
                self.probe()
                for recover in self.on_recovery:
                    recover()
            except Exception as exc:  # noqa: BLE001 - still down (or down again): wait again
                log.info("%s still does not answer (%s)", self.name, exc)
                continue
            with self._lock:
                self._open_until = 0.0
                self._prober = None
                self._prober_pid = 0
            log.warning("%s answers again", self.name)
            return

    def stop(self) -> None:
        """Stop probing for good (the service is gone, e.g. a test's own Redis)."""
        self._stopped = True

    def reset(self) -> None:
        """Close the breaker and forget any probe (a forked child has no prober thread: it starts
        closed and finds out for itself)."""
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._prober = None
        self._prober_pid = 0
