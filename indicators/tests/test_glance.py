"""The dashboard at a glance: small trend lines on the overview, charts spaced by time, a
single figure shown as a figure, and the latest period compared across the six places."""

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators import services
from indicators.tests.factories import IndicatorFactory, ObservationFactory


@pytest.fixture
def series(geographies):
    indicator = IndicatorFactory(slug="rate", name="A rate")
    for year, value in [(2013, "10"), (2019, "12"), (2020, "11")]:
        ObservationFactory(indicator=indicator, period=str(year), value=Decimal(value))
    ObservationFactory(indicator=indicator, period="2020", value=Decimal("13"),
                       geography=geographies["ontario"])
    ObservationFactory(indicator=indicator, period="2020", value=Decimal("9.5"),
                       geography=geographies["milton"])
    single = IndicatorFactory(slug="once", name="Once")
    ObservationFactory(indicator=single, period="2017", value=Decimal("8.2"))
    services.dashboard_refresh()
    return indicator, single


def test_the_overview_draws_a_decorative_trend_line_beside_the_figures(client, series):
    page = client.get(reverse("indicators:overview")).content.decode()
    page = page[page.index("indicator-table"):]  # the tables, not the standings list
    row = page[page.index(">A rate</a>"):]
    row = row[:row.index("</tr>")]
    svg = re.search(r"<svg class=\"sparkline\"[^>]*>.*?</svg>", row, re.S).group(0)
    assert 'aria-hidden="true"' in svg
    points = re.search(r'points="([^"]+)"', svg).group(1).split()
    xs = [float(p.split(",")[0]) for p in points]
    # 2013, 2019, 2020: the second gap is a sixth of the first.
    assert round((xs[2] - xs[1]) / (xs[1] - xs[0]), 2) == round(1 / 6, 2)
    assert "11.0%" in row  # the figure stays the text
    once = page[page.index(">Once</a>"):]
    assert "<svg" not in once[:once.index("</tr>")]


def test_the_chart_spaces_years_by_time_and_keeps_its_table(client, series):
    page = client.get(reverse("indicators:indicator", args=["rate"])).content.decode()
    data = json.loads(re.search(r'id="indicator-chart-data"[^>]*>(.*?)</script>', page,
                                re.S).group(1))
    assert data["x"] == [2013.0, 2019.0, 2020.0]
    assert data["periods"] == ["2013", "2019", "2020"]
    assert 'id="series-table"' in page


def test_a_single_figure_is_shown_as_a_figure_not_an_empty_chart(client, series):
    page = client.get(reverse("indicators:indicator", args=["once"])).content.decode()
    assert "indicator-chart" not in page and "chart.umd" not in page
    assert "Only one period has figures so far (2017)" in page
    assert '<span class="single-figure-value">8.2%</span>' in page
    assert 'id="series-table"' in page


def test_the_latest_period_compares_the_municipalities_the_region_and_ontario(client, series):
    page = client.get(reverse("indicators:indicator", args=["rate"])).content.decode()
    table = page[page.index('id="places-table"'):]
    table = table[:table.index("</table>")]
    places = re.findall(r'<th scope="row"[^>]*>(?:<a[^>]*>)?([^<]+)', table)
    assert places == ["Burlington", "Halton Hills", "Milton", "Oakville", "Halton Region",
                      "Ontario"]
    assert table.count("No figure for 2020") == 3
    assert "9.5%" in table and "13.0%" in table
    assert '<svg class="bar-chart"' in page
