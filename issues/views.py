"""Public pages: the form, the confirmation, the resident's private follow-up page, lost links."""

import uuid

from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from cswb.lib import links
from cswb.lib.outage import form_when_database_down
from cswb.lib.pagecache import form_page
from cswb.lib.ratelimit import RateLimit, limit_form, refuse
from issues import selectors, services
from issues.forms import IssueForm, LinkRequestForm
from issues.models import FOLLOW_LINK_MAX_AGE, FOLLOW_LINK_PURPOSE, Issue, Signpost

# Issues accepted per address per hour: a family or an office behind one address can still
# send several; a flood cannot. Mistakes being corrected do not count.
SUBMIT_LIMIT = RateLimit("issues-submit", limit=10, window=60 * 60)
# Requests for lost links per address per hour (each issue's link is emailed once an hour anyway).
LINKS_LIMIT = RateLimit("issues-links", limit=5, window=60 * 60)


def _issue_from_token(token: str) -> Issue | None:
    """Return the issue behind a private link; None for a tampered, foreign or unknown one."""
    value = links.read_token(FOLLOW_LINK_PURPOSE, token, max_age=FOLLOW_LINK_MAX_AGE)
    try:
        key = uuid.UUID(str(value))
    except ValueError:
        return None
    return Issue.objects.select_related("municipality").filter(follow_key=key).first()


def _link_problem(request):
    """Answer a link that opens nothing: a 404 that offers to email the links again."""
    return _private(
        render(request, "issues/link_problem.html", {"form": LinkRequestForm()}, status=404)
    )


def _private(response):
    """Keep a private page out of caches and search engines."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _form_without_database(request):
    """Return the form as posted, for a save the database refused (signposts need it)."""
    return "issues/create.html", {"form": IssueForm(request.POST), "signposts": []}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@form_when_database_down(_form_without_database)
def create(request):
    if request.method == "POST":
        form = IssueForm(request.POST)
        refusal = limit_form(request, form, SUBMIT_LIMIT)
        if refusal is None and form.is_valid():
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
        return refuse(render(request, "issues/create.html", _form_context(form)), refusal)
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
    if issue is None:
        return _link_problem(request)
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
    if issue is None:
        return _link_problem(request)
    timeline = selectors.public_timeline(issue)
    return _private(render(request, "issues/follow.html", {"issue": issue, "timeline": timeline}))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_links(request):
    """Email a resident their private links again; say the same thing whoever asks."""
    form = LinkRequestForm(request.POST or None)
    refusal = None
    if request.method == "POST":
        refusal = limit_form(request, form, LINKS_LIMIT)
        if refusal is None and form.is_valid():
            services.follow_links_send(email=form.cleaned_data["email"])
            return render(
                request, "issues/links_sent.html", {"email": form.cleaned_data["email"]}
            )
    return refuse(render(request, "issues/links_request.html", {"form": form}), refusal)
