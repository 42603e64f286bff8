"""plan may import actiontables, indicators, grants and issues; never the reverse."""

import re
from pathlib import Path

from django.conf import settings

IMPORT_OF_PLAN = re.compile(r"^\s*(from\s+plan[\s.]|import\s+plan\b)", re.MULTILINE)


def test_no_other_app_imports_plan():
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for app in ("actiontables", "indicators", "grants", "issues")
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py")
        if IMPORT_OF_PLAN.search(path.read_text())
    ]
    assert offenders == []
