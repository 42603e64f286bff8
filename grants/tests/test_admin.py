from decimal import Decimal

import pytest
from django.urls import reverse

from grants.models import Review
from grants.tests.factories import (
    AwardFactory,
    FundFactory,
    RoundFactory,
    SubmittedApplicationFactory,
)
from grants.workflow import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def applications():
    return [SubmittedApplicationFactory(org_legal_name=f"Org {n}") for n in range(3)]


def changelist(client, user):
    client.force_login(user)
    return client.get(reverse("admin:grants_application_changelist"))


def test_it_lists_every_application_for_grant_staff(client, grant_staff_user, applications):
    html = changelist(client, grant_staff_user).content.decode()
    assert all(f"Org {n}" in html for n in range(3))


def test_it_lists_only_assigned_applications_without_conflict_for_a_reviewer(
    client, reviewer_user, applications
):
    Review.objects.create(application=applications[0], reviewer=reviewer_user,
                          conflict=Review.Conflict.NONE)
    Review.objects.create(application=applications[1], reviewer=reviewer_user,
                          conflict=Review.Conflict.DECLARED)
    response = changelist(client, reviewer_user)
    html = response.content.decode()
    assert "Org 0" in html
    assert "Org 1" not in html and "Org 2" not in html
    for application, expected in zip(applications, (200, 404, 404), strict=True):
        url = reverse("admin:grants_application_change", args=[application.pk])
        assert client.get(url).status_code in ((200,) if expected == 200 else (302, 403, 404))


@pytest.mark.parametrize("who", ["outsider", "lead", "triage", "steward"])
def test_it_shows_other_staff_no_application(client, role_users, applications, who):
    response = changelist(client, role_users[who])
    assert response.status_code == 403
    url = reverse("admin:grants_application_change", args=[applications[0].pk])
    assert client.get(url).status_code in (302, 403, 404)
    assert client.get(reverse("grants:attachment", args=[1])).status_code in (403, 404)


def test_it_never_offers_to_add_or_edit_an_applicants_answers(
    client, grant_staff_user, applications
):
    client.force_login(grant_staff_user)
    assert client.get(reverse("admin:grants_application_add")).status_code == 403
    page = client.get(reverse("admin:grants_application_change", args=[applications[0].pk]))
    assert b'name="_save"' not in page.content
    assert b"Start screening" in page.content


def test_it_walks_staff_through_screening_in_the_admin(client, grant_staff_user):
    application = SubmittedApplicationFactory(state=State.SCREENING, org_type="other")
    client.force_login(grant_staff_user)
    url = reverse("admin:grants_application_transition", args=[application.pk, "screen_out"])
    page = client.get(url).content.decode()
    assert "is not eligible in this round" in page
    response = client.post(url, {"reason": ""})
    assert "Give the reasons" in response.content.decode()
    response = client.post(url, {"reason": "Not an eligible organization."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == State.DECLINED


def test_it_runs_a_plain_transition_with_a_reason_in_the_admin(client, grant_staff_user):
    application = SubmittedApplicationFactory(state=State.IN_REVIEW)
    client.force_login(grant_staff_user)
    url = reverse("admin:grants_application_transition", args=[application.pk, "not_recommend"])
    assert client.post(url, {"reason": ""}).status_code == 200
    response = client.post(url, {"reason": "Low scores on evaluation."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == State.NOT_RECOMMENDED
    assert application.events.get().text == "Low scores on evaluation."


def test_it_refuses_a_transition_page_to_a_reviewer(client, reviewer_user):
    application = SubmittedApplicationFactory(state=State.IN_REVIEW)
    Review.objects.create(application=application, reviewer=reviewer_user,
                          conflict=Review.Conflict.NONE)
    client.force_login(reviewer_user)
    url = reverse("admin:grants_application_transition", args=[application.pk, "recommend"])
    assert client.post(url, {"reason": "x"}).status_code == 403
    application.refresh_from_db()
    assert application.state == State.IN_REVIEW


def test_it_shows_allocated_committed_and_remaining_per_fund_and_year(client, grant_staff_user):
    fund = FundFactory(total_allocation=Decimal("3940000"))
    first = RoundFactory(fund=fund, funding_year=2024, amount_available=Decimal("2400000"))
    second = RoundFactory(fund=fund, funding_year=2026, amount_available=Decimal("1540000"))
    AwardFactory(application__round=first, amount=Decimal("1000000"))
    AwardFactory(application__round=first, amount=Decimal("800000"))
    AwardFactory(application__round=second, amount=Decimal("100000"))
    assert fund.figures_by_year() == [
        {"year": 2024, "allocated": Decimal("2400000"), "committed": Decimal("1800000"),
         "remaining": Decimal("600000")},
        {"year": 2026, "allocated": Decimal("1540000"), "committed": Decimal("100000"),
         "remaining": Decimal("1440000")},
    ]
    client.force_login(grant_staff_user)
    listing = client.get(reverse("admin:grants_fund_changelist")).content.decode()
    assert "$3,940,000.00" in listing and "$1,900,000.00" in listing
    assert "$2,040,000.00" in listing
    page = client.get(reverse("admin:grants_fund_change", args=[fund.pk])).content.decode()
    assert "$1,800,000.00" in page and "$600,000.00" in page and "$1,440,000.00" in page


@pytest.mark.parametrize("who", ["outsider", "reviewer", "lead"])
def test_it_keeps_funds_from_other_roles(client, role_users, who):
    FundFactory()
    client.force_login(role_users[who])
    assert client.get(reverse("admin:grants_fund_changelist")).status_code == 403


def test_it_lets_staff_mark_a_report_received(client, grant_staff_user):
    from grants.tests.factories import ReportFactory

    report = ReportFactory()
    client.force_login(grant_staff_user)
    url = reverse("admin:grants_report_change", args=[report.pk])
    response = client.post(url, {"due_on": report.due_on.isoformat(),
                                 "received_on": "2027-09-02"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert str(report.received_on) == "2027-09-02"
