import pytest
from django.urls import reverse

from actiontables.models import ActionTable
from indicators.models import Indicator
from plan.tests.factories import OutcomeFactory, PlanVersionFactory, StrategyFactory

pytestmark = pytest.mark.django_db


def test_it_shows_priorities_strategies_tables_and_outcome_progress(client, known_plan):
    response = client.get(reverse("plan:index"))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{known_plan.title}</h1>" in page
    assert "Homelessness</h3>" in page and "Intimate partner violence</h3>" in page
    assert 'href="/action-tables/homelessness-t/">Homelessness Action Table</a>' in page
    assert 'href="/dashboard/indicators/in-shelter/">People in emergency shelter</a>' in page
    assert "17 (2024)" in page and "−3 since the baseline" in page
    assert '<span class="progress-symbol" aria-hidden="true">✓</span> On track' in page
    assert "Not enough data" in page and "No target set" in page
    assert "Low income" in page  # the other risk factors
    assert ">March 1, 2022<" in page  # the plan's dates are known to the day


def test_it_warns_about_a_strategy_that_answers_no_priority(client, known_plan):
    strategy = StrategyFactory(plan=known_plan, name="Orphan strategy")
    strategy.risk_factors.update(is_priority=False)

    page = client.get(reverse("plan:index")).content.decode()

    assert "Strategies that answer no priority" in page
    assert "Orphan strategy." in page


def test_it_says_when_no_plan_is_adopted(client, db):
    PlanVersionFactory(adopted_on=None, published_on=None)
    response = client.get(reverse("plan:index"))
    assert response.status_code == 404
    assert "No community safety and well-being plan has been adopted yet" in (
        response.content.decode())


def test_each_table_page_names_the_priority_and_outcomes_it_serves(client, known_plan):
    table = ActionTable.objects.get(slug="homelessness-t")

    page = client.get(table.get_absolute_url()).content.decode()

    assert "In the plan" in page
    assert ">Coordinated access</a>" in page
    assert ">Homelessness</a>" in page
    assert ">Fewer people in shelter</a>" in page


def test_each_indicator_page_names_the_outcomes_it_measures(client, known_plan):
    page = client.get(reverse("indicators:indicator", args=["in-shelter"])).content.decode()
    assert "Outcomes of the plan it measures" in page
    assert ">Fewer people in shelter</a>" in page
    assert "no target set" in page


def test_an_outcome_change_shows_on_the_cached_indicator_page(
    client, known_plan, django_capture_on_commit_callbacks
):
    url = reverse("indicators:indicator", args=["in-shelter"])
    assert "Shelter use halved" not in client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        OutcomeFactory(strategy=known_plan.strategies.get(name="Coordinated access"),
                       statement="Shelter use halved",
                       indicator=Indicator.objects.get(slug="in-shelter"))

    assert "Shelter use halved" in client.get(url).content.decode()


def test_the_committee_page_names_the_missing_sectors(client, known_plan):
    from actiontables.tests.factories import LeadershipMemberFactory
    from plan.tests.factories import CommitteeSeatFactory

    seat = CommitteeSeatFactory(sectors=["health", "education"])
    LeadershipMemberFactory(seat=seat.seat)
    CommitteeSeatFactory(sectors=["police-board"])  # vacant: does not count

    page = client.get(reverse("plan:committee")).content.decode()

    assert "Educational services" in page
    assert "No current member represents:" in page
    assert "<li>The police service board</li>" in page
    assert "<li>Health or mental health services</li>" not in page.split("Is every sector")[1]


def test_the_consultation_page_shows_what_was_heard_and_who_was_missed(client, known_plan):
    page = client.get(reverse("plan:consultations")).content.decode()
    assert "Survivors&#x27; circle" in page
    assert "People asked for more youth programs in the evenings." in page
    assert "<li>Members of racialized groups</li>" in page


@pytest.mark.parametrize("name", ["plan:committee", "plan:consultations"])
def test_pages_need_an_adopted_plan(client, db, name):
    assert client.get(reverse(name)).status_code == 404


def test_the_pages_accept_only_safe_methods(client, known_plan):
    for name in ("plan:index", "plan:committee", "plan:consultations"):
        assert client.post(reverse(name)).status_code == 405


def test_only_administrators_preview_a_draft_report(client, role_users, known_plan):
    from plan.tests.factories import ProgressReportFactory

    report = ProgressReportFactory(plan=known_plan, data={"totals": {}})
    url = reverse("plan:report_preview", args=[report.pk])
    assert client.get(url).status_code == 404
    for name, user in role_users.items():
        client.force_login(user)
        assert (client.get(url).status_code == 200) == (name == "admin"), name
