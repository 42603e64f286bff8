"""The public pages run a fixed number of queries however much data there is."""

import pytest
from django.urls import reverse

from actiontables.tests.factories import (
    ActionTableFactory,
    KeyAreaFactory,
    OrganizationFactory,
    ProgressUpdateFactory,
)
from indicators.tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db

# The table page's ninth query asks for the plan's strategies the table carries out (plan_tags;
# plan/tests/test_queries.py counts the page with strategies).
MAX_QUERIES = {"index": 7, "table": 9, "leadership": 2}


def make_tables(count):
    tables = []
    for n in range(count):
        table = ActionTableFactory(
            leads=[OrganizationFactory(), OrganizationFactory()],
            zones=["prevention", "risk-intervention"],
            status="sunset" if n % 5 == 0 else "active",
            sunset_on="2024-01-01" if n % 5 == 0 else None,
        )
        table.members.add(OrganizationFactory(), OrganizationFactory())
        table.indicators.add(IndicatorFactory(), IndicatorFactory())
        for k in range(3):
            KeyAreaFactory(table=table, order=k)
        for _ in range(3):
            ProgressUpdateFactory(table=table)
        tables.append(table)
    return tables


@pytest.mark.parametrize("count", [5, 50])
def test_it_renders_the_index_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, count
):
    make_tables(count)

    with django_assert_max_num_queries(MAX_QUERIES["index"]):
        response = client.get(reverse("actiontables:index"))

    assert response.status_code == 200


@pytest.mark.parametrize("count", [5, 50])
def test_it_renders_the_index_filtered_by_zone_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, count
):
    make_tables(count)

    with django_assert_max_num_queries(MAX_QUERIES["index"]):
        response = client.get(reverse("actiontables:index"), {"zone": "prevention"})

    assert response.status_code == 200


@pytest.mark.parametrize("count", [5, 50])
def test_it_renders_a_table_page_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, count
):
    tables = make_tables(count)
    table = tables[-1]
    for _ in range(count):
        ProgressUpdateFactory(table=table)

    with django_assert_max_num_queries(MAX_QUERIES["table"]):
        response = client.get(table.get_absolute_url())

    assert response.status_code == 200


def test_it_renders_the_leadership_page_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    from actiontables.tests.factories import LeadershipMemberFactory

    for _ in range(20):
        LeadershipMemberFactory()

    with django_assert_max_num_queries(MAX_QUERIES["leadership"]):
        client.get(reverse("actiontables:leadership"))
