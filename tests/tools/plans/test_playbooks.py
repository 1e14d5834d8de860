"""Playbook review (openclaw 7.2) on hand-built plays and a hand-built backtest."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

import tools.plans.playbooks as pb
from agent.render.playbooks import to_markdown
from memory.read import Account, AccountData, Contract, Play, load_portfolio
from memory.store import open_store
from prompts import unfilled
from tests.conftest import DEMO_AS_OF
from tests.factories import portfolio
from tools.health_backtest import BacktestCase, BacktestResult, BacktestSummary, FlaggedAccount
from tools.plans.playbooks import build_playbooks, verdict

AS_OF = date(2026, 11, 23)
OPENED = date(2026, 1, 5)
CLOSED = date(2026, 6, 1)


def acct(acc_id: str, *plays: Play, contracts=(), **kw) -> AccountData:
    return AccountData(
        account=Account(acc_id, kw.pop("name", f"Acct {acc_id}"), **kw),
        contracts=list(contracts),
        plays=list(plays),
    )


def play(
    n: int, kind: str, outcome: str | None, how: str | None = None, closed=CLOSED, acc="X"
) -> Play:
    return Play(f"p{n}", acc, kind, OPENED, closed, outcome, how)


def case(acc: str, event: str, tiers: dict[str, str]) -> BacktestCase:
    return BacktestCase(
        account_id=acc,
        name=f"Acct {acc}",
        event=event,
        event_date=date(2026, 9, 1),
        arr_before=10_000,
        arr_after=0 if event == "churn" else 5_000,
        scores={k: None for k in tiers},
        tiers=tiers,
        flagged={k: t in ("orange", "red") for k, t in tiers.items()},
    )


def flagged(acc: str, churned: bool) -> FlaggedAccount:
    return FlaggedAccount(
        account_id=acc,
        name=f"Acct {acc}",
        score=45,
        tier="orange",
        churned=churned,
        churned_at=date(2026, 10, 1) if churned else None,
        contracted=False,
        false_positive=not churned,
    )


def fake_backtest(cases: list[BacktestCase], flags: list[FlaggedAccount]) -> BacktestResult:
    fps = sum(1 for f in flags if f.false_positive)
    return BacktestResult(
        as_of=AS_OF,
        profile="engine",
        cases=cases,
        flagged=flags,
        summary=BacktestSummary(
            churned=sum(1 for c in cases if c.event == "churn"),
            contracted=sum(1 for c in cases if c.event == "contraction"),
            churn_flagged_share={},
            churn_flagged_share_of_tiered={},
            churn_unknown_tier={},
            contraction_flagged_share={},
            flagged_90d=len(flags),
            false_positives=fps,
            false_positive_rate=fps / len(flags) if flags else None,
        ),
    )


def tiers(t30: str, t60: str = "yellow", t90: str = "yellow") -> dict[str, str]:
    return {"30": t30, "60": t60, "90": t90}


# Six cases: 30 days before, c1, c2 and k1 were flagged (orange/red), c3 and k2 were not,
# and c4 had no tier. Tiered = 5, flagged = 3: catch rate 3/5 = 60%, exactly the keep line.
CASES = [
    case("c1", "churn", tiers("red", "orange", "orange")),
    case("c2", "churn", tiers("orange", "orange")),
    case("c3", "churn", tiers("yellow")),
    case("c4", "churn", tiers("unknown", "unknown", "unknown")),
    case("k1", "contraction", tiers("orange")),
    case("k2", "contraction", tiers("green")),
]


@pytest.fixture
def bt(monkeypatch):
    """Stub the backtest with hand-built cases and flagged accounts."""

    def install(cases=CASES, flags=()) -> None:
        result = fake_backtest(list(cases), list(flags))
        monkeypatch.setattr(pb, "backtest", lambda data, as_of=None, profile="engine": result)

    install()
    return install


def review(*accounts: AccountData):
    return build_playbooks(portfolio(AS_OF, *accounts), AS_OF)


def row(result, kind: str, intervention: str | None = None):
    return next(r for r in result.playbooks if (r.kind, r.intervention) == (kind, intervention))


# --- the verdict rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("closed", "rate", "expected"),
    [
        (5, 0.60, ("keep", "keep_rate")),  # the keep line is inclusive
        (5, 0.5999, ("change", "change_rate")),
        (5, 0.25, ("change", "change_rate")),  # the drop line is exclusive
        (5, 0.2499, ("drop", "drop_rate")),
        (4, 1.0, ("test_next", "too_few")),  # 4 closed: too few, however good
        (4, 0.0, ("test_next", "too_few")),
        (0, None, ("test_next", "too_few")),
    ],
)
def test_verdict_thresholds_at_their_boundaries(closed, rate, expected):
    assert verdict(closed, rate) == expected


def test_rows_per_kind_and_intervention_with_their_verdicts(bt):
    saves = [
        # executive call: 5 closed, 3 saved = 60% -> keep
        *(play(i, "save", "saved", "executive_call") for i in range(3)),
        *(play(i, "save", "churned", "executive_call") for i in range(3, 5)),
        # pricing adjustment: 4 closed, all saved -> too few to judge
        *(play(i, "save", "saved", "pricing_adjustment") for i in range(5, 9)),
        # re-onboarding: 5 closed, 1 saved = 20% -> drop
        play(9, "save", "saved", "re_onboarding"),
        *(play(i, "save", "churned", "re_onboarding") for i in range(10, 14)),
        # still open, and closed without an outcome (a gap)
        play(14, "save", "open", "executive_call", closed=None),
        play(15, "save", None, "executive_call"),
    ]
    onboarding = [play(20 + i, "onboarding", "completed") for i in range(5)]
    result = review(
        acct("X", *saves, *onboarding),
        acct("Y", play(30, "save", "churned", "re_onboarding", acc="Y"), name="Yonder"),
    )
    # re-onboarding over both accounts: 6 closed, 1 saved = 16.7% -> drop
    exec_call = row(result, "save", "executive_call")
    assert (exec_call.plays, exec_call.open, exec_call.closed, exec_call.succeeded) == (7, 1, 5, 3)
    assert (exec_call.verdict, exec_call.reason) == ("keep", "keep_rate")
    pricing = row(result, "save", "pricing_adjustment")
    assert (pricing.closed, pricing.success_rate, pricing.too_few) == (4, 1.0, True)
    assert (pricing.verdict, pricing.reason) == ("test_next", "too_few")
    reonb = row(result, "save", "re_onboarding")
    assert (reonb.closed, reonb.succeeded, reonb.verdict) == (6, 1, "drop")
    assert reonb.failed_accounts == ["Acct X", "Yonder"]
    # every save play: 5 + 4 + 6 = 15 closed, 3 + 4 + 1 = 8 saved = 53.3% -> change
    every = row(result, "save")
    assert (every.closed, every.succeeded, every.verdict) == (15, 8, "change")
    untried = row(result, "save", "product_remediation")
    assert (untried.plays, untried.verdict, untried.reason) == (0, "test_next", "never_tried")
    assert row(result, "onboarding").verdict == "keep"
    for kind in ("qbr", "expansion", "win_back"):
        assert (row(result, kind).verdict, row(result, kind).reason) == ("test_next", "never_tried")
    outcome_gaps = [g for g in result.gaps if g.signal == "outcome"]
    assert [(g.account_id, g.source) for g in outcome_gaps] == [("X", "success plan records")]
    assert "p15" in (outcome_gaps[0].detail or "")


def test_no_plays_is_a_gap_and_every_playbook_is_to_test(bt):
    result = review(acct("X"))
    plays_gap = [g for g in result.gaps if g.signal == "plays"]
    assert len(plays_gap) == 1 and plays_gap[0].ask == "the account's CSM"
    assert {r.verdict for r in result.playbooks} == {"test_next"}


def test_the_document_shows_the_rule_and_labels_too_few(bt):
    result = review(acct("X", *(play(i, "save", "saved", "executive_call") for i in range(2))))
    text = to_markdown(result)
    assert "**keep** when the success rate is 60% or more on at least 5 closed plays" in text
    assert "100.0% (too few to judge)" in text
    assert "2 closed: too few to judge (fewer than 5)" in text
    assert unfilled(text) == []


# --- the health model ---------------------------------------------------------------------


def test_backtest_summary_per_lead_and_a_kept_model(bt):
    bt(CASES, [flagged("f1", True), flagged("f2", True), flagged("f3", True), flagged("f4", False)])
    m = review(acct("X")).model
    assert (m.churned, m.contracted, m.cases) == (4, 2, 6)
    by_lead = {lc.lead: lc for lc in m.leads}
    # 30 days: churn c1, c2 + contraction k1 flagged; c4 untiered -> 3 of 5 tiered
    assert (by_lead[30].churned_flagged, by_lead[30].contracted_flagged) == (2, 1)
    assert (by_lead[30].tiered, by_lead[30].unknown_tier) == (5, 1)
    # 60 days: c1, c2 orange; others yellow; c4 unknown -> 2 of 5
    assert (by_lead[60].flagged, by_lead[60].share) == (2, pytest.approx(0.4))
    # 90 days: c1 only
    assert by_lead[90].flagged == 1
    assert m.catch_rate == pytest.approx(0.6)
    assert [r.account_id for r in m.missed] == ["c3", "k2"]
    assert [r.account_id for r in m.untiered] == ["c4"]
    # 1 of 4 flagged accounts did not churn: 25% false positives -> keep
    assert (m.false_positives, m.false_positive_rate) == (1, 0.25)
    assert (m.verdict, m.reason) == ("keep", "keep_rate")


def test_a_model_whose_flags_mostly_did_not_churn_is_changed(bt):
    bt(
        CASES,
        [flagged("f1", True), flagged("f2", False), flagged("f3", False), flagged("f4", False)],
    )
    m = review(acct("X")).model
    # catches 60%, but 3 of 4 flags (75% > 50%) were false positives
    assert (m.verdict, m.reason) == ("change", "false_positives")
    assert [r.account_id for r in m.false_positive_accounts] == ["f2", "f3", "f4"]


def test_a_model_with_too_few_tiered_cases_is_not_judged(bt):
    # without k2: c1, c2, c3 and k1 tiered (c4 not): 4 cases, fewer than 5
    bt([c for c in CASES if c.account_id != "k2"])
    m = review(acct("X")).model
    assert m.leads[0].tiered == 4
    assert (m.verdict, m.reason) == ("test_next", "too_few")


def test_a_model_catching_under_a_quarter_is_dropped(bt):
    # 5 tiered cases, only c9 flagged at 30 days: 1/5 = 20%
    cases = [case(f"c{i}", "churn", tiers("yellow")) for i in range(4)]
    bt([*cases, case("c9", "churn", tiers("red"))])
    m = review(acct("X")).model
    assert (m.catch_rate, m.verdict) == (pytest.approx(0.2), "drop")


# --- onboarding ---------------------------------------------------------------------------


def test_onboarding_ttfv_stages_and_delays(bt):
    def c(acc: str, start: date) -> Contract:
        return Contract(f"C-{acc}", acc, 10_000, start, date(2027, 12, 31))

    result = review(
        # Q4: signed 10-01, kickoff 10-12 (11 days: late), go-live 10-20 (8 days after
        # kickoff), first value 11-15: TTFV 34 days, over the enterprise target of 30
        acct(
            "A1",
            contracts=[c("A1", date(2026, 10, 1))],
            segment="enterprise",
            kickoff_date=date(2026, 10, 12),
            go_live_date=date(2026, 10, 20),
            first_value_date=date(2026, 11, 15),
        ),
        # Q4: signed 10-05, kickoff 10-06 (1 day), no go-live (a gap), TTFV 10 <= 14
        acct(
            "A2",
            contracts=[c("A2", date(2026, 10, 5))],
            segment="mid-market",
            kickoff_date=date(2026, 10, 6),
            first_value_date=date(2026, 10, 16),
        ),
        # Q3: signed 07-01, kickoff 07-03 (2 days), go-live 07-04, TTFV 2 days > smb's 1
        acct(
            "A3",
            contracts=[c("A3", date(2026, 7, 1))],
            segment="smb",
            kickoff_date=date(2026, 7, 3),
            go_live_date=date(2026, 7, 4),
            first_value_date=date(2026, 7, 5),
        ),
    )
    o = result.onboarding
    # Q4 to date: (34 + 10) / 2 = 22 days; Q3: 2 days -> slower
    assert (o.current.quarter, o.current.to_date, o.current.ttfv_days) == ("2026Q4", True, 22)
    assert (o.previous.quarter, o.previous.ttfv_days) == ("2026Q3", 2)
    assert o.trend == "slower"
    # Q4 stages: signing -> kickoff (11 + 1) / 2 = 6; kickoff -> go-live 8 (A1 only)
    assert o.current.stage_days == {
        "signed_to_kickoff": 6,
        "kickoff_to_go_live": 8,
        "kickoff_to_first_value": 22,
    }
    assert o.current.stage_accounts["kickoff_to_go_live"] == 1
    assert [(d.account_id, d.days, d.limit_days) for d in o.late_kickoff] == [("A1", 11, 7)]
    assert [(d.account_id, d.days, d.limit_days) for d in o.late_first_value] == [
        ("A1", 34, 30),
        ("A3", 2, 1),
    ]
    assert o.most_delays == "first_value"
    assert [g.account_id for g in result.gaps if g.signal == "go_live_date"] == ["A2"]


# --- the document on the demo -------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_db_url):
    store = open_store(demo_db_url)
    try:
        yield load_portfolio(store.engine, DEMO_AS_OF, usage_days=365 + 150)
    finally:
        store.dispose()


def test_the_demo_document_has_no_placeholder_and_names_every_verdict(demo):
    result = build_playbooks(demo)
    text = to_markdown(result)
    assert unfilled(text) == []
    for heading in ("### Keep", "### Change", "### Drop", "### Test next", "## Health model"):
        assert heading in text
    # the onboarding row is the portfolio dashboard's completion rate, not a variant of it
    from tools.common import Gaps
    from tools.portfolio import onboarding_plays

    completed, closed = onboarding_plays(demo.accounts.values(), DEMO_AS_OF, Gaps())
    onboarding = row(result, "onboarding")
    assert (onboarding.succeeded, onboarding.closed) == (completed, closed)


def test_cli_playbooks_json(demo_env):
    from agent.cli import app

    result = CliRunner().invoke(app, ["playbooks", "--as-of", "2026-11-23", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"command", "as_of", "gaps", "rules", "playbooks", "model", "onboarding"} <= set(data)
    assert data["command"] == "playbooks"
    assert {"verdict", "success_rate", "too_few", "closed"} <= set(data["playbooks"][0])
    assert {"leads", "false_positives", "verdict"} <= set(data["model"])
