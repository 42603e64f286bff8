"""The wording of the grant emails: names that end in a period, and counts of years."""

import pytest
from django.template.loader import render_to_string

from grants.tests.factories import AwardFactory

EMAILS = ["grants-acknowledgement", "grants-reviewer-assigned", "grants-decision"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", EMAILS)
@pytest.mark.parametrize("part", ["body.txt", "body.html"])
def test_an_organization_ending_in_a_period_never_gets_a_second_one(name, part):
    award = AwardFactory(application__org_legal_name="Milton Youth Hub Inc.", years=1)
    context = {"application": award.application, "award": award, "approved": True,
               "link": "https://cswb.example.org/x/", "SITE_NAME": "Halton CSWB"}
    text = render_to_string(f"emails/{name}-{part}", context)
    assert "Inc.." not in text, text


@pytest.mark.django_db
@pytest.mark.parametrize(("years", "words"), [(1, "over 1 year."), (2, "over 2 years.")])
@pytest.mark.parametrize("part", ["body.txt", "body.html"])
def test_the_approval_counts_its_years_in_words(years, words, part):
    award = AwardFactory(years=years)
    context = {"application": award.application, "award": award, "approved": True,
               "link": "https://cswb.example.org/x/", "SITE_NAME": "Halton CSWB"}
    text = render_to_string(f"emails/grants-decision-{part}", context)
    assert words in text and "year(s)" not in text, text
