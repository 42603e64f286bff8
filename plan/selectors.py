"""Reads for the public plan pages, each in a fixed number of queries."""

from django.db.models import Prefetch, Subquery
from django.utils import timezone

from actiontables.models import ActionTable
from plan.models import Outcome, PlanVersion, ProgressReport, RiskFactor, Strategy
from plan.reports import figures_for, outcome_entry


def current_plan_id(today=None):
    """Return a subquery for the id of the plan in force (none when no plan is adopted)."""
    return Subquery(PlanVersion.objects.adopted(today or timezone.localdate()).values("pk")[:1])


def strategies_with_outcomes(plan):
    return (
        Strategy.objects.filter(plan=plan)
        .prefetch_related(
            "risk_factors",
            Prefetch("tables", queryset=ActionTable.objects.public().order_by("name")),
            Prefetch("outcomes", queryset=Outcome.objects.select_related("indicator",
                                                                          "geography")),
        )
    )


def plan_page(plan: PlanVersion) -> dict:
    """Return what the plan page shows: priorities with their strategies, tables and outcomes
    (with progress), the other risk factors, the timeline and the published reports."""
    strategies = list(strategies_with_outcomes(plan))
    risk_factors = list(RiskFactor.objects.filter(plan=plan))
    outcomes = [o for s in strategies for o in s.outcomes.all()]
    figures = figures_for(outcomes)
    entries = {
        o.pk: outcome_entry(o, figures.get((o.indicator_id, o.geography_id), []))
        for o in outcomes
    }
    priorities = []
    for risk in (r for r in risk_factors if r.is_priority):
        answering = [s for s in strategies if any(r.pk == risk.pk for r in s.risk_factors.all())]
        priorities.append({
            "risk": risk,
            "strategies": [
                {"strategy": s, "tables": list(s.tables.all()),
                 "outcomes": [entries[o.pk] | {"published": o.indicator.published}
                              for o in s.outcomes.all()]}
                for s in answering
            ],
        })
    unanswered = [s for s in strategies
                  if not any(r.is_priority for r in s.risk_factors.all())]
    return {
        "plan": plan,
        "priorities": priorities,
        "other_risks": [r for r in risk_factors if not r.is_priority],
        "unanswered_strategies": unanswered,
        "milestones": list(plan.milestones.all()),
        "reports": list(ProgressReport.objects.published().filter(plan=plan).order_by("-year")),
        "earlier": list(PlanVersion.objects.adopted().exclude(pk=plan.pk)),
        "counts": {
            "priorities": len(priorities),
            "strategies": len(strategies),
            "outcomes": len(outcomes),
        },
    }


def strategies_for_table(table) -> list[Strategy]:
    """Return the current plan's strategies a table carries out, with the priorities they answer
    and their outcomes (three queries)."""
    return list(
        Strategy.objects.filter(plan_id=current_plan_id(), tables=table)
        .prefetch_related(
            Prefetch("risk_factors", queryset=RiskFactor.objects.filter(is_priority=True)),
            Prefetch("outcomes", queryset=Outcome.objects.select_related("indicator")),
        )
    )


def outcomes_for_indicator(indicator) -> list[Outcome]:
    """Return the current plan's outcomes an indicator measures, with their strategy (one
    query)."""
    return list(
        Outcome.objects.filter(indicator=indicator, strategy__plan_id=current_plan_id())
        .select_related("strategy", "geography")
    )
