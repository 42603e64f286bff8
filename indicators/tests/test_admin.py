import pytest
from django.urls import reverse

from indicators.models import DashboardState, IndicatorSummary, Observation
from indicators.tests.factories import IndicatorFactory, ObservationFactory

ADD_URL = reverse("admin:indicators_observation_add")


@pytest.fixture
def indicator(geographies):
    return IndicatorFactory(slug="rate")


def form(indicator, geographies, **fields):
    data = {"indicator": indicator.pk, "geography": geographies["halton"].pk,
            "period": "2017/18", "value": "4.5", "status": "final", "ci_low": "",
            "ci_high": "", "note": ""}
    data.update(fields)
    return data


def test_a_steward_adds_an_observation_with_a_span_period(client, steward_user, indicator,
                                                          geographies,
                                                          django_capture_on_commit_callbacks):
    client.force_login(steward_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD_URL, form(indicator, geographies))
    assert response.status_code == 302
    obs = Observation.objects.get()
    assert (obs.period, obs.period_start, obs.period_end) == ("2017-2018", 2017, 2018)
    assert IndicatorSummary.objects.get(indicator=indicator).region_period == "2017-2018"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value": "", "status": "final"}, "Give the value, or set the status"),
        ({"value": "3", "status": "suppressed"}, "has no value: leave it empty"),
        ({"period": "last year"}, "is not a year (2021) or a span"),
        ({"ci_low": "4"}, "Give both ends of the confidence interval"),
    ],
)
def test_the_admin_form_explains_bad_input_and_keeps_it(client, steward_user, indicator,
                                                        geographies, fields, message):
    client.force_login(steward_user)
    response = client.post(ADD_URL, form(indicator, geographies, **fields))
    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert not Observation.objects.exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("admin", True), ("steward", True), ("lead", False), ("grant_staff", False),
     ("reviewer", False), ("triage", False), ("outsider", False)],
)
def test_only_stewards_and_administrators_reach_the_indicator_admin(client, role_users, role,
                                                                    allowed, indicator):
    ObservationFactory(indicator=indicator)
    client.force_login(role_users[role])
    for name in ("indicator", "observation", "remotesource", "domain", "indicatorsummary"):
        status = client.get(reverse(f"admin:indicators_{name}_changelist")).status_code
        assert (status == 200) is allowed, (name, status)


def test_the_observation_list_links_to_the_statistics_canada_import(client, steward_user,
                                                                    indicator):
    client.force_login(steward_user)
    content = client.get(reverse("admin:indicators_observation_changelist")).content.decode()
    assert reverse("admin:indicators_observation_import_statcan") in content
    assert reverse("admin:indicators_observation_import") in content
    assert reverse("admin:indicators_observation_export") in content


def test_a_steward_recomputes_the_dashboard_from_the_admin(client, steward_user, indicator):
    ObservationFactory(indicator=indicator, value=3)
    IndicatorSummary.objects.create(indicator=indicator)
    client.force_login(steward_user)
    response = client.post(reverse("admin:indicators_indicatorsummary_changelist"), {
        "action": "refresh_now", "_selected_action": [indicator.pk],
    }, follow=True)
    assert "Dashboard recomputed: 1 indicators, 0 failed." in response.content.decode()
    assert IndicatorSummary.objects.get().region_value == 3
    assert DashboardState.get().refresh_finished_at is not None
