import datetime
import re
from decimal import Decimal

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
from grants.views import STEP_KEYS
from grants.workflow import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_():
    return RoundFactory()


def apply_url(round_):
    return reverse("grants:apply", args=[round_.slug])


def step_url(token, step, query=""):
    return reverse("grants:step", args=[token, step]) + query


def assert_private_link(location, name, application, **kwargs):
    """Assert ``location`` is the ``name`` page of ``application`` (tokens carry a timestamp,
    so compare what they hold rather than their text)."""
    from django.urls import resolve

    from cswb.lib.links import read_token

    match = resolve(location.split("?")[0])
    assert f"grants:{match.url_name}" == name
    assert read_token(services.LINK_PURPOSE, match.kwargs["token"]) == str(application.public_id)
    for key, value in kwargs.items():
        assert match.kwargs[key] == value


def start(client, round_, data):
    """Save the first step; return the new draft and its private token."""
    response = client.post(apply_url(round_), data)
    assert response.status_code == 302, response.content.decode()
    application = Application.objects.get()
    return application, services.application_token(application)


def save_every_step(client, round_, data):
    """Save each step with ``data`` (each keeps only its own answers); return the draft and
    its token."""
    application, token = start(client, round_, data)
    for key in STEP_KEYS[1:]:
        response = client.post(step_url(token, key), data)
        assert response.status_code == 302, response.content.decode()
    application.refresh_from_db()
    return application, token


def test_it_shows_the_first_step_for_an_open_round(client, round_):
    response = client.get(apply_url(round_))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Step 1 of 5" in html and "Your organization" in html and "Contact person" in html
    assert '<li class="is-current" aria-current="step">' in html
    assert 'name="program_title"' not in html and 'name="budget_staffing_1"' not in html
    assert 'class="hp-field" aria-hidden="true"' in html
    assert "Save and continue" in html


def test_it_saves_a_draft_from_the_first_step_and_emails_the_private_link(
    client, round_, started
):
    data = {
        "org_legal_name": "Youth Futures Halton",
        "contact_name": "Ada",
        "contact_email": "ada@example.org",
        "started": started,
    }
    response = client.post(apply_url(round_), data)
    application = Application.objects.get()
    assert application.state == State.DRAFT
    assert application.reference is None
    assert response.status_code == 302
    assert_private_link(response["Location"], "grants:step", application, step="program")
    message = Message.objects.get(kind="grants.draft_link")
    assert message.to_email == "ada@example.org"
    link = re.search(r"https?://[^/]+(/grants/apply/continue/\S+/)", message.body_text)
    assert_private_link(link.group(1), "grants:resume", application)


def test_it_sends_the_draft_link_only_once_per_address(client, round_, started):
    application, token = start(client, round_, form_data(started))
    client.post(step_url(token, "organization"), form_data(started, org_legal_name="New name"))
    client.post(step_url(token, "program"), form_data(started, program_title="New title"))
    assert Message.objects.filter(kind="grants.draft_link").count() == 1
    application.refresh_from_db()
    assert (application.org_legal_name, application.program_title) == ("New name", "New title")


def test_each_step_saves_its_own_answers_and_leaves_the_others_alone(client, round_, started):
    application, token = save_every_step(client, round_, form_data(started))
    response = client.post(step_url(token, "program"), {
        "program_title": "Evening drop-in", "age_min": "14", "age_max": "20",
        "started": started,
    })
    assert_private_link(response["Location"], "grants:step", application, step="budget")
    application.refresh_from_db()
    assert application.program_title == "Evening drop-in"
    assert (application.age_min, application.age_max) == (14, 20)
    assert application.program_summary == ""  # a field of this step left empty is emptied
    # Other steps' answers stay as they were saved.
    assert application.org_legal_name == "Youth Futures Halton"
    assert [g.slug for g in application.municipalities.all()] == ["milton"]
    assert application.budget_total() == Decimal("100000.00")
    assert application.declare_privacy is True


@pytest.mark.parametrize(
    ("step", "next_step"),
    [("organization", "program"), ("program", "budget"), ("budget", "declarations"),
     ("declarations", None)],
)
def test_each_save_leads_to_the_next_step_and_the_last_to_the_check_page(
    client, round_, started, step, next_step
):
    application = ApplicationFactory(round=round_)
    token = services.application_token(application)
    response = client.post(step_url(token, step), form_data(started))
    assert response.status_code == 302
    if next_step:
        assert_private_link(response["Location"], "grants:step", application, step=next_step)
    else:
        assert_private_link(response["Location"], "grants:resume", application)
    page = client.get(response["Location"]).content.decode()
    assert "are saved" in page


def test_the_steps_have_back_links_and_a_progress_list(client, round_):
    application = ApplicationFactory(round=round_)
    token = services.application_token(application)
    html = client.get(step_url(token, "budget")).content.decode()
    assert "Step 3 of 5" in html
    assert f'<p class="back-link"><a href="{step_url(token, "program")}">Back</a>' in html
    progress = html[html.index('class="step-progress"'):html.index("</nav>", html.index(
        'class="step-progress"'))]
    assert progress.count("<li") == 5
    assert progress.count('aria-current="step"') == 1
    assert f'href="{step_url(token, "organization")}"' in progress
    assert f'href="{reverse("grants:resume", args=[token])}"' in progress


def test_the_declarations_step_links_the_privacy_notice(client, round_):
    application = ApplicationFactory(round=round_)
    token = services.application_token(application)
    html = client.get(step_url(token, "declarations")).content.decode()
    assert f'href="{reverse("grants_privacy")}"' in html
    notice = client.get(reverse("grants_privacy")).content.decode()
    assert "Privacy notice for grant applications" in notice
    assert "deleted" in notice and "MFIPPA" in notice


@pytest.mark.parametrize(
    ("step", "overrides", "field", "words"),
    [
        ("program", {"age_min": "20", "age_max": "12"}, "age_max", "at least the youngest"),
        ("program", {"age_max": "500"}, "age_max", "less than or equal to 120"),
        ("program", {"age_min": "121"}, "age_min", "less than or equal to 120"),
        ("organization", {"contact_email": "not-an-email"}, "contact_email", "valid email"),
        ("organization", {"contact_name": ""}, "contact_name", "even to save a draft"),
        ("budget", {"amount_requested": "250000.01", "budget_staffing_1": "130000.01"},
         "amount_requested", "most you may request"),
        ("budget", {"duration_years": "3"}, "duration_years", "Select a valid choice"),
        ("budget", {"duration_years": "1"}, "budget_staffing_2", "one-year program has no year 2"),
    ],
)
def test_a_step_refuses_bad_input_with_a_clear_error_and_keeps_what_was_typed(
    client, round_, started, step, overrides, field, words
):
    application = ApplicationFactory(round=round_, program_title="Saved title")
    token = services.application_token(application)
    data = form_data(started, program_title="Typed title", org_address="Typed address",
                     budget_supplies_1="123.45", **overrides)
    response = client.post(step_url(token, step), data)
    assert response.status_code == 200
    assert words in " ".join(_errors(response)[field])
    html = response.content.decode()
    assert 'id="error-summary"' in html and "data-error-summary" in html
    assert html.index('id="error-summary"') < html.index("<h1")
    assert f'href="#{response.context["form"][field].auto_id}' in html
    kept = {"program": 'value="Typed title"', "organization": "Typed address",
            "budget": 'value="123.45"'}[step]
    assert kept in html
    application.refresh_from_db()
    assert application.program_title == "Saved title"  # nothing saved
    assert application.amount_requested == Decimal("100000.00")


def test_the_first_step_refuses_bad_input_and_makes_no_draft(client, round_, started):
    response = client.post(apply_url(round_), form_data(started, contact_email="nope"))
    assert response.status_code == 200
    assert 'value="Youth Futures Halton"' in response.content.decode()
    assert not Application.objects.exists()


def test_the_check_page_shows_every_answer_with_a_change_link(client, round_, started):
    application, token = save_every_step(client, round_, form_data(started))
    response = client.get(reverse("grants:resume", args=[token]))
    html = response.content.decode()
    assert "Step 5 of 5" in html and "Check your answers" in html
    for answer in ["Youth Futures Halton", "Non-profit organization", "Milton", "Ada Okafor",
                   "905-555-0100", "Mentors after school", "Youth 12 to 18.", "Two years",
                   "$100,000.00", "Staff and facilitators, year 1: $40,000.00",
                   "Evaluation, year 2: $20,000.00", "Budget total: $100,000.00",
                   "Attendance records."]:
        assert answer in html, answer
    change = step_url(token, "program", "?then=check#id_program_title")
    assert f'href="{change}"' in html
    assert html.count(">Change<") >= 25
    # Each link names its question as written, capitals kept ("Change: I confirm ...").
    hidden = re.findall(r'>Change<span class="visually-hidden">: ([^<]*)</span>', html)
    assert len(hidden) >= 20 and any("Halton Region" in name for name in hidden)
    assert f'action="{reverse("grants:submit", args=[token])}"' in html


def test_the_check_page_says_what_is_still_missing(client, round_, started):
    application, token = start(client, round_, form_data(started))
    html = client.get(reverse("grants:resume", args=[token])).content.decode()
    assert "Not answered: needed to submit" in html  # the program is empty
    assert "Youth Futures Halton" in html


def test_the_check_page_says_what_a_submission_would_refuse_before_submit(
    client, round_, started
):
    application, token = save_every_step(client, round_, form_data(started))
    html = client.get(reverse("grants:resume", args=[token])).content.decode()
    assert "Before this application can be submitted" not in html  # complete
    application.amount_requested = Decimal("120000")  # the budget adds up to $100,000
    application.save(update_fields=["amount_requested"])
    html = client.get(reverse("grants:resume", args=[token])).content.decode()
    assert "Before this application can be submitted" in html
    budget = step_url(token, "budget", "?check=1")
    (item,) = re.findall(rf'<a href="{re.escape(budget)}[^"]*">([^<]*)</a>', html)
    assert item.startswith("Budget") and "100,000" in item


def test_a_change_link_leads_to_the_step_and_back_to_the_check_page(client, round_, started):
    application, token = save_every_step(client, round_, form_data(started))
    html = client.get(step_url(token, "organization", "?then=check")).content.decode()
    assert 'name="then" value="check"' in html
    assert "Back to check your answers" in html
    assert "Save and check your answers" in html
    response = client.post(step_url(token, "organization"),
                           form_data(started, org_legal_name="Renamed", then="check"))
    assert_private_link(response["Location"], "grants:resume", application)
    assert "Renamed" in client.get(response["Location"]).content.decode()


def test_it_submits_a_complete_application(client, round_, started, grant_staff_user):
    application, token = save_every_step(client, round_, form_data(started))
    assert application.state == State.DRAFT
    response = client.post(reverse("grants:submit", args=[token]))
    application.refresh_from_db()
    assert application.state == State.SUBMITTED
    assert re.fullmatch(r"BSC-\d{4}-0001", application.reference)
    assert_private_link(response["Location"], "grants:status", application)
    ack = Message.objects.get(kind="grants.acknowledgement")
    assert ack.to_email == "ada@example.org"
    assert application.reference in ack.subject
    assert "a copy of your answers" in ack.body_text
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
    ("overrides", "step", "field", "words"),
    [
        ({"budget_evaluation_2": "19999"}, "budget", "amount_requested",
         "budget adds up to $99,999.00"),
        ({"budget_staffing_1": "", "budget_staffing_2": "", "budget_evaluation_2": ""},
         "budget", "budget_staffing_1", "Fill in the budget"),
        ({"declare_privacy": None}, "declarations", "declare_privacy", "Tick this declaration"),
        ({"program_title": ""}, "program", "program_title", "Fill this in to submit"),
        ({"municipalities": []}, "organization", "municipalities", "Choose at least one"),
        ({"org_type": None}, "organization", "org_type", "Choose one"),
        ({"org_type": None, "program_title": ""}, "organization", "org_type", "Choose one"),
    ],
)
def test_a_refused_submission_leads_to_the_step_with_the_first_problem(
    client, round_, started, overrides, step, field, words
):
    application, token = save_every_step(client, round_, form_data(started, **overrides))
    response = client.post(reverse("grants:submit", args=[token]))
    assert response["Location"] == step_url(token, step, "?check=1")
    application.refresh_from_db()
    assert application.state == State.DRAFT
    assert not Message.objects.filter(kind="grants.acknowledgement").exists()
    page = client.get(response["Location"])
    assert words in " ".join(_errors(page)[field])
    html = page.content.decode()
    assert 'id="error-summary"' in html and "autofocus" in html
    assert "Your application is not submitted yet" in html
    assert 'name="then" value="check"' in html
    assert 'name="started"' in html  # saving the step again passes the human check
    assert html.startswith("<!doctype html>") and "<title>Error:" in html


def test_it_links_each_error_in_the_summary_to_its_field(client, round_, started):
    application, token = save_every_step(
        client, round_, form_data(started, declare_privacy=None, org_type=None))
    html = client.get(step_url(token, "organization", "?check=1")).content.decode()
    assert 'href="#id_org_type_0"' in html
    html = client.get(step_url(token, "declarations", "?check=1")).content.decode()
    assert 'href="#id_declare_privacy"' in html


def test_it_refuses_a_duration_the_round_does_not_allow(client, started):
    round_ = RoundFactory(allow_two_years=False)
    application = ApplicationFactory(round=round_, duration_years=None)
    token = services.application_token(application)
    response = client.post(step_url(token, "budget"), form_data(started))
    assert "duration_years" in _errors(response)


def test_it_offers_only_the_kinds_of_organization_the_round_accepts(client, started):
    round_ = RoundFactory(eligible_org_types=["non_profit", "charity"])
    html = client.get(reverse("grants:apply", args=[round_.slug])).content.decode()
    assert "Registered charity" in html and "Non-profit organization" in html
    assert 'value="indigenous"' not in html and 'value="other"' not in html
    response = client.post(reverse("grants:apply", args=[round_.slug]),
                           form_data(started, org_type="other"))
    assert "org_type" in _errors(response)


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


def test_it_keeps_a_draft_of_a_closed_round_but_offers_no_submission(client):
    round_ = RoundFactory(
        opens_at=timezone.now() - datetime.timedelta(days=40),
        closes_at=timezone.now() - datetime.timedelta(days=1),
    )
    token = services.application_token(ApplicationFactory(round=round_))
    html = client.get(reverse("grants:resume", args=[token])).content.decode()
    assert "can no longer be submitted" in html
    assert reverse("grants:submit", args=[token]) not in html


def test_it_tells_that_a_closed_round_is_closed(client):
    round_ = RoundFactory(
        opens_at=timezone.now() - datetime.timedelta(days=40),
        closes_at=timezone.now() - datetime.timedelta(days=1),
    )
    response = client.get(apply_url(round_))
    assert "closed on" in response.content.decode()
    assert "<form" not in response.content.decode().split("<main")[1]


def test_it_answers_an_unknown_round_with_a_clear_404(client, started):
    response = client.post("/grants/apply/no-such-round/", form_data(started))
    assert response.status_code == 404
    assert "could not find this intake" in response.content.decode()


def test_it_answers_an_unknown_step_with_a_404(client):
    token = services.application_token(ApplicationFactory())
    assert client.get(step_url(token, "nonsense")).status_code == 404


@pytest.mark.parametrize(
    ("name", "method"),
    [("grants:resume", "post"), ("grants:submit", "get")],
)
def test_it_refuses_the_wrong_method(client, name, method):
    token = services.application_token(ApplicationFactory())
    assert getattr(client, method)(reverse(name, args=[token])).status_code == 405


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [("grants:resume", [], "get"), ("grants:status", [], "get"),
     ("grants:step", ["program"], "get"), ("grants:step", ["program"], "post"),
     ("grants:submit", [], "post")],
)
def test_it_refuses_a_tampered_link(client, name, args, method):
    application = ApplicationFactory()
    token = services.application_token(application)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    response = getattr(client, method)(reverse(name, args=[tampered, *args]))
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
    response = client.post(apply_url(round_), form_data(started, org_legal_name="Late Shift"))
    assert response.status_code == 429
    assert 'value="Late Shift"' in response.content.decode()
    assert "call 311" in response.content.decode()
    assert not Application.objects.exists()


def test_at_the_limit_a_submission_waits_and_says_so(client, round_):
    from grants.views import APPLY_LIMIT

    application = ApplicationFactory(round=round_)
    for _ in range(APPLY_LIMIT.limit):
        APPLY_LIMIT.hit("127.0.0.1")
    response = client.post(reverse("grants:submit",
                                   args=[services.application_token(application)]))
    assert response.status_code == 429
    assert "call 311" in response.content.decode()
    application.refresh_from_db()
    assert application.state == State.DRAFT


@pytest.mark.parametrize(("name", "args"), [("grants:resume", []), ("grants:step", ["budget"])])
def test_it_sends_a_submitted_application_from_the_draft_pages_to_the_status_page(
    client, name, args
):
    application = SubmittedApplicationFactory()
    token = services.application_token(application)
    response = client.get(reverse(name, args=[token, *args]))
    assert response["Location"] == reverse("grants:status", args=[token])  # the same token


def test_it_refuses_to_change_or_resubmit_a_submitted_application(client, started):
    application = SubmittedApplicationFactory()
    token = services.application_token(application)
    client.post(step_url(token, "program"), form_data(started, program_title="X"))
    response = client.post(reverse("grants:submit", args=[token]))
    assert response["Location"] == reverse("grants:status", args=[token])
    application.refresh_from_db()
    assert application.program_title == "Mentors after school"
    assert not Message.objects.filter(kind="grants.acknowledgement").exists()


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
