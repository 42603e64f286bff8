import io
import json

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from actiontables.tests.factories import SubscriptionFactory
from plan import services
from plan.models import Outcome, ProgressReport, Strategy
from plan.tests.factories import (
    ConsultationFactory,
    PlanVersionFactory,
    ProgressReportFactory,
    RiskFactorFactory,
)

pytestmark = pytest.mark.django_db


def errors(response) -> str:
    assert response.status_code == 200, response.status_code  # the form is shown again
    return response.content.decode()


def test_it_refuses_a_strategy_that_answers_no_priority(client, cswb_admin):
    plan = PlanVersionFactory()
    context = RiskFactorFactory(plan=plan, is_priority=False, name="Low income")
    client.force_login(cswb_admin)
    url = reverse("admin:plan_strategy_add")
    data = {"plan": plan.pk, "name": "Food boxes", "order": 0}

    page = errors(client.post(url, data))
    assert "Choose at least one priority risk factor" in page

    page = errors(client.post(url, {**data, "risk_factors": [context.pk]}))
    assert "not a priority: Low income" in page
    assert not Strategy.objects.exists()


def test_it_refuses_an_outcome_without_an_indicator(client, cswb_admin, known_plan):
    client.force_login(cswb_admin)
    strategy = known_plan.strategies.first()
    page = errors(client.post(reverse("admin:plan_outcome_add"), {
        "strategy": strategy.pk, "statement": "Fewer evictions", "geography": 2, "order": 0,
    }))
    assert "without one it cannot be measured" in page
    assert Outcome.objects.count() == 2


def test_it_takes_the_baseline_from_the_dashboard(client, cswb_admin, known_plan):
    from indicators.models import Geography, Indicator

    client.force_login(cswb_admin)
    indicator = Indicator.objects.get(slug="in-shelter")
    response = client.post(reverse("admin:plan_outcome_add"), {
        "strategy": known_plan.strategies.first().pk, "statement": "Shorter stays",
        "indicator": indicator.pk, "geography": Geography.objects.get(slug="halton").pk,
        "baseline_period": "2022", "order": 0,
    })
    assert response.status_code == 302
    outcome = Outcome.objects.get(statement="Shorter stays")
    assert (outcome.baseline_value, outcome.direction) == (19, Outcome.Direction.DECREASE)

    page = errors(client.post(reverse("admin:plan_outcome_add"), {
        "strategy": known_plan.strategies.first().pk, "statement": "Other",
        "indicator": indicator.pk, "geography": Geography.objects.get(slug="halton").pk,
        "baseline_period": "2021", "order": 0,
    }))
    assert "no figure of People in emergency shelter for 2021 in Halton Region" in page


def test_it_refuses_a_report_for_a_year_with_no_data(client, cswb_admin, known_plan):
    client.force_login(cswb_admin)
    page = errors(client.post(reverse("admin:plan_progressreport_add"), {
        "plan": known_plan.pk, "year": 2019, "introduction": "Nothing happened.",
    }))
    assert "There is nothing to report for 2019" in page
    assert not ProgressReport.objects.exists()


def test_staff_generate_preview_and_approve_the_report(
    client, cswb_admin, known_plan, django_capture_on_commit_callbacks
):
    follower = SubscriptionFactory(plan_reports=True)
    SubscriptionFactory(email=follower.email, plan_reports=True)  # a second table, same person
    SubscriptionFactory()  # follows a table, did not ask for the report
    client.force_login(cswb_admin)
    response = client.post(reverse("admin:plan_progressreport_add"), {
        "plan": known_plan.pk, "year": 2024, "introduction": "Our first report.",
    })
    report = ProgressReport.objects.get()
    assert response.status_code == 302
    assert report.state == ProgressReport.State.DRAFT
    assert report.data["totals"]["updates"] == 3
    preview = client.get(reverse("plan:report_preview", args=[report.pk])).content.decode()
    assert "Preview: this report is a draft" in preview
    assert client.get(reverse("plan:report", args=[2024])).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:plan_progressreport_approve", args=[report.pk]))

    report.refresh_from_db()
    assert report.state == ProgressReport.State.PUBLISHED
    assert report.approved_by == cswb_admin
    assert report.pdf_state == ProgressReport.PdfState.READY
    client.logout()
    page = client.get(reverse("plan:index")).content.decode()
    assert 'href="/plan/reports/2024/">Progress report 2024</a>' in page
    assert 'href="/plan/reports/2024/pdf/">Progress report 2024 (PDF)</a>' in page
    pdf = client.get(reverse("plan:report_pdf", args=[2024]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    mailed = [m for m in mail.outbox if "progress report for 2024" in m.subject]
    assert [m.to for m in mailed] == [[follower.email]]
    assert "/plan/reports/2024/" in mailed[0].body

    # A second approval (another tab, another administrator) changes nothing.
    client.force_login(cswb_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:plan_progressreport_approve", args=[report.pk]))
    assert len([m for m in mail.outbox if "progress report for 2024" in m.subject]) == 1


def test_a_pdf_failure_leaves_the_html_published_and_tells_staff(
    client, cswb_admin, known_plan, settings, tmp_path, django_capture_on_commit_callbacks
):
    # A deployment whose static files are missing (collectstatic never ran): the real renderer
    # cannot find the report's stylesheet.
    settings.STATICFILES_DIRS = [tmp_path]
    settings.STATIC_ROOT = tmp_path / "collected"
    report = services.report_generate(report=ProgressReportFactory.build(plan=known_plan,
                                                                         year=2024))
    client.force_login(cswb_admin)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:plan_progressreport_approve", args=[report.pk]))

    report.refresh_from_db()
    assert report.state == ProgressReport.State.PUBLISHED
    assert report.pdf_state == ProgressReport.PdfState.FAILED
    assert "css/pdf.css is not among the static files" in report.pdf_error
    [alert] = [m for m in mail.outbox if "could not be written" in m.subject]
    assert alert.to == [cswb_admin.email]
    change = client.get(reverse("admin:plan_progressreport_change", args=[report.pk]))
    assert "The PDF of this report could not be written" in change.content.decode()
    client.logout()
    html = client.get(reverse("plan:report", args=[2024]))
    assert html.status_code == 200
    assert "The PDF copy is not available yet." in html.content.decode()
    assert client.get(reverse("plan:report_pdf", args=[2024])).status_code == 404


def test_only_administrators_open_the_duties_page(client, role_users, known_plan):
    url = reverse("admin:plan_planversion_duties", args=[known_plan.pk])
    for name, user in role_users.items():
        client.force_login(user)
        assert (client.get(url).status_code == 200) == (name == "admin"), name
    client.force_login(role_users["admin"])
    page = client.get(url).content.decode()
    assert "Published online within 30 days of adoption" in page
    assert "Missing: " in page and "The police service board" in page
    assert "Not reached in any recorded consultation" in page


def test_the_ministers_export_is_escaped_complete_and_logged(client, role_users, known_plan):
    ConsultationFactory(plan=known_plan, title="=HYPERLINK(\"http://x\")")
    xlsx_url = reverse("admin:plan_planversion_export", args=["xlsx"])
    for name, user in role_users.items():
        if name != "admin":
            client.force_login(user)
            assert client.get(xlsx_url).status_code == 403, name
    client.force_login(role_users["admin"])

    workbook = load_workbook(io.BytesIO(client.get(xlsx_url).content))
    assert workbook.sheetnames[:4] == ["Plan versions", "Advisory committee", "Consultations",
                                       "Outcome progress"]
    titles = [row[1] for row in workbook["Consultations"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://x\")" in titles
    progress = list(workbook["Outcome progress"].iter_rows(values_only=True))
    header = progress[0]
    rows = [dict(zip(header, row, strict=True)) for row in progress[1:]]
    shelter = next(r for r in rows if r["outcome"] == "Fewer people in shelter")
    assert (shelter["latest_value"], shelter["progress"], shelter["target_year"]) == (
        17, "on-track", "no target set")

    data = json.loads(client.get(reverse("admin:plan_planversion_export", args=["json"])).content)
    assert [p["slug"] for p in data["plan_versions"]] == [known_plan.slug]
    assert {row["outcome"] for row in data["outcome_progress"]} == {
        "Fewer people in shelter", "More survivors reached"}
    assert len(data["consultations"]) == 3

    logged = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("pk")
    assert [e.additional_data["export"]["format"] for e in logged] == ["XLSX", "JSON"]
    assert all(e.actor == role_users["admin"] for e in logged)


def test_a_data_steward_keeps_outcomes_but_not_the_plan(client, steward_user, known_plan):
    client.force_login(steward_user)
    outcome = Outcome.objects.get(statement="Fewer people in shelter")
    response = client.post(reverse("admin:plan_outcome_change", args=[outcome.pk]), {
        "strategy": outcome.strategy_id, "statement": outcome.statement,
        "indicator": outcome.indicator_id, "geography": outcome.geography_id,
        "direction": "decrease", "baseline_period": "2020", "baseline_value": "21",
        "target_value": "", "target_year": "", "target_note": "", "order": 0,
    })
    assert response.status_code == 302
    outcome.refresh_from_db()
    assert outcome.baseline_value == 21
    assert client.get(reverse("admin:plan_strategy_changelist")).status_code == 403
    assert client.get(reverse("admin:plan_outcome_add")).status_code == 403
