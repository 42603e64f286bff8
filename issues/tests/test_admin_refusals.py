"""A refusal while an admin change form saves comes back on the form, never as a success.

The triage form strips the note, so the real page cannot send the service an empty one; this
module's admin site (``urlpatterns`` below) keeps the note's spaces, so that the real service
(``issues.services.issue_add_note``) refuses it while saving, as any rule of a service might.
"""

import pytest
from django.contrib import admin
from django.urls import include, path

from issues.admin import IssueAdmin, IssueTriageForm
from issues.models import Issue, IssueEvent
from issues.tests.factories import IssueFactory


class NoteAsTypedForm(IssueTriageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["internal_note"].strip = False

    def clean_internal_note(self):
        return self.cleaned_data["internal_note"]


class NoteAsTypedAdmin(IssueAdmin):
    form = NoteAsTypedForm


site = admin.AdminSite(name="refusals")
site.register(Issue, NoteAsTypedAdmin)
urlpatterns = [path("refusals/", site.urls), path("", include("cswb.urls"))]

pytestmark = pytest.mark.urls(__name__)


def test_a_refusal_comes_back_on_the_form_with_what_was_typed(client, triage_user):
    issue = IssueFactory()
    client.force_login(triage_user)
    response = client.post(f"/refusals/issues/issue/{issue.pk}/change/", {
        "assigned_to": str(triage_user.pk),
        "internal_note": "   ",
        "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0", "events-MAX_NUM_FORMS": "1000",
    })
    html = response.content.decode()
    assert response.status_code == 200
    assert "Write the note first." in html
    assert "changed successfully" not in html
    assert f'<option value="{triage_user.pk}" selected>' in html  # the choice typed is kept
    # Nothing was saved: the assignment made before the refusal was rolled back with it.
    issue.refresh_from_db()
    assert issue.assigned_to is None
    assert not IssueEvent.objects.filter(issue=issue).exclude(
        kind=IssueEvent.Kind.SUBMITTED
    ).exists()
