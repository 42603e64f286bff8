"""The download a municipality sends when the Minister asks about its plan: every plan version,
the advisory committee, the consultations and each outcome's progress, as XLSX or JSON.

Both formats are built from the same rows, so they always agree.
"""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from plan.models import (
    CommitteeSeat,
    Consultation,
    Outcome,
    PlanVersion,
    committee_coverage,
)
from plan.reports import figures_for, outcome_entry

NO_TARGET = "no target set"


def _iso(value):
    return value.isoformat() if value else None


def plan_version_rows() -> list[dict]:
    rows = []
    for plan in PlanVersion.objects.order_by("adopted_on", "pk"):
        deadline = plan.publication_deadline
        rows.append({
            "title": plan.title,
            "slug": plan.slug,
            "adopted_on": _iso(plan.adopted_on),
            "dates_known_to_the": plan.date_precision,
            "council_resolution": plan.council_resolution,
            "published_on": _iso(plan.published_on),
            "published_within_30_days": (
                None if not (plan.published_on and deadline) else plan.published_on <= deadline
            ),
            "document_url": plan.document_url,
            "review_due_on": _iso(plan.review_due_on),
        })
    return rows


def committee_rows(today=None) -> tuple[list[dict], list[str]]:
    """Return one row per seat, and the sectors the law names that no current member covers."""
    seats = list(CommitteeSeat.objects.with_current_members(today))
    rows = [
        {
            "seat": seat.seat.name,
            "organizations": "; ".join(m.organization.name for m in seat.seat.current_members),
            "representatives": "; ".join(
                m.representative for m in seat.seat.current_members if m.representative
            ),
            "sectors": "; ".join(seat.sector_labels()),
            "note": seat.note,
        }
        for seat in seats
    ]
    missing = [str(sector.label) for sector in committee_coverage(seats)["missing"]]
    return rows, missing


def consultation_rows() -> list[dict]:
    return [
        {
            "plan": c.plan.slug,
            "title": c.title,
            "held_from": _iso(c.held_from),
            "held_to": _iso(c.held_to),
            "when": c.when_label,
            "form": str(c.get_form_display()),
            "groups_reached": "; ".join(c.group_labels()),
            "participants": c.participants,
            "participants_count_is": c.participants_qualifier,
            "participants_note": c.participants_note,
            "what_was_heard": c.heard,
        }
        for c in Consultation.objects.select_related("plan").order_by("held_from", "pk")
    ]


def outcome_rows() -> list[dict]:
    outcomes = list(
        Outcome.objects.select_related("indicator", "geography", "strategy__plan")
        .prefetch_related("strategy__risk_factors", "strategy__tables")
        .order_by("strategy__plan__adopted_on", "strategy__order", "order", "pk")
    )
    figures = figures_for(outcomes)
    rows = []
    for outcome in outcomes:
        entry = outcome_entry(outcome, figures.get((outcome.indicator_id, outcome.geography_id),
                                                   []))
        strategy = outcome.strategy
        rows.append({
            "plan": strategy.plan.slug,
            "priorities": "; ".join(r.name for r in strategy.risk_factors.all()),
            "strategy": strategy.name,
            "action_tables": "; ".join(t.name for t in strategy.tables.all()),
            "outcome": outcome.statement,
            "indicator": outcome.indicator.slug,
            "indicator_name": outcome.indicator.name,
            "measured_for": outcome.geography.name,
            "direction": outcome.direction,
            "baseline_period": outcome.baseline_period or None,
            "baseline_value": outcome.baseline_value,
            "target_year": outcome.target_year if outcome.has_target else NO_TARGET,
            "target_value": outcome.target_value if outcome.has_target else NO_TARGET,
            "latest_period": entry["latest"]["period"] if entry["latest"] else None,
            "latest_value": Decimal(entry["latest"]["value"]) if entry["latest"] else None,
            "progress": entry["status"],
        })
    return rows


SECTIONS = [
    ("plan_versions", "Plan versions"),
    ("committee", "Advisory committee"),
    ("consultations", "Consultations"),
    ("outcome_progress", "Outcome progress"),
]


def minister_export(today=None) -> dict:
    """Return every section of the export as lists of rows (dicts with the same keys)."""
    committee, missing = committee_rows(today)
    return {
        "generated_at": timezone.now().isoformat(),
        "plan_versions": plan_version_rows(),
        "committee": committee,
        "committee_missing_sectors": missing,
        "consultations": consultation_rows(),
        "outcome_progress": outcome_rows(),
        "progress_rule": _(
            "On track: moved from the baseline at least as far as a steady pace towards the "
            "target needs by now (or, with no target set, better than the baseline). Off "
            "track: otherwise. Not enough data: no baseline or no figure after it."
        ),
    }


def row_count(export: dict) -> int:
    return sum(len(export[key]) for key, _title in SECTIONS)


def sheets(export: dict) -> list[tuple[str, list[str], list[list]]]:
    """Return the export as workbook sheets (title, header, rows)."""
    result = []
    for key, title in SECTIONS:
        rows = export[key]
        header = list(rows[0].keys()) if rows else ["(none)"]
        result.append((title, header, [list(row.values()) for row in rows]))
    if export["committee_missing_sectors"]:
        result.append(("Committee coverage", ["missing sector"],
                       [[sector] for sector in export["committee_missing_sectors"]]))
    return result
