"""NRR / GRR / logo retention: commands.md "NRR / GRR over [a, b]" on hand-built accounts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from memory.read import Account, AccountData, Contract
from tests.factories import portfolio
from tools.retention import nrr

A = date(2026, 1, 1)  # period start (day a)
B = date(2026, 10, 31)  # period end (day b)


def _acc(acc_id, *rows, status="active", churned_at=None) -> AccountData:
    contracts = [
        Contract(f"{acc_id}-{i}", acc_id, arr, start, end)
        for i, (arr, start, end) in enumerate(rows)
    ]
    account = Account(acc_id, f"Account {acc_id}", status=status, churned_at=churned_at)
    return AccountData(account=account, contracts=contracts)


def _book() -> list[AccountData]:
    return [
        # expands 100,000 -> 120,000 (+20,000) by an amendment row from June
        _acc(
            "EXP",
            (100_000, date(2025, 6, 1), date(2026, 5, 31)),
            (120_000, date(2026, 6, 1), date(2027, 5, 31)),
        ),
        # contracts 50,000 -> 40,000 (-10,000)
        _acc("CON", (50_000, date(2025, 3, 1), date(2026, 2, 28)), (40_000, date(2026, 3, 1), B)),
        # churns: its 30,000 contract ended in June, ARR 0 on day b
        _acc("END", (30_000, date(2025, 7, 1), date(2026, 6, 30))),
        # flat at 20,000
        _acc("FLAT", (20_000, date(2025, 1, 1), date(2027, 1, 1))),
        # new business: ARR 0 on day a, 25,000 on day b -> not in the cohort
        _acc("NEW", (25_000, date(2026, 4, 1), date(2027, 3, 31))),
    ]


def test_nrr_grr_logo_retention_by_the_formulas():
    result = nrr(portfolio(B, *_book()), A, B)
    assert result.command == "nrr"
    assert (result.period_start, result.period_end, result.as_of) == (A, B, B)
    # start = 100,000 + 50,000 + 30,000 + 20,000 = 200,000 (NEW had 0 on day a)
    assert result.start_arr == 200_000
    assert result.expansion == 20_000
    assert result.contraction == 10_000
    assert result.churn == 30_000
    # NRR = (200,000 + 20,000 - 10,000 - 30,000) / 200,000 = 0.9
    assert result.nrr == pytest.approx(0.9)
    # GRR = (200,000 - 10,000 - 30,000) / 200,000 = 0.8
    assert result.grr == pytest.approx(0.8)
    # logo retention = 3 of 4 cohort accounts still paying = 0.75
    assert result.logo_retention == pytest.approx(0.75)
    assert [m.account_id for m in result.expanded] == ["EXP"]
    assert [m.account_id for m in result.contracted] == ["CON"]
    assert [(m.account_id, m.start_arr, m.end_arr) for m in result.churned] == [("END", 30_000, 0)]
    assert [m.account_id for m in result.flat] == ["FLAT"]
    assert [m.account_id for m in result.new] == ["NEW"]
    assert result.gaps == []


def test_churned_status_counts_as_churn_even_with_a_running_contract():
    # contract runs to 2026-12-31, but the account churned on 2026-07-01: ARR 0 on day b
    acc = _acc(
        "CH",
        (40_000, date(2025, 1, 1), date(2026, 12, 31)),
        status="churned",
        churned_at=date(2026, 7, 1),
    )
    result = nrr(portfolio(B, acc), A, B)
    assert result.churn == 40_000
    # NRR = (40,000 - 40,000) / 40,000 = 0; logo retention 0 of 1
    assert result.nrr == 0
    assert result.logo_retention == 0


def test_boundaries_are_inclusive_days():
    # ends exactly on day a: in the cohort (ARR > 0 that day), churned by day b
    on_a = _acc("ONA", (10_000, date(2025, 1, 2), A))
    # starts exactly on day a: in the cohort
    starts_a = _acc("STA", (10_000, A, date(2027, 1, 1)))
    # starts one day after day a: not in the cohort, new business
    after_a = _acc("AFT", (10_000, A + timedelta(days=1), date(2027, 1, 1)))
    # upsell row starting exactly on day b counts as expansion: 10,000 -> 15,000
    up_b = _acc(
        "UPB", (10_000, date(2025, 1, 1), B - timedelta(days=1)), (15_000, B, date(2027, 1, 1))
    )
    result = nrr(portfolio(B, on_a, starts_a, after_a, up_b), A, B)
    assert {m.account_id for m in result.churned} == {"ONA"}
    assert {m.account_id for m in result.flat} == {"STA"}
    assert {m.account_id for m in result.new} == {"AFT"}
    assert result.expansion == 5_000
    # start 30,000; NRR = (30,000 + 5,000 - 0 - 10,000) / 30,000
    assert result.nrr == pytest.approx(25_000 / 30_000)


def test_rows_after_period_end_are_ignored():
    # an upsell starting the day after day b and a churn dated the day after day b
    later_up = _acc(
        "LU",
        (10_000, date(2025, 1, 1), date(2027, 1, 1)),
        (5_000, B + timedelta(days=1), date(2027, 1, 1)),
    )
    later_churn = _acc(
        "LC",
        (10_000, date(2025, 1, 1), date(2027, 1, 1)),
        status="churned",
        churned_at=B + timedelta(days=1),
    )
    result = nrr(portfolio(B + timedelta(days=30), later_up, later_churn), A, B)
    assert result.expansion == 0
    assert result.churn == 0
    assert result.nrr == 1
    assert result.as_of == B


def test_zero_start_arr_gives_no_ratios_and_a_gap():
    result = nrr(portfolio(B, _acc("NEW", (25_000, date(2026, 4, 1), date(2027, 3, 31)))), A, B)
    assert result.start_arr == 0
    assert (result.nrr, result.grr, result.logo_retention) == (None, None, None)
    (gap,) = result.gaps
    assert gap.signal == "contracts"
    assert gap.needed_for == "nrr: start_arr"


def test_account_without_contracts_is_a_gap_not_a_zero():
    result = nrr(portfolio(B, *_book(), _acc("NONE")), A, B)
    assert result.start_arr == 200_000  # unchanged
    (gap,) = result.gaps
    assert (gap.signal, gap.account_id) == ("contracts", "NONE")


def test_bad_periods_are_refused():
    with pytest.raises(ValueError, match="must be before"):
        nrr(portfolio(B, *_book()), B, A)
    with pytest.raises(ValueError, match="after the data's as-of"):
        nrr(portfolio(B - timedelta(days=1), *_book()), A, B)


def test_renderer_shows_ratios_and_the_accounts_behind_each_bucket():
    from rich.console import Console

    from agent.render.retention import render_nrr

    console = Console(record=True, width=200)
    console.print(render_nrr(nrr(portfolio(B, *_book()), A, B)))
    text = console.export_text()
    assert "90.0%" in text and "80.0%" in text and "75.0% (3 of 4)" in text
    assert "Account END" in text and "-$30,000" in text
