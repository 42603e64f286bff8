import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cswb.checks import check_demonstration_rows
from cswb.lib.demo import demo_counts, demo_models
from grants.models import Round
from grants.tests.factories import SubmittedApplicationFactory
from indicators.models import Geography, Indicator
from plan.models import Outcome, Strategy

pytestmark = pytest.mark.django_db


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_reference_data", *args, stdout=out)
    return out.getvalue()


def heading(page: str) -> str:
    return page.split("<h1")[1].split("</h1>")[0]


def rows() -> dict[str, int]:
    """Count the rows of every model but the audit log (which keeps the record of a removal)."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()
            if model._meta.label != "auditlog.LogEntry"}


def test_it_loads_facts_only_with_production_settings(client, settings):
    settings.DEBUG = False
    assert "demonstration" not in load()

    assert {model._meta.label for model in demo_models()} == {"grants.Round",
                                                             "indicators.Indicator"}
    assert demo_counts() == {}
    assert not Round.objects.open_for_intake(timezone.now()).exists()
    assert not Indicator.objects.filter(slug__startswith="sample-").exists()
    page = client.get(reverse("grants:index")).content.decode()
    assert "Intake is closed: the 2023 intake closed on" in page
    assert "Apply to the" not in page and "Demonstration" not in page
    dashboard = client.get(reverse("indicators:overview")).content.decode()
    assert "not official statistics" not in dashboard
    assert check_demonstration_rows(None) == []


def test_it_changes_nothing_when_run_again_with_or_without_the_demonstration():
    load()
    facts = rows()
    load()
    assert rows() == facts
    load("--demo")
    with_demo = rows()
    load("--demo")
    load()  # without --demo: the demonstration rows stay
    assert rows() == with_demo
    assert demo_counts() == {Round: 1, Indicator: 6}


def test_the_demonstration_is_flagged_and_labelled_on_the_public_pages(client):
    output = load("--demo")

    assert "1 demonstration rounds created" in output
    assert "6 demonstration indicators" in output
    demo = Round.objects.get(is_demo=True)
    grants_page = client.get(reverse("grants:index")).content.decode()
    assert f"The {demo.name} is a demonstration, not a real intake." in grants_page
    open_card = grants_page.split('class="card intake-card intake-open')[1].split("</div>")[0]
    assert "Demonstration</span>" in open_card
    apply_page = client.get(reverse("grants:apply", args=[demo.slug])).content.decode()
    assert "Demonstration</span>" in heading(apply_page)
    assert "is a demonstration, not a real intake." in apply_page
    dashboard = client.get(reverse("indicators:overview")).content.decode()
    assert "Demonstration data, not official statistics." in dashboard
    series = Indicator.objects.filter(is_demo=True).first()
    indicator_page = client.get(series.get_absolute_url()).content.decode()
    assert "Demonstration</span>" in heading(indicator_page)


def test_remove_demo_deletes_the_demonstration_rows_and_nothing_else(client):
    load()
    facts = rows()
    load("--demo")
    SubmittedApplicationFactory(round=Round.objects.get(is_demo=True))

    output = load("--remove-demo")

    assert "Removed 1 application" in output
    assert "1 intake round" in output and "6 indicators" in output
    assert rows() == facts
    assert load("--remove-demo") == "Removed nothing.\n"
    assert "Demonstration" not in client.get(reverse("grants:index")).content.decode()


def test_remove_demo_removes_nothing_when_a_real_row_uses_a_demonstration_row():
    load("--demo")
    series = Indicator.objects.filter(is_demo=True).first()
    Outcome.objects.create(strategy=Strategy.objects.first(), statement="Ours",
                           indicator=series, geography=Geography.objects.get(slug="halton"))
    before = rows()

    with pytest.raises(CommandError, match="Nothing was removed"):
        load("--remove-demo")

    assert rows() == before


def test_the_deploy_check_warns_while_demonstration_rows_exist_with_debug_off(settings):
    load("--demo")
    settings.DEBUG = False

    [warning] = check_demonstration_rows(None)

    assert warning.id == "cswb.W005"
    assert "1 intake round" in warning.msg and "6 indicators" in warning.msg
    assert "load_reference_data --remove-demo" in warning.hint
    err = io.StringIO()
    call_command("check", deploy=True, stdout=io.StringIO(), stderr=err)
    assert "cswb.W005" in err.getvalue()
    settings.DEBUG = True
    assert check_demonstration_rows(None) == []
