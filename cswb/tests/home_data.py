"""Waiting work for every role's home, shared by the home's page and browser tests."""

import datetime

from django.utils import timezone


def make_waiting_work(role_users) -> dict:
    """Create one piece of waiting work per role; return what each home must show."""
    from actiontables.tests.factories import ActionTableFactory, OrganizationFactory
    from cswb.outbox.models import Message
    from cswb.outbox.services import message_queue
    from grants.models import Review
    from grants.tests.factories import ReportFactory, ReviewFactory, SubmittedApplicationFactory
    from grants.workflow import State as GrantState
    from indicators.models import RemoteSource
    from indicators.reference import load_geographies
    from indicators.tests.factories import IndicatorFactory
    from issues.tests.factories import IssueFactory

    load_geographies()
    now = timezone.now()
    overdue_issue = IssueFactory(submitted_at=now - datetime.timedelta(days=12))
    mine = IssueFactory(assigned_to=role_users["triage"])
    to_screen = SubmittedApplicationFactory(org_legal_name="Screen Me Youth Services")
    to_decide = SubmittedApplicationFactory(state=GrantState.RECOMMENDED,
                                            org_legal_name="Decide Me Arts")
    review = ReviewFactory(reviewer=role_users["reviewer"], conflict=Review.Conflict.NONE,
                           application__org_legal_name="Review Me Sports Club")
    ReportFactory(due_on=timezone.localdate() - datetime.timedelta(days=3),
                  award__application__org_legal_name="Late Report Society")
    organization = OrganizationFactory()
    organization.staff_contacts.add(role_users["lead"])
    table = ActionTableFactory(name="Quiet Housing Table", leads=[organization])
    source = RemoteSource.objects.create(
        name="Shelter counts feed", indicator=IndicatorFactory(), url="https://example.org/a.csv",
        layout="long", last_error="The server answered 503.",
    )
    failed = message_queue(to="nobody@example.org", template="test-message",
                           context={"name": "A"}, kind="issues.responded")
    Message.objects.filter(pk=failed.pk).update(state=Message.State.FAILED)
    return {
        "triage": [overdue_issue.reference, mine.reference, "Mail that could not be sent"],
        "grant_staff": [to_screen.reference, to_decide.reference, "Late Report Society"],
        "reviewer": [review.application.reference, "Review Me Sports Club"],
        "lead": [table.name, "Write an update for Quiet Housing Table"],
        "steward": [source.name, "The server answered 503."],
        "admin": ["Staff without a second factor", "Failed or unconfirmed messages",
                  "Past the 5-working-day first response", "Reports overdue"],
    }
