import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from cswb.outbox.models import Message
from grants import services
from grants.models import Application, Award, Report
from grants.tests.factories import AwardFactory, RoundFactory, SubmittedApplicationFactory
from grants.workflow import State

DUE = {"interim_due": datetime.date(2027, 9, 1), "final_due": datetime.date(2029, 5, 30)}


def approve(application, user, amount="100000", years=2, **extra):
    return services.application_approve(
        application=application, user=user, amount=Decimal(amount), years=years,
        **(DUE | extra),
    )


@pytest.mark.django_db
def test_it_approves_with_an_amount_and_years_and_tells_the_applicant(grant_staff_user):
    application = SubmittedApplicationFactory(state=State.RECOMMENDED)
    award = approve(application, grant_staff_user, amount="90000", reason="Welcome aboard.")
    application.refresh_from_db()
    assert application.state == State.APPROVED
    assert award.amount == Decimal("90000") and award.years == 2
    assert award.decided_by == grant_staff_user
    assert {r.kind: r.due_on for r in award.reports.all()} == {
        Report.Kind.INTERIM: DUE["interim_due"], Report.Kind.FINAL: DUE["final_due"],
    }
    message = Message.objects.get(kind="grants.decision")
    assert message.to_email == application.contact_email
    assert "approved for $90,000.00 over 2 year" in message.body_text
    assert "Welcome aboard." in message.body_text
    event = application.events.get()
    assert (event.transition, event.data) == ("approve", {"amount": "90000", "years": 2})


@pytest.mark.django_db
def test_it_declines_with_a_reason_and_tells_the_applicant(grant_staff_user):
    application = SubmittedApplicationFactory(state=State.NOT_RECOMMENDED)
    services.application_transition(application=application, name="decline",
                                    user=grant_staff_user, reason="Scores too low.")
    message = Message.objects.get(kind="grants.decision")
    assert "will not be funded" in message.body_text
    assert "Scores too low." in message.body_text
    assert not Award.objects.exists()


@pytest.mark.django_db
def test_it_refuses_to_commit_more_than_the_fund_has_left(grant_staff_user):
    round_ = RoundFactory(fund__total_allocation=Decimal("150000"))
    AwardFactory(application__round=round_, amount=Decimal("100000"))
    application = SubmittedApplicationFactory(round=round_, state=State.RECOMMENDED)
    with pytest.raises(ValidationError, match=r"\$50,000.00 of \$150,000.00"):
        approve(application, grant_staff_user, amount="60000")
    application.refresh_from_db()
    assert application.state == State.RECOMMENDED
    assert Award.objects.count() == 1
    assert not Message.objects.filter(kind="grants.decision").exists()
    approve(application, grant_staff_user, amount="50000")
    assert round_.fund.remaining() == 0


@pytest.mark.django_db
def test_it_refuses_more_than_the_round_has_available(grant_staff_user):
    round_ = RoundFactory(amount_available=Decimal("120000"))
    AwardFactory(application__round=round_, amount=Decimal("100000"))
    application = SubmittedApplicationFactory(round=round_, state=State.RECOMMENDED)
    with pytest.raises(ValidationError, match="over this round"):
        approve(application, grant_staff_user, amount="30000")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "years", "words"),
    [("250000.01", 2, "round's maximum"), ("0", 2, "above zero"), ("1000", 3, "year")],
)
def test_it_refuses_a_bad_amount_or_duration(grant_staff_user, amount, years, words):
    application = SubmittedApplicationFactory(state=State.RECOMMENDED)
    with pytest.raises(ValidationError, match=words):
        approve(application, grant_staff_user, amount=amount, years=years)


@pytest.mark.django_db
def test_it_refuses_approval_by_a_reviewer(reviewer_user):
    application = SubmittedApplicationFactory(state=State.RECOMMENDED)
    with pytest.raises(PermissionDenied):
        approve(application, reviewer_user)
    assert not Award.objects.exists()


@pytest.mark.django_db
def test_it_refuses_approval_before_review(grant_staff_user):
    application = SubmittedApplicationFactory(state=State.SCREENING)
    with pytest.raises(ValidationError, match="not possible"):
        approve(application, grant_staff_user)
    assert not Award.objects.exists()


@pytest.mark.django_db
def test_it_approves_through_the_admin_and_shows_the_fund_error(client, grant_staff_user):
    round_ = RoundFactory(fund__total_allocation=Decimal("80000"))
    application = SubmittedApplicationFactory(round=round_, state=State.RECOMMENDED)
    client.force_login(grant_staff_user)
    url = reverse("admin:grants_application_transition", args=[application.pk, "approve"])
    page = client.get(url)
    assert "$80,000.00 remaining" in page.content.decode().replace("80 000", "80,000")
    data = {"amount": "100000", "years": "2", "interim_due": "2027-09-01",
            "final_due": "2029-05-30", "reason": ""}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "would commit more than the fund has left" in response.content.decode()
    response = client.post(url, data | {"amount": "80000"})
    assert response.status_code == 302
    assert Award.objects.get().amount == Decimal("80000")


@pytest.mark.django_db
def test_it_refuses_the_approve_page_to_a_reviewer(client, reviewer_user):
    from grants.models import Review

    application = SubmittedApplicationFactory(state=State.RECOMMENDED)
    Review.objects.create(application=application, reviewer=reviewer_user,
                          conflict=Review.Conflict.NONE)
    client.force_login(reviewer_user)
    url = reverse("admin:grants_application_transition", args=[application.pk, "approve"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"amount": "1"}).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_it_never_overcommits_when_two_staff_approve_at_the_same_moment(
    grant_staff_user, cswb_admin, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip(
            "Two concurrent transactions need PostgreSQL (SQLite serializes writers, so the "
            "row lock is not exercised); CI runs this test on PostgreSQL."
        )
    from indicators.reference import load_geographies

    load_geographies()
    round_ = RoundFactory(fund__total_allocation=Decimal("150000"))
    first = SubmittedApplicationFactory(round=round_, state=State.RECOMMENDED)
    second = SubmittedApplicationFactory(round=round_, state=State.RECOMMENDED)
    real_committed = services._committed

    def slow_committed(fund):
        # Hold the read open long enough that, without the row lock, both approvals would
        # read the same committed total before either writes its award.
        value = real_committed(fund)
        time.sleep(0.5)
        return value

    monkeypatch.setattr(services, "_committed", slow_committed)
    barrier = threading.Barrier(2)
    outcomes = {}

    def run(application, user):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            approve(Application.objects.get(pk=application.pk), user, amount="100000")
            outcomes[application.pk] = "approved"
        except ValidationError as exc:
            outcomes[application.pk] = exc.messages[0]
        finally:
            thread_connection.close()

    threads = [
        threading.Thread(target=run, args=(first, grant_staff_user)),
        threading.Thread(target=run, args=(second, cswb_admin)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(v == "approved" for v in outcomes.values()) == [False, True]
    refused = next(v for v in outcomes.values() if v != "approved")
    assert "would commit more than the fund has left" in refused
    assert Award.objects.count() == 1
    assert round_.fund.remaining() == Decimal("50000")
