import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from grants.tests.factories import AwardFactory, RoundFactory
from grants.workflow import State
from indicators.models import Geography

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_():
    return RoundFactory(funding_year=2027, results_note="Three programs funded.")


def test_it_lists_funded_programs_that_agreed_to_publication(client, round_):
    oakville = Geography.objects.filter(slug__in=["oakville", "burlington"])
    AwardFactory(application__round=round_, application__org_legal_name="Listed Org",
                 application__municipalities=oakville, amount=Decimal("120000"))
    AwardFactory(application__round=round_, application__org_legal_name="Private Org",
                 application__publish_consent=False)
    AwardFactory(application__round=round_, application__org_legal_name="Withdrawn Org",
                 application__state=State.WITHDRAWN)
    response = client.get(reverse("grants:funded", args=[2027]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Listed Org" in html and "$120,000" in html and "Burlington, Oakville" in html
    assert "Private Org" not in html and "Withdrawn Org" not in html
    assert "One more funded program is not listed" in html
    assert "Three programs funded." in html


def test_it_answers_404_for_a_year_without_intake(client):
    assert client.get(reverse("grants:funded", args=[1999])).status_code == 404
    assert client.get(reverse("grants:funded_csv", args=[1999])).status_code == 404


def test_it_exports_the_list_as_csv_with_formulas_escaped(client, round_):
    AwardFactory(application__round=round_, application__org_legal_name="=HYPERLINK(1)",
                 application__program_title="+Mentors", amount=Decimal("50000"))
    response = client.get(reverse("grants:funded_csv", args=[2027]))
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["Organization", "Program", "Amount (CAD)"]
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert rows[1][1] == "'+Mentors"
    assert rows[1][2] == "50000.00"


def test_the_public_csv_escapes_the_disguised_formulas_too(client, round_):
    AwardFactory(application__round=round_, application__org_legal_name="\u200b=HYPERLINK(1)",
                 application__program_title="\uff1dcmd", amount=Decimal("5000"))
    response = client.get(reverse("grants:funded_csv", args=[2027]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][0] == "'\u200b=HYPERLINK(1)"
    assert rows[1][1] == "'\uff1dcmd"


def test_it_links_each_funded_year_from_the_grant_page(client, round_):
    AwardFactory(application__round=round_)
    html = client.get(reverse("grants:index")).content.decode()
    assert reverse("grants:funded", args=[2027]) in html


def test_a_year_published_as_a_summary_says_so_instead_of_an_empty_list(client):
    # The 2023 intake's results (funding year 2024) were announced as one sentence.
    RoundFactory(funding_year=2024, results_note=(
        "Nine organizations received a total of $1.8 million for 2024-25 from this intake."))
    html = client.get(reverse("grants:funded", args=[2024])).content.decode()
    assert "Nine organizations received a total of $1.8 million" in html
    assert "published as a summary only" in html
    assert "No funded program has been listed" not in html
    assert "<table" not in html and "as CSV" not in html


def test_a_year_without_results_yet_says_nothing_is_listed(client):
    RoundFactory(funding_year=2027, results_note="")
    html = client.get(reverse("grants:funded", args=[2027])).content.decode()
    assert "No funded program has been listed here for this year yet." in html
    assert "published as a summary only" not in html


def test_a_year_whose_organizations_all_declined_publication_says_how_many(client, round_):
    AwardFactory.create_batch(2, application__round=round_,
                              application__publish_consent=False)
    html = client.get(reverse("grants:funded", args=[2027])).content.decode()
    assert "2 funded programs are not listed: their organizations did not agree" in html
    assert "No funded program has been listed" not in html
    assert "published as a summary only" not in html and "more funded" not in html
