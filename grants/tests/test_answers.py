"""The applicant's copy of what they submitted: a page and a tagged PDF, with the reports' due
dates, behind the application's private link."""

import datetime

import pytest
from django.urls import reverse

from cswb.lib.pdf import PdfError
from cswb.testing.pdf import pdfinfo, pdftext
from grants import services
from grants.models import Report
from grants.tests.factories import (
    ApplicationFactory,
    AwardFactory,
    ReportFactory,
    SubmittedApplicationFactory,
)
from grants.workflow import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded():
    application = SubmittedApplicationFactory(
        state=State.APPROVED, org_legal_name="Youth Futures <Halton>",
        program_summary="Weekly mentoring & sport.\nTwice a week.",
    )
    award = AwardFactory(application=application)
    ReportFactory(award=award, kind=Report.Kind.INTERIM, due_on=datetime.date(2027, 9, 30))
    ReportFactory(award=award, kind=Report.Kind.FINAL, due_on=datetime.date(2028, 4, 30))
    return application


def url(name, application):
    return reverse(name, args=[services.application_token(application)])


def test_it_offers_the_copy_on_the_status_page(client, funded):
    # Tokens carry the second they were made: make one and follow it.
    token = services.application_token(funded)
    html = client.get(reverse("grants:status", args=[token])).content.decode()
    assert f'href="{reverse("grants:answers", args=[token])}"' in html
    assert f'href="{reverse("grants:answers_pdf", args=[token])}"' in html
    assert "September 30, 2027" in html and "April 30, 2028" in html


def test_the_copy_shows_every_answer_and_the_reports_due_dates(client, funded):
    response = client.get(url("grants:answers", funded))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert funded.reference in html
    for answer in ["Youth Futures &lt;Halton&gt;", "Weekly mentoring &amp; sport.<br>Twice a week.",
                   "Non-profit organization", "Milton", "Two years", "$100,000.00",
                   "Staff and facilitators, year 1: $40,000.00", "Budget total: $100,000.00"]:
        assert answer in html, answer
    assert "Interim report" in html and "September 30, 2027" in html
    assert "Final report" in html and "April 30, 2028" in html
    assert ">Change<" not in html  # a copy: nothing to change any more


def test_before_a_decision_the_copy_says_when_report_dates_come(client):
    application = SubmittedApplicationFactory()
    html = client.get(url("grants:answers", application)).content.decode()
    assert "If your program is funded, the approval sets their due dates" in html


def test_the_pdf_is_a_tagged_pdf_with_the_answers_and_due_dates(client, funded):
    response = client.get(url("grants:answers_pdf", funded))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert {"private", "no-store"} <= {p.strip() for p in response["Cache-Control"].split(",")}
    assert f'filename="{funded.reference}-answers.pdf"' in response["Content-Disposition"]
    content = response.content
    assert content.startswith(b"%PDF-")
    info = pdfinfo(content)
    assert info["Tagged"] == "yes"
    assert funded.reference in info["Title"]
    text = pdftext(content)
    for answer in ["Youth Futures <Halton>", "Weekly mentoring & sport.", "Mentors after school",
                   "Milton", "$100,000.00", "Budget total: $100,000.00",
                   "Interim report", "September 30, 2027", "Final report", "April 30, 2028"]:
        assert answer in text, answer


def test_when_the_pdf_cannot_be_made_it_says_so_and_shows_the_page(client, funded, monkeypatch):
    def broken(*args, **kwargs):
        raise PdfError("no fonts")

    monkeypatch.setattr("grants.views.render_pdf", broken)
    token = services.application_token(funded)
    response = client.get(reverse("grants:answers_pdf", args=[token]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("grants:answers", args=[token])
    assert "We could not make the PDF just now" in response.content.decode()


@pytest.mark.parametrize("name", ["grants:answers", "grants:answers_pdf"])
def test_a_draft_has_no_copy_yet_and_goes_to_its_check_page(client, name):
    token = services.application_token(ApplicationFactory())
    response = client.get(reverse(name, args=[token]))
    assert response.status_code == 302
    assert response["Location"] == reverse("grants:resume", args=[token])


@pytest.mark.parametrize("name", ["grants:answers", "grants:answers_pdf"])
def test_it_refuses_a_tampered_link(client, name):
    token = services.application_token(SubmittedApplicationFactory())
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    response = client.get(reverse(name, args=[tampered]))
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


@pytest.mark.parametrize("name", ["grants:answers", "grants:answers_pdf"])
def test_it_refuses_post(client, name):
    assert client.post(url(name, SubmittedApplicationFactory())).status_code == 405
