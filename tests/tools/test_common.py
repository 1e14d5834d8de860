"""The shared helpers every tool relies on: windows, gap merging, rounding."""

from datetime import date

from tools.common import Gaps, round_half_up, window
from tools.types import Gap


def test_windows_follow_the_convention_of_commands_md():
    # "the last 30 days" end on and include as-of; "the 30 before" are the 30 days before those
    assert window(date(2026, 11, 23), 30) == (date(2026, 10, 25), date(2026, 11, 23))
    assert window(date(2026, 11, 23), 30, 30) == (date(2026, 9, 25), date(2026, 10, 24))


def test_round_half_up_rounds_halves_up_not_to_even():
    assert [round_half_up(v) for v in (59.5, 60.5, 79.49, 0.5)] == [60, 61, 79, 1]


def test_one_gap_per_signal_and_account_naming_every_need_once():
    gaps = Gaps()
    gaps.add("nps", "health: outcomes", account_id="a1", detail="no NPS in 180 days")
    gaps.add("nps", "churn: negative_survey", account_id="a1", detail="no NPS in 180 days")
    gaps.add("nps", "health: outcomes", account_id="a2")
    merged = Gaps()
    merged.extend(gaps.list())
    merged.extend(gaps.list())  # the same gaps again: nothing doubles
    [a1, a2] = merged.list()
    assert a1.needed_for == "health: outcomes; churn: negative_survey"
    assert a1.detail == "no NPS in 180 days"
    assert (a1.source, a1.ask) == ("survey tool", "CS Ops")
    assert a2.account_id == "a2"


def test_extended_gaps_are_copies():
    original = Gap(signal="usage", needed_for="x", source="s", ask="a")
    gaps = Gaps()
    gaps.extend([original])
    gaps.add("usage", "y")
    assert original.needed_for == "x"
