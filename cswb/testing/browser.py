"""Drive Debian's Chromium with Playwright and check pages with axe-core and our own checks.

Browser tests are skipped, with a message, only where no browser is installed; CI sets
``CSWB_REQUIRE_BROWSER=1`` so that a missing browser fails the run instead.

``check_pages`` is the whole-site check: for each width (a desktop and a phone) it opens one
tab and, for each URL, runs axe with the WCAG 2.2 A/AA rules and ``page_checks.js`` (focus
indicator and control border contrast, reflow and keyboard-scrollable table regions).
"""

import os
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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
PAGE_CHECKS = (Path(__file__).parent / "page_checks.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# A desktop and the narrowest phone WCAG 1.4.10 (reflow) asks for.
WIDTHS = (1280, 320)
MAX_LINES_PER_PAGE = 12


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
    """Run axe-core in the page and return its WCAG 2.2 A/AA violations.

    The script is evaluated through the DevTools protocol rather than added as a <script> tag,
    so the page's Content Security Policy stays in force during the check.
    """
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE + "\n;undefined")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return result["violations"]


def _describe(violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        rule = f"{violation['id']} ({violation['impact']})"
        lines.append(f"- {rule}: {violation['help']} at {targets}")
    return lines


def assert_accessible(page) -> None:
    """Fail with a readable list when the page breaks any WCAG 2.2 A or AA rule axe checks."""
    violations = axe_violations(page)
    if violations:
        lines = [f"{page.url} breaks {len(violations)} accessibility rule(s):"]
        pytest.fail("\n".join(lines + _describe(violations)))


def page_problems(page) -> list[str]:
    """Return what axe does not check, measured in the page as a keyboard user meets it.

    Focus indicators (2 px outline, 3:1 against their surroundings, not covered), control
    borders (3:1), sideways scrolling of the page (reflow), and that each region that scrolls
    sideways is focusable, named and moves with the arrow keys.
    """
    # One real key press first: focus() calls after it show as keyboard focus (:focus-visible).
    page.keyboard.press("Tab")
    problems = page.evaluate(PAGE_CHECKS)
    count = page.evaluate("window.__cswbScrollers.length")
    for index in range(count):
        page.evaluate(
            "i => { const el = window.__cswbScrollers[i]; el.scrollLeft = 0; el.focus(); }", index
        )
        page.keyboard.press("ArrowRight")
        try:
            page.wait_for_function("i => window.__cswbScrollers[i].scrollLeft > 0", arg=index,
                                   timeout=2000)
        except PlaywrightTimeout:
            name = page.evaluate("i => window.__cswbScrollers[i].getAttribute('aria-label')", index)
            problems.append(f"scroll: the region {name!r} does not scroll with the arrow keys")
    return problems


def check_pages(browser, base_url: str, urls: list[str], widths=WIDTHS) -> None:
    """Check every URL at every width: axe (WCAG 2.2 A/AA) and ``page_problems``; fail once,
    listing every problem on every page, so one run shows all there is to fix."""
    report = []
    for width in widths:
        # Reduced motion: Bootstrap's smooth scrolling would move the page under the checks.
        context = browser.new_context(
            base_url=base_url, locale="en-CA", viewport={"width": width, "height": 800},
            reduced_motion="reduce",
        )
        context.set_default_timeout(15_000)
        # Load axe in every page before its own scripts, once per tab rather than per check.
        context.add_init_script(AXE_SOURCE)
        page = context.new_page()
        for url in urls:
            response = page.goto(url)
            lines = []
            if page.locator("h1").count() != 1:
                lines.append(f"- the page has {page.locator('h1').count()} h1 elements")
            lines += _describe(axe_violations(page))
            lines += [f"- {problem}" for problem in page_problems(page)]
            if lines:
                status = response.status if response else "?"
                report.append(f"{url} at {width} px (HTTP {status}):")
                report += lines[:MAX_LINES_PER_PAGE]
                if len(lines) > MAX_LINES_PER_PAGE:
                    report.append(f"- and {len(lines) - MAX_LINES_PER_PAGE} more")
        context.close()
    if report:
        pytest.fail("\n".join(report))


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
