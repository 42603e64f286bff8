"""Submitting an issue never talks to the mail server inside the request."""

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from cswb.celery import app
from cswb.outbox.models import Message
from issues.models import Issue, TriageContact


class ExplodingBackend(BaseEmailBackend):
    calls = 0

    def send_messages(self, email_messages):
        ExplodingBackend.calls += 1
        raise AssertionError("mail was sent inside the request")


@pytest.fixture
def exploding_mail(settings):
    settings.EMAIL_BACKEND = "issues.tests.test_no_mail_in_request.ExplodingBackend"
    ExplodingBackend.calls = 0
    return ExplodingBackend


@pytest.fixture
def broker_not_eager():
    """Tasks go to the (in-memory) broker instead of running in the request."""
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_it_only_stores_mail_during_the_request(client, form_data, exploding_mail,
                                                broker_not_eager):
    from indicators.reference import load_geographies

    load_geographies()
    TriageContact.objects.create(name="CSWB Team", email="cswb@halton.example")
    response = client.post("/issues/new/", form_data(
        contact="named", name="Sam", email="sam@example.org", consent_to_contact="on"
    ))
    assert response.status_code == 302
    assert Issue.objects.count() == 1
    assert exploding_mail.calls == 0
    assert sorted(Message.objects.values_list("to_email", "state")) == [
        ("cswb@halton.example", "pending"), ("sam@example.org", "pending")
    ]


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_mail_waits_for_the_response(client, form_data, monkeypatch):
    """Eager mode (a laptop): delivery runs once the response is done, not inside the view."""
    from django.core import mail

    from indicators.reference import load_geographies
    from issues import services

    load_geographies()
    TriageContact.objects.create(name="CSWB Team", email="cswb@halton.example")
    sent_inside_the_view = []
    submit = services.issue_submit

    def submit_and_look(**kwargs):
        issue = submit(**kwargs)  # committed here: on-commit hooks have run
        sent_inside_the_view.append(len(mail.outbox))
        return issue

    monkeypatch.setattr(services, "issue_submit", submit_and_look)
    response = client.post("/issues/new/", form_data())
    assert response.status_code == 302
    assert sent_inside_the_view == [0]
    assert [m.to for m in mail.outbox] == [["cswb@halton.example"]]
