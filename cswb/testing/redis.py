"""A Redis server of the test's own, on a free port, that the test may stop, freeze and restart.

Tests of what happens when Redis fails must never touch the shared server on 6379: everyone's
broker and cache live there. This one starts in milliseconds, keeps nothing on disk, and is
stopped (or thawed and stopped) at the end of the test.
"""

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from cswb.testing.worker import worker_required


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """By default a cache's settings (64 MB, least recently used keys evicted); a broker's
    server keeps every key (``maxmemory="0", policy="noeviction"``)."""

    def __init__(self, port: int | None = None, *, maxmemory: str = "64mb",
                 policy: str = "allkeys-lru"):
        self.port = port or free_port()
        self.maxmemory = maxmemory
        self.policy = policy
        self.process = None

    def url(self, db: int = 0, **query) -> str:
        tail = "&".join(f"{k}={v}" for k, v in query.items())
        return f"redis://127.0.0.1:{self.port}/{db}" + (f"?{tail}" if tail else "")

    def start(self, timeout: float = 10) -> "RedisServer":
        """Start the server (again, on the same port) and wait until it answers."""
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--maxmemory", self.maxmemory, "--maxmemory-policy", self.policy,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answers():
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def freeze(self) -> None:
        """Stop the process without closing its sockets, as a hung server would (SIGSTOP)."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server; its data is gone, as after a restart without persistence."""
        if self.process is None or self.process.poll() is not None:
            return
        self.thaw()
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def redis_server_or_skip() -> RedisServer:
    if shutil.which("redis-server") is None:
        message = "These tests start their own redis-server, which is not installed."
        if worker_required():
            pytest.fail(message + " CSWB_REQUIRE_WORKER is set, so this is an error.")
        pytest.skip(message)
    return RedisServer().start()
