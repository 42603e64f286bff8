"""Emails a stranger can make the portal send to an address they type are limited per recipient
(however many connections they use), as well as per sender."""

import time

import pytest
from django.core import signing
from django.urls import reverse

from actiontables import services as actiontables_services
from actiontables.tests.factories import ActionTableFactory
from cswb.lib.ratelimit import RECIPIENT_LIMITS, recipient_key
from cswb.outbox.models import Message
from grants.models import Application
from grants.tests.factories import RoundFactory, form_data
from indicators.reference import load_geographies
from issues import services as issues_services
from issues.models import Issue
from issues.tests.factories import municipality

pytestmark = pytest.mark.django_db
PER_HOUR = RECIPIENT_LIMITS[0].limit


def test_one_mailbox_counts_once_however_it_is_written():
    assert recipient_key(" Victim+news@Example.org ") == recipient_key("victim@example.org")
    assert recipient_key("victim@example.org") != recipient_key("victim@example.com")


def test_acknowledgements_to_one_address_stop_at_the_limit_and_the_issues_are_kept():
    load_geographies()
    for number in range(PER_HOUR + 2):
        issues_services.issue_submit(
            topic="housing", municipality=municipality(), description=f"Issue {number}",
            anonymous=False, name=f"Name {number}", email=f"victim+{number}@example.org",
            consent_to_contact=True,
        )
    assert Issue.objects.count() == PER_HOUR + 2
    assert Message.objects.filter(kind="issues.acknowledgement").count() == PER_HOUR
    issues_services.issue_submit(
        topic="housing", municipality=municipality(), description="Someone else",
        anonymous=False, name="Sam", email="sam@example.org", consent_to_contact=True,
    )
    assert Message.objects.filter(kind="issues.acknowledgement",
                                  to_email="sam@example.org").count() == 1


def test_follow_confirmations_to_one_address_stop_at_the_limit_across_tables():
    tables = ActionTableFactory.create_batch(PER_HOUR + 2)
    for table in tables:
        actiontables_services.subscription_request(table=table, email="victim@example.org")
    assert Message.objects.filter(kind="actiontables.confirm").count() == PER_HOUR


def test_draft_links_to_one_address_stop_at_the_limit_and_the_page_says_so(client):
    load_geographies()
    round_ = RoundFactory()
    url = reverse("grants:apply", args=[round_.slug])
    for number in range(PER_HOUR + 1):
        started = signing.dumps(time.time() - 60, salt="form-started")
        response = client.post(url, form_data(
            started, action="save", contact_email="victim@example.org",
            org_legal_name=f"Organization {number}",
        ), follow=True)
        assert response.status_code == 200
    assert Application.objects.count() == PER_HOUR + 1
    assert Message.objects.filter(kind="grants.draft_link").count() == PER_HOUR
    html = response.content.decode()
    assert "We emailed a private link" not in html
    assert "bookmark this page" in html
