"""The community safety and well-being plan as data (see each module)."""

from plan.models.choices import Group, RiskCategory, Sector, StrategyApproach
from plan.models.engagement import (
    CommitteeSeat,
    Consultation,
    committee_coverage,
    consultation_coverage,
)
from plan.models.plan import (
    PUBLISH_WITHIN_DAYS,
    REVIEW_EVERY_YEARS,
    DatePrecision,
    Milestone,
    Outcome,
    PlanVersion,
    RiskFactor,
    Strategy,
)
from plan.models.reports import ProgressReport, Reminder, ReportPdf

__all__ = [
    "PUBLISH_WITHIN_DAYS",
    "REVIEW_EVERY_YEARS",
    "CommitteeSeat",
    "Consultation",
    "DatePrecision",
    "Group",
    "Milestone",
    "Outcome",
    "PlanVersion",
    "ProgressReport",
    "Reminder",
    "ReportPdf",
    "RiskCategory",
    "RiskFactor",
    "Sector",
    "Strategy",
    "StrategyApproach",
    "committee_coverage",
    "consultation_coverage",
]
