"""Reads for staff: statistics about issues, for the admin page and its CSV export."""

from dataclasses import dataclass
from statistics import median

from django.db.models import Count, F
from django.db.models.functions import TruncMonth
from django.utils import timezone

from issues.models import FIRST_RESPONSE_BUSINESS_DAYS, Issue, Topic, business_days_before
from issues.workflow import State


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


def counts_by_municipality(issues) -> list[tuple[str, int]]:
    """Return each municipality with its count, in the usual order. One query."""
    from indicators.models import Geography

    counts = dict(issues.values_list("municipality").annotate(n=Count("pk")).order_by())
    return [(g.name, counts.get(g.pk, 0)) for g in Geography.objects.municipalities()]


def counts_by_month(issues) -> list[tuple[str, int]]:
    """Return (YYYY-MM, count) for every month that has issues, oldest first. One query."""
    rows = (
        issues.annotate(month=TruncMonth("submitted_at"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    return [(month.strftime("%Y-%m"), n) for month, n in rows]


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
    rows += [["municipality", label, n] for label, n in counts_by_municipality(issues)]
    rows += [["month", label, n] for label, n in counts_by_month(issues)]
    times = response_times(issues)
    rows += [
        ["first response", "issues with a response", times.responded],
        ["first response", "median hours to first response", times.median_hours],
        ["first response", "responded within five working days", times.within_target],
        ["first response", "open issues waiting for a first response", times.waiting],
        ["first response", "of which overdue", times.overdue],
    ]
    return rows
