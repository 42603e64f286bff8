"""The plan's duties under the Community Safety and Policing Act, 2019 and its regulation on
community safety and well-being plans, each with its state and the evidence for it.

No section numbers are quoted: they were not checked against the statute's official text.
The yearly report's date (30 June of the following year) is this portal's working rule, not
the law's; the law asks for reports on the plan's effect to be published, without a date.
"""

import datetime
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plan.models import (
    CommitteeSeat,
    Consultation,
    DatePrecision,
    PlanVersion,
    ProgressReport,
    committee_coverage,
    consultation_coverage,
)
from plan.models.reports import Reminder

# The yearly report on year Y is due by this month and day of year Y + 1.
REPORT_DUE_MONTH, REPORT_DUE_DAY = 6, 30


class DutyState(models.TextChoices):
    MET = "met", gettext_lazy("Met")
    NOT_DUE = "not-due", gettext_lazy("Not due yet")
    DUE_SOON = "due-soon", gettext_lazy("Due soon")
    NOT_MET = "not-met", gettext_lazy("Not met")


SYMBOLS = {DutyState.MET: "✓", DutyState.NOT_DUE: "○", DutyState.DUE_SOON: "!",
           DutyState.NOT_MET: "✗"}


@dataclass(frozen=True)
class Lead:
    delta: relativedelta
    label: str


@dataclass(frozen=True)
class Deadline:
    kind: str
    due: datetime.date
    met: bool
    leads: tuple[Lead, ...]


@dataclass
class Duty:
    key: str
    title: str
    state: str
    evidence: list[str] = field(default_factory=list)
    due: datetime.date | None = None

    @property
    def state_label(self) -> str:
        return str(DutyState(self.state).label)

    @property
    def symbol(self) -> str:
        return SYMBOLS[DutyState(self.state)]


def report_due(year: int) -> datetime.date:
    """Return the day the report on ``year`` should be published by."""
    return datetime.date(year + 1, REPORT_DUE_MONTH, REPORT_DUE_DAY)


def _day(value) -> str:
    return date_format(value)


def _in(value, precision) -> str:
    return date_format(value, "YEAR_MONTH_FORMAT" if precision == DatePrecision.MONTH else "Y")


def deadlines(plan: PlanVersion, today: datetime.date) -> list[Deadline]:
    """Return the plan's dated duties that reminders are sent for."""
    if not plan.adopted_on:
        return []
    result = [
        Deadline(
            Reminder.Kind.PUBLICATION, plan.publication_deadline, plan.published_on is not None,
            (Lead(relativedelta(days=14), _("14 days before")),
             Lead(relativedelta(days=3), _("3 days before"))),
        ),
    ]
    year = today.year - 1
    if year >= plan.adopted_on.year:
        reported = ProgressReport.objects.published().filter(plan=plan, year=year).exists()
        result.append(Deadline(
            Reminder.Kind.YEARLY_REPORT, report_due(year), reported,
            (Lead(relativedelta(days=60), _("60 days before")),
             Lead(relativedelta(days=14), _("14 days before"))),
        ))
    if plan.review_due_on:
        result.append(Deadline(
            Reminder.Kind.REVIEW, plan.review_due_on, False,
            (Lead(relativedelta(months=12), _("12 months before")),
             Lead(relativedelta(months=6), _("6 months before")),
             Lead(relativedelta(months=3), _("3 months before"))),
        ))
    return result


def _dated_state(*, met: bool, due: datetime.date, today: datetime.date, soon: relativedelta):
    if met:
        return DutyState.MET
    if due < today:
        return DutyState.NOT_MET
    return DutyState.DUE_SOON if due - soon <= today else DutyState.NOT_DUE


def duties(plan: PlanVersion, today: datetime.date) -> list[Duty]:
    """Return every duty of ``plan`` with its state and evidence, as of ``today``."""
    result = []

    seats = list(CommitteeSeat.objects.with_current_members(today))
    coverage = committee_coverage(seats)
    evidence = [
        _("%(seat)s: %(sectors)s") % {
            "seat": seat.seat.name,
            "sectors": ", ".join(seat.sector_labels()) or _("no sector the law names"),
        }
        + ("" if seat.seat.current_members else " " + _("(no current member: not counted)"))
        for seat in seats
    ]
    if coverage["missing"]:
        evidence.append(_("Missing: %(sectors)s.") % {
            "sectors": "; ".join(str(s.label) for s in coverage["missing"])})
    result.append(Duty(
        "committee", _("The advisory committee includes every sector the law names"),
        DutyState.MET if coverage["complete"] else DutyState.NOT_MET,
        evidence or [_("No leadership group seat is tagged as an advisory committee seat.")],
    ))

    consultations = list(Consultation.objects.filter(plan=plan))
    reach = consultation_coverage(consultations)
    evidence = [
        _("%(title)s (%(when)s): %(groups)s") % {
            "title": c.title, "when": c.when_label or c.held_from.year,
            "groups": ", ".join(c.group_labels()) or _("no group recorded"),
        }
        for c in consultations
    ]
    if reach["missing"]:
        evidence.append(_("Not reached in any recorded consultation: %(groups)s.") % {
            "groups": "; ".join(str(g.label) for g in reach["missing"])})
    result.append(Duty(
        "consultation", _("The consultation reached every group the law names"),
        DutyState.MET if reach["complete"] else DutyState.NOT_MET,
        evidence or [_("No consultation is recorded for this plan.")],
    ))

    if plan.adopted_on:
        deadline = plan.publication_deadline
        if plan.published_on and plan.date_precision != DatePrecision.DAY:
            # Only the month (or year) is on record: within one month is always within 30 days.
            same_month = (plan.published_on.year, plan.published_on.month) == (
                plan.adopted_on.year, plan.adopted_on.month)
            known = plan.date_precision == DatePrecision.MONTH and same_month
            state = DutyState.MET if known else DutyState.NOT_MET
            evidence = [_("Adopted %(adopted)s, published %(published)s; only the %(unit)s is "
                          "on record.") % {
                "adopted": _in(plan.adopted_on, plan.date_precision),
                "published": _in(plan.published_on, plan.date_precision),
                "unit": _("month") if plan.date_precision == DatePrecision.MONTH else _("year")}]
            if not known:
                evidence.append(_("Enter the exact dates to show that the plan went online "
                                  "within 30 days."))
        elif plan.published_on:
            on_time = plan.published_on <= deadline
            state = DutyState.MET if on_time else DutyState.NOT_MET
            evidence = [_("Adopted %(adopted)s, published %(published)s (%(days)s days later).")
                        % {"adopted": _day(plan.adopted_on), "published": _day(plan.published_on),
                           "days": (plan.published_on - plan.adopted_on).days}]
            if not on_time:
                evidence.append(_("That is later than the 30 days the law allows."))
        else:
            state = _dated_state(met=False, due=deadline, today=today,
                                 soon=relativedelta(days=30))
            evidence = [_("Adopted %(adopted)s; not published yet. Due by %(due)s.")
                        % {"adopted": _day(plan.adopted_on), "due": _day(deadline)}]
        if plan.document_url:
            evidence.append(_("Document: %(url)s") % {"url": plan.document_url})
        result.append(Duty("publication", _("Published online within 30 days of adoption"),
                           state, evidence, deadline))

        year = today.year - 1
        if year >= plan.adopted_on.year:
            report = ProgressReport.objects.filter(plan=plan, year=year).first()
            due = report_due(year)
            met = bool(report and report.is_published)
            state = _dated_state(met=met, due=due, today=today, soon=relativedelta(months=2))
            if met:
                evidence = [_("Published %(date)s.") % {"date": _day(report.published_at)}]
            elif report:
                evidence = [_("A draft exists; it is not approved yet. Due by %(due)s.")
                            % {"due": _day(due)}]
            else:
                evidence = [_("No report yet. Due by %(due)s (the portal's working date).")
                            % {"due": _day(due)}]
            result.append(Duty("yearly-report",
                               _("The plan's effect reported for %(year)s") % {"year": year},
                               state, evidence, due))

    if plan.review_due_on:
        state = _dated_state(met=False, due=plan.review_due_on, today=today,
                             soon=relativedelta(months=12))
        result.append(Duty(
            "review", _("The plan reviewed every four years"), state,
            [_("Review due by %(due)s.") % {"due": _day(plan.review_due_on)}],
            plan.review_due_on,
        ))
    return result
