"""Drive Debian's Chromium with Playwright and check pages with axe-core.

Browser tests are skipped, with a message, only where no browser is installed; CI sets
``CSWB_REQUIRE_BROWSER=1`` so that a missing browser fails the run instead.
"""

import os
from pathlib import Path

import axe_playwright_python
import pytest

CHROMIUM = Path(os.environ.get("CSWB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def browser_required() -> bool:
    return os.environ.get("CSWB_REQUIRE_BROWSER", "").lower() in {"1", "true", "yes"}


def launch(playwright):
    if not CHROMIUM.exists():
        message = (
            f"Browser tests need Chromium at {CHROMIUM} "
            "(Debian: apt-get install chromium); none is installed on this machine."
        )
        if browser_required():
            pytest.fail(message + " CSWB_REQUIRE_BROWSER is set, so this is an error.")
        pytest.skip(message)
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def axe_violations(page) -> list[dict]:
    """Run axe-core in the page and return its WCAG 2.1 A/AA violations.

    The script is evaluated through the DevTools protocol rather than added as a <script> tag,
    so the page's Content Security Policy stays in force during the check.
    """
    page.evaluate(AXE_SOURCE + "\n;undefined")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return result["violations"]


def assert_accessible(page) -> None:
    """Fail with a readable list when the page breaks any WCAG 2.1 A or AA rule axe checks."""
    violations = axe_violations(page)
    if violations:
        lines = [f"{page.url} breaks {len(violations)} accessibility rule(s):"]
        for violation in violations:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
            )
        pytest.fail("\n".join(lines))


def tab_to(page, selector: str, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the element matching ``selector`` has the focus.

    Fail when it is never reached: a control the keyboard cannot reach is a defect, not a skip.
    """
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press(key)
    pytest.fail(f"{selector} was not reached by {limit} presses of {key} on {page.url}")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def in_viewport(page, selector: str) -> bool:
    """Whether the top of the element is inside the visible part of the page."""
    return page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; }",
        selector,
    )
