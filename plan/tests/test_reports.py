"""The report's numbers match the data (rows in conftest.known_plan)."""

import pytest

from plan.reports import report_data, small_count

pytestmark = pytest.mark.django_db


def test_small_counts_are_not_shown_exactly():
    assert [small_count(n) for n in (0, 1, 4, 5, 1234)] == [
        "0", "fewer than 5", "fewer than 5", "5", "1,234"]


def test_the_report_counts_what_happened_in_the_year(known_plan):
    data = report_data(plan=known_plan, year=2024)

    assert data["empty"] is False
    assert [p["name"] for p in data["priorities"]] == ["Homelessness",
                                                       "Intimate partner violence"]
    housing, ipv = data["priorities"]

    assert [t["name"] for t in housing["tables"]] == ["Homelessness Action Table"]
    assert [u["title"] for u in housing["tables"][0]["updates"]] == [
        "Shelter update March", "Shelter update September"]
    assert [u["title"] for u in ipv["tables"][0]["updates"]] == ["Mapping supports"]

    [outcome] = housing["strategies"][0]["outcomes"]
    assert outcome["baseline"]["display"] == "20"
    assert outcome["latest"] == {"period": "2024", "value": "17.0000", "display": "17"}
    assert outcome["change"]["display"] == "−3"
    assert (outcome["status"], outcome["status_label"], outcome["symbol"]) == (
        "on-track", "On track", "✓")
    assert outcome["target"] is None
    [other] = ipv["strategies"][0]["outcomes"]
    assert other["status_label"] == "Not enough data" and other["latest"] is None

    assert housing["grants"]["count"] == 2
    assert housing["grants"]["total_display"] == "$150,000"
    assert housing["grants"]["listed"] == [{"organization": "Shelter Friends",
                                            "program": "Night outreach",
                                            "amount_display": "$100,000"}]
    assert housing["grants"]["unlisted"] == 1
    assert ipv["grants"]["count"] == 0

    assert (housing["issues"]["count"], housing["issues"]["display"]) == (7, "7")
    assert (ipv["issues"]["count"], ipv["issues"]["display"]) == (2, "fewer than 5")
    assert ipv["consultations"] == ["Survivors' circle"]
    assert [c["title"] for c in data["consultations"]] == ["Survivors' circle"]

    assert data["totals"] == {
        "updates": 3, "outcomes": 2, "outcomes_with_figure": 1, "awards": 2,
        "awarded_display": "$150,000", "issues": 9, "issues_display": "9", "consultations": 1,
    }


def test_the_outcome_is_judged_as_of_the_year_reported(known_plan):
    data = report_data(plan=known_plan, year=2022)
    outcome = data["priorities"][0]["strategies"][0]["outcomes"][0]
    assert outcome["latest"]["period"] == "2022"
    assert outcome["change"]["display"] == "−1"
    assert data["totals"]["issues"] == 0 and data["totals"]["consultations"] == 1


def test_a_year_with_nothing_in_it_is_empty(known_plan):
    assert report_data(plan=known_plan, year=2019)["empty"] is True


def test_it_runs_a_fixed_number_of_queries(known_plan, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        report_data(plan=known_plan, year=2024)
