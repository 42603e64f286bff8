"""Build the yearly progress report's content from the portal's data.

``report_data(plan=..., year=...)`` returns plain JSON-ready data (numbers already formatted for
readers), stored on the report when staff generate it, so that the HTML page and the PDF show
the same, fixed figures once the report is approved. It runs a fixed number of queries however
many priorities the plan has.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from actiontables.models import ActionTable, ProgressUpdate
from grants.models import Award
from grants.workflow import FUNDED_STATES
from indicators.models import Observation
from indicators.templatetags.indicators_tags import format_number
from issues.models import Issue
from issues.workflow import State as IssueState
from plan import progress
from plan.models import Consultation, Outcome, PlanVersion, RiskFactor, Strategy
from plan.models.choices import labels

FORMAT_VERSION = 1
# Counts of residents' issues below this are not shown exactly, so that nobody can be singled out.
SMALL_COUNT = 5


def small_count(count: int) -> str:
    """Return ``count`` for readers: "fewer than 5" when it is between 1 and 4."""
    if 0 < count < SMALL_COUNT:
        return _("fewer than %(n)s") % {"n": SMALL_COUNT}
    return f"{count:,}"


def money(amount) -> str:
    return f"${Decimal(amount):,.0f}"


def figures_for(outcomes) -> dict[tuple[int, int], list[progress.Figure]]:
    """Return each (indicator, geography)'s usable figures for ``outcomes``, in one query."""
    pairs = {(o.indicator_id, o.geography_id) for o in outcomes}
    if not pairs:
        return {}
    condition = Q()
    for indicator_id, geography_id in pairs:
        condition |= Q(indicator_id=indicator_id, geography_id=geography_id)
    found = defaultdict(list)
    rows = Observation.objects.filter(condition, value__isnull=False).values_list(
        "indicator_id", "geography_id", "period", "period_end", "value"
    )
    for indicator_id, geography_id, period, end, value in rows:
        found[(indicator_id, geography_id)].append(progress.Figure(period, end, value))
    return found


def outcome_entry(outcome: Outcome, figures: list[progress.Figure], *, as_of_year=None) -> dict:
    """Return what a page shows about one outcome and its progress (JSON-ready)."""
    indicator = outcome.indicator
    reading = outcome.assess(figures, as_of_year=as_of_year)

    def shown(value):
        return format_number(value, indicator) if value is not None else ""

    in_year = next((f for f in figures if as_of_year and f.end == as_of_year
                    and f.period == str(as_of_year)), None)
    return {
        "id": outcome.pk,
        "statement": outcome.statement,
        "indicator": {"name": indicator.name, "slug": indicator.slug,
                      "demo": indicator.is_demo},
        "geography": outcome.geography.name,
        "direction": outcome.direction,
        "direction_label": str(outcome.get_direction_display()),
        "baseline": (
            {"period": outcome.baseline_period, "value": str(outcome.baseline_value),
             "display": shown(outcome.baseline_value)}
            if outcome.baseline_value is not None else None
        ),
        "target": (
            {"year": outcome.target_year, "value": str(outcome.target_value),
             "display": shown(outcome.target_value)}
            if outcome.has_target else None
        ),
        "target_note": outcome.target_note,
        "latest": (
            {"period": reading.latest.period, "value": str(reading.latest.value),
             "display": shown(reading.latest.value)}
            if reading.latest else None
        ),
        "in_year": (
            {"period": in_year.period, "value": str(in_year.value),
             "display": shown(in_year.value)}
            if in_year else None
        ),
        "change": (
            {"value": str(reading.change), "display": _signed(shown(abs(reading.change)),
                                                              reading.change)}
            if reading.change is not None else None
        ),
        "status": reading.status,
        "status_label": reading.label,
        "symbol": reading.symbol,
    }


def _signed(text: str, change: Decimal) -> str:
    if change > 0:
        return f"+{text}"
    if change < 0:
        return f"−{text}"
    return _("no change")


def report_data(*, plan: PlanVersion, year: int) -> dict:
    """Return the content of ``plan``'s progress report for ``year``."""
    strategies = list(
        Strategy.objects.filter(plan=plan)
        .prefetch_related(
            "risk_factors",
            Prefetch("tables", queryset=ActionTable.objects.order_by("name")),
            Prefetch("outcomes", queryset=Outcome.objects.select_related("indicator",
                                                                          "geography")),
        )
    )
    priorities = list(
        RiskFactor.objects.filter(plan=plan, is_priority=True).prefetch_related("funds")
    )
    outcomes = [o for s in strategies for o in s.outcomes.all()]
    figures = figures_for(outcomes)
    table_ids = {t.pk for s in strategies for t in s.tables.all()}
    updates = defaultdict(list)
    for update in (
        ProgressUpdate.objects.published()
        .filter(table_id__in=table_ids, date__year=year)
        .select_related("table")
        .order_by("date", "pk")
    ):
        updates[update.table_id].append({
            "date": update.date.isoformat(), "title": update.title,
            "url": update.get_absolute_url(),
        })
    fund_ids = {f.pk for p in priorities for f in p.funds.all()}
    awards = list(
        Award.objects.filter(
            fund_id__in=fund_ids,
            application__round__funding_year=year,
            application__state__in=FUNDED_STATES,
        )
        .select_related("application")
        .order_by("application__org_legal_name", "application__program_title")
    )
    topics = {t for p in priorities for t in p.issue_topics}
    issue_counts = defaultdict(int)
    for topic in (
        Issue.objects.filter(topic__in=topics, submitted_at__year=year)
        .exclude(status=IssueState.SPAM)
        .values_list("topic", flat=True)
    ):
        issue_counts[topic] += 1
    consultations = list(
        Consultation.objects.filter(plan=plan).in_year(year).prefetch_related("priorities")
        .order_by("held_from", "pk")
    )

    entries = []
    for priority in priorities:
        answering = [s for s in strategies if priority in s.risk_factors.all()]
        tables = {}
        strategy_entries = []
        for strategy in answering:
            for table in strategy.tables.all():
                tables[table.pk] = table
            strategy_entries.append({
                "id": strategy.pk,
                "name": strategy.name,
                "description": strategy.description,
                "tables": [{"name": t.name, "slug": t.slug} for t in strategy.tables.all()],
                "outcomes": [
                    outcome_entry(o, figures.get((o.indicator_id, o.geography_id), []),
                                  as_of_year=year)
                    for o in strategy.outcomes.all()
                ],
            })
        priority_funds = {f.pk for f in priority.funds.all()}
        priority_awards = [a for a in awards if a.fund_id in priority_funds]
        listed = [a for a in priority_awards if a.application.publish_consent]
        issue_total = sum(issue_counts[t] for t in priority.issue_topics)
        entries.append({
            "id": priority.pk,
            "name": priority.name,
            "description": priority.description,
            "strategies": strategy_entries,
            "tables": [
                {"name": t.name, "slug": t.slug, "updates": updates.get(t.pk, [])}
                for t in sorted(tables.values(), key=lambda t: t.name)
            ],
            "grants": {
                "count": len(priority_awards),
                "total": str(sum((a.amount for a in priority_awards), Decimal(0))),
                "total_display": money(sum((a.amount for a in priority_awards), Decimal(0))),
                "listed": [
                    {"organization": a.application.org_legal_name,
                     "program": a.application.program_title,
                     "amount_display": money(a.amount)}
                    for a in listed
                ],
                "unlisted": len(priority_awards) - len(listed),
            },
            "issues": {
                "topics": labels_for_topics(priority.issue_topics),
                "count": issue_total,
                "display": small_count(issue_total),
            },
            "consultations": [c.title for c in consultations if priority in c.priorities.all()],
        })

    consultation_entries = [
        {
            "title": c.title,
            "when": c.when_label or _dates(c),
            "form": str(c.get_form_display()),
            "groups": c.group_labels(),
            "participants": c.participants_display(),
            "participants_note": c.participants_note,
            "heard": c.heard,
        }
        for c in consultations
    ]
    published_updates = sum(len(v) for v in updates.values())
    figures_in_year = sum(
        1 for o in outcomes
        if any(f.end == year for f in figures.get((o.indicator_id, o.geography_id), []))
    )
    totals = {
        "updates": published_updates,
        "outcomes": len(outcomes),
        "outcomes_with_figure": figures_in_year,
        "awards": len(awards),
        "awarded_display": money(sum((a.amount for a in awards), Decimal(0))),
        "issues": sum(issue_counts.values()),
        "issues_display": small_count(sum(issue_counts.values())),
        "consultations": len(consultations),
    }
    empty = not (published_updates or figures_in_year or awards or totals["issues"]
                 or consultations)
    return {
        "format": FORMAT_VERSION,
        "year": year,
        "plan": {"title": plan.title, "slug": plan.slug},
        "generated_at": timezone.now().isoformat(),
        "priorities": entries,
        "consultations": consultation_entries,
        "totals": totals,
        "empty": empty,
    }


def labels_for_topics(values) -> list[str]:
    from issues.models import Topic

    return labels(Topic, values)


def _dates(consultation: Consultation) -> str:
    start = consultation.held_from
    end = consultation.held_to
    if end is None or end == start:
        return date_format(start)
    return f"{date_format(start)} – {date_format(end)}"


def render_report_pdf(report) -> bytes:
    """Return the tagged PDF of ``report``, from the content stored on it."""
    from django.conf import settings

    from cswb.lib.pdf import render_pdf

    context = {
        "report": report,
        "data": report.data,
        "SITE_URL": settings.SITE_URL,
        "SITE_NAME": settings.SITE_NAME,
        "report_url": settings.SITE_URL + report.get_absolute_url(),
    }
    return render_pdf("plan/report_pdf.html", context, stylesheets=["css/plan-report-pdf.css"])
