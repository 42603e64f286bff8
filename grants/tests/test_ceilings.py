"""A fund's allocation or a round's amount cannot be edited below what is already committed,
checked under the same row lock as approvals."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from grants import services
from grants.models import Application, Award, Fund, Round
from grants.tests.factories import AwardFactory, RoundFactory, SubmittedApplicationFactory
from grants.workflow import State

DUE = {"interim_due": datetime.date(2027, 9, 1), "final_due": datetime.date(2029, 5, 30)}


def fund_form(fund: Fund, **changes) -> dict:
    data = {
        "name": fund.name, "slug": fund.slug, "funder": fund.funder,
        "description": fund.description, "total_allocation": str(fund.total_allocation),
        "starts_on": fund.starts_on.isoformat(), "ends_on": fund.ends_on.isoformat(),
    }
    return data | changes


def round_form(client, round_: Round, **changes) -> dict:
    form = client.get(reverse("admin:grants_round_change", args=[round_.pk])).context[
        "adminform"
    ].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, datetime.datetime):
            data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%Y-%m-%d"), value.strftime(
                "%H:%M:%S"
            )
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value
    management = {"criteria-TOTAL_FORMS": "0", "criteria-INITIAL_FORMS": "0"}
    return data | management | changes


@pytest.mark.django_db
def test_a_funds_allocation_cannot_be_saved_below_what_it_has_committed(client,
                                                                       grant_staff_user):
    award = AwardFactory(amount=Decimal("100000"))
    fund = award.fund
    client.force_login(grant_staff_user)
    url = reverse("admin:grants_fund_change", args=[fund.pk])
    response = client.post(url, fund_form(fund, total_allocation="50000"))
    assert response.status_code == 200
    assert "already committed $100,000.00" in response.content.decode()
    fund.refresh_from_db()
    assert fund.total_allocation == Decimal("3940000.00")
    assert client.post(url, fund_form(fund, total_allocation="100000")).status_code == 302
    fund.refresh_from_db()
    assert fund.total_allocation == Decimal("100000")


@pytest.mark.django_db
def test_a_rounds_amount_cannot_be_saved_below_its_awards(client, grant_staff_user):
    award = AwardFactory(amount=Decimal("100000"))
    round_ = award.application.round
    client.force_login(grant_staff_user)
    url = reverse("admin:grants_round_change", args=[round_.pk])
    response = client.post(url, round_form(client, round_, amount_available="99999.99"))
    assert response.status_code == 200
    assert "already awarded $100,000.00" in response.content.decode()
    round_.refresh_from_db()
    assert round_.amount_available != Decimal("99999.99")


@pytest.mark.django_db
def test_a_round_with_awards_keeps_its_fund(client, grant_staff_user):
    award = AwardFactory(amount=Decimal("100000"))
    round_ = award.application.round
    other = RoundFactory().fund
    client.force_login(grant_staff_user)
    url = reverse("admin:grants_round_change", args=[round_.pk])
    response = client.post(url, round_form(client, round_, fund=str(other.pk)))
    assert response.status_code == 200
    assert "already has awards" in response.content.decode()
    round_.refresh_from_db()
    assert round_.fund_id == award.fund_id


@pytest.mark.django_db(transaction=True)
def test_an_edit_waits_for_an_approval_in_progress_and_sees_its_award(
    grant_staff_user, cswb_admin, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip(
            "Two concurrent transactions need PostgreSQL (SQLite serializes writers, so the "
            "row lock is not exercised); CI runs this test on PostgreSQL."
        )
    from indicators.reference import load_geographies

    load_geographies()
    round_ = RoundFactory(fund__total_allocation=Decimal("200000"),
                          amount_available=Decimal("200000"))
    AwardFactory(application__round=round_, amount=Decimal("50000"))
    application = SubmittedApplicationFactory(round=round_, state=State.RECOMMENDED)
    fund = round_.fund
    real_committed = services._committed
    locked = threading.Event()

    def slow_committed(fund):
        # The approval holds the fund's row from here until it commits its award.
        locked.set()
        value = real_committed(fund)
        time.sleep(0.5)
        return value

    monkeypatch.setattr(services, "_committed", slow_committed)
    outcomes = {}

    def approve():
        from django.db import connection as thread_connection

        try:
            services.application_approve(
                application=Application.objects.get(pk=application.pk), user=grant_staff_user,
                amount=Decimal("100000"), years=2, **DUE,
            )
            outcomes["approval"] = "approved"
        except ValidationError as exc:
            outcomes["approval"] = exc.messages[0]
        finally:
            thread_connection.close()

    def edit():
        from django.db import connection as thread_connection

        try:
            locked.wait(10)
            client = Client()
            client.force_login(cswb_admin)
            response = client.post(reverse("admin:grants_fund_change", args=[fund.pk]),
                                   fund_form(fund, total_allocation="120000"))
            outcomes["edit"] = response.status_code
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=approve), threading.Thread(target=edit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == {"approval": "approved", "edit": 200}
    fund.refresh_from_db()
    assert fund.total_allocation == Decimal("200000")
    assert Award.objects.filter(fund=fund).count() == 2
    assert fund.remaining() == Decimal("50000")
