"""Whether an outcome is moving as the plan intends, computed from its indicator's figures.

The rule, also shown to readers on the plan page:

- **Not enough data**: no baseline, or no figure for a period after the baseline.
- With a target: **on track** when the latest figure has moved from the baseline towards the
  target at least as far as a steady pace from the baseline year to the target year would have
  by now (or has reached the target); otherwise **off track**.
- With no target set: **on track** when the latest figure is better than the baseline in the
  intended direction; otherwise (unchanged or worse) **off track**.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    ON_TRACK = "on-track", _("On track")
    OFF_TRACK = "off-track", _("Off track")
    NOT_ENOUGH_DATA = "not-enough-data", _("Not enough data")


# Shown beside the words, never instead of them.
SYMBOLS = {Status.ON_TRACK: "✓", Status.OFF_TRACK: "✗", Status.NOT_ENOUGH_DATA: "○"}

INCREASE, DECREASE = "increase", "decrease"


@dataclass(frozen=True)
class Figure:
    period: str
    end: int
    value: Decimal


@dataclass(frozen=True)
class Reading:
    status: str
    latest: Figure | None = None
    # Improvement since the baseline, in the indicator's unit: positive is better.
    improvement: Decimal | None = None
    # With a target: how far a steady pace would have come by the latest figure's year.
    expected: Decimal | None = None

    @property
    def label(self) -> str:
        return str(Status(self.status).label)

    @property
    def symbol(self) -> str:
        return SYMBOLS[Status(self.status)]

    @property
    def change(self) -> Decimal | None:
        """Return latest minus baseline, as the figures read (not signed by direction)."""
        return None if self.latest is None or self._baseline is None else (
            self.latest.value - self._baseline
        )

    _baseline: Decimal | None = None


def assess(
    *,
    direction: str,
    baseline_end: int | None,
    baseline_value: Decimal | None,
    target_value: Decimal | None,
    target_year: int | None,
    figures: list[Figure],
    as_of_year: int | None = None,
) -> Reading:
    """Return the outcome's progress from ``figures`` (one geography), up to ``as_of_year``."""
    if baseline_end is None or baseline_value is None:
        return Reading(Status.NOT_ENOUGH_DATA)
    later = [
        figure for figure in figures
        if figure.end > baseline_end and (as_of_year is None or figure.end <= as_of_year)
    ]
    if not later:
        return Reading(Status.NOT_ENOUGH_DATA, _baseline=baseline_value)
    latest = max(later, key=lambda figure: figure.end)
    sign = 1 if direction == INCREASE else -1
    improvement = (latest.value - baseline_value) * sign
    if target_value is None or target_year is None:
        status = Status.ON_TRACK if improvement > 0 else Status.OFF_TRACK
        return Reading(status, latest, improvement, _baseline=baseline_value)
    needed = (target_value - baseline_value) * sign
    span = max(target_year - baseline_end, 1)
    elapsed = min(latest.end - baseline_end, span)
    expected = needed * Decimal(elapsed) / Decimal(span)
    status = Status.ON_TRACK if improvement >= expected else Status.OFF_TRACK
    return Reading(status, latest, improvement, expected, _baseline=baseline_value)
