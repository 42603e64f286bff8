import datetime
import re

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from cswb.outbox.models import Message
from grants import services
from grants.models import Application
from grants.tests.factories import (
    ApplicationFactory,
    RoundFactory,
    SubmittedApplicationFactory,
    form_data,
)
from grants.workflow import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_():
    return RoundFactory()


def apply_url(round_):
    return reverse("grants:apply", args=[round_.slug])


def assert_private_link(location, name, application):
    """Assert ``location`` is the ``name`` page of ``application`` (tokens carry a timestamp,
    so compare what they hold rather than their text)."""
    from django.urls import resolve

    from cswb.lib.links import read_token

    match = resolve(location)
    assert f"grants:{match.url_name}" == name
    assert read_token(services.LINK_PURPOSE, match.kwargs["token"]) == str(application.public_id)


def test_it_shows_the_form_for_an_open_round(client, round_):
    response = client.get(apply_url(round_))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<legend" in html and "Your organization" in html and "Declarations" in html
    assert 'name="budget_staffing_1"' in html
    assert 'class="hp-field" aria-hidden="true"' in html


def test_it_saves_a_draft_with_little_filled_in_and_emails_the_private_link(
    client, round_, started
):
    data = {
        "org_legal_name": "Youth Futures Halton",
        "contact_name": "Ada",
        "contact_email": "ada@example.org",
        "amount_requested": "5000",
        "started": started,
        "action": "save",
    }
    response = client.post(apply_url(round_), data)
    application = Application.objects.get()
    assert application.state == State.DRAFT
    assert application.reference is None
    assert response.status_code == 302
    assert_private_link(response["Location"], "grants:resume", application)
    message = Message.objects.get(kind="grants.draft_link")
    assert message.to_email == "ada@example.org"
    link = re.search(r"https?://[^/]+(/grants/apply/continue/\S+/)", message.body_text)
    assert_private_link(link.group(1), "grants:resume", application)


def test_it_sends_the_draft_link_only_once_per_address(client, round_, started):
    client.post(apply_url(round_), form_data(started, action="save"))
    application = Application.objects.get()
    url = reverse("grants:resume", args=[services.application_token(application)])
    client.post(url, form_data(started, action="save", program_title="New title"))
    assert Message.objects.filter(kind="grants.draft_link").count() == 1
    application.refresh_from_db()
    assert application.program_title == "New title"


def test_it_resumes_a_draft_from_its_link_with_everything_typed(client, round_, started):
    client.post(apply_url(round_), form_data(started, action="save"))
    application = Application.objects.get()
    response = client.get(reverse("grants:resume", args=[services.application_token(application)]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Youth Futures Halton"' in html
    assert 'value="40000.00"' in html
    assert "Your draft application" in html


def test_it_submits_a_complete_application(client, round_, started, grant_staff_user):
    response = client.post(apply_url(round_), form_data(started))
    application = Application.objects.get()
    assert application.state == State.SUBMITTED
    assert re.fullmatch(r"BSC-\d{4}-0001", application.reference)
    assert_private_link(response["Location"], "grants:status", application)
    ack = Message.objects.get(kind="grants.acknowledgement")
    assert ack.to_email == "ada@example.org"
    assert application.reference in ack.subject
    staff = Message.objects.get(kind="grants.staff_new")
    assert staff.to_email == grant_staff_user.email
    assert application.events.get().transition == "submit"
    assert application.budget_total() == application.amount_requested


def test_it_shows_the_status_page_through_the_private_link(client):
    application = SubmittedApplicationFactory()
    response = client.get(
        reverse("grants:status", args=[services.application_token(application)])
    )
    assert response.status_code == 200
    assert application.reference in response.content.decode()
    assert "Submitted" in response.content.decode()


def _errors(response):
    return response.context["form"].errors


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"budget_evaluation_2": "19999"}, "amount_requested", "budget adds up to $99,999.00"),
        ({"amount_requested": "250000.01", "budget_staffing_1": "130000.01"},
         "amount_requested", "most you may request"),
        ({"declare_privacy": None}, "declare_privacy", "Tick this declaration"),
        ({"duration_years": "3"}, "duration_years", "Select a valid choice"),
        ({"age_min": "20", "age_max": "12"}, "age_max", "at least the youngest"),
        ({"age_max": "500"}, "age_max", "less than or equal to 120"),
        ({"age_min": "121"}, "age_min", "less than or equal to 120"),
        ({"contact_email": "not-an-email"}, "contact_email", "valid email"),
        ({"program_title": ""}, "program_title", "Fill this in to submit"),
        ({"municipalities": []}, "municipalities", "Choose at least one"),
        ({"org_type": None}, "org_type", "Choose one"),
        ({"contact_name": "", "action": "save"}, "contact_name", "even to save a draft"),
        ({"duration_years": "1"}, "budget_staffing_2", "one-year program has no year 2"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_error_and_keeps_what_was_typed(
    client, round_, started, overrides, field, words
):
    data = form_data(started, **overrides)
    response = client.post(apply_url(round_), data)
    assert response.status_code == 200
    assert words in " ".join(_errors(response)[field])
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert 'value="Mentors after school"' in html or field == "program_title"
    assert "Weekly mentoring and sport." in html
    assert not Application.objects.exists()


def test_it_links_each_error_in_the_summary_to_its_field(client, round_, started):
    response = client.post(apply_url(round_), form_data(started, declare_privacy=None,
                                                        org_type=None))
    html = response.content.decode()
    assert 'href="#id_declare_privacy"' in html
    assert 'href="#id_org_type_0"' in html


def test_it_refuses_a_duration_the_round_does_not_allow(client, started):
    round_ = RoundFactory(allow_two_years=False)
    response = client.post(apply_url(round_), form_data(started))
    assert "duration_years" in _errors(response)
    assert not Application.objects.exists()


def test_it_refuses_a_new_application_to_a_closed_round_keeping_the_input(client, started):
    round_ = RoundFactory(
        opens_at=timezone.now() - datetime.timedelta(days=40),
        closes_at=timezone.now() - datetime.timedelta(days=1),
    )
    response = client.post(apply_url(round_), form_data(started))
    assert response.status_code == 409
    html = response.content.decode()
    assert "is not open" in html
    assert 'value="Youth Futures Halton"' in html
    assert not Application.objects.exists()


def test_it_tells_that_a_closed_round_is_closed(client):
    round_ = RoundFactory(
        opens_at=timezone.now() - datetime.timedelta(days=40),
        closes_at=timezone.now() - datetime.timedelta(days=1),
    )
    response = client.get(apply_url(round_))
    assert "closed on" in response.content.decode()
    assert 'name="action"' not in response.content.decode()


def test_it_answers_an_unknown_round_with_a_clear_404(client, started):
    response = client.post("/grants/apply/no-such-round/", form_data(started))
    assert response.status_code == 404
    assert "could not find this intake" in response.content.decode()


@pytest.mark.parametrize("name", ["grants:resume", "grants:status"])
def test_it_refuses_a_tampered_link(client, name):
    application = ApplicationFactory()
    token = services.application_token(application)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    response = client.get(reverse(name, args=[tampered]))
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


def test_it_refuses_an_expired_link(client, monkeypatch):
    application = ApplicationFactory()
    token = services.application_token(application)
    real = signing.TimestampSigner.unsign

    def later(self, value, max_age=None):
        return real(self, value, max_age=-1 if max_age else None)

    monkeypatch.setattr(signing.TimestampSigner, "unsign", later)
    response = client.get(reverse("grants:resume", args=[token]))
    assert response.status_code == 404
    assert "too old" in response.content.decode()


def test_it_refuses_a_link_made_for_another_purpose(client):
    from cswb.lib.links import make_token

    application = ApplicationFactory()
    token = make_token("issues.issue", str(application.public_id))
    assert client.get(reverse("grants:resume", args=[token])).status_code == 404


def test_it_refuses_a_form_sent_by_a_bot(client, round_, started):
    response = client.post(apply_url(round_), form_data(started, website="http://spam"))
    assert "website" in _errors(response)
    assert not Application.objects.exists()


def test_at_the_limit_a_save_comes_back_with_what_was_typed(client, round_, started):
    from grants.views import APPLY_LIMIT

    for _ in range(APPLY_LIMIT.limit):
        APPLY_LIMIT.hit("127.0.0.1")
    response = client.post(apply_url(round_), form_data(started, program_title="Late Shift"))
    assert response.status_code == 429
    assert 'value="Late Shift"' in response.content.decode()
    assert "call 311" in response.content.decode()
    assert not Application.objects.exists()


def test_it_sends_a_submitted_application_from_the_resume_link_to_the_status_page(client):
    application = SubmittedApplicationFactory()
    token = services.application_token(application)
    response = client.get(reverse("grants:resume", args=[token]))
    assert response["Location"] == reverse("grants:status", args=[token])  # the same token


def test_it_refuses_to_change_a_submitted_application(client, started):
    application = SubmittedApplicationFactory()
    token = services.application_token(application)
    client.post(reverse("grants:resume", args=[token]), form_data(started, program_title="X"))
    application.refresh_from_db()
    assert application.program_title == "Mentors after school"


def test_it_lets_the_applicant_withdraw_with_a_reason(client):
    application = SubmittedApplicationFactory()
    token = services.application_token(application)
    url = reverse("grants:withdraw", args=[token])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    response = client.post(url, {"reason": "We found other funding."})
    application.refresh_from_db()
    assert application.state == State.WITHDRAWN
    event = application.events.get()
    assert event.actor is None and event.actor_label == "Applicant"
    assert event.text == "We found other funding."
    assert Message.objects.filter(kind="grants.withdrawn").count() == 1


def test_it_refuses_get_on_withdraw(client):
    application = SubmittedApplicationFactory()
    url = reverse("grants:withdraw", args=[services.application_token(application)])
    assert client.get(url).status_code == 405
