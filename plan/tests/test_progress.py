from decimal import Decimal as D

from plan.progress import Figure, Status, assess


def figures(*pairs):
    return [Figure(str(year), year, D(value)) for year, value in pairs]


def reading(**kwargs):
    defaults = {"direction": "decrease", "baseline_end": 2020, "baseline_value": D("20"),
                "target_value": None, "target_year": None, "figures": []}
    return assess(**{**defaults, **kwargs})


def test_it_needs_a_baseline_and_a_later_figure():
    assert reading(baseline_value=None).status == Status.NOT_ENOUGH_DATA
    assert reading(figures=figures((2019, 30), (2020, 20))).status == Status.NOT_ENOUGH_DATA


def test_without_a_target_it_is_on_track_only_when_better_than_the_baseline():
    assert reading(figures=figures((2022, 18))).status == Status.ON_TRACK
    assert reading(figures=figures((2022, 20))).status == Status.OFF_TRACK
    assert reading(figures=figures((2022, 25))).status == Status.OFF_TRACK
    assert reading(direction="increase", figures=figures((2022, 25))).status == Status.ON_TRACK


def test_with_a_target_it_compares_with_a_steady_pace():
    # 20 -> 10 between 2020 and 2030: one point a year, so 2024 should be at 16 or below.
    target = {"target_value": D("10"), "target_year": 2030}
    assert reading(figures=figures((2024, 16)), **target).status == Status.ON_TRACK
    assert reading(figures=figures((2024, "16.5")), **target).status == Status.OFF_TRACK
    behind = reading(figures=figures((2024, 17)), **target)
    assert behind.expected == D("4") and behind.improvement == D("3")


def test_it_uses_the_latest_figure_up_to_the_year_asked():
    series = figures((2021, 25), (2023, 15))
    assert reading(figures=series).status == Status.ON_TRACK
    assert reading(figures=series, as_of_year=2022).status == Status.OFF_TRACK
    assert reading(figures=series, as_of_year=2022).latest.period == "2021"


def test_it_reads_in_words_and_symbols():
    on = reading(figures=figures((2022, 18)))
    assert (on.label, on.symbol) == ("On track", "✓")
    assert on.change == D("-2")
    off = reading(figures=figures((2022, 21)))
    assert (off.label, off.symbol) == ("Off track", "✗")
    none = reading()
    assert (none.label, none.symbol) == ("Not enough data", "○")
