"""Grant staff's and reviewers' homes: applications to move on, reports due, reviews to do."""

import datetime

from django.db.models import Count as CountOf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cswb.lib.home import Count, Item, Section
from grants import permissions
from grants.models import Application, Report, Review
from grants.workflow import State

SHOWN = 15
REPORTS_AHEAD = datetime.timedelta(days=30)


def _application_item(application, note="") -> Item:
    return Item(
        reference=application.reference or "—",
        title=f"{application.org_legal_name} · {application.program_title}",
        url=reverse("admin:grants_application_change", args=[application.pk]),
        since=application.submitted_at,
        note=note or application.get_state_display(),
    )


def _staff_section(user, summary) -> Section:
    today = timezone.localdate()
    changelist = reverse("admin:grants_application_changelist")
    to_screen = Application.objects.filter(state__in=[State.SUBMITTED, State.SCREENING])
    to_assign = Application.objects.filter(state=State.IN_REVIEW).annotate(
        reviewers=CountOf("reviews")
    ).filter(reviewers=0)
    to_decide = Application.objects.filter(
        state__in=[State.RECOMMENDED, State.NOT_RECOMMENDED]
    )
    open_reports = Report.objects.filter(
        received_on__isnull=True, award__application__state__in=[State.APPROVED,
                                                                   State.REPORTING],
    )
    overdue = open_reports.filter(due_on__lt=today)
    due_soon = open_reports.filter(due_on__gte=today, due_on__lte=today + REPORTS_AHEAD)
    reports = reverse("admin:grants_report_changelist")
    section = Section(
        key="grants",
        title=_("Grant applications"),
        order=20,
        counts=[
            Count(_("To screen"), to_screen.count(), f"{changelist}?state__exact=submitted"),
            Count(_("In review without a reviewer"), to_assign.count(),
                  f"{changelist}?state__exact=in_review"),
            Count(_("Awaiting a decision"), to_decide.count(),
                  f"{changelist}?state__exact=recommended"),
            Count(_("Reports due in 30 days"), due_soon.count(), f"{reports}?due=outstanding"),
            Count(_("Reports overdue"), overdue.count(), f"{reports}?due=overdue", alert=True),
        ],
        empty=_("No application or report is waiting for you."),
        links=[(_("All applications"), changelist)],
    )
    if summary:
        return section
    items = []
    for queryset, note in ((to_decide, _("Awaiting a decision")),
                           (to_assign, _("Needs a reviewer")),
                           (to_screen, _("To screen"))):
        for application in queryset.order_by("submitted_at")[:SHOWN]:
            items.append(_application_item(application, note))
    for report in (overdue | due_soon).select_related("award__application").order_by("due_on")[
        :SHOWN
    ]:
        application = report.award.application
        items.append(Item(
            reference=application.reference or "—",
            title=f"{report.get_kind_display()} · {application.org_legal_name}",
            url=reverse("admin:grants_report_change", args=[report.pk]),
            due=report.due_on,
            overdue=report.due_on < today,
            note=_("Report overdue") if report.due_on < today else _("Report due"),
        ))
    section.items = items[:SHOWN * 2]
    return section


def _reviewer_section(user, summary) -> Section:
    today = timezone.localdate()
    to_do = (
        Review.objects.filter(
            reviewer=user, submitted_at__isnull=True, application__state=State.IN_REVIEW
        )
        .exclude(conflict=Review.Conflict.DECLARED)
        .select_related("application")
        .order_by("assigned_at")
    )
    section = Section(
        key="reviews",
        title=_("My reviews"),
        order=25,
        counts=[Count(_("Reviews to do"), to_do.count(),
                      reverse("admin:grants_review_changelist"))],
        empty=_("No review is waiting for you."),
    )
    if summary:
        return section
    for review in to_do[:SHOWN]:
        application = review.application
        due = review.due_on()
        section.items.append(Item(
            reference=application.reference or "—",
            title=f"{application.org_legal_name} · {application.program_title}",
            url=reverse("admin:grants_review_change", args=[review.pk]),
            since=review.assigned_at,
            due=due,
            overdue=due < today,
            note=(_("Declare any conflict first") if review.conflict == Review.Conflict.PENDING
                  else _("Score it")),
        ))
    return section


def sections(user, *, summary=False) -> list[Section]:
    found = []
    if permissions.is_grant_staff(user):
        found.append(_staff_section(user, summary))
    if permissions.is_reviewer(user) and not summary:
        found.append(_reviewer_section(user, summary))
    return found
