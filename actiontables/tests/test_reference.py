import pytest

from actiontables import reference
from actiontables.models import (
    ActionTable,
    ActionTableLead,
    KeyArea,
    LeadershipMember,
    LeadershipSeat,
    Organization,
)

pytestmark = pytest.mark.django_db


def counts():
    return [
        model.objects.count()
        for model in (Organization, LeadershipSeat, LeadershipMember, ActionTable,
                      ActionTableLead, KeyArea)
    ]


def test_it_loads_every_table_of_the_plan_with_leads_and_key_areas():
    reference.load()

    assert ActionTable.objects.count() == 15
    assert not ActionTable.objects.filter(leads__isnull=True).exists()
    assert not ActionTable.objects.filter(key_areas__isnull=True).exists()
    crisis = ActionTable.objects.get(slug="crisis-mental-health")
    assert [lead.organization.short_name for lead in crisis.leads.all()] == ["ROCK", "CMHA"]
    for table in ActionTable.objects.all():
        table.full_clean()


def test_it_loads_the_covid_table_as_sunset_in_april_2021():
    reference.load()

    covid = ActionTable.objects.get(slug="covid-19")
    assert covid.status == ActionTable.Status.SUNSET
    assert (covid.sunset_on.year, covid.sunset_on.month) == (2021, 4)
    assert ActionTable.objects.filter(status="sunset").count() == 1


def test_it_loads_the_leadership_group_seats():
    reference.load()

    assert list(LeadershipSeat.objects.values_list("name", flat=True)) == [
        "Halton Region", "Halton Regional Police Service",
        "Ontario Health (Central and West Regions)", "Local hospitals",
        "Local boards of education", "Local municipalities", "Halton Children's Aid Society",
    ]
    assert LeadershipMember.objects.filter(seat__name="Local municipalities").count() == 4


def test_it_changes_nothing_when_run_twice():
    reference.load()
    before = counts()
    table = ActionTable.objects.get(slug="food-security")
    table.summary = "Edited by staff"
    table.save()

    summary = reference.load()

    assert counts() == before
    assert "(0 new)" in summary
    table.refresh_from_db()
    assert table.summary == "Edited by staff"
