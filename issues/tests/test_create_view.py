import re
from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from cswb.outbox.models import Message
from issues import views
from issues.models import Issue, IssueEvent, TriageContact
from issues.tests.factories import follow_link_in

URL = "/issues/new/"


@pytest.fixture(autouse=True)
def triage_list(db):
    TriageContact.objects.create(name="CSWB Team", email="cswb@halton.example")


def _post(client, data):
    return client.post(URL, data)


def test_the_url_name_is_kept():
    assert reverse("issues:create") == URL


def test_it_shows_the_emergency_and_collection_notices_above_the_form(client):
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "<h1>Bring an issue forward</h1>" in html
    form_at = html.index("<form method=\"post\"")
    for text in ('call <a href="tel:911">911</a>', "905-825-4777", "Notice of collection",
                 "Community Safety and Policing Act, 2019", "cswb@halton.ca", "311"):
        assert -1 < html.index(text) < form_at, text
    assert 'class="hp-field" aria-hidden="true"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_it_accepts_an_anonymous_issue(client, form_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, form_data())
    issue = Issue.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith("/issues/received/")
    confirmation = client.get(response["Location"])
    assert issue.reference.encode() in confirmation.content
    assert re.fullmatch(r"CSWB-\d{4}-00001", issue.reference)
    assert issue.anonymous and not issue.email and not issue.phone and not issue.name
    assert issue.status == Issue.State.NEW
    assert issue.municipality.slug == "burlington"
    assert list(issue.events.values_list("kind", flat=True)) == [IssueEvent.Kind.SUBMITTED]
    # Triage hears about it; nobody else is written to.
    assert [m.to for m in mail.outbox] == [["cswb@halton.example"]]
    assert issue.reference in mail.outbox[0].subject


def test_it_accepts_a_named_issue_with_email_and_acknowledges_it(
    client, form_data, django_capture_on_commit_callbacks
):
    data = form_data(
        contact="named", name="Sam Resident", email="sam@example.org", consent_to_contact="on"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, data)
    assert response.status_code == 302
    issue = Issue.objects.get()
    assert (issue.name, issue.email, issue.consent_to_contact) == (
        "Sam Resident", "sam@example.org", True
    )
    ack = next(m for m in mail.outbox if m.to == ["sam@example.org"])
    assert issue.reference in ack.subject
    assert follow_link_in(ack.body) == issue
    assert "911" in ack.body
    staff = next(m for m in mail.outbox if m.to == ["cswb@halton.example"])
    # Staff mail never carries the resident's contact details.
    assert "sam@example.org" not in staff.body and "Sam Resident" not in staff.body


def test_it_accepts_a_phone_number_without_an_email(
    client, form_data, django_capture_on_commit_callbacks
):
    data = form_data(
        contact="named", name="Pat", phone="(905) 555-0199 ext. 12", consent_to_contact="on"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, data)
    assert response.status_code == 302
    issue = Issue.objects.get()
    assert issue.phone == "(905) 555-0199 ext. 12"
    assert issue.email == ""
    assert not Message.objects.filter(kind="issues.acknowledgement").exists()
    follow = client.get(response["Location"])
    assert b"Staff may call you at the number you gave." in follow.content


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"topic": ""}, "topic", "Choose the topic closest to your issue."),
        ({"topic": "weather"}, "topic", "Select a valid choice."),
        ({"municipality": ""}, "municipality", "Choose the municipality the issue concerns."),
        ({"municipality": "99999"}, "municipality", "Choose one of the four municipalities"),
        ({"description": ""}, "description", "Describe the issue."),
        ({"description": "short"}, "description", "at least 10 characters"),
        ({"description": "x" * 4001}, "description",
         "The description has 4,001 characters; the most is 4,000. Shorten it by 1."),
        ({"affected": "y" * 301}, "affected", "This has 301 characters; the most is 300."),
        ({"contact": "named", "consent_to_contact": "on", "email": "a@example.org"},
         "name", "Enter your name, or choose to stay anonymous."),
        ({"contact": "named", "name": "Sam", "consent_to_contact": "on"},
         "email", "Give an email address or a phone number"),
        ({"contact": "named", "name": "Sam", "email": "not-an-address",
          "consent_to_contact": "on"}, "email", "Enter an email address like"),
        ({"contact": "named", "name": "Sam", "phone": "555", "consent_to_contact": "on"},
         "phone", "Enter a phone number with its area code"),
        ({"contact": "named", "name": "Sam", "email": "sam@example.org"},
         "consent_to_contact", "Tick this box"),
        ({"email": "sam@example.org"}, "contact", "You chose to stay anonymous"),
    ],
)
def test_it_explains_every_bad_answer_and_keeps_what_was_typed(
    client, form_data, overrides, field, message
):
    data = form_data(**overrides)
    data.setdefault("description", "")
    response = _post(client, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert Issue.objects.count() == 0
    form = response.context["form"]
    assert field in form.errors
    assert any(message in error for error in form.errors[field])
    # Summarised at the top with a link to the field, and shown next to the field.
    summary = html[html.index('id="error-summary"'):html.index("<form method")]
    anchor = form[field].id_for_label or f"{form[field].auto_id}_0"
    assert f'href="#{anchor}"' in summary
    assert html.count(message.replace("“", "&ldquo;")) >= 2 or html.count(message) >= 2
    assert "<title>Error:" in html
    if overrides.get("description", "")[:5] == "short":
        assert ">\nshort</textarea>" in html


def test_it_keeps_html_typed_in_the_description_as_text(client, form_data):
    response = _post(client, form_data(
        description="<script>alert(1)</script> and <b>bold</b>", topic="")
    )
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; and &lt;b&gt;bold&lt;/b&gt;" in html


def test_it_turns_away_a_filled_honeypot(client, form_data):
    response = _post(client, form_data(website="http://spam.example"))
    assert response.status_code == 200
    assert Issue.objects.count() == 0
    assert b"Please leave the last field empty." in response.content


def test_it_turns_away_a_form_sent_too_quickly(client, form_data):
    fresh = _tokens(client.get(URL).content.decode())[1]
    response = _post(client, form_data(started=fresh))
    assert Issue.objects.count() == 0
    assert b"This form was sent too quickly." in response.content


def test_it_turns_away_a_tampered_start_time(client, form_data):
    response = _post(client, form_data(started="forged"))
    assert Issue.objects.count() == 0
    assert b"This form has expired." in response.content


def test_it_limits_accepted_submissions_and_gives_back_what_was_typed(client, form_data):
    for _ in range(views.SUBMIT_LIMIT.limit):
        assert _post(client, form_data()).status_code == 302
    response = _post(client, form_data(description="The lights in the underpass are out again."))
    html = response.content.decode()
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= views.SUBMIT_LIMIT.window + 1
    assert "Nothing was sent" in html and "call 311" in html
    # The summary says when, the form keeps every answer.
    when = r"(\d{1,2}(:\d{2})? [ap]\.m\.|noon|midnight)"
    assert re.search(rf"You can send them after {when} \(in about \d+ minutes?\)", html)
    assert "The lights in the underpass are out again.</textarea>" in html
    assert 'value="People without housing"' in html
    assert Issue.objects.count() == views.SUBMIT_LIMIT.limit
    # Reading the form is not limited.
    assert client.get(URL).status_code == 200


def test_mistakes_do_not_count_towards_the_limit(client, form_data):
    for _ in range(views.SUBMIT_LIMIT.limit + 5):
        assert _post(client, form_data(description="short")).status_code == 200
    assert _post(client, form_data()).status_code == 302
    assert Issue.objects.count() == 1


def test_a_filled_honeypot_counts_towards_the_limit(client, form_data):
    for _ in range(views.SUBMIT_LIMIT.limit):
        _post(client, form_data(website="http://spam.example"))
    response = _post(client, form_data())
    assert response.status_code == 429
    assert Issue.objects.count() == 0


def test_the_limit_is_per_address(client, form_data):
    for _ in range(views.SUBMIT_LIMIT.limit):
        _post(client, form_data())
    response = client.post(URL, form_data(), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 302


def test_it_refuses_other_methods(client):
    assert client.put(URL).status_code == 405
    assert client.delete(URL).status_code == 405


def test_it_gives_consecutive_references(client, form_data):
    for _ in range(3):
        _post(client, form_data())
    numbers = list(Issue.objects.order_by("number").values_list("number", flat=True))
    assert numbers == [1, 2, 3]


def test_a_submission_succeeds_while_the_cache_is_down(client, form_data):
    with mock.patch("cswb.lib.ratelimit.cache.add", side_effect=ConnectionError("redis down")):
        response = _post(client, form_data())
    assert response.status_code == 302
    assert Issue.objects.count() == 1


def _tokens(html):
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    started = re.search(r'name="started" value="([^"]+)"', html).group(1)
    return csrf, started


def test_the_empty_form_is_rendered_once_and_every_copy_has_its_own_tokens(
        django_assert_num_queries):
    from django.test import Client

    from cswb.lib.pagecache import CSRF_SLOT, STARTED_SLOT

    first = Client().get(URL).content.decode()
    with django_assert_num_queries(0):
        second = Client().get(URL).content.decode()
    assert CSRF_SLOT not in second and STARTED_SLOT not in second
    assert _tokens(first)[0] != _tokens(second)[0]
    assert _tokens(first)[1] != _tokens(second)[1] or first != second
    for token in _tokens(first) + _tokens(second):
        assert len(token) > 20
    assert re.sub(r'value="[^"]{30,}"', "", first) == re.sub(r'value="[^"]{30,}"', "", second)


def test_a_form_from_the_cached_page_is_accepted(monkeypatch, form_data):
    """The token put into the shared copy is the visitor's own, so the CSRF check passes."""
    from django.test import Client

    from issues.forms import IssueForm

    monkeypatch.setattr(IssueForm, "min_fill_seconds", 0)
    Client().get(URL)  # fills the cache
    resident = Client(enforce_csrf_checks=True)
    csrf, started = _tokens(resident.get(URL).content.decode())
    response = resident.post(URL, {**form_data(started=started), "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Issue.objects.count() == 1


def test_a_new_municipality_shows_on_the_next_form(django_capture_on_commit_callbacks, client):
    from indicators.models import Geography

    assert "Campbellville" not in client.get(URL).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Geography.objects.create(name="Campbellville", slug="campbellville", code="x9",
                                 level="municipality")
    assert "Campbellville" in client.get(URL).content.decode()


def test_signed_in_staff_get_a_form_of_their_own(client, cswb_admin):
    from cswb.lib.pagecache import local_pages

    client.force_login(cswb_admin)
    html = client.get(URL).content.decode()
    assert _tokens(html)[0]
    assert local_pages.used == 0


def test_a_failed_submission_puts_the_summary_first_and_focuses_it(client, form_data):
    html = _post(client, form_data(topic="")).content.decode()
    summary_at = html.index('id="error-summary"')
    # Right under the heading: above the emergency box and the notice of collection.
    assert html.index("<h1>") < summary_at < html.index("urgent-heading")
    assert summary_at < html.index("collection-heading")
    summary_tag = html[html.rindex("<div", 0, summary_at):html.index(">", summary_at)]
    assert "autofocus" in summary_tag and 'tabindex="-1"' in summary_tag
    assert "js/issues-form.js" in html


def test_a_failed_submission_shows_the_sites_one_error_summary_with_links(client, form_data):
    html = _post(client, form_data(topic="", description="")).content.decode()
    summary = html[html.index('id="error-summary"'):html.index("</div>", html.index(
        'id="error-summary"'))]
    # The shared include (includes/form_errors.html), not a summary of the form's own.
    assert 'data-error-summary' in summary and 'aria-labelledby="error-summary-title"' in summary
    assert "There are 2 problems with your answers" in summary
    assert "Nothing was sent yet, and nothing you typed was lost." in summary
    links = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', summary)
    assert [anchor for anchor, _text in links] == ["id_topic", "id_description"]
    assert links[0][1].startswith("What is the issue about? Choose")  # no "?:"
    assert links[1][1].startswith("Describe the issue: ")
    for anchor, _text in links:
        assert f'id="{anchor}"' in html  # every link lands on an input


def test_the_notice_of_collection_is_short_with_the_rest_behind_a_disclosure(client):
    html = client.get(URL).content.decode()
    notice = html[html.index('id="collection-heading"'):html.index("<form method")]
    short, full = notice.split("<details", 1)
    assert "cswb@halton.ca" in short
    assert "Community Safety and Policing Act, 2019" not in short
    assert "<summary>Read the full notice of collection</summary>" in full
    assert "Community Safety and Policing Act, 2019" in full
    assert "Municipal Freedom of Information and Protection of Privacy Act" in full


def test_no_field_has_a_maxlength_that_would_cut_pasted_text(client):
    html = client.get(URL).content.decode()
    form = html[html.index("<form method"):html.index("</form>")]
    assert "maxlength" not in form
    assert re.search(r'<textarea[^>]*data-count-max="4000"', form)
    assert re.search(r'<input[^>]*name="affected"[^>]*data-count-max="300"', form)
    assert 'data-count-left="Characters left: {left} of {max}."' in form


def test_a_description_over_the_limit_comes_back_whole_with_its_length(client, form_data):
    text = "\n".join(["Shelter beds are full."] * 200)  # 4,599 characters
    response = _post(client, form_data(description=text))
    html = response.content.decode()
    assert Issue.objects.count() == 0
    assert "The description has 4,599 characters; the most is 4,000. Shorten it by 599." in html
    assert "Nothing was cut" in html
    sent_back = re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", html, re.S).group(1)
    assert sent_back.count("Shelter beds are full.") == 200


def test_line_breaks_count_once_as_the_browser_counts_them(client, form_data):
    # Browsers send each line break as CR LF; the page's count and the limit treat it as one.
    text = ("a" * 99 + "\r\n") * 40  # 4,000 characters as typed, 4,040 bytes as sent
    response = _post(client, form_data(description=text))
    assert response.status_code == 302
    description = Issue.objects.get().description
    assert "\r" not in description
    assert len(description) == 3999  # stripped of its last line break


def test_contact_fields_are_hidden_by_the_stylesheet_while_anonymous_is_chosen(client):
    from django.contrib.staticfiles import finders

    css = Path(finders.find("css/issues.css")).read_text()
    assert (
        '.issues-contact:has(input[name="contact"][value="anonymous"]:checked)' in css
    )
    html = client.get(URL).content.decode()
    assert 'class="issues-contact-details" id="contact-details"' in html


def test_contact_details_typed_with_anonymous_chosen_stay_in_view(client, form_data):
    html = _post(client, form_data(email="sam@example.org")).content.decode()
    assert 'class="issues-contact-details issues-contact-details-shown"' in html
    assert 'value="sam@example.org"' in html
