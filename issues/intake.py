"""Staff record an issue for a resident who called, wrote or came in.

The issue goes through ``issues.services.issue_submit`` like the web form's, so the resident gets
the same reference and, with an email address and consent, the same emails. The screen shows the
notice of collection as words to read out; staff confirm they gave it, and the consent is
recorded as given orally (phone, walk-in) or in writing (email).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from issues import permissions, services
from issues.forms import IssueDetailsForm
from issues.models import Channel

STAFF_CHANNELS = [Channel.PHONE, Channel.EMAIL, Channel.WALK_IN]


class IntakeForm(IssueDetailsForm):
    """The web form's questions, worded for staff, with the channel and the notice given."""

    channel = forms.ChoiceField(
        label=_("How did the resident reach us?"),
        choices=[(c.value, c.label) for c in STAFF_CHANNELS],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the resident reached us.")},
    )
    location = forms.CharField(
        label=_("Where (optional)"),
        max_length=300,
        required=False,
        help_text=_("An address or place, if the resident gave one."),
    )
    notice_given = forms.BooleanField(
        label=_("I read the notice of collection to the resident (or, for an email, sent it in "
                "my reply)."),
        error_messages={"required": _("Give the resident the notice of collection first.")},
    )

    field_order = [
        "channel", "notice_given", "topic", "municipality", "description", "affected", "location",
        "contact", "name", "email", "phone", "consent_to_contact",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["topic"].label = _("What is the issue about?")
        fields["municipality"].label = _("Which municipality does it concern?")
        fields["description"].label = _("The issue, in the resident's words")
        fields["description"].help_text = _(
            "What is happening, where, and since when, in up to 4,000 characters. Leave out the "
            "names of other people."
        )
        fields["affected"].label = _("Who is affected? (optional)")
        fields["contact"].label = _("May CSWB staff contact the resident about this issue?")
        fields["contact"].choices = [
            (self.ANONYMOUS, _("No, the resident stays anonymous")),
            (self.NAMED, _("Yes, they gave a name and an email address or phone number")),
        ]
        fields["name"].label = _("The resident's name")
        fields["email"].help_text = _(
            "The confirmation with the reference and the resident's private link, and any "
            "response, go to this address."
        )
        fields["consent_to_contact"].label = _(
            "The resident agreed that CSWB staff may contact them (said so on the call or at the "
            "counter, or wrote it in their email)."
        )


@require_http_methods(["GET", "HEAD", "POST"])
def intake_view(request, *, model_admin):
    """Show the intake form and record the issue; then open it in the triage screen."""
    if not permissions.can_record_issues(request.user):
        raise PermissionDenied
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        channel = Channel(data["channel"])
        issue = services.issue_submit(
            topic=data["topic"],
            municipality=data["municipality"],
            description=data["description"],
            affected=data["affected"],
            anonymous=form.is_anonymous,
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            consent_to_contact=data["consent_to_contact"],
            channel=channel,
            location=data["location"],
            recorded_by=request.user,
            note=gettext("Recorded by staff from: %(channel)s. Notice of collection given.")
            % {"channel": channel.label},
        )
        text = gettext("Recorded as %(reference)s. Give the resident this reference.") % {
            "reference": issue.reference
        }
        if issue.can_be_emailed:
            text += " " + gettext("They will also get it by email, with their private link.")
        model_admin.message_user(request, text, messages.SUCCESS)
        return redirect(reverse("admin:issues_issue_change", args=[issue.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": gettext("Record an issue for a resident"),
        "form": form,
        "changelist_url": reverse("admin:issues_issue_changelist"),
    }
    return TemplateResponse(request, "admin/issues/issue/intake.html", context)
