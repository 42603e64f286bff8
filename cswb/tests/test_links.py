"""Private links: lifetimes as SECURITY.md states them, and tokens kept out of logs."""

import logging
import re
from pathlib import Path

from django.conf import settings

from cswb.lib import links

SECURITY = (Path(settings.BASE_DIR) / "SECURITY.md").read_text()


def test_security_md_states_every_link_lifetime_the_code_uses():
    table = SECURITY[SECURITY.index("## Private links"):SECURITY.index("## Reporting")]
    for purpose, seconds in links.LIFETIMES.items():
        row = next((line for line in table.splitlines() if f"`{purpose}`" in line), None)
        assert row, f"SECURITY.md has no row for `{purpose}`"
        days = seconds / 86400
        words = f"{days:g} days" if days >= 4 else f"{seconds // 3600} hours"
        assert words in row, (purpose, words, row)


def test_the_key_rotation_waits_for_the_longest_signed_link():
    longest = max(links.LIFETIMES[p] for p in links.SIGNED) // 86400
    rotation = SECURITY[SECURITY.index("## Rotating the secret key"):]
    assert re.search(rf"\b{longest} days\b", rotation), rotation


def test_every_link_reads_with_its_own_lifetime():
    token = links.make_token("issue-follow", "x")
    assert links.read_token("issue-follow", token) == "x"
    assert links.read_token("issue-follow", token, max_age=-1) is None


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_tokens_never_reach_the_logs(client, db):
    records = _Records()
    logging.getLogger().addHandler(records)
    try:
        client.get("/issues/follow/SECRETTOKEN123/")
        client.get("/grants/applications/SECRETTOKEN456/withdraw/")
    finally:
        logging.getLogger().removeHandler(records)
    (handler,) = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    lines = [handler.format(record) for record in records.records if handler.filter(record)]
    assert lines and all("SECRETTOKEN" not in line for line in lines), lines
    assert any("/issues/follow/[private link]/" in line for line in lines)


def test_start_up_logs_leave_the_admin_its_urls(tmp_path):
    """A log line during start-up (django-axes logs one, outside tests) must not read the
    URLconf before the admin has found its models: every admin page and the issue form's staff
    email (which links to the admin) would fail for the life of the process."""
    import os
    import subprocess
    import sys

    script = (
        "import django; django.setup()\n"
        "from django.urls import reverse\n"
        "print(reverse('admin:issues_issue_change', args=[1]))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cswb.settings", "CSWB_VAR_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "LOG_LEVEL": "INFO"}
    env.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.stdout.strip() == "/admin/issues/issue/1/change/", done.stderr[-2000:]
