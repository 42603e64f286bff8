"""Reads for Open311: residents' issues as GeoReport service requests.

CSWB issues are about people, so a service request carries only what a resident's own private
page shows of the issue to anyone holding its link, minus the link: the reference, the topic,
open or closed, the public responses, who holds it and when. Never the description, the
location, names or contact details.
"""

from datetime import UTC, timedelta

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.models import Issue, IssueEvent
from issues.workflow import FINAL_STATES
from open311 import catalogue
from open311.georeport import GeoReportError, Params, parse_moment, w3c

# The standard's defaults: without dates, the last 90 days; at most 1000 requests per answer.
WINDOW = timedelta(days=90)
LIMIT = 1000
MAX_IDS = 100
STATUSES = ("open", "closed")


def _annotated(queryset):
    """Add the latest public response and the latest change (events staff see as such)."""
    events = IssueEvent.objects.filter(issue=OuterRef("pk")).order_by("-created_at", "-pk")
    return queryset.select_related("action_table").annotate(
        status_notes=Subquery(events.filter(public=True).values("text")[:1]),
        updated_at=Subquery(
            events.filter(
                kind__in=[
                    IssueEvent.Kind.SUBMITTED,
                    IssueEvent.Kind.TRANSITION,
                    IssueEvent.Kind.RESPONSE,
                ]
            ).values("created_at")[:1]
        ),
    )


def as_service_request(issue: Issue) -> dict:
    """Return ``issue`` in the standard's shape; ``issue`` comes from ``_annotated``."""
    closed = issue.status in FINAL_STATES
    agency = (
        issue.action_table.name if issue.action_table_id else settings.OPEN311_AGENCY
    )
    return {
        "service_request_id": issue.reference,
        "status": "closed" if closed else "open",
        "status_notes": issue.status_notes,
        "service_name": issue.get_topic_display(),
        "service_code": issue.topic,
        "agency_responsible": agency,
        "service_notice": str(issue.public_description),
        "requested_datetime": w3c(issue.submitted_at),
        "updated_datetime": w3c(
            (issue.closed_at if closed else None) or issue.updated_at or issue.submitted_at
        ),
        "expected_datetime": None,
    }


def request_by_reference(reference: str) -> dict:
    issue = _annotated(Issue.objects.filter(reference=reference)).first()
    if issue is None:
        raise GeoReportError(
            404, _("service_request_id %(id)s was not found.") % {"id": reference[:40]}
        )
    return as_service_request(issue)


def _list(params: Params, name: str) -> list[str]:
    return [value.strip() for value in params.get(name).split(",") if value.strip()]


def requests_matching(params: Params, *, now=None) -> list[dict]:
    """Return the requests a GET requests call asks for, newest first, at most ``LIMIT``.

    ``service_request_id`` (comma-separated) overrides every other filter, as the standard says.
    Otherwise ``service_code`` and ``status`` (comma-separated) filter within the window from
    ``start_date`` to ``end_date``: 90 days at most, the last 90 days by default.
    """
    ids = _list(params, "service_request_id")
    if ids:
        if len(ids) > MAX_IDS:
            raise GeoReportError(
                400, _("Ask for at most %(n)d service_request_id at once.") % {"n": MAX_IDS}
            )
        issues = Issue.objects.filter(reference__in=ids)
        return [as_service_request(i) for i in _annotated(issues).order_by("-submitted_at")]

    issues = Issue.objects.all()
    codes = _list(params, "service_code")
    unknown = sorted(set(codes) - set(catalogue.service_codes()))
    if unknown:
        raise GeoReportError(
            400, _("service_code %(codes)s was not found.") % {"codes": ", ".join(unknown)[:200]}
        )
    if codes:
        issues = issues.filter(topic__in=codes)
    statuses = [s.lower() for s in _list(params, "status")]
    if any(s not in STATUSES for s in statuses):
        raise GeoReportError(400, _("status must be open, closed, or both (open,closed)."))
    if set(statuses) == {"closed"}:
        issues = issues.filter(status__in=FINAL_STATES)
    elif set(statuses) == {"open"}:
        issues = issues.exclude(status__in=FINAL_STATES)
    now = now or timezone.now()
    start = parse_moment("start_date", params.get("start_date")) if "start_date" in params else None
    end = parse_moment("end_date", params.get("end_date")) if "end_date" in params else None
    try:
        start, end = _window(start, end, now)
    except OverflowError:
        raise GeoReportError(400, _("start_date and end_date must be real dates.")) from None
    issues = issues.filter(submitted_at__gte=start, submitted_at__lte=end)
    issues = _annotated(issues).order_by("-submitted_at", "-pk")[:LIMIT]
    return [as_service_request(i) for i in issues]


def _window(start, end, now):
    """Return the (start, end) to list: as given, or 90 days from the one given, or the last
    90 days; refuse a span over 90 days or the wrong way round."""
    if start and end:
        if start > end:
            raise GeoReportError(400, _("start_date must come before end_date."))
        if end - start > WINDOW:
            raise GeoReportError(
                400, _("start_date and end_date may be at most 90 days apart.")
            )
    elif start:
        end = start + WINDOW
    elif end:
        start = end - WINDOW
    else:
        start, end = now - WINDOW, now
    # The database compares in UTC: a date that has no UTC equivalent is refused here.
    return start.astimezone(UTC), end.astimezone(UTC)
