"""The production web server as the Procfile starts it: its access log and control socket."""

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url, headers=None) -> int:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_gunicorn_keeps_tokens_out_of_its_access_log_and_its_socket_in_our_folder(tmp_path):
    procfile = (BASE_DIR / "Procfile").read_text()
    web = shlex.split(re.search(r"^web: (.*)$", procfile, re.M).group(1))
    assert web[:4] == ["gunicorn", "cswb.wsgi", "-c", "cswb/gunicorn.conf.py"]
    port = _free_port()
    env = {**os.environ, "CSWB_VAR_DIR": str(tmp_path), "DEBUG": "true",
           "DJANGO_SETTINGS_MODULE": "cswb.settings"}
    env.pop("GUNICORN_CONTROL_SOCKET", None)
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), *web[1:4], "--bind",
             f"127.0.0.1:{port}", "--workers", "1"],
            cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _get(f"{base}/livez") == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError(log.read_text())
        socket_path = tmp_path / "run" / "gunicorn.ctl"
        assert socket_path.is_socket()
        assert oct(socket_path.stat().st_mode & 0o777) == "0o600"
        assert _get(f"{base}/issues/follow/SECRETTOKEN123/",
                    {"Referer": f"{base}/grants/applications/SECRETTOKEN456/"}) == 404
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    output = log.read_text()
    assert "GET /issues/follow/[private link]/ HTTP/1.1" in output
    assert "/grants/applications/[private link]/" in output
    assert "SECRETTOKEN" not in output
