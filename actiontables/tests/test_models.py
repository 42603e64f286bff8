import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError

from actiontables.models import ActionTable, ActionTableLead, Zone
from actiontables.tests.factories import (
    ActionTableFactory,
    OrganizationFactory,
    ProgressUpdateFactory,
)

pytestmark = pytest.mark.django_db


def test_it_has_the_four_zones_of_intervention():
    assert [str(zone) for zone in Zone.objects.all()] == [
        "Social development", "Prevention", "Risk intervention", "Incident response"
    ]


def test_it_refuses_a_sunset_date_before_the_convened_date():
    table = ActionTableFactory.build(
        convened_on=datetime.date(2022, 5, 1), sunset_on=datetime.date(2021, 1, 1),
        status="sunset",
    )

    with pytest.raises(ValidationError) as caught:
        table.full_clean()

    assert "sunset_on" in caught.value.message_dict


def test_it_enforces_the_dates_in_the_database_too():
    table = ActionTableFactory(convened_on=datetime.date(2022, 5, 1))

    with pytest.raises(IntegrityError), transaction.atomic():
        ActionTable.objects.filter(pk=table.pk).update(sunset_on=datetime.date(2020, 1, 1))


def test_it_refuses_a_reserved_slug():
    table = ActionTableFactory.build(slug="leadership-group")

    with pytest.raises(ValidationError) as caught:
        table.full_clean(exclude=["zones"])

    assert "address of another page" in str(caught.value)


def test_it_sunsets_and_reconvenes_a_table_keeping_the_sunset_date():
    table = ActionTableFactory(convened_on=datetime.date(2020, 3, 1))

    table.sunset(on=datetime.date(2021, 4, 1))
    table.reconvene(on=datetime.date(2024, 9, 1))

    table.refresh_from_db()
    assert table.status == ActionTable.Status.ACTIVE
    assert table.sunset_on == datetime.date(2021, 4, 1)
    assert table.reconvened_on == datetime.date(2024, 9, 1)


def test_it_refuses_to_reconvene_an_active_table():
    table = ActionTableFactory()

    with pytest.raises(ValidationError):
        table.reconvene(on=datetime.date(2024, 9, 1))

    table.refresh_from_db()
    assert table.reconvened_on is None


def test_it_refuses_a_reconvened_date_before_the_sunset():
    table = ActionTableFactory(status="sunset", sunset_on=datetime.date(2021, 4, 1))

    with pytest.raises(ValidationError):
        table.reconvene(on=datetime.date(2021, 1, 1))

    table.refresh_from_db()
    assert table.status == ActionTable.Status.SUNSET


def test_it_refuses_an_inactive_lead():
    lead = ActionTableLead(
        table=ActionTableFactory(), organization=OrganizationFactory(name="Gone", active=False)
    )

    with pytest.raises(ValidationError) as caught:
        lead.full_clean()

    assert "Gone is marked inactive" in str(caught.value)


def test_it_protects_an_organization_that_leads_a_table():
    org = OrganizationFactory()
    ActionTableFactory(leads=[org])

    with pytest.raises(ProtectedError):
        org.delete()


def test_it_finds_tables_without_a_published_update_in_six_months():
    today = datetime.date(2025, 6, 30)
    fresh = ActionTableFactory()
    ProgressUpdateFactory(table=fresh, date=datetime.date(2025, 3, 1))
    old = ActionTableFactory()
    ProgressUpdateFactory(table=old, date=datetime.date(2024, 11, 1))
    never = ActionTableFactory()
    ActionTableFactory(status="sunset", sunset_on=datetime.date(2021, 4, 1))

    assert set(ActionTable.objects.stale(today)) == {old, never}


def test_it_lists_the_emails_to_notify_for_a_table(make_staff):
    first = OrganizationFactory()
    second = OrganizationFactory()
    table = ActionTableFactory(leads=[first, second], contact_email="table@example.org")
    first.staff_contacts.add(make_staff("ann", email="ann@example.org"))
    second.staff_contacts.add(make_staff("bob", email="bob@example.org"))
    second.staff_contacts.add(make_staff("gone", email="gone@example.org", is_active=False))
    second.staff_contacts.add(make_staff("dup", email="TABLE@example.org"))

    assert table.notification_emails() == [
        "table@example.org", "ann@example.org", "bob@example.org"
    ]


def test_it_refuses_a_status_change_the_life_cycle_does_not_allow():
    table = ActionTable.objects.get(pk=ActionTableFactory(status="active").pk)
    table.status = ActionTable.Status.FORMING

    with pytest.raises(ValidationError) as caught:
        table.full_clean(exclude=["zones"])

    assert "cannot go from “active” to “forming”" in str(caught.value)


def test_it_asks_for_the_reconvened_date_when_a_sunset_table_becomes_active():
    created = ActionTableFactory(status="sunset", sunset_on=datetime.date(2021, 4, 1))
    table = ActionTable.objects.get(pk=created.pk)
    table.status = ActionTable.Status.ACTIVE

    with pytest.raises(ValidationError) as caught:
        table.full_clean(exclude=["zones"])

    assert "reconvened_on" in caught.value.message_dict
