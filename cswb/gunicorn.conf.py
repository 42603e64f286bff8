"""gunicorn's settings for the portal: ``gunicorn cswb.wsgi -c cswb/gunicorn.conf.py`` (Procfile).

- The control socket (for ``gunicornc``: worker counts, reloads, shutdown) lives in the
  deployment's own run folder, ``$CSWB_VAR_DIR/run/gunicorn.ctl`` (mode 0600), not in the
  per-account default that every gunicorn the same account runs would share
  (``$XDG_RUNTIME_DIR/gunicorn.ctl`` or ``~/.gunicorn/gunicorn.ctl``).
  ``GUNICORN_CONTROL_SOCKET`` moves it.
- The access log hides the token of every private link (``cswb.lib.gunicorn.RedactingLogger``),
  in the request line, the path and the referrer.
"""

import os
from pathlib import Path

_var = Path(os.environ.get("CSWB_VAR_DIR") or Path(__file__).resolve().parent.parent / "var")

control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or str(_var / "run" / "gunicorn.ctl")
control_socket_mode = 0o600
logger_class = "cswb.lib.gunicorn.RedactingLogger"
accesslog = "-"
