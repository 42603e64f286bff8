from datetime import timedelta

from django.utils import timezone

from actiontables.models import ActionTable
from issues import reference, tasks
from issues.models import Issue, Topic, TopicRoute, TriageContact
from issues.tests.factories import IssueFactory


def test_reference_data_is_idempotent(db):
    ActionTable.objects.create(name="Homelessness Action Table", slug="homelessness", summary=".")
    ActionTable.objects.create(name="Alcohol Action Table", slug="alcohol", summary=".")
    first = reference.load()
    assert first == "1 triage contacts, 2 topic routes and 4 signposts created"
    assert reference.load() == "0 triage contacts, 0 topic routes and 0 signposts created"
    assert TriageContact.objects.get().email == "cswb@halton.ca"
    routes = dict(TopicRoute.objects.values_list("topic", "action_table__slug"))
    assert routes == {Topic.HOUSING: "homelessness", Topic.SUBSTANCE_USE: "alcohol"}


def test_reference_data_keeps_a_route_staff_changed(db):
    housing = ActionTable.objects.create(name="Homelessness Action Table", slug="h", summary=".")
    other = ActionTable.objects.create(name="Another table", slug="other", summary=".")
    TopicRoute.objects.create(topic=Topic.HOUSING, action_table=other)
    reference.load()
    assert TopicRoute.objects.get(topic=Topic.HOUSING).action_table == other
    assert housing.pk


def test_the_retention_task_clears_expired_contact_details(db):
    issue = IssueFactory(named=True, status=Issue.State.CLOSED,
                         closed_at=timezone.now() - timedelta(days=800))
    assert tasks.remove_expired_contact_details.delay().get() == 1
    assert Issue.objects.get(pk=issue.pk).email == ""
