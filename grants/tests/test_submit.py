import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from cswb.outbox.models import Message
from grants import services
from grants.models import Application, ReferenceCounter
from grants.tests.factories import ApplicationFactory, RoundFactory
from grants.workflow import State


@pytest.mark.django_db
def test_it_accepts_a_submission_at_the_closing_moment():
    closes = timezone.now() + datetime.timedelta(hours=1)
    application = ApplicationFactory(round=RoundFactory(closes_at=closes))
    application = services.application_submit(application=application, now=closes)
    assert application.state == State.SUBMITTED
    assert application.submitted_at == closes


@pytest.mark.django_db
def test_it_refuses_a_submission_one_second_after_closing_and_keeps_the_draft():
    closes = timezone.now() + datetime.timedelta(hours=1)
    application = ApplicationFactory(round=RoundFactory(closes_at=closes))
    with pytest.raises(ValidationError) as caught:
        services.application_submit(
            application=application, now=closes + datetime.timedelta(seconds=1)
        )
    assert "Intake closed on" in caught.value.messages[0]
    assert "Your draft is kept" in caught.value.messages[0]
    application.refresh_from_db()
    assert application.state == State.DRAFT
    assert application.reference is None
    assert not Message.objects.filter(kind="grants.acknowledgement").exists()


@pytest.mark.django_db
def test_it_refuses_a_submission_before_opening():
    round_ = RoundFactory(opens_at=timezone.now() + datetime.timedelta(days=1),
                          closes_at=timezone.now() + datetime.timedelta(days=9))
    application = ApplicationFactory(round=round_)
    with pytest.raises(ValidationError, match="not opened yet"):
        services.application_submit(application=application)


@pytest.mark.django_db
def test_it_checks_the_closing_time_on_the_server_when_the_form_is_sent(client, started):
    from django.urls import reverse

    from grants.tests.factories import form_data

    round_ = RoundFactory()
    application = ApplicationFactory(round=round_)
    token = services.application_token(application)
    round_.closes_at = timezone.now() - datetime.timedelta(seconds=1)
    round_.save()
    response = client.post(
        reverse("grants:step", args=[token, "program"]),
        form_data(started, program_title="Changed"),
    )
    assert response.status_code == 302
    response = client.post(reverse("grants:submit", args=[token]))
    assert response.status_code == 302
    assert response["Location"] == reverse("grants:resume", args=[token])
    application.refresh_from_db()
    assert application.state == State.DRAFT
    assert application.program_title == "Changed"  # the draft keeps what was typed
    page = client.get(response["Location"])
    assert "Intake closed on" in page.content.decode()


@pytest.mark.django_db
def test_it_numbers_references_per_year_in_order():
    now = timezone.now()
    year = timezone.localtime(now).year
    ReferenceCounter.objects.create(year=year, last=6)
    application = services.application_submit(application=ApplicationFactory(), now=now)
    assert application.reference == f"BSC-{year}-0007"
    second = services.application_submit(application=ApplicationFactory(), now=now)
    assert second.reference == f"BSC-{year}-0008"


@pytest.mark.django_db
def test_it_refuses_to_submit_twice():
    application = services.application_submit(application=ApplicationFactory())
    with pytest.raises(ValidationError, match="already submitted"):
        services.application_submit(application=application)
    assert Message.objects.filter(kind="grants.acknowledgement").count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_never_hands_out_the_same_reference_twice_under_concurrency():
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL; SQLite serializes all writers.")
    from indicators.reference import load_geographies

    load_geographies()
    round_ = RoundFactory()
    ids = [ApplicationFactory(round=round_).pk for _ in range(6)]
    barrier = threading.Barrier(len(ids))
    errors = []

    def submit(pk):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.application_submit(application=Application.objects.get(pk=pk))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=submit, args=(pk,)) for pk in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    references = list(Application.objects.values_list("reference", flat=True))
    assert len(set(references)) == 6
