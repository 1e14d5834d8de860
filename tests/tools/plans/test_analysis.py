"""Portfolio analysis (openclaw 7.1) on hand-built portfolios, every figure worked out by hand.

The quarter analysed is 2026Q3 (2026-07-01 .. 2026-09-30) against 2026Q2 (2026-04-01 ..
2026-06-30), as of 2026-11-23 unless a test says otherwise.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

import tools.plans.analysis as an
from agent.render.analysis import to_markdown
from memory.read import (
    Account,
    AccountData,
    Contract,
    Event,
    Opportunity,
    Play,
    load_portfolio,
)
from memory.store import open_store
from prompts import unfilled
from tests.conftest import DEMO_AS_OF
from tests.factories import portfolio
from tools.health import HealthResult
from tools.plans.analysis import (
    QuarterError,
    Reading,
    build_analysis,
    compare,
    improvements,
    previous_quarter,
    quarter_window,
    usage_days_needed,
)

AS_OF = date(2026, 11, 23)
LONG_AGO = date(2025, 1, 1)
FAR = date(2027, 6, 30)
Q3_END = date(2026, 9, 30)
Q2_END = date(2026, 6, 30)


def acct(acc_id: str, arr: float | None = None, **kw) -> AccountData:
    """An account with one contract row of `arr` from 2025-01-01 to 2027-06-30."""
    rows = {k: kw.pop(k) for k in list(kw) if k in AccountData.__dataclass_fields__}
    contracts = rows.pop("contracts", None)
    if contracts is None:
        contracts = [] if arr is None else [Contract(f"C-{acc_id}", acc_id, arr, LONG_AGO, FAR)]
    return AccountData(
        account=Account(acc_id, kw.pop("name", f"Acct {acc_id}"), **kw),
        contracts=contracts,
        **rows,
    )


def hr(acc_id: str, tier: str, score: int | None = 50) -> HealthResult:
    return HealthResult(
        as_of=AS_OF,
        account_id=acc_id,
        name=f"Acct {acc_id}",
        score=score,
        raw_score=score,
        tier=tier,
        coverage=1.0,
        profile="engine",
        leading_share=0.5,
        dimensions=[],
    )


@pytest.fixture
def tiers(monkeypatch):
    """Stub the health scorer: {day: {id: tier}}; days not listed score every account unknown."""

    def install(table: dict[date, dict[str, str]]) -> None:
        def fake(data, as_of=None, profile="engine"):
            active = {a.account_id for a in data.active_accounts(as_of)}
            by_id = table.get(as_of, {i: "unknown" for i in active})
            return {i: hr(i, t) for i, t in by_id.items() if i in active}

        monkeypatch.setattr(an, "score_portfolio", fake)

    return install


def analyse(*accounts: AccountData, quarter: str = "2026Q3", as_of: date = AS_OF):
    return build_analysis(portfolio(AS_OF, *accounts), quarter, as_of)


def metric(result, key: str):
    return next(m for m in result.metrics if m.key == key)


def gaps(result, signal: str) -> list:
    return [g for g in result.gaps if g.signal == signal]


# --- quarters -----------------------------------------------------------------------------


def test_a_finished_quarter_and_the_one_before():
    q = quarter_window("2026Q3", AS_OF)
    assert (q.label, q.start, q.end, q.to_date) == ("2026Q3", date(2026, 7, 1), Q3_END, False)
    p = previous_quarter(q)
    assert (p.label, p.start, p.end) == ("2026Q2", date(2026, 4, 1), Q2_END)
    # Q1's previous quarter is the last one of the year before
    q1 = previous_quarter(quarter_window("2026q1", AS_OF))
    assert (q1.label, q1.start, q1.end) == ("2025Q4", date(2025, 10, 1), date(2025, 12, 31))


def test_an_unfinished_quarter_is_analysed_to_date_and_labelled_so(tiers):
    tiers({})
    result = analyse(acct("A", 100_000), quarter="2026Q4")
    q = result.quarter
    assert (q.label, q.start, q.end, q.quarter_end) == (
        "2026Q4",
        date(2026, 10, 1),
        AS_OF,
        date(2026, 12, 31),
    )
    assert q.to_date
    assert result.retention.period_end == AS_OF
    assert "to date" in to_markdown(result).splitlines()[0]


@pytest.mark.parametrize("text", ["2026Q5", "Q3 2026", "2026-07", "", "26Q1"])
def test_a_malformed_quarter_is_a_clear_error(text):
    with pytest.raises(QuarterError, match="is not a quarter: use YYYYQn"):
        quarter_window(text, AS_OF)


def test_a_future_quarter_is_a_value_error():
    with pytest.raises(ValueError, match="2027Q1 starts on 2027-01-01, after the as-of"):
        analyse(acct("A", 100_000), quarter="2027Q1")


def test_usage_is_loaded_to_score_both_quarter_ends():
    # the previous quarter ends on 2026-06-30, 146 days before 2026-11-23; the health models
    # read up to 60 days back from a scoring date: 146 + 91 days reach 2026-04-01
    assert usage_days_needed("2026Q3", AS_OF) == 146 + 91


# --- flagging -----------------------------------------------------------------------------


def _fraction(value, before):
    return compare("m", "fraction", Reading(value=value), Reading(value=before))


def test_exactly_ten_percent_is_not_flagged_and_just_over_is():
    # 0.50 -> 0.55: +0.05 = +5 points, +10% relative: not more than 10%
    at = _fraction(0.55, 0.50)
    assert not at.flagged
    assert at.change_points == pytest.approx(5.0)
    assert at.relative_change == pytest.approx(0.10)
    # 0.50 -> 0.45: -10%, not flagged either way
    assert not _fraction(0.45, 0.50).flagged
    # 0.50 -> 0.5501: +10.02%
    assert _fraction(0.5501, 0.50).flagged
    assert _fraction(0.4499, 0.50).flagged


def test_a_move_from_zero_is_flagged_without_a_relative_change():
    m = _fraction(0.2, 0.0)
    assert m.flagged and m.relative_change is None
    assert m.change_points == pytest.approx(20.0)
    assert not _fraction(0.0, 0.0).flagged


def test_an_unknown_quarter_is_not_compared():
    m = _fraction(0.5, None)
    assert (m.change, m.flagged, m.direction, m.better) == (None, False, None, None)


def test_improvements_are_worsening_metrics_flagged_first_then_by_size():
    metrics = [
        compare("a", "fraction", Reading(value=0.8), Reading(value=1.0)),  # -20%, flagged
        compare("b", "fraction", Reading(value=0.5), Reading(value=1.0)),  # -50%, flagged
        compare("c", "fraction", Reading(value=0.95), Reading(value=1.0)),  # -5%, not flagged
        compare("d", "fraction", Reading(value=0.9), Reading(value=0.5)),  # better
        compare("e", "days", Reading(value=20), Reading(value=10), higher_is_better=False),
    ]
    # e: 10 -> 20 days is +100%, worse since fewer days is better
    assert improvements(metrics) == ["e", "b", "a"]


# --- retention ----------------------------------------------------------------------------


def retention_book() -> list[AccountData]:
    """Five accounts whose ARR moves in Q2 and Q3 2026.

    A 100k flat; B 50k churned 2026-08-01 (Q3); C 40k contracted to 30k on 2026-09-01 (Q3);
    D expanded 20k -> 30k on 2026-05-01 (Q2); E 10k churned 2026-06-01 (Q2).
    """
    return [
        acct("A", 100_000),
        acct(
            "B",
            contracts=[Contract("C-B", "B", 50_000, LONG_AGO, date(2026, 7, 31))],
            status="churned",
            churned_at=date(2026, 8, 1),
        ),
        acct(
            "C",
            contracts=[
                Contract("C-C1", "C", 40_000, LONG_AGO, date(2026, 8, 31)),
                Contract("C-C2", "C", 30_000, date(2026, 9, 1), FAR),
            ],
        ),
        acct(
            "D",
            contracts=[
                Contract("C-D1", "D", 20_000, LONG_AGO, date(2026, 4, 30)),
                Contract("C-D2", "D", 30_000, date(2026, 5, 1), FAR),
            ],
        ),
        acct(
            "E",
            contracts=[Contract("C-E", "E", 10_000, LONG_AGO, date(2026, 5, 31))],
            status="churned",
            churned_at=date(2026, 6, 1),
        ),
    ]


def test_nrr_grr_and_logo_retention_per_quarter(tiers):
    tiers({})
    result = analyse(*retention_book())
    # Q2: cohort paying on 2026-03-31 = A 100k + B 50k + C 40k + D 20k + E 10k = 220k;
    #     expansion 10k (D), contraction 0, churn 10k (E)
    #     NRR = (220 + 10 - 0 - 10) / 220 = 1.0; GRR = (220 - 10) / 220 = 0.9545; logos 4/5
    p = result.previous_retention
    assert (p.period_start, p.period_end) == (date(2026, 3, 31), Q2_END)
    assert (p.start_arr, p.expansion, p.contraction, p.churn) == (220_000, 10_000, 0, 10_000)
    # Q3: cohort paying on 2026-06-30 = A 100k + B 50k + C 40k + D 30k = 220k;
    #     expansion 0, contraction 10k (C), churn 50k (B)
    #     NRR = GRR = (220 - 10 - 50) / 220 = 160 / 220 = 0.7273; logos 3/4
    c = result.retention
    assert (c.period_start, c.period_end) == (Q2_END, Q3_END)
    assert (c.start_arr, c.expansion, c.contraction, c.churn) == (220_000, 0, 10_000, 50_000)
    grr, nrr, logo = (metric(result, k) for k in ("grr", "nrr", "logo_retention"))
    assert grr.previous_value == pytest.approx(210 / 220)
    assert grr.value == pytest.approx(160 / 220)
    assert (grr.current.numerator, grr.current.denominator) == (160_000, 220_000)
    assert nrr.previous_value == pytest.approx(1.0)
    assert nrr.value == pytest.approx(160 / 220)
    assert (logo.previous_value, logo.value) == (pytest.approx(0.8), pytest.approx(0.75))


def test_a_grr_drop_is_flagged_with_the_accounts_behind_it(tiers):
    tiers({})
    result = analyse(*retention_book())
    grr = metric(result, "grr")
    # 0.9545 -> 0.7273: -22.7 points, -23.8% relative
    assert grr.flagged and grr.direction == "down" and grr.better is False
    assert grr.change_points == pytest.approx((160 - 210) / 220 * 100)
    assert grr.relative_change == pytest.approx((160 - 210) / 210)
    # this quarter's losses, largest first; E's Q2 churn pushed the other way
    assert [(d.account_id, d.effect, d.quarter, d.value) for d in grr.drivers] == [
        ("B", "churned", "2026Q3", -50_000),
        ("C", "contracted", "2026Q3", -10_000),
    ]
    # NRR 1.0 -> 0.7273 (-27.3%): also D's Q2 expansion, a gain that did not recur
    nrr = metric(result, "nrr")
    assert nrr.flagged
    assert [(d.account_id, d.quarter) for d in nrr.drivers] == [
        ("B", "2026Q3"),
        ("C", "2026Q3"),
        ("D", "2026Q2"),
    ]
    # logos 0.80 -> 0.75 is -6.25%: not flagged, no accounts listed
    logo = metric(result, "logo_retention")
    assert not logo.flagged and logo.drivers == []
    assert "grr" in result.flagged and "logo_retention" not in result.flagged


def test_a_grr_rise_names_last_quarters_losses_that_did_not_recur(tiers):
    tiers({})
    # 2026Q4 to date vs Q3: cohort on 2026-09-30 = A 100k + C 30k + D 30k, no loss since:
    # GRR 1.0 against Q3's 0.7273 (+37.5%); behind it, Q3's losses that did not recur
    result = analyse(*retention_book(), quarter="2026Q4")
    grr = metric(result, "grr")
    assert grr.value == pytest.approx(1.0) and grr.better is True and grr.flagged
    assert [(d.account_id, d.quarter, d.sign) for d in grr.drivers] == [
        ("B", "2026Q3", 1),
        ("C", "2026Q3", 1),
    ]


# --- time to first value ------------------------------------------------------------------


def test_ttfv_is_the_mean_of_the_quarters_first_values_and_names_the_slower(tiers):
    tiers({})
    result = analyse(
        # Q3: F 30 days, G 10 days -> mean 20; Q2: H 10 days -> mean 10: +100%, worse
        acct("F", kickoff_date=date(2026, 7, 1), first_value_date=date(2026, 7, 31)),
        acct("G", kickoff_date=date(2026, 8, 1), first_value_date=date(2026, 8, 11)),
        acct("H", kickoff_date=date(2026, 4, 1), first_value_date=date(2026, 4, 11)),
        # first value in Q3 without a kickoff: a gap, left out of the mean
        acct("I", first_value_date=date(2026, 9, 1)),
        # first value after Q3: not this quarter's
        acct("J", kickoff_date=date(2026, 9, 20), first_value_date=date(2026, 10, 2)),
    )
    ttfv = metric(result, "ttfv_days")
    assert (ttfv.value, ttfv.previous_value) == (20, 10)
    assert (ttfv.current.numerator, ttfv.current.denominator) == (40, 2)
    assert ttfv.flagged and ttfv.direction == "up" and ttfv.better is False
    # G at 10 days equals last quarter's mean: not behind the rise
    assert [(d.account_id, d.effect, d.value) for d in ttfv.drivers] == [("F", "slower", 30)]
    assert [g.account_id for g in gaps(result, "kickoff_date")] == ["I"]


# --- health distribution ------------------------------------------------------------------


def test_tier_shares_at_quarter_end_name_the_accounts_that_entered_or_left(tiers):
    tiers(
        {
            Q2_END: {"X": "green", "Y": "green", "Z": "yellow"},
            Q3_END: {"X": "green", "Y": "orange", "Z": "orange"},
        }
    )
    result = analyse(acct("X", 10), acct("Y", 10), acct("Z", 10))
    # green 2/3 -> 1/3: -50%, worse; Y left green for orange
    green = metric(result, "health_green")
    assert green.flagged and green.better is False
    assert [(d.account_id, d.effect, d.note) for d in green.drivers] == [("Y", "left", "orange")]
    # orange 0 -> 2/3: from zero, worse; Y came from green, Z from yellow
    orange = metric(result, "health_orange")
    assert orange.flagged and orange.relative_change is None and orange.better is False
    assert sorted((d.account_id, d.note) for d in orange.drivers) == [
        ("Y", "green"),
        ("Z", "yellow"),
    ]
    # yellow 1/3 -> 0 is flagged, but neither better nor worse
    yellow = metric(result, "health_yellow")
    assert yellow.flagged and yellow.better is None
    assert [t.count for t in result.health.tiers] == [1, 0, 2, 0, 0]
    assert result.health.day == Q3_END


def test_an_account_signed_after_the_quarter_is_not_in_its_distribution(tiers):
    tiers({Q3_END: {"X": "green", "N": "unknown"}, Q2_END: {"X": "green"}})
    late = acct("N", contracts=[Contract("C-N", "N", 5_000, date(2026, 10, 15), FAR)])
    result = analyse(acct("X", 10), late)
    assert result.health.accounts == 1
    # nor is its missing contract on Q2/Q3 a gap: it simply was not a customer yet
    assert gaps(result, "contracts") == []


# --- QBR completion -----------------------------------------------------------------------


def qbr(acc_id: str, day: date) -> Event:
    return Event(acc_id, day, "qbr_held")


def test_qbr_completion_counts_due_accounts_that_held_one(tiers):
    tiers({})
    q3, q2 = date(2026, 8, 10), date(2026, 5, 5)
    result = analyse(
        acct("E1", 100, segment="enterprise", events=[qbr("E1", q2), qbr("E1", q3)]),
        acct("E2", 100, segment="enterprise", events=[qbr("E2", q2)]),
        acct("M1", 100, segment="mid-market", events=[qbr("M1", q3)]),
        acct("M2", 100, segment="mid-market", events=[qbr("M2", q3)]),
        # not due: smb, and not paying on 2026-07-01
        acct("S1", 100, segment="smb", events=[qbr("S1", q3)]),
        acct(
            "L1",
            segment="enterprise",
            contracts=[Contract("C-L1", "L1", 100, date(2026, 7, 2), FAR)],
            events=[qbr("L1", q3)],
        ),
        # paying without a segment: cannot tell, a gap
        acct("N1", 100),
    )
    m = metric(result, "qbr_completion")
    # Q3: due E1, E2, M1, M2; held E1, M1, M2 -> 3/4. Q2: due the same 4; held E1, E2 -> 2/4
    assert (m.current.numerator, m.current.denominator) == (3, 4)
    assert (m.previous.numerator, m.previous.denominator) == (2, 4)
    # 0.50 -> 0.75: +25 points, +50%
    assert m.flagged and m.change_points == pytest.approx(25.0)
    assert [(d.account_id, d.effect) for d in m.drivers] == [
        ("M1", "held_qbr"),
        ("M2", "held_qbr"),
    ]
    assert [g.account_id for g in gaps(result, "segment")] == ["N1"]


# --- save plays and expansion -------------------------------------------------------------


def save(play_id: str, acc: str, closed: date | None, outcome: str | None, how: str) -> Play:
    return Play(play_id, acc, "save", date(2026, 1, 1), closed, outcome, how)


def test_save_effectiveness_is_saved_over_closed_with_an_outcome(tiers):
    tiers({})
    aug, may = date(2026, 8, 15), date(2026, 5, 15)
    result = analyse(
        acct("P1", 10, plays=[save("p1", "P1", aug, "saved", "executive_call")]),
        acct("P2", 10, plays=[save("p2", "P2", aug, "churned", "pricing_adjustment")]),
        acct("P3", 10, plays=[save("p3", "P3", aug, "churned", "re_onboarding")]),
        acct("P4", 10, plays=[save("p4", "P4", aug, None, "executive_call")]),
        acct("P5", 10, plays=[save("p5", "P5", None, "open", "executive_call")]),
        acct("P6", 10, plays=[save("p6", "P6", may, "saved", None)]),
        acct("P7", 10, plays=[save("p7", "P7", may, "saved", "executive_call")]),
    )
    m = metric(result, "save_effectiveness")
    # Q3: P1 saved, P2 and P3 churned (P4 closed without outcome: a gap; P5 open) -> 1/3
    # Q2: P6, P7 saved -> 2/2 = 1.0; 1.0 -> 0.333 = -66.7%
    assert (m.current.numerator, m.current.denominator) == (1, 3)
    assert (m.previous.numerator, m.previous.denominator) == (2, 2)
    assert m.flagged and m.better is False
    assert sorted((d.account_id, d.effect, d.note) for d in m.drivers) == [
        ("P2", "not_saved", "pricing_adjustment"),
        ("P3", "not_saved", "re_onboarding"),
    ]
    assert [g.account_id for g in gaps(result, "outcome")] == ["P4"]
    assert "save_effectiveness" in result.improvements


def opp(oid: str, acc: str, kind: str, stage: str, closed: date, amount=None) -> Opportunity:
    return Opportunity(oid, acc, kind, date(2026, 1, 1), amount, stage, closed)


def test_expansion_conversion_is_won_over_closed_and_renewals_do_not_count(tiers):
    tiers({})
    aug = date(2026, 8, 20)
    result = analyse(
        acct(
            "O1",
            10,
            opportunities=[
                opp("o1", "O1", "upsell", "won", aug, 20_000),
                opp("o2", "O1", "seats", "lost", aug, 5_000),
                opp("o3", "O1", "renewal", "won", aug, 99_000),
                opp("o4", "O1", "cross_sell", "won", aug),
            ],
        )
    )
    m = metric(result, "expansion_conversion")
    # won o1, o4 / closed o1, o2, o4 = 2/3; Q2 had none: unknown, not compared
    assert (m.current.numerator, m.current.denominator) == (2, 3)
    assert m.previous_value is None and not m.flagged
    # won amount: 20k known; o4's amount is a gap
    assert result.expansion_won_amount == 20_000
    assert [g.account_id for g in gaps(result, "amount")] == ["O1"]
    assert any("2026Q2" in (g.detail or "") for g in gaps(result, "opportunities"))


# --- the document on the demo -------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_db_url):
    store = open_store(demo_db_url)
    try:
        days = usage_days_needed("2026Q3", DEMO_AS_OF)
        yield load_portfolio(store.engine, DEMO_AS_OF, usage_days=days)
    finally:
        store.dispose()


@pytest.mark.parametrize("quarter", ["2026Q3", "2026Q4"])
def test_the_demo_document_has_no_placeholder(demo, quarter):
    result = build_analysis(demo, quarter)
    text = to_markdown(result)
    assert unfilled(text) == []
    assert text.startswith(f"# Portfolio analysis: {quarter}")
    assert "## Data gaps" in text or "Data gaps: none." in text
    for m in result.metrics:
        if m.flagged:
            assert m.drivers or "No single account" in text


def test_cli_analysis_json_and_a_bad_quarter_exits_2(demo_env):
    from agent.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["analysis", "--quarter", "2026Q3", "--as-of", "2026-11-23", "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output)
    assert {"command", "as_of", "gaps", "quarter", "previous", "metrics", "flagged"} <= set(data)
    assert data["command"] == "analysis" and data["quarter"]["label"] == "2026Q3"
    keys = {m["key"] for m in data["metrics"]}
    assert {"grr", "nrr", "logo_retention", "ttfv_days", "qbr_completion"} <= keys
    bad = runner.invoke(app, ["analysis", "--quarter", "2026-Q7", "--as-of", "2026-11-23"])
    assert bad.exit_code == 2
    assert "is not a quarter" in bad.output
    future = runner.invoke(app, ["analysis", "--quarter", "2027Q2", "--as-of", "2026-11-23"])
    assert future.exit_code == 2
