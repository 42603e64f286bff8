import csv
import io
from pathlib import Path

import pytest

from indicators import reference

pytestmark = pytest.mark.browser


@pytest.fixture
def loaded(transactional_db):
    reference.load()
    reference.load_demo()


def test_a_partner_finds_an_indicator_reads_its_table_and_downloads_the_csv(page, loaded,
                                                                          assert_accessible):
    page.goto("/")
    page.get_by_role("link", name="Dashboard", exact=True).first.click()
    page.wait_for_url("**/dashboard/")
    assert page.locator("h1").inner_text() == "CSWB Dashboard"
    health = page.get_by_role("region", name="Health: latest figures")
    health.get_by_role("link", name="Opioid-related emergency visits").click()
    page.wait_for_url("**/dashboard/indicators/sample-opioid-related-ed-visits/")
    assert page.get_by_text("Demonstration data, not official statistics.").is_visible()
    table = page.get_by_role("table", name="Opioid-related emergency visits by period and place")
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["Period", "Halton Region", "Ontario", "Burlington", "Halton Hills",
                       "Milton", "Oakville"]
    first_row = table.locator("tbody tr").first
    assert first_row.locator("th").inner_text() == "2023"
    halton_2023 = first_row.locator("td").first.inner_text()
    assert "per 100,000" not in halton_2023  # the caption names the unit once
    # The chart drew (JavaScript on): its figure is shown and the canvas has a size.
    assert page.locator("#indicator-chart-figure").is_visible()
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Opioid-related emergency visits (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "sample-opioid-related-ed-visits.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    halton = [r for r in rows if r["geography"] == "halton" and r["period"] == "2023"]
    assert len(halton) == 1
    assert halton[0]["sample_data"] == "yes"
    assert halton_2023.startswith(f"{float(halton[0]['value']):,.1f}")


def test_the_indicator_page_is_complete_without_javascript(browser, live_server, loaded):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/dashboard/indicators/sample-food-insecurity/")
    assert not page.locator("#indicator-chart-figure").is_visible()
    assert page.locator("#series-table tbody tr").count() == 12
    context.close()


def test_the_dashboard_reads_on_a_phone(page, loaded, assert_accessible):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/dashboard/indicators/sample-youth-feel-safe/")
    assert page.locator("#series-table").is_visible()
    assert_accessible(page)


def test_the_charts_draw_under_the_content_security_policy(page, loaded):
    """Chart.js and the sparklines draw with no inline script or style refused."""
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto("/dashboard/")
    assert page.locator("svg.sparkline").count() >= 6
    page.goto("/dashboard/indicators/sample-food-insecurity/")
    assert page.locator("#indicator-chart-figure").is_visible()
    assert page.locator("svg.bar-chart rect").count() == 6
    page.goto("/dashboard/indicators/low-income-measure/")
    assert page.locator("#single-figure").is_visible()
    assert refused == []
