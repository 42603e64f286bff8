import re

import pytest
from django.urls import reverse

from cswb.outbox.models import Message
from grants.tests.factories import ApplicationFactory, SubmittedApplicationFactory

pytestmark = pytest.mark.django_db

URL = reverse("grants:request_links")


def test_it_emails_new_links_to_every_application_of_the_address(client, started):
    draft = ApplicationFactory(contact_email="ada@example.org")
    submitted = SubmittedApplicationFactory(contact_email="Ada@Example.org")
    ApplicationFactory(contact_email="someone@example.org")
    response = client.post(URL, {"email": "ADA@example.org", "started": started})
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    message = Message.objects.get(kind="grants.links")
    assert submitted.reference in message.body_text
    assert len(re.findall(r"/grants/apply/continue/\S+/", message.body_text)) == 1
    assert len(re.findall(r"/grants/applications/\S+/", message.body_text)) == 1
    assert draft.program_title in message.body_text


def test_it_answers_the_same_for_an_unknown_address_and_sends_nothing(client, started):
    response = client.post(URL, {"email": "nobody@example.org", "started": started})
    assert "Check your email" in response.content.decode()
    assert not Message.objects.filter(kind="grants.links").exists()


def test_it_sends_at_most_one_email_an_hour(client, started):
    ApplicationFactory(contact_email="ada@example.org")
    for _ in range(3):
        client.post(URL, {"email": "ada@example.org", "started": started})
    assert Message.objects.filter(kind="grants.links").count() == 1


def test_it_refuses_a_bad_address_keeping_what_was_typed(client, started):
    response = client.post(URL, {"email": "ada@", "started": started})
    html = response.content.decode()
    assert 'href="#id_email"' in html
    assert 'value="ada@"' in html


def test_it_offers_the_form_on_a_broken_link_page(client):
    response = client.get(reverse("grants:status", args=["broken"]))
    assert response.status_code == 404
    assert f'action="{URL}"' in response.content.decode()


def test_it_limits_requests_per_address_keeping_the_address_typed(client, started):
    for _ in range(5):
        client.post(URL, {"email": "x@example.org", "started": started})
    response = client.post(URL, {"email": "y@example.org", "started": started})
    assert response.status_code == 429
    assert 'value="y@example.org"' in response.content.decode()
    assert "call 311" in response.content.decode()


def test_a_mistyped_address_does_not_count_towards_the_limit(client, started):
    for _ in range(6):
        assert client.post(URL, {"email": "ada@", "started": started}).status_code == 200
    assert client.post(URL, {"email": "x@example.org", "started": started}).status_code == 200


def test_grant_staff_revoke_one_applications_links_and_the_contact_gets_new_ones(
    client, grant_staff_user
):
    from grants import services
    from grants.models import Event

    application = SubmittedApplicationFactory(contact_email="ada@example.org")
    other = SubmittedApplicationFactory()
    old, others = services.application_token(application), services.application_token(other)
    client.force_login(grant_staff_user)
    response = client.post(reverse("admin:grants_application_changelist"), {
        "action": "revoke_private_links", "_selected_action": [application.pk],
    })
    assert response.status_code == 302
    client.logout()
    assert client.get(reverse("grants:status", args=[old])).status_code == 404
    assert client.get(reverse("grants:status", args=[others])).status_code == 200
    application.refresh_from_db()
    new = services.application_token(application)
    assert client.get(reverse("grants:status", args=[new])).status_code == 200
    event = Event.objects.get(application=application, transition="revoke_links")
    assert event.actor == grant_staff_user
    message = Message.objects.filter(kind="grants.links").latest("pk")
    assert message.to_email == "ada@example.org"
    (token,) = re.findall(r"/grants/applications/([^/\s]+)/", message.body_text)
    from cswb.lib.links import read_token

    assert read_token(services.LINK_PURPOSE, token) == str(application.public_id)


def test_reviewers_cannot_revoke_links(client, reviewer_user):

    application = SubmittedApplicationFactory()
    old = application.public_id
    client.force_login(reviewer_user)
    client.post(reverse("admin:grants_application_changelist"), {
        "action": "revoke_private_links", "_selected_action": [application.pk],
    })
    application.refresh_from_db()
    assert application.public_id == old
