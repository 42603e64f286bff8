from types import SimpleNamespace

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from actiontables import permissions, services
from actiontables.forms import FollowForm, ZoneFilterForm
from actiontables.models import ActionTable, LeadershipSeat, ProgressUpdate, Zone
from cswb.lib.outage import form_when_database_down
from cswb.lib.pagecache import not_kept_unless_shown, one_of, page_number, public_page
from cswb.lib.ratelimit import RateLimit, limit_form, refuse

TABLES_PER_PAGE = 20
UPDATES_PER_PAGE = 10
# Follow requests accepted per address per hour (each sends a confirmation email).
FOLLOW_LIMIT = RateLimit("actiontables.follow", limit=10, window=3600)


def _public_table(request, slug, *, preview=True) -> ActionTable:
    """Return the table at ``slug``.

    A forming table is not public yet: with ``preview`` it is shown to staff who may see it,
    otherwise to nobody.
    """
    table = get_object_or_404(ActionTable.objects.for_page(), slug=slug)
    if table.status == ActionTable.Status.FORMING and not (
        preview and permissions.can_view_table(request.user, table)
    ):
        raise Http404
    return table


@require_safe
@public_page(query={"zone": one_of(*Zone.Code.values), "page": page_number})
def index(request):
    form = ZoneFilterForm(request.GET or None)
    zone = form.cleaned_data["zone"] if form.is_valid() else ""
    tables = ActionTable.objects.for_listing()
    if zone:
        tables = tables.filter(zones__code=zone)
    active = tables.filter(status=ActionTable.Status.ACTIVE).order_by("name")
    page = Paginator(active, TABLES_PER_PAGE).get_page(request.GET.get("page"))
    sunset = tables.filter(status=ActionTable.Status.SUNSET).order_by("-sunset_on", "name")
    context = {
        "form": form,
        "zone": zone,
        "zone_label": Zone.Code(zone).label if zone else "",
        "page": page,
        "sunset_tables": sunset,
    }
    response = render(
        request, "actiontables/index.html", context, status=400 if form.errors else 200
    )
    return not_kept_unless_shown(response, request, page)


@require_safe
@public_page(query={"page": page_number})
def table(request, slug):
    table = _public_table(request, slug)
    updates = ProgressUpdate.objects.published().filter(table=table)
    page = Paginator(updates, UPDATES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "table": table,
        "page": page,
        "indicators": table.related_indicators(),
    }
    response = render(request, "actiontables/table.html", context)
    return not_kept_unless_shown(response, request, page)


@require_safe
@public_page
def leadership(request):
    """Show the seats and who holds them. Two queries.

    The Region publishes the organizations only: the representative and term columns appear once
    staff record one, rather than a column of "not published" on every row.
    """
    seats = list(LeadershipSeat.objects.with_current_members())
    members = [member for seat in seats for member in seat.current_members]
    show_representative = any(m.representative or m.representative_title for m in members)
    show_term = any(m.term_start or m.term_end for m in members)
    return render(request, "actiontables/leadership.html", {
        "seats": seats,
        "show_representative": show_representative,
        "show_term": show_term,
        "vacant_span": 1 + show_representative + show_term,
    })


def _follow_form_without_database(request, slug):
    """Return the follow form as posted, for a request the database refused: the table's name
    is not at hand, so the page says "this action table"."""
    table = SimpleNamespace(
        name=_("this action table"),
        slug=slug,
        get_absolute_url=reverse("actiontables:table", args=[slug]),
    )
    return "actiontables/follow.html", {"table": table, "form": FollowForm(request.POST)}


@require_http_methods(["GET", "HEAD", "POST"])
@form_when_database_down(_follow_form_without_database)
def follow(request, slug):
    table = _public_table(request, slug, preview=False)
    refusal = None
    if request.method == "POST":
        form = FollowForm(request.POST)
        refusal = limit_form(request, form, FOLLOW_LIMIT)
        if refusal is None and form.is_valid():
            services.subscription_request(
                table=table,
                email=form.cleaned_data["email"],
                plan_reports=form.cleaned_data["plan_reports"],
            )
            return redirect("actiontables:follow_sent", slug=table.slug)
    else:
        form = FollowForm()
    status = 400 if form.errors else 200
    response = render(
        request, "actiontables/follow.html", {"table": table, "form": form}, status=status
    )
    return refuse(response, refusal)


@require_safe
def follow_sent(request, slug):
    table = _public_table(request, slug, preview=False)
    return render(request, "actiontables/follow_sent.html", {"table": table})


def _link_problem(request, problem: services.LinkProblem, *, action: str):
    subscription = problem.subscription
    status = 200 if problem.reason in {"used"} else 400
    context = {
        "reason": problem.reason,
        "action": action,
        "table": subscription.table if subscription else None,
    }
    return render(request, "actiontables/link_problem.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def follow_confirm(request, token):
    """Show a button on GET (mail scanners follow links) and confirm on POST."""
    try:
        if request.method == "POST":
            subscription = services.subscription_confirm(token=token)
            return render(request, "actiontables/follow_done.html", {"subscription": subscription})
        subscription = services.subscription_from_confirm_token(token)
    except services.LinkProblem as problem:
        return _link_problem(request, problem, action="confirm")
    return render(request, "actiontables/follow_confirm.html", {"subscription": subscription})


@require_http_methods(["GET", "HEAD", "POST"])
def follow_plan_reports(request, token):
    """Add the plan's yearly report to an active subscription: a button on GET, done on POST."""
    try:
        if request.method == "POST":
            subscription = services.subscription_add_plan_reports(token=token)
            done = True
        else:
            subscription = services.subscription_from_plan_reports_token(token)
            done = False
    except services.LinkProblem as problem:
        return _link_problem(request, problem, action="confirm")
    return render(request, "actiontables/follow_plan_reports.html",
                  {"subscription": subscription, "done": done})


@csrf_exempt  # RFC 8058 one-click unsubscribe POSTs come from mail providers, without a CSRF token
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    try:
        if request.method == "POST":
            subscription = services.subscription_cancel(token=token)
            return render(
                request, "actiontables/unsubscribe_done.html", {"subscription": subscription}
            )
        subscription = services.subscription_from_unsubscribe_token(token)
    except services.LinkProblem as problem:
        return _link_problem(request, problem, action="unsubscribe")
    return render(request, "actiontables/unsubscribe.html", {"subscription": subscription})
