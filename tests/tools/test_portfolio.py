"""Portfolio review (the weekly CS dashboard) on hand-built portfolios, worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from rich.console import Console

import tools.portfolio as pr
from agent.render.portfolio import render_portfolio
from memory.read import (
    Account,
    AccountData,
    Contact,
    Contract,
    Event,
    Opportunity,
    Play,
    Survey,
)
from tests.factories import portfolio
from tools.health import Dimension, HealthResult
from tools.portfolio import portfolio_review

AS_OF = date(2026, 11, 23)  # a Monday: ISO week 2026-W48
THEN = AS_OF - timedelta(days=30)
LONG_AGO = date(2025, 1, 1)
FAR = date(2027, 6, 30)


def ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


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


def hr(acc_id: str, tier: str, score: int | None, dims=()) -> HealthResult:
    return HealthResult(
        as_of=AS_OF,
        account_id=acc_id,
        name=acc_id,
        score=score,
        raw_score=score,
        tier=tier,
        coverage=1.0,
        profile="engine",
        leading_share=0.5,
        dimensions=[Dimension(name=n, weight=w, score=s, signals=[]) for n, w, s in dims],
    )


@pytest.fixture
def health(monkeypatch):
    """Stub the health scorer: {id: (tier, score, dims)} now and 30 days ago."""

    def install(now: dict, then: dict | None = None) -> None:
        def fake(data, as_of=None, profile="engine"):
            table = now if as_of == AS_OF else (then or {})
            active = {a.account_id for a in data.active_accounts(as_of)}
            return {i: hr(i, *v) for i, v in table.items() if i in active}

        monkeypatch.setattr(pr, "score_portfolio", fake)

    return install


@pytest.fixture
def renewals(monkeypatch):
    """Stub the renewal pipeline with rows (days until renewal, bucket, arr)."""

    def install(rows) -> None:
        def fake(data, as_of=None, days=90):
            return SimpleNamespace(
                renewals=[
                    SimpleNamespace(
                        account_id=f"R{i}",
                        name=f"R{i}",
                        bucket=bucket,
                        renewal_date=as_of + timedelta(days=d),
                        arr=arr,
                    )
                    for i, (d, bucket, arr) in enumerate(rows)
                ],
                gaps=[],
            )

        monkeypatch.setattr(pr, "renewal_pipeline", fake)

    return install


def review(*accounts: AccountData, as_of: date = AS_OF):
    return portfolio_review(portfolio(AS_OF, *accounts), as_of)


def gaps(result, signal: str) -> list:
    return [g for g in result.gaps if g.signal == signal]


# --- portfolio and health ------------------------------------------------------------------


def test_health_distribution_by_count_and_arr_shows_unknown(health, renewals):
    renewals([])
    health(
        {"A": ("green", 85, ()), "B": ("yellow", 70, ()), "C": ("unknown", 55, ())},
        {"A": ("green", 82, ()), "B": ("green", 84, ())},
    )
    result = review(
        acct("A", 100_000),
        acct("B", 50_000),
        acct("C", 20_000),
        acct("D", 40_000, status="churned", churned_at=ago(200)),
    )
    p = result.portfolio
    assert p.week == "2026-W48"
    # D churned: 3 active accounts, 100k + 50k + 20k
    assert (p.total_accounts, p.total_arr) == (3, 170_000)
    dist = {t: (b.count, b.arr) for t, b in p.health_distribution.items()}
    assert dist == {
        "green": (1, 100_000),
        "yellow": (1, 50_000),
        "orange": (0, 0),
        "red": (0, 0),
        "unknown": (1, 20_000),
    }
    # only tiered accounts: (85 + 70) / 2 = 77.5; C's provisional 55 is left out
    assert p.avg_health_score == 77.5
    assert p.avg_health_score_accounts == 2
    assert "2 tiered" in p.avg_health_score_basis and "1 unknown" in p.avg_health_score_basis
    # 30 days ago: (82 + 84) / 2 = 83; 77.5 is 5.5 below -> down
    assert p.avg_health_score_30d_ago == 83
    assert p.health_score_trend == "down"


@pytest.mark.parametrize(
    ("now", "then", "trend"),
    [(72, 70, "flat"), (68, 70, "flat"), (72.5, 70, "up"), (67.9, 70, "down"), (None, 70, None)],
)
def test_health_trend_is_flat_within_two_points(now, then, trend):
    assert pr.health_trend(now, then) == trend


def test_no_tiered_account_leaves_average_and_trend_unknown(health, renewals):
    renewals([])
    health({"A": ("unknown", 50, ())}, {"A": ("green", 90, ())})
    p = review(acct("A", 10_000)).portfolio
    assert p.avg_health_score is None and p.avg_health_score_accounts == 0
    assert p.health_score_trend is None


def test_real_health_scorer_puts_an_account_without_data_in_unknown(renewals):
    renewals([])
    result = review(acct("A", 10_000))
    assert result.portfolio.health_distribution["unknown"].count == 1
    assert result.portfolio.health_distribution["unknown"].arr == 10_000
    # the scorer's gaps are carried, named for the account
    assert any(g.account_id == "A" and g.signal == "usage" for g in result.gaps)


# --- retention and expansion -------------------------------------------------------------


def retention_book() -> list[AccountData]:
    """Five accounts paying on 2025-11-23 (start ARR 320k)."""
    return [
        acct("A", 100_000),  # flat
        acct(  # churned in June: 50k churn over 12 months, none this month
            "B",
            contracts=[Contract("CB", "B", 50_000, LONG_AGO, date(2026, 5, 31))],
            status="churned",
            churned_at=date(2026, 6, 1),
        ),
        acct(  # +20k amendment from 2026-11-05: expansion this month and over 12 months
            "C",
            contracts=[
                Contract("CC1", "C", 100_000, LONG_AGO, FAR),
                Contract("CC2", "C", 20_000, date(2026, 11, 5), FAR),
            ],
        ),
        acct(  # 40k -> 30k on 2026-11-10: 10k contraction this month
            "D",
            contracts=[
                Contract("CD1", "D", 40_000, LONG_AGO, date(2026, 11, 9)),
                Contract("CD2", "D", 30_000, date(2026, 11, 10), FAR),
            ],
        ),
        acct(  # churned 2026-11-15: 30k churn this month
            "E",
            contracts=[Contract("CE", "E", 30_000, LONG_AGO, date(2026, 11, 14))],
            status="churned",
            churned_at=date(2026, 11, 15),
        ),
    ]


def test_retention_trailing_12_months_and_month_to_date(renewals):
    renewals([])
    result = review(*retention_book())
    r, e = result.retention, result.expansion
    assert (r.period_start, r.period_end) == (date(2025, 11, 23), AS_OF)
    assert r.start_arr == 320_000
    # expansion 20k, contraction 10k, churn 50k + 30k = 80k
    assert r.net_retention_rate == pytest.approx((320 + 20 - 10 - 80) / 320)  # 0.78125
    assert r.gross_retention_rate == pytest.approx((320 - 10 - 80) / 320)  # 0.71875
    assert r.logo_retention_rate == pytest.approx(3 / 5)
    # month to date (from 2026-10-31): E churned 30k, D contracted 10k, C expanded 20k
    assert r.month_start == date(2026, 11, 1)
    assert (r.arr_churned_mtd, r.arr_contracted_mtd, e.arr_expanded_mtd) == (30_000, 10_000, 20_000)
    # 12-month expansion / start ARR = 20 / 320
    assert e.arr_expanded_12m == 20_000
    assert e.expansion_rate == pytest.approx(0.0625)
    checks = {t.metric: t.met for t in result.targets}
    assert checks["retention.net_retention_rate"] is False
    assert checks["retention.gross_retention_rate"] is False
    assert checks["retention.logo_retention_rate"] is False
    assert checks["expansion.expansion_rate"] is False


def test_contract_ending_last_day_of_previous_month_is_not_this_months_churn(renewals):
    renewals([])
    gone = acct(
        "B",
        contracts=[Contract("CB", "B", 50_000, LONG_AGO, date(2026, 10, 31))],
        status="churned",
        churned_at=date(2026, 11, 1),
    )
    result = review(acct("A", 100_000), gone)
    # ARR on 2026-10-31 was 50k, on 2026-11-23 it is 0: the loss falls in November
    assert result.retention.arr_churned_mtd == 50_000
    late = acct(
        "B",
        contracts=[Contract("CB", "B", 50_000, LONG_AGO, date(2026, 10, 30))],
        status="churned",
        churned_at=date(2026, 10, 31),
    )
    assert review(acct("A", 100_000), late).retention.arr_churned_mtd == 0


def test_no_arr_a_year_ago_leaves_retention_unknown_with_a_gap(renewals):
    renewals([])
    new = acct("A", contracts=[Contract("C", "A", 10_000, ago(100), FAR)])
    result = review(new)
    assert result.retention.net_retention_rate is None
    assert result.expansion.expansion_rate is None
    assert gaps(result, "contracts")
    assert {t.metric: t.met for t in result.targets}["retention.net_retention_rate"] is None


def test_expansion_pipeline_counts_open_qualified_and_proposal_non_renewals(renewals):
    renewals([])

    def opp(i, kind, stage, amount, created=ago(20), closed=None):
        return Opportunity(f"O{i}", "A", kind, created, amount, stage, closed)

    a = acct(
        "A",
        10_000,
        opportunities=[
            opp(1, "upsell", "qualified", 10_000),  # in
            opp(2, "seats", "proposal", 5_000),  # in
            opp(3, "upsell", "identified", 7_000),  # not qualified yet
            opp(4, "cross_sell", "won", 3_000, closed=ago(5)),  # closed
            opp(5, "renewal", "proposal", 50_000),  # renewal, not expansion
            opp(6, "cross_sell", "qualified", None),  # open, amount unknown: gap
            opp(7, "upsell", "proposal", 9_000, closed=ago(1)),  # closed before as-of
            opp(8, "upsell", "qualified", 4_000, created=AS_OF + timedelta(days=1)),  # future
        ],
    )
    e = review(a).expansion
    # 10,000 + 5,000; O6 is open but its amount is unknown (not zero, not guessed)
    assert e.expansion_pipeline == 15_000
    assert (e.pipeline_opportunities, e.pipeline_amount_unknown) == (3, 1)
    [gap] = gaps(review(a), "amount")
    assert gap.account_id == "A" and "O6" in gap.detail


def test_upsell_conversations_are_expansion_discussed_events_of_the_last_30_days(renewals):
    renewals([])

    def ev(day, kind="expansion_discussed"):
        return Event("A", day, kind)

    a = acct(
        "A",
        10_000,
        events=[ev(ago(29)), ev(ago(30)), ev(ago(3), "qbr_held"), ev(AS_OF), ev(ago(5))],
    )
    # ago(29), ago(5) and as-of itself are in the last 30 days; ago(30) is the 31st day back
    assert review(a).expansion.upsell_conversations == 3
    # reviewed 10 days earlier: window ago(39)..ago(10) holds ago(29) and ago(30) only
    assert review(a, as_of=ago(10)).expansion.upsell_conversations == 2


# --- engagement ------------------------------------------------------------------------------


def nps(acc: str, score: float, day: date) -> Survey:
    return Survey(acc, "nps", score, day)


def csat(acc: str, score: float, day: date) -> Survey:
    return Survey(acc, "csat", score, day)


def test_nps_uses_each_accounts_latest_response_within_180_days(renewals):
    renewals([])
    result = review(
        acct("A", 1, surveys=[nps("A", 2, ago(100)), nps("A", 9, ago(10))]),  # latest 9
        acct("B", 1, surveys=[nps("B", 10, ago(179))]),  # promoter, just inside
        acct("C", 1, surveys=[nps("C", 8, ago(50))]),  # passive
        acct("D", 1, surveys=[nps("D", 3, ago(20))]),  # detractor
        acct("E", 1, surveys=[nps("E", 0, ago(180))]),  # the 181st day back: out
        acct("F", 1, surveys=[nps("F", 1, AS_OF + timedelta(days=1))]),  # after as-of: out
    )
    g = result.engagement
    # 2 promoters, 1 passive, 1 detractor of 4 -> (2 - 1) / 4 = 25
    assert (g.promoters, g.passives, g.detractors, g.nps_responses) == (2, 1, 1, 4)
    assert g.nps_score == 25
    assert not gaps(result, "nps")
    assert {t.metric: t.met for t in result.targets}["engagement.nps_score"] is False


def test_csat_is_the_mean_of_responses_of_the_last_90_days(renewals):
    renewals([])
    result = review(
        acct("A", 1, surveys=[csat("A", 5, ago(1)), csat("A", 4, ago(89))]),
        acct("B", 1, surveys=[csat("B", 4, ago(30)), csat("B", 1, ago(90))]),
    )
    # 5, 4, 4 inside; the 1 is on the 91st day back -> 13 / 3
    assert result.engagement.csat_score == pytest.approx(13 / 3)
    assert result.engagement.csat_responses == 3


def test_no_surveys_are_nps_and_csat_gaps_not_zero(renewals):
    renewals([])
    result = review(acct("A", 10_000))
    assert result.engagement.nps_score is None and result.engagement.csat_score is None
    assert result.engagement.nps_responses == 0
    assert gaps(result, "nps") and gaps(result, "csat")
    checks = {t.metric: t.met for t in result.targets}
    assert checks["engagement.nps_score"] is None and checks["engagement.csat_score"] is None


def test_qbrs_completed_are_qbr_held_events_this_quarter(renewals):
    renewals([])
    events = [
        Event("A", date(2026, 10, 1), "qbr_held"),  # first day of Q4
        Event("A", date(2026, 9, 30), "qbr_held"),  # Q3
        Event("A", date(2026, 11, 20), "qbr_held"),
        Event("A", date(2026, 11, 21), "qbr_missed"),
    ]
    g = review(acct("A", 1, events=events)).engagement
    assert (g.quarter, g.quarter_start, g.qbrs_completed) == ("2026Q4", date(2026, 10, 1), 2)


# --- onboarding ------------------------------------------------------------------------------


def onboarding_book() -> list[AccountData]:
    d = date
    return [
        # TTFV 10 days, kicked off within 90 days (window starts 2026-08-26)
        acct(
            "A",
            1,
            segment="mid-market",
            kickoff_date=d(2026, 10, 1),
            first_value_date=d(2026, 10, 11),
        ),
        # TTFV 16 days, active onboarding
        acct(
            "B",
            1,
            segment="mid-market",
            kickoff_date=d(2026, 9, 1),
            first_value_date=d(2026, 9, 17),
        ),
        # recent kickoff, no first value yet: awaiting, no gap
        acct("C", 1, segment="enterprise", kickoff_date=d(2026, 11, 1)),
        # old kickoff, no first value: awaiting and a first_value_date gap
        acct("D", 1, segment="enterprise", kickoff_date=d(2026, 3, 1)),
        # TTFV 40 days, kicked off long ago
        acct(
            "E",
            1,
            segment="enterprise",
            kickoff_date=d(2026, 1, 1),
            first_value_date=d(2026, 2, 10),
        ),
        # no kickoff date: a kickoff_date gap
        acct("F", 1),
        # first value dated after as-of: not reached on as-of
        acct("G", 1, kickoff_date=d(2026, 11, 1), first_value_date=d(2026, 12, 1)),
    ]


def test_onboarding_ttfv_excludes_accounts_without_first_value(renewals):
    renewals([])
    result = review(*onboarding_book())
    o = result.onboarding
    assert o.active_onboardings == 4  # A, B, C, G
    # (10 + 16 + 40) / 3 = 22; C, D and G are awaiting, never counted as 0
    assert o.avg_ttfv_days == 22
    assert (o.ttfv_accounts, o.awaiting_first_value) == (3, 3)
    segs = {s.segment: (s.accounts, s.avg_ttfv_days, s.target_days) for s in o.ttfv_by_segment}
    assert segs == {"enterprise": (1, 40, 30), "mid-market": (2, 13, 14)}
    checks = {t.metric: t.met for t in result.targets}
    assert checks["onboarding.avg_ttfv_days[mid-market]"] is True  # 13 within 14
    assert checks["onboarding.avg_ttfv_days[enterprise]"] is False  # 40 over 30
    assert [g.account_id for g in gaps(result, "first_value_date")] == ["D"]
    assert [g.account_id for g in gaps(result, "kickoff_date")] == ["F"]


def test_onboarding_completion_rate_is_completed_over_closed_plays(renewals):
    renewals([])

    def play(i, outcome, closed, kind="onboarding"):
        return Play(f"P{i}", "A", kind, date(2026, 1, 1), closed, outcome)

    plays = [
        play(1, "completed", date(2026, 3, 1)),
        play(2, "completed", date(2026, 6, 1)),
        play(3, "lost", date(2026, 4, 1)),
        play(4, "open", None),  # still open
        play(5, "completed", AS_OF + timedelta(days=3)),  # closes after as-of
        play(6, None, date(2026, 5, 1)),  # closed, outcome unknown: gap, left out
        play(7, "completed", date(2026, 5, 1), kind="save"),  # not onboarding
    ]
    result = review(acct("A", 1, plays=plays))
    o = result.onboarding
    # 2 completed of 3 closed with an outcome
    assert (o.onboardings_completed, o.onboardings_closed) == (2, 3)
    assert o.onboarding_completion_rate == pytest.approx(2 / 3)
    assert [g.detail for g in gaps(result, "outcome")] == [
        "play P6 closed 2026-05-01 without an outcome"
    ]


def test_no_closed_onboarding_play_is_a_gap(renewals):
    renewals([])
    result = review(acct("A", 1))
    assert result.onboarding.onboarding_completion_rate is None
    assert gaps(result, "plays")
    assert result.onboarding.avg_ttfv_days is None and gaps(result, "first_value_date")


# --- renewals --------------------------------------------------------------------------------


def test_renewal_windows_are_cumulative_and_buckets_counted(renewals):
    renewals(
        [
            (0, "strong", 10_000),
            (29, "manage", 20_000),
            (30, "at_risk", 30_000),
            (59, "at_risk", 5_000),
            (89, "unknown", 40_000),
        ]
    )
    r = review(acct("A", 1)).renewals
    # "within N days" is as-of .. as-of + N - 1 (the pipeline's convention):
    # 30 days: +0 and +29; 60 days adds +30 and +59; 90 days adds +89
    assert (r.upcoming_30d.count, r.upcoming_30d.arr) == (2, 30_000)
    assert (r.upcoming_60d.count, r.upcoming_60d.arr) == (4, 65_000)
    assert (r.upcoming_90d.count, r.upcoming_90d.arr) == (5, 105_000)
    assert (r.on_track, r.at_risk, r.unknown) == (2, 2, 1)
    assert r.by_bucket["at_risk"].arr == 35_000


def test_renewals_come_from_the_renewal_pipeline():
    due = acct("A", contracts=[Contract("C", "A", 12_000, LONG_AGO, AS_OF + timedelta(days=20))])
    later = acct("B", contracts=[Contract("C2", "B", 8_000, LONG_AGO, AS_OF + timedelta(days=200))])
    r = review(due, later).renewals
    assert (r.upcoming_30d.count, r.upcoming_30d.arr) == (1, 12_000)
    assert r.upcoming_90d.count == 1
    assert r.on_track + r.at_risk + r.unknown == 1


# --- monthly review --------------------------------------------------------------------------


def test_tier_moves_green_to_worse_and_up_with_the_dimension_that_moved(health, renewals):
    renewals([])
    dims_then = (("usage", 0.3, 9.0), ("engagement", 0.2, 8.0))
    dims_now = (("usage", 0.3, 5.0), ("engagement", 0.2, 7.0))
    health(
        {
            "A": ("yellow", 70, dims_now),
            "B": ("orange", 50, ()),
            "C": ("yellow", 65, dims_then),
            "D": ("green", 90, ()),
            "E": ("red", 30, ()),
        },
        {
            "A": ("green", 85, dims_then),  # green -> yellow: usage fell 1.2, engagement 0.2
            "B": ("yellow", 62, ()),  # yellow -> orange: down, but not from green
            "C": ("orange", 55, dims_now),  # orange -> yellow: up, usage rose most
            "D": ("unknown", 88, ()),  # unknown -> green: not a move
            "E": ("green", 81, ()),  # green -> red
        },
    )
    rv = review(
        acct("A", 10_000), acct("B", 1), acct("C", 1), acct("D", 1), acct("E", 50_000)
    ).review
    # largest ARR first
    assert [(m.account_id, m.from_tier, m.to_tier) for m in rv.moved_down] == [
        ("E", "green", "red"),
        ("A", "green", "yellow"),
    ]
    a = rv.moved_down[1]
    assert (a.score_then, a.score_now, a.reason) == (85, 70, "usage")
    assert [(m.account_id, m.reason) for m in rv.moved_up] == [("C", "usage")]


def test_top_churn_reason_of_the_last_90_days_and_its_trend(renewals):
    renewals([])

    def gone(acc_id, reason, churned, arr=10_000):
        contract = Contract(f"C{acc_id}", acc_id, arr, LONG_AGO, churned - timedelta(days=1))
        return acct(
            acc_id, contracts=[contract], status="churned", churned_at=churned, churn_reason=reason
        )

    result = review(
        gone("X", "value", ago(10), 30_000),
        gone("Y", "value", ago(89)),
        gone("Z", "competition", ago(5), 50_000),
        gone("W", None, ago(20)),  # no reason recorded: a gap
        gone("V", "value", ago(95)),  # the 90 days before
        gone("U", "competition", ago(100)),
        gone("T", "competition", ago(179)),
        gone("S", "competition", ago(180)),  # older than both windows
        acct(
            "R",
            5_000,
            status="churned",
            churned_at=AS_OF + timedelta(days=5),
            churn_reason="product",
        ),
    )
    c = result.review.churn_reasons
    # value: 2 accounts (40k ARR); competition: 1 account (50k): accounts rank first
    assert c.top_reason == "value"
    assert [(r.reason, r.accounts, r.arr, r.previous_accounts) for r in c.reasons] == [
        ("value", 2, 40_000, 1),
        ("competition", 1, 50_000, 2),
    ]
    assert c.trend == "rising"  # 2 now vs 1 in the 90 days before
    assert c.unrecorded == 1
    assert [g.account_id for g in gaps(result, "churn_reason")] == ["W"]


def test_top_10_accounts_multi_threaded_means_3_active_contacts(renewals):
    renewals([])

    def contacts(acc_id, n, departed=None):
        out = [Contact(f"{acc_id}-{i}", acc_id, f"P{i}") for i in range(n)]
        if departed is not None:
            out.append(
                Contact(
                    f"{acc_id}-x", acc_id, "Gone", status="departed", status_changed_at=departed
                )
            )
        return out

    accounts = [
        acct(f"A{i:02d}", i * 10_000, contacts=contacts(f"A{i:02d}", 1)) for i in range(1, 13)
    ]
    accounts[11].contacts = contacts("A12", 3)  # 120k: 3 active -> yes
    accounts[10].contacts = contacts("A11", 2, departed=ago(3))  # 110k: 2 active -> no
    accounts[9].contacts = contacts("A10", 2, departed=AS_OF + timedelta(days=3))  # 100k: still 3
    accounts[8].contacts = []  # 90k: no contact on record -> unknown, a gap
    rv = review(*accounts).review
    assert [t.account_id for t in rv.top_accounts] == [f"A{i:02d}" for i in range(12, 2, -1)]
    top = {t.account_id: (t.active_contacts, t.multi_threaded) for t in rv.top_accounts}
    assert top["A12"] == (3, True)
    assert top["A11"] == (2, False)
    assert top["A10"] == (3, True)
    assert top["A09"] == (None, None)
    assert rv.top_accounts_multi_threaded == 2


def test_at_risk_arr_concentration_per_csm(health, renewals):
    renewals([])
    health(
        {
            "A": ("orange", 50, ()),
            "B": ("green", 90, ()),
            "C": ("red", 20, ()),
            "D": ("unknown", None, ()),
            "E": ("orange", 45, ()),
        }
    )
    result = review(
        acct("A", 100_000, csm="ana"),
        acct("B", 100_000, csm="ana"),
        acct("C", 50_000, csm="ben"),
        acct("D", 30_000, csm="ben"),
        acct("E", 50_000),  # no CSM: unassigned and a gap
    )
    rv = result.review
    # at risk (orange + red): A 100k + C 50k + E 50k = 200k
    assert rv.at_risk_arr == 200_000
    rows = [
        (c.csm, c.at_risk_arr, c.share_of_book, c.share_of_at_risk, c.unknown_tier_arr)
        for c in rv.at_risk_by_csm
    ]
    assert rows == [
        ("ana", 100_000, 0.5, 0.5, 0),  # 100k of a 200k book
        ("ben", 50_000, pytest.approx(50 / 80), 0.25, 30_000),  # 50k of 80k
        (None, 50_000, 1.0, 0.25, 0),
    ]
    assert [g.account_id for g in gaps(result, "csm")] == ["E"]


# --- contract of the tool ------------------------------------------------------------------


def test_as_of_after_the_data_is_refused(renewals):
    renewals([])
    with pytest.raises(ValueError, match="after the data"):
        portfolio_review(portfolio(AS_OF, acct("A", 1)), AS_OF + timedelta(days=1))


def test_targets_are_met_only_strictly_beyond_them():
    assert pr._check("x", 0.90, 0.90, "above").met is False
    assert pr._check("x", 0.9001, 0.90, "above").met is True
    assert pr._check("x", 14, 14, "within").met is True
    assert pr._check("x", None, 14, "within").met is None


def test_json_has_the_dashboard_keys(renewals):
    renewals([])
    data = review(acct("A", 1)).model_dump(mode="json")
    assert data["command"] == "portfolio" and data["as_of"] == "2026-11-23"
    for section, keys in {
        "portfolio": ("week", "total_accounts", "total_arr", "health_distribution"),
        "retention": ("gross_retention_rate", "net_retention_rate", "logo_retention_rate"),
        "expansion": ("arr_expanded_mtd", "expansion_pipeline", "upsell_conversations"),
        "engagement": ("qbrs_completed", "nps_score", "csat_score"),
        "onboarding": ("active_onboardings", "avg_ttfv_days", "onboarding_completion_rate"),
        "renewals": ("upcoming_30d", "upcoming_60d", "upcoming_90d", "on_track", "at_risk"),
    }.items():
        assert set(keys) <= data[section].keys(), section


def test_scales_linearly_enough_for_a_large_book(renewals):
    renewals([])
    accounts = [acct(f"A{i:05d}", 1_000 + i, csm=f"csm{i % 40}") for i in range(3000)]
    started = datetime.now()
    result = review(*accounts)
    assert result.portfolio.total_accounts == 3000
    assert (datetime.now() - started).total_seconds() < 30


# --- renderer ------------------------------------------------------------------------------


def test_render_marks_targets_and_summarises_gaps_by_signal(renewals):
    renewals([(10, "at_risk", 10_000)])
    result = review(
        *retention_book(),
        acct("N", 1, surveys=[nps("N", 10, ago(1)), csat("N", 5, ago(1))]),
        acct("M", 1),
    )
    console = Console(record=True, width=160)
    console.print(render_portfolio(result))
    text = console.export_text()
    assert "week 2026-W48" in text
    assert "78.1%" in text and "missed" in text  # NRR 0.78125 vs > 110%
    assert "NPS (1 promoters, 0 passives, 0 detractors)" in text
    # usage is missing for every active account: one row naming how many
    active = result.portfolio.total_accounts
    usage_row = next(line for line in text.splitlines() if line.strip().startswith("│ usage"))
    assert f" {active} " in usage_row
    assert "Not answered from data" in text


def test_gaps_summary_counts_accounts_per_signal():
    from agent.render.portfolio import gaps_summary
    from tools.types import Gap

    def gap(signal, account=None, detail=None):
        return Gap(
            signal=signal,
            needed_for="x",
            source="CRM",
            ask="RevOps",
            account_id=account,
            detail=detail,
        )

    items = [gap("contacts", "A"), gap("contacts", "B"), gap("contacts", "C")]
    items += [gap("csat", "A"), gap("csat", detail="no CSAT response")]
    console = Console(record=True, width=160)
    console.print(gaps_summary(items))
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in console.export_text().splitlines()
        if line.startswith("│")
    }
    assert rows == {"contacts": "3", "csat: no CSAT response": "1 + portfolio"}
