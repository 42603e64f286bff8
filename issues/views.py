"""Public pages: the form, the confirmation, and the resident's private follow-up page."""

import uuid

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from cswb.lib import links
from cswb.lib.pagecache import form_page
from cswb.lib.ratelimit import ratelimit
from issues import services
from issues.forms import IssueForm
from issues.models import FOLLOW_LINK_MAX_AGE, FOLLOW_LINK_PURPOSE, Issue, Signpost

# Submissions per address per hour: enough to fix a few mistakes, too few for a flood.
SUBMIT_LIMIT = 10
SUBMIT_WINDOW = 60 * 60


def _issue_from_token(token: str) -> Issue:
    """Return the issue behind a private link; 404 for a tampered, foreign or unknown one."""
    value = links.read_token(FOLLOW_LINK_PURPOSE, token, max_age=FOLLOW_LINK_MAX_AGE)
    try:
        key = uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None
    return get_object_or_404(Issue.objects.select_related("municipality"), follow_key=key)


def _private(response):
    """Keep a private page out of caches and search engines."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@ratelimit("issues-submit", limit=SUBMIT_LIMIT, window=SUBMIT_WINDOW)
@require_http_methods(["GET", "HEAD", "POST"])
def create(request):
    if request.method == "POST":
        form = IssueForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
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
            )
            return redirect("issues:submitted", token=issue.follow_token())
        return render(request, "issues/create.html", _form_context(form))
    return form_page(request, "issues:create", _render_empty_form(request))


def _form_context(form) -> dict:
    return {"form": form, "signposts": list(Signpost.objects.active())}


def _render_empty_form(request):
    def render_page(csrf_token, started):
        form = IssueForm()
        context = _form_context(form)
        if csrf_token is not None:
            form.fields["started"].initial = started
            context["csrf_token"] = csrf_token
        return render(request, "issues/create.html", context)

    return render_page


@never_cache
@require_safe
def submitted(request, token):
    issue = _issue_from_token(token)
    follow_url = request.build_absolute_uri(issue.get_absolute_url())
    return _private(
        render(
            request,
            "issues/submitted.html",
            {
                "issue": issue,
                "follow_url": follow_url,
                "signposts": Signpost.objects.for_topic(issue.topic),
            },
        )
    )


@never_cache
@require_safe
def follow(request, token):
    issue = _issue_from_token(token)
    responses = issue.events.filter(public=True).order_by("created_at", "pk")
    return _private(
        render(request, "issues/follow.html", {"issue": issue, "responses": responses})
    )
