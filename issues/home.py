"""Issue triage's home: new issues, issues past the first-response target, issues assigned to me."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cswb.lib.home import Count, Item, Section
from issues import permissions
from issues.models import FIRST_RESPONSE_BUSINESS_DAYS, Issue
from issues.workflow import OPEN_STATES, State

SHOWN = 15


def _item(issue, now, user) -> Item:
    waiting = issue.first_response_at is None and issue.status in OPEN_STATES
    return Item(
        reference=issue.reference,
        title=f"{issue.get_topic_display()} · {issue.municipality.name} · "
              f"{issue.get_status_display()}",
        url=reverse("admin:issues_issue_change", args=[issue.pk]),
        since=issue.submitted_at,
        due=issue.first_response_due() if waiting else None,
        overdue=waiting and issue.is_overdue(now),
        note=(_("Assigned to you") if issue.assigned_to_id == user.pk
              else _("Nobody assigned") if issue.assigned_to_id is None else ""),
    )


def sections(user, *, summary=False) -> list[Section]:
    if not permissions.can_view_issues(user):
        return []
    now = timezone.now()
    changelist = reverse("admin:issues_issue_changelist")
    new = Issue.objects.filter(status=State.NEW)
    overdue = Issue.objects.overdue(now)
    mine = Issue.objects.open().filter(assigned_to=user)
    section = Section(
        key="issues",
        title=_("Residents' issues"),
        order=10,
        counts=[
            Count(_("New issues"), new.count(), f"{changelist}?status=new"),
            Count(_("Past the %(days)s-working-day first response")
                  % {"days": FIRST_RESPONSE_BUSINESS_DAYS}, overdue.count(),
                  f"{changelist}?age=overdue", alert=True),
            Count(_("Open issues assigned to me"), mine.count(), f"{changelist}?assigned=me"),
        ],
        empty=_("No issue is waiting: nothing new, overdue or assigned to you."),
        links=[(_("All open issues"), changelist)],
    )
    if summary:
        return [section]
    # Overdue first, then mine, then the rest of the new ones, each oldest first.
    seen, items = set(), []
    related = ("municipality",)
    for queryset in (overdue, mine, new):
        for issue in queryset.select_related(*related).order_by("submitted_at")[:SHOWN]:
            if issue.pk not in seen and len(items) < SHOWN:
                seen.add(issue.pk)
                items.append(_item(issue, now, user))
    section.items = items
    return [section]
