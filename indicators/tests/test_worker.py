from decimal import Decimal

import pytest

from cswb.testing.worker import wait_for
from indicators.models import DashboardState, Geography, IndicatorSummary
from indicators.reference import load_geographies
from indicators.tasks import refresh_dashboard
from indicators.tests.factories import IndicatorFactory, ObservationFactory


@pytest.mark.worker
def test_a_real_worker_refreshes_the_dashboard_even_when_asked_twice_at_once(celery_worker):
    load_geographies()
    indicator = IndicatorFactory()
    ObservationFactory(indicator=indicator, geography=Geography.objects.get(slug="halton"),
                       value=Decimal("7.5"))
    refresh_dashboard.delay()
    refresh_dashboard.delay()
    wait_for(
        lambda: IndicatorSummary.objects.filter(indicator=indicator,
                                                region_value=Decimal("7.5")).exists(),
        what="the summary written by the worker",
    )
    wait_for(lambda: DashboardState.objects.get().refresh_token == "",
             what="the refresh to release its claim")
    assert IndicatorSummary.objects.count() == 1
