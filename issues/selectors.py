"""Reads: statistics about issues for staff (the admin page and its CSV export), and the
history of an issue as its resident may see it."""

from dataclasses import dataclass
from datetime import date, datetime
from statistics import median

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.models import (
    FIRST_RESPONSE_BUSINESS_DAYS,
    Channel,
    Issue,
    IssueEvent,
    Topic,
    business_days_before,
)
from issues.workflow import FINAL_STATES, State


@dataclass
class ResponseTimes:
    responded: int
    median_hours: float | None
    within_target: int
    waiting: int
    overdue: int

    @property
    def within_target_percent(self) -> float | None:
        if not self.responded:
            return None
        return round(100 * self.within_target / self.responded, 1)


def counted_issues(start=None, end=None):
    """Return the issues that count in statistics: everything but spam, within the dates."""
    issues = Issue.objects.exclude(status=State.SPAM)
    if start:
        issues = issues.filter(submitted_at__date__gte=start)
    if end:
        issues = issues.filter(submitted_at__date__lte=end)
    return issues


def counts_by_topic(issues) -> list[tuple[str, int]]:
    """Return every topic with its count (zero included), in the form's order. One query."""
    counts = dict(issues.values_list("topic").annotate(n=Count("pk")).order_by())
    return [(label, counts.get(value, 0)) for value, label in Topic.choices]


def counts_by_channel(issues) -> list[tuple[str, int]]:
    """Return every channel (web form, 311 system, phone, email, walk-in) with its count, zero
    included. One query."""
    counts = dict(issues.values_list("channel").annotate(n=Count("pk")).order_by())
    return [(label, counts.get(value, 0)) for value, label in Channel.choices]


def counts_by_municipality(issues) -> list[tuple[str, int]]:
    """Return each municipality with its count, in the usual order. One query."""
    from indicators.models import Geography

    counts = dict(issues.values_list("municipality").annotate(n=Count("pk")).order_by())
    return [(g.name, counts.get(g.pk, 0)) for g in Geography.objects.municipalities()]


def counts_by_month(issues) -> list[tuple[date, int]]:
    """Return (first day of the month, count) for every month that has issues, oldest first.
    One query."""
    rows = (
        issues.annotate(month=TruncMonth("submitted_at"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    return [(month.date(), n) for month, n in rows]


def response_times(issues, now=None) -> ResponseTimes:
    """Return how quickly issues got a first response. Two queries."""
    now = now or timezone.now()
    pairs = list(
        issues.filter(first_response_at__isnull=False).values_list(
            "submitted_at", F("first_response_at")
        )
    )
    hours = [(responded - submitted).total_seconds() / 3600 for submitted, responded in pairs]
    within = sum(
        1
        for submitted, responded in pairs
        if business_days_before(responded, FIRST_RESPONSE_BUSINESS_DAYS) <= submitted
    )
    waiting = issues.open().filter(first_response_at__isnull=True)
    cutoff = business_days_before(now, FIRST_RESPONSE_BUSINESS_DAYS)
    return ResponseTimes(
        responded=len(pairs),
        median_hours=round(median(hours), 1) if hours else None,
        within_target=within,
        waiting=waiting.count(),
        overdue=waiting.filter(submitted_at__lt=cutoff).count(),
    )


def statistics_rows(issues) -> list[list]:
    """Return the statistics as rows (section, label, value) for the CSV export."""
    rows = [["topic", label, n] for label, n in counts_by_topic(issues)]
    rows += [["channel", label, n] for label, n in counts_by_channel(issues)]
    rows += [["municipality", label, n] for label, n in counts_by_municipality(issues)]
    rows += [["month", month.isoformat()[:7], n] for month, n in counts_by_month(issues)]
    times = response_times(issues)
    rows += [
        ["first response", "issues with a response", times.responded],
        ["first response", "median hours to first response", times.median_hours],
        ["first response", "responded within five working days", times.within_target],
        ["first response", "open issues waiting for a first response", times.waiting],
        ["first response", "of which overdue", times.overdue],
    ]
    return rows


@dataclass
class TimelineEntry:
    when: datetime
    title: str
    # Staff's public response, as they wrote it (the template escapes it).
    response: str = ""
    action_table: object = None
    # The table's public page, when it has one (a forming table has none yet).
    action_table_url: str = ""
    # The resident-facing state the entry moved the issue to: it names the entry's style.
    state: str = ""


def public_timeline(issue: Issue) -> list[TimelineEntry]:
    """Return the issue's history as its resident may see it, oldest first. One query.

    Received, in review, referred to a table (named), responded (with the response), closed and
    reopened; never notes, assignments or who did what. Spam reads as closed. A response and the
    step that carried it are one entry.
    """
    from actiontables.models import ActionTable

    events = (
        issue.events.filter(
            Q(kind=IssueEvent.Kind.TRANSITION) | Q(kind=IssueEvent.Kind.RESPONSE, public=True)
        )
        .select_related("action_table")
        .order_by("created_at", "pk")
    )
    # Every issue was received, whichever way it came in (its event is not needed to say so).
    entries = [TimelineEntry(issue.submitted_at, _("Received"), state=State.NEW)]
    for event in events:
        if event.kind == IssueEvent.Kind.RESPONSE:
            entries.append(
                TimelineEntry(
                    event.created_at, _("Response from staff"), response=event.text,
                    state=State.RESPONDED,
                )
            )
        else:
            entry = _transition_entry(event, ActionTable)
            if entry is not None:
                entries.append(entry)
    return entries


def _transition_entry(event: IssueEvent, table_model) -> TimelineEntry | None:
    target, source = event.to_state, event.from_state
    when = event.created_at
    if target == State.RESPONDED:
        return None  # the response that came with it is the entry
    if target in FINAL_STATES:
        # Spam reads as closed; a second "closed" (closed, then marked spam) would say nothing.
        if source in FINAL_STATES:
            return None
        return TimelineEntry(when, _("Closed"), state=State.CLOSED)
    if source in FINAL_STATES:
        return TimelineEntry(when, _("Reopened"), state=target)
    if target == State.IN_REVIEW:
        return TimelineEntry(when, _("In review"), state=State.IN_REVIEW)
    if target == State.REFERRED:
        table = event.action_table
        if table is None:
            return TimelineEntry(when, _("Referred to an action table"), state=State.REFERRED)
        url = "" if table.status == table_model.Status.FORMING else table.get_absolute_url()
        return TimelineEntry(
            when,
            _("Referred to an action table: %(table)s") % {"table": table.name},
            action_table=table,
            action_table_url=url,
            state=State.REFERRED,
        )
    return None
