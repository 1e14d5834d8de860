"""ROI calculator: commands.md "ROI" on hand-built accounts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from memory.read import Account, AccountData, Contract, Goal, RoiRow
from tests.factories import portfolio
from tools.roi import ROI_CATEGORIES, roi

AS_OF = date(2026, 11, 23)


def _account(rows=(), goals=(), contracts=None) -> AccountData:
    if contracts is None:
        contracts = [Contract("C1", "A1", 100_000.0, date(2026, 1, 1), date(2026, 12, 31))]
    return AccountData(
        account=Account("A1", "Acme Corp"),
        contracts=list(contracts),
        roi=list(rows),
        goals=list(goals),
    )


def _row(category, before, after, *, unit="hours", rate=80.0, period="week", **kw) -> RoiRow:
    kw.setdefault("metric", f"{category} metric")
    kw.setdefault("recorded_at", date(2026, 9, 1))
    return RoiRow(
        "A1",
        category,
        kw.pop("metric"),
        unit,
        before=before,
        after=after,
        rate_usd=rate,
        period=period,
        **kw,
    )


def _cat(result, name):
    return next(c for c in result.categories if c.category == name)


def _gap(result, signal):
    return [g for g in result.gaps if g.signal == signal]


FULL = [
    # time_saved: (10 - 4) h/week x 52 x $80 = $24,960
    _row("time_saved", 10, 4, metric="hours per week on reporting"),
    # cost_reduction, usd, year: (30,000 - 18,000) x 1 = $12,000 (no rate needed)
    _row("cost_reduction", 30_000, 18_000, unit="usd", rate=None, period="year"),
    # revenue_impact, usd, quarter: (50,000 - 20,000) x 4 = $120,000 (after - before)
    _row("revenue_impact", 20_000, 50_000, unit="USD", rate=None, period="quarter"),
    # productivity, month: (150 - 100) reports x 12 x $5 = $3,000 (after - before)
    _row("productivity", 100, 150, unit="reports", rate=5.0, period="month"),
    # risk_reduction: (12 - 2) incidents/quarter x 4 x $500 = $20,000
    _row("risk_reduction", 12, 2, unit="incidents", rate=500.0, period="quarter"),
]


def test_each_category_annualised_and_dollarised():
    result = roi(portfolio(AS_OF, _account(FULL)), "A1")
    assert result.command == "roi"
    assert [c.category for c in result.categories] == list(ROI_CATEGORIES)
    assert _cat(result, "time_saved").annual_value_usd == 24_960
    assert _cat(result, "cost_reduction").annual_value_usd == 12_000
    assert _cat(result, "revenue_impact").annual_value_usd == 120_000
    assert _cat(result, "productivity").annual_value_usd == 3_000
    assert _cat(result, "risk_reduction").annual_value_usd == 20_000
    # 24,960 + 12,000 + 120,000 + 3,000 + 20,000 = 179,960; / ARR 100,000 = 1.7996
    assert result.total_annual_value_usd == 179_960
    assert result.roi_multiple == pytest.approx(1.7996)
    assert result.arr == 100_000
    line = _cat(result, "time_saved").rows[0]
    assert (line.improvement, line.periods_per_year, line.annual_improvement) == (6, 52, 312)
    assert line.calculation == "(10 - 4) hours/week x 52 x $80 rate_usd = $24,960"
    assert [g.signal for g in result.gaps] == ["goals"]  # only the benchmark is missing


def test_usd_row_ignores_rate():
    # unit usd is already dollars: (1,000 - 400) x 12 = $7,200, the rate of 99 is not applied
    rows = [_row("cost_reduction", 1_000, 400, unit="usd", rate=99.0, period="month")]
    result = roi(portfolio(AS_OF, _account(rows)), "A1")
    assert _cat(result, "cost_reduction").annual_value_usd == 7_200


def test_worse_after_is_a_negative_value_not_dropped():
    # time_saved got worse: (4 - 6) h/week x 52 x $50 = -$5,200
    rows = [_row("time_saved", 4, 6, rate=50.0)]
    result = roi(portfolio(AS_OF, _account(rows)), "A1")
    assert _cat(result, "time_saved").annual_value_usd == -5_200
    assert result.total_annual_value_usd == -5_200


def test_category_without_rows_is_a_gap_naming_what_to_track():
    rows = [_row("time_saved", 10, 4)]  # $24,960 as above; the other four have no rows
    result = roi(portfolio(AS_OF, _account(rows)), "A1")
    missing = _cat(result, "productivity")
    assert missing.annual_value_usd is None
    assert "output per user" in missing.track_next_quarter
    (gap,) = _gap(result, "roi")
    assert gap.account_id == "A1"
    assert gap.needed_for == (
        "roi: cost_reduction; roi: revenue_impact; roi: productivity; roi: risk_reduction"
    )
    assert "track next quarter" in gap.detail
    # the total sums only the categories with a value
    assert result.total_annual_value_usd == 24_960


def test_empty_rate_in_other_units_is_a_gap_and_left_out_of_total():
    rows = [
        _row("time_saved", 10, 4),  # $24,960
        _row("risk_reduction", 12, 2, unit="incidents", rate=None, period="quarter"),
    ]
    result = roi(portfolio(AS_OF, _account(rows)), "A1")
    risk = _cat(result, "risk_reduction")
    assert risk.annual_value_usd is None
    assert risk.rows[0].annual_improvement == 40  # (12 - 2) x 4, still shown
    assert risk.track_next_quarter is not None
    (gap,) = _gap(result, "rate_usd")
    assert gap.needed_for == "roi: risk_reduction"
    assert result.total_annual_value_usd == 24_960


def test_partial_category_keeps_valued_rows_and_gaps_the_rest():
    rows = [
        _row("time_saved", 10, 4, metric="reporting"),  # $24,960
        _row("time_saved", 5, 3, metric="onboarding", rate=None),  # no rate: gap
    ]
    result = roi(portfolio(AS_OF, _account(rows)), "A1")
    cat = _cat(result, "time_saved")
    assert cat.annual_value_usd == 24_960
    assert cat.partial is True
    assert _gap(result, "rate_usd")


def test_empty_before_or_unknown_period_are_gaps():
    rows = [
        _row("time_saved", None, 4),
        _row("productivity", 1, 2, period=None, unit="reports", rate=5.0),
    ]
    result = roi(portfolio(AS_OF, _account(rows)), "A1")
    assert _cat(result, "time_saved").annual_value_usd is None
    assert _gap(result, "before")[0].needed_for == "roi: time_saved"
    assert _gap(result, "period")[0].needed_for == "roi: productivity"
    assert result.total_annual_value_usd is None
    assert result.roi_multiple is None


def test_estimates_are_labelled():
    rows = [_row("time_saved", 10, 4, source="estimate"), _row("cost_reduction", 2, 1, unit="usd")]
    result = roi(portfolio(AS_OF, _account(rows)), "A1")
    assert _cat(result, "time_saved").estimate is True
    assert _cat(result, "time_saved").rows[0].estimate is True
    assert _cat(result, "cost_reduction").estimate is False
    assert result.estimate is True


def test_only_rows_recorded_on_or_before_as_of():
    rows = [
        _row("time_saved", 10, 4, recorded_at=AS_OF),  # counted: $24,960
        _row("productivity", 1, 2, unit="usd", recorded_at=AS_OF + timedelta(days=1)),
    ]
    result = roi(portfolio(AS_OF + timedelta(days=5), _account(rows)), "A1", AS_OF)
    assert result.as_of == AS_OF
    assert _cat(result, "time_saved").annual_value_usd == 24_960
    assert _cat(result, "productivity").annual_value_usd is None
    assert result.total_annual_value_usd == 24_960


def test_latest_measurement_of_a_metric_counts_once():
    rows = [
        _row("time_saved", 10, 6, metric="reporting", recorded_at=date(2026, 3, 1)),
        # latest: (10 - 4) x 52 x $80 = $24,960; the March row is superseded, not added
        _row("time_saved", 10, 4, metric="Reporting ", recorded_at=date(2026, 9, 1)),
    ]
    result = roi(portfolio(AS_OF, _account(rows)), "A1")
    cat = _cat(result, "time_saved")
    assert cat.annual_value_usd == 24_960
    assert cat.superseded == 1
    # as of April only the March row exists: (10 - 6) x 52 x $80 = $16,640
    early = roi(portfolio(AS_OF, _account(rows)), "A1", date(2026, 4, 1))
    assert _cat(early, "time_saved").annual_value_usd == 16_640


def test_undated_row_is_used_and_reported():
    rows = [_row("time_saved", 10, 4, recorded_at=None)]
    result = roi(portfolio(AS_OF, _account(rows)), "A1")
    assert _cat(result, "time_saved").annual_value_usd == 24_960
    assert _gap(result, "recorded_at")


def test_zero_arr_gives_no_multiple_and_a_gap():
    ended = [Contract("C1", "A1", 100_000.0, date(2025, 1, 1), date(2025, 12, 31))]
    result = roi(portfolio(AS_OF, _account(FULL, contracts=ended)), "A1")
    assert result.arr == 0
    assert result.total_annual_value_usd == 179_960
    assert result.roi_multiple is None
    (gap,) = _gap(result, "contracts")
    assert gap.needed_for == "roi: roi_multiple"
    assert gap.detail == "ARR on 2026-11-23 is 0"


def test_no_contract_means_unknown_arr():
    result = roi(portfolio(AS_OF, _account(FULL, contracts=[])), "A1")
    assert result.arr is None
    assert result.roi_multiple is None
    assert _gap(result, "contracts")[0].detail == "no contract on record"


def test_kickoff_goals_are_the_benchmark_beside_the_value():
    goals = [
        Goal(
            "G1",
            "A1",
            "Cut reporting time",
            metric="hours per week on reporting",
            baseline=10,
            target=5,
            current=4,
            unit="hours",
            status="achieved",
            set_at=date(2026, 1, 15),
        ),
        Goal("G2", "A1", "Later goal", set_at=AS_OF + timedelta(days=1)),
    ]
    result = roi(portfolio(AS_OF, _account(FULL, goals=goals)), "A1")
    assert [b.goal_id for b in result.benchmark] == ["G1"]  # G2 set after as-of
    line = _cat(result, "time_saved").rows[0]
    assert line.goal is not None and line.goal.target == 5
    assert not _gap(result, "goals")


def test_renderer_labels_estimates_and_shows_the_arithmetic():
    from rich.console import Console

    from agent.render.roi import render_roi

    rows = [_row("time_saved", 10, 4, source="estimate")]
    console = Console(record=True, width=200)
    console.print(render_roi(roi(portfolio(AS_OF, _account(rows)), "A1")))
    text = console.export_text()
    assert "$24,960 (estimate)" in text
    assert "(10 - 4) hours/week x 52 x $80 rate_usd = $24,960" in text
    assert "track next quarter" in text
    assert "Data gaps" in text
