"""Cohort table: logo and revenue retention by first-contract month at months 0-12."""

from __future__ import annotations

from datetime import date

import pytest

from memory.read import Account, AccountData, Contract
from tests.factories import portfolio
from tools.retention import add_months, cohorts

AS_OF = date(2026, 11, 23)


def _acc(acc_id, *rows, status="active", churned_at=None) -> AccountData:
    contracts = [
        Contract(f"{acc_id}-{i}", acc_id, arr, start, end)
        for i, (arr, start, end) in enumerate(rows)
    ]
    account = Account(acc_id, acc_id, status=status, churned_at=churned_at)
    return AccountData(account=account, contracts=contracts)


def _points(cohort):
    return {p.month: (p.logo_retention, p.revenue_retention) for p in cohort.months}


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_cohort_retention_per_month():
    # X: 10,000 from 2026-01-15 all year; Y: 20,000 from 2026-01-31, ending 2026-03-15
    x = _acc("X", (10_000, date(2026, 1, 15), date(2026, 12, 31)))
    y = _acc("Y", (20_000, date(2026, 1, 31), date(2026, 3, 15)))
    result = cohorts(portfolio(AS_OF, x, y))
    assert result.command == "cohorts"
    assert result.months == [0, 1, 2, 3, 6, 12]
    (jan,) = result.cohorts
    assert (jan.cohort, jan.accounts, jan.start_arr) == ("2026-01", 2, 30_000)
    points = _points(jan)
    # month 0 (Jan 15 / Jan 31): both paying, 30,000 / 30,000
    assert points[0] == (1, 1)
    # month 1 (Feb 15 / Feb 28, clamped): both paying
    assert points[1] == (1, 1)
    # month 2 (Mar 15 / Mar 31): Y ended Mar 15 -> 1 of 2 logos, 10,000 / 30,000
    assert points[2] == (0.5, pytest.approx(1 / 3))
    assert points[6] == (0.5, pytest.approx(1 / 3))
    # month 12 (2027-01-31 for Y) is after as-of: not reached, None rather than 0
    assert points[12] == (None, None)


def test_revenue_retention_counts_expansion_and_first_month_is_the_earliest_contract():
    # Z: 5,000 from 2026-09-10, plus an upsell row of 5,000 from 2026-10-01
    z = _acc(
        "Z",
        (5_000, date(2026, 9, 10), date(2027, 9, 9)),
        (5_000, date(2026, 10, 1), date(2027, 9, 9)),
    )
    result = cohorts(portfolio(AS_OF, z))
    (sep,) = result.cohorts
    assert sep.cohort == "2026-09"
    points = _points(sep)
    # month 1 (2026-10-10): 10,000 / 5,000 = 2.0 revenue retention, 1 logo of 1
    assert points[1] == (1, 2)
    assert points[2] == (1, 2)  # 2026-11-10
    assert points[3] == (None, None)  # 2026-12-10 is after as-of


def test_month_reached_exactly_on_as_of():
    # first contract 2026-08-23: month 3 is 2026-11-23 = as-of, so it is measured
    w = _acc("W", (1_000, date(2026, 8, 23), date(2027, 8, 22)))
    points = _points(cohorts(portfolio(AS_OF, w)).cohorts[0])
    assert points[3] == (1, 1)
    # one day earlier it is not reached yet
    points = _points(cohorts(portfolio(AS_OF, w), date(2026, 11, 22)).cohorts[0])
    assert points[3] == (None, None)


def test_churned_account_stops_paying_and_cohorts_sort_oldest_first():
    # churned on 2026-03-01 with a contract running to year end: ARR 0 from that day
    c = _acc(
        "C",
        (8_000, date(2025, 12, 20), date(2026, 12, 19)),
        status="churned",
        churned_at=date(2026, 3, 1),
    )
    x = _acc("X", (10_000, date(2026, 1, 15), date(2026, 12, 31)))
    result = cohorts(portfolio(AS_OF, c, x))
    assert [co.cohort for co in result.cohorts] == ["2025-12", "2026-01"]
    points = _points(result.cohorts[0])
    assert points[2] == (1, 1)  # 2026-02-20: still paying
    assert points[3] == (0, 0)  # 2026-03-20: churned


def test_contracts_after_as_of_are_ignored_and_no_contract_is_a_gap():
    later = _acc("L", (1_000, date(2026, 12, 1), date(2027, 11, 30)))
    none = _acc("N")
    result = cohorts(portfolio(AS_OF, later, none))
    assert result.cohorts == []
    assert sorted(g.account_id for g in result.gaps) == ["L", "N"]
    assert {g.signal for g in result.gaps} == {"contracts"}


def test_zero_arr_cohort_has_no_revenue_retention_and_a_gap():
    free = _acc("F", (0, date(2026, 5, 1), date(2027, 4, 30)))
    result = cohorts(portfolio(AS_OF, free))
    points = _points(result.cohorts[0])
    assert points[0] == (0, None)  # not paying; revenue retention undefined, not 0
    assert result.gaps[0].signal == "contracts"


def test_renderer_marks_months_not_reached():
    from rich.console import Console

    from agent.render.retention import render_cohorts

    x = _acc("X", (10_000, date(2026, 1, 15), date(2026, 12, 31)))
    console = Console(record=True, width=200)
    console.print(render_cohorts(cohorts(portfolio(AS_OF, x))))
    text = console.export_text()
    assert "2026-01" in text and "100%" in text
    assert "month not reached yet" in text
