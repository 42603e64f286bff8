"""The pages that show the plan run a fixed number of queries however big it is."""

import pytest
from django.urls import reverse

from actiontables.tests.factories import ActionTableFactory
from plan.tests.factories import OutcomeFactory, PlanVersionFactory, StrategyFactory

pytestmark = pytest.mark.django_db


def make_plan(size):
    plan = PlanVersionFactory()
    table = ActionTableFactory()
    for _ in range(size):
        strategy = StrategyFactory(plan=plan, tables=[table, ActionTableFactory()])
        OutcomeFactory(strategy=strategy)
        OutcomeFactory(strategy=strategy, indicator__published=False)
    return plan, table


@pytest.mark.parametrize("size", [2, 20])
def test_the_plan_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries,
                                                      size):
    make_plan(size)
    with django_assert_max_num_queries(11):
        assert client.get(reverse("plan:index")).status_code == 200


@pytest.mark.parametrize("size", [2, 20])
def test_a_table_page_with_the_plan_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, size
):
    _plan, table = make_plan(size)
    with django_assert_max_num_queries(11):
        page = client.get(table.get_absolute_url()).content.decode()
    assert page.count("Strategy:") == size
