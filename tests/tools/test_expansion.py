"""Expansion scan: the seven signals with their windows, ranking, budget owner, held back."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

import tools.expansion as expansion
import tools.expansion_signals as expansion_signals
from memory.read import (
    Account,
    AccountData,
    Contact,
    Contract,
    Event,
    FeatureWeek,
    Goal,
    Invoice,
    Note,
    Opportunity,
    ProductUser,
    RoiRow,
    Survey,
    Ticket,
)
from tests.factories import daily_usage, portfolio
from tools.expansion import expansion_account, expansion_scan
from tools.health import score_account

AS_OF = date(2026, 11, 23)  # a Monday


def ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def acc(aid="a1", name="Acme", *, arr=100_000.0, seats=100, renews=date(2027, 12, 31), **kw):
    """A plain account: flat ARR all year, 10 DAU / 20 MAU a day for 130 days, no signal."""
    account_kw = {k: kw.pop(k) for k in ("departments_licensed", "status", "churned_at") if k in kw}
    kw.setdefault("usage", daily_usage(ago(130), AS_OF))
    kw.setdefault("contracts", [Contract(f"k-{aid}", aid, arr, date(2026, 1, 1), renews)])
    return AccountData(account=Account(aid, name, licensed_seats=seats, **account_kw), **kw)


def scan(*accounts, features=None, as_of=AS_OF):
    return expansion_scan(portfolio(AS_OF, *accounts, features=features), as_of)


def kinds_of(result, aid="a1"):
    opp = next((o for o in result.opportunities if o.account_id == aid), None)
    return [s.kind for s in opp.signals] if opp else []


def gap_signals(result, aid="a1"):
    return {g.signal for g in result.gaps if g.account_id == aid}


@pytest.fixture
def no_churn(monkeypatch):
    """Stub the churn tool with no risk, so these tests exercise the expansion rules alone."""
    none = SimpleNamespace(risk=None, signals=[])
    monkeypatch.setattr(expansion, "churn_risks", lambda p, d: dict.fromkeys(p.accounts, none))
    monkeypatch.setattr(expansion, "assess_account", lambda p, a, d: none)


def fake_tier(monkeypatch, tier, score=85, gaps=()):
    """Stub the health tool's tier (used by contract_anniversary)."""
    result = SimpleNamespace(tier=tier, score=score, gaps=list(gaps))
    monkeypatch.setattr(expansion_signals, "score_account", lambda *a, **k: result)


def test_plain_account_is_no_opportunity(no_churn):
    result = scan(acc())
    assert result.command == "expansion"
    assert result.opportunities == []
    assert result.scanned == 1


# --- usage_growth ----------------------------------------------------------------------


def growth_usage(now: int, then: int = 30):
    # last 30 days: `now` DAU; 90 days earlier (days 90-119 ago): `then` DAU
    return daily_usage(ago(130), AS_OF, active_users=lambda d: now if d > ago(30) else then)


def test_usage_growth_fires_at_exactly_1_2x(no_churn):
    result = scan(acc(usage=growth_usage(36)))  # 36 = 1.2 x 30
    (opp,) = result.opportunities
    (sig,) = opp.signals
    assert (sig.kind, sig.strength, sig.value) == ("usage_growth", "moderate", pytest.approx(1.2))
    assert opp.action == "upsell"
    assert opp.timing == "next_qbr"
    # ARR $100,000 x growth 20% = $20,000, labelled an estimate
    assert opp.revenue_estimate == pytest.approx(20_000)
    assert opp.estimate is True
    assert opp.estimate_basis == "estimate: ARR $100,000 x usage growth 20%"


def test_usage_growth_below_1_2x_does_not_fire(no_churn):
    assert kinds_of(scan(acc(usage=growth_usage(35)))) == []  # 35 / 30 = 1.17


def test_usage_growth_strong_from_1_5x(no_churn):
    (opp,) = scan(acc(usage=growth_usage(45))).opportunities  # 45 / 30 = 1.5
    assert opp.signals[0].strength == "strong"
    assert opp.timing == "now"


def test_usage_growth_needs_no_arr_increase_in_between(no_churn):
    rows = [
        Contract("k1", "a1", 100_000, date(2026, 1, 1), date(2027, 12, 31)),
        Contract("k2", "a1", 10_000, ago(60), date(2027, 12, 31)),  # upsell since the window
    ]
    assert kinds_of(scan(acc(usage=growth_usage(40), contracts=rows))) == []
    # an upsell dated after as-of is ignored
    rows[1] = Contract("k2", "a1", 10_000, AS_OF + timedelta(days=1), date(2027, 12, 31))
    assert kinds_of(scan(acc(usage=growth_usage(40), contracts=rows))) == ["usage_growth"]


def test_usage_growth_without_the_earlier_window_is_a_gap(no_churn):
    result = scan(acc(usage=daily_usage(ago(60), AS_OF, active_users=50)))
    assert kinds_of(result) == []
    gap = next(g for g in result.gaps if g.needed_for == "expansion: usage_growth")
    assert gap.signal == "usage"
    assert gap.detail == f"none in {ago(119)}..{ago(90)}"


# --- seat_capacity ---------------------------------------------------------------------


def test_seat_capacity_above_80_percent(no_churn):
    usage = daily_usage(ago(130), AS_OF, users_30d=50)
    usage[-1] = usage[-1]._replace(users_30d=81)  # the latest row decides
    (opp,) = scan(acc(usage=usage, seats=100)).opportunities
    assert [s.kind for s in opp.signals] == ["seat_capacity"]
    assert (opp.action, opp.timing, opp.signals[0].strength) == ("seat_expansion", "now", "strong")
    # $100,000 / 100 seats = $1,000 per seat; ceil(81 / 0.8) = 102 -> 2 seats = $2,000
    assert opp.revenue_estimate == pytest.approx(2_000)
    assert "2 seats" in opp.estimate_basis


def test_seat_capacity_exactly_80_percent_does_not_fire(no_churn):
    assert kinds_of(scan(acc(usage=daily_usage(ago(130), AS_OF, users_30d=80), seats=100))) == []


def test_seat_capacity_without_licensed_seats_is_a_gap(no_churn):
    result = scan(acc(seats=None))
    assert "licensed_seats" in gap_signals(result)


# --- department_spread -----------------------------------------------------------------


def users(*spec):
    return [
        ProductUser("a1", f"u{i}", department=dept, last_active_at=ago(days))
        for i, (dept, days) in enumerate(spec)
    ]


def test_department_spread_two_unlicensed_departments(no_churn):
    team = users(("Sales", 1), ("Sales", 2), ("Marketing", 3), ("marketing ", 4), ("Finance", 89))
    (opp,) = scan(acc(users=team, departments_licensed=("Sales",))).opportunities
    assert [s.kind for s in opp.signals] == ["department_spread"]
    assert opp.signals[0].value == 2  # Marketing, Finance
    # 3 users outside the licence x ($100,000 / 100 seats) = $3,000
    assert opp.revenue_estimate == pytest.approx(3_000)
    assert opp.action == "seat_expansion"


def test_department_spread_user_active_90_days_ago_is_outside_the_window(no_churn):
    team = users(("Sales", 1), ("Marketing", 3), ("Finance", 90))
    assert kinds_of(scan(acc(users=team, departments_licensed=("Sales",)))) == []


def test_department_spread_gaps(no_churn):
    assert "users" in gap_signals(scan(acc()))
    team = users(("Marketing", 3), ("Finance", 4))
    assert "departments_licensed" in gap_signals(scan(acc(users=team)))
    # one unlicensed department plus a user of unknown department could make two
    team = users(("Marketing", 3), (None, 4))
    result = scan(acc(users=team, departments_licensed=("Sales",)))
    assert kinds_of(result) == []
    assert "department" in gap_signals(result)


# --- feature_ceiling -------------------------------------------------------------------

CATALOGUE = {"a": "core", "b": "core", "c": "core", "d": "core", "e": "core", "p": "premium"}


def weeks(used, *, premium_days_ago=None, week=ago(7)):
    rows = [FeatureWeek(week, f, 3, 10) for f in used]
    rows.append(FeatureWeek(week, "e", 0, 0))  # a row with 0 is data: not used
    if premium_days_ago is not None:
        rows.append(FeatureWeek(ago(premium_days_ago), "p", 2, 5))
    return sorted(rows)


def test_feature_ceiling_at_80_percent_of_core(no_churn):
    result = scan(acc(feature_usage=weeks("abcd")), features=CATALOGUE)  # 4 of 5 = 80%
    (opp,) = result.opportunities
    assert [s.kind for s in opp.signals] == ["feature_ceiling"]
    assert opp.signals[0].value == pytest.approx(0.8)
    assert opp.action == "upsell"
    # nothing sizes a tier upgrade: no estimate, and a gap saying what would
    assert opp.revenue_estimate is None
    assert "opportunities" in gap_signals(result)


def test_feature_ceiling_below_80_percent_does_not_fire(no_churn):
    assert kinds_of(scan(acc(feature_usage=weeks("abc")), features=CATALOGUE)) == []


def test_feature_ceiling_premium_used_within_90_days_does_not_fire(no_churn):
    fu = weeks("abcd", premium_days_ago=84)
    assert kinds_of(scan(acc(feature_usage=fu), features=CATALOGUE)) == []
    fu = weeks("abcd", premium_days_ago=91)  # week starting 91 days ago: outside the 90
    assert kinds_of(scan(acc(feature_usage=fu), features=CATALOGUE)) == ["feature_ceiling"]


def test_feature_ceiling_week_just_outside_30_days_does_not_count(no_churn):
    fu = weeks("abcd", week=ago(30))  # window is ago(29)..as-of
    result = scan(acc(feature_usage=fu), features=CATALOGUE)
    assert kinds_of(result) == []
    assert "feature_usage" in gap_signals(result)


def test_feature_ceiling_without_catalogue_is_a_gap(no_churn):
    result = scan(acc(feature_usage=weeks("abcd")))
    assert kinds_of(result) == []
    assert any(g.signal == "features" and g.account_id is None for g in result.gaps)


def test_open_crm_opportunity_sizes_but_never_fires(no_churn):
    opp = Opportunity("o1", "a1", "upsell", ago(200), amount=15_000, stage="qualified")
    # an open opportunity alone is context, not a signal
    assert scan(acc(opportunities=[opp])).opportunities == []
    # beside a feature ceiling, its amount is the estimate
    result = scan(acc(feature_usage=weeks("abcd"), opportunities=[opp]), features=CATALOGUE)
    (found,) = result.opportunities
    assert found.revenue_estimate == 15_000
    assert "o1" in found.estimate_basis
    assert [o.opportunity_id for o in found.open_opportunities] == ["o1"]


# --- promoter --------------------------------------------------------------------------

KICKOFF = Event("a1", ago(300), "kickoff_held")  # the events feed exists


def test_promoter_latest_nps_9_within_180_days(no_churn):
    nps = [Survey("a1", "nps", 9, ago(179), comment="Love it")]
    (opp,) = scan(acc(surveys=nps, events=[KICKOFF])).opportunities
    (sig,) = opp.signals
    assert (sig.kind, sig.value) == ("promoter", 9)
    assert sig.quotes[0].text == "Love it"


def test_promoter_nps_180_days_ago_is_a_gap(no_churn):
    result = scan(acc(surveys=[Survey("a1", "nps", 10, ago(180))], events=[KICKOFF]))
    assert kinds_of(result) == []
    assert "nps" in gap_signals(result)


def test_promoter_latest_response_decides(no_churn):
    nps = [Survey("a1", "nps", 10, ago(100)), Survey("a1", "nps", 8, ago(10))]
    assert kinds_of(scan(acc(surveys=nps, events=[KICKOFF]))) == []


def test_promoter_already_asked_to_expand(no_churn):
    nps = [Survey("a1", "nps", 10, ago(10))]
    asked = [KICKOFF, Event("a1", ago(150), "expansion_discussed")]
    assert kinds_of(scan(acc(surveys=nps, events=asked))) == []
    upsell = [Opportunity("o1", "a1", "upsell", ago(170), stage="lost")]
    assert kinds_of(scan(acc(surveys=nps, events=[KICKOFF], opportunities=upsell))) == []
    # a renewal opportunity is not an expansion ask
    renewal = [Opportunity("o2", "a1", "renewal", ago(20))]
    result = scan(acc(surveys=nps, events=[KICKOFF], opportunities=renewal))
    assert kinds_of(result) == ["promoter"]


# --- organic_mention -------------------------------------------------------------------


def test_organic_mention_event_within_90_days_with_notes_quoted(no_churn):
    events = [Event("a1", ago(89), "new_department_interest", event_id="e1", detail="HR asked")]
    notes = [
        Note("n1", "a1", datetime(2026, 11, 2, 10), "Their HR team wants a demo"),
        Note("n2", "a1", datetime(2026, 11, 3, 10), "Invoice address changed"),
    ]
    (opp,) = scan(acc(events=events, notes=notes)).opportunities
    (sig,) = opp.signals
    assert (sig.kind, sig.strength) == ("organic_mention", "strong")
    assert opp.action == "seat_expansion"
    assert [(q.source, q.id) for q in sig.quotes] == [("event", "e1"), ("note", "n1")]


def test_organic_mention_use_case_is_cross_sell_and_90_days_ago_is_out(no_churn):
    (opp,) = scan(acc(events=[Event("a1", ago(5), "new_use_case_interest")])).opportunities
    assert (opp.action, opp.signals[0].strength) == ("cross_sell", "moderate")
    assert kinds_of(scan(acc(events=[Event("a1", ago(90), "new_use_case_interest")]))) == []


def test_free_text_alone_never_fires(no_churn):
    notes = [Note("n1", "a1", datetime(2026, 11, 2, 10), "Marketing department wants to expand!")]
    events = [Event("a1", ago(3), "qbr_held", detail="new use case interest in finance team")]
    assert scan(acc(notes=notes, events=events)).opportunities == []


def test_events_after_as_of_are_ignored(no_churn):
    events = [Event("a1", ago(3), "new_use_case_interest")]
    data = acc(events=events)
    assert expansion_account(portfolio(AS_OF, data), "a1", ago(4)).opportunities == []
    assert expansion_account(portfolio(AS_OF, data), "a1", ago(3)).opportunities != []


# --- contract_anniversary --------------------------------------------------------------


def thriving(aid="a1", renews=AS_OF + timedelta(days=120)) -> AccountData:
    """An account the real health model scores green: high DAU/MAU, champion and exec."""
    return AccountData(
        account=Account(aid, "Thriving Co", licensed_seats=100),
        contracts=[
            Contract("k0", aid, 80_000, date(2025, 1, 1), date(2025, 12, 31)),
            Contract("k1", aid, 100_000, date(2026, 1, 1), renews),
        ],
        usage=daily_usage(ago(130), AS_OF, active_users=15, logins=lambda d: 10 + d.day % 3),
        contacts=[
            Contact("c1", aid, "Ana Ruiz", role="champion", last_engaged_at=ago(5)),
            Contact("c2", aid, "Maria Lopez", role="exec_sponsor", last_engaged_at=ago(20)),
            Contact("c3", aid, "Uli Berg", role="user"),
        ],
        goals=[Goal("g1", aid, "Faster reporting", status="achieved", set_at=date(2026, 1, 10))],
        roi=[RoiRow(aid, "time_saved", "hours", "hours", 10, 4, 80, "week", recorded_at=ago(50))],
        invoices=[Invoice("i1", aid, 25_000, ago(40), "paid", paid_at=ago(41))],
        tickets=[Ticket("t1", aid, datetime(2026, 10, 1, 9), datetime(2026, 10, 2, 9), "closed")],
        events=[Event(aid, ago(10), "qbr_held")],
    )


def test_contract_anniversary_with_the_real_health_model(no_churn):
    data = thriving()
    tier = score_account(portfolio(AS_OF, data), "a1", AS_OF, with_trend=False).tier
    assert tier in ("green", "yellow")  # precondition from the real scorer
    result = scan(data)
    (opp,) = result.opportunities
    assert [s.kind for s in opp.signals] == ["contract_anniversary"]
    assert (opp.action, opp.timing) == ("multi_year", "renewal")
    assert opp.renewal_date == AS_OF + timedelta(days=120)
    assert opp.budget_owner.name == "Maria Lopez"


def test_contract_anniversary_121_days_out_does_not_fire(no_churn):
    assert kinds_of(scan(thriving(renews=AS_OF + timedelta(days=121)))) == []


def test_contract_anniversary_needs_green_or_yellow(no_churn, monkeypatch):
    data = acc(renews=AS_OF + timedelta(days=30))
    fake_tier(monkeypatch, "yellow", 65)
    assert kinds_of(scan(data)) == ["contract_anniversary"]
    fake_tier(monkeypatch, "orange", 45)
    assert kinds_of(scan(data)) == []


def test_contract_anniversary_unknown_tier_carries_the_health_gaps(no_churn, monkeypatch):
    gap = SimpleNamespace(signal="goals", account_id="a1", detail="no goals")
    fake_tier(monkeypatch, "unknown", None, [gap])
    result = scan(acc(renews=AS_OF + timedelta(days=30)))
    assert kinds_of(result) == []
    g = next(g for g in result.gaps if g.signal == "goals")
    assert g.needed_for == "expansion: contract_anniversary"


# --- held back, ranking, budget owner, one account -------------------------------------


def collapsing(aid="a2") -> AccountData:
    """Logins fell from 10 to 2 a day (usage_collapse: high risk) and seats are full."""
    usage = daily_usage(ago(130), AS_OF, logins=lambda d: 2 if d > ago(30) else 10, users_30d=95)
    return acc(aid, "Collapsing Inc", usage=usage, seats=100)


def test_high_churn_risk_is_held_back_with_the_real_churn_tool():
    result = scan(collapsing())
    assert result.opportunities == []
    (held,) = result.held_back
    assert held.account_id == "a2"
    assert held.signals == ["seat_capacity"]
    assert "usage_collapse" in held.churn_signals
    assert held.reason.startswith("high churn risk (")
    assert held.reason.endswith("save first, expand later")


def test_medium_churn_risk_is_still_offered(monkeypatch):
    medium = SimpleNamespace(risk="medium", signals=[])
    monkeypatch.setattr(expansion, "churn_risks", lambda p, d: {"a2": medium})
    result = scan(collapsing())
    assert [o.account_id for o in result.opportunities] == ["a2"]
    assert result.held_back == []


def test_ranked_by_revenue_estimate_unknown_last(no_churn):
    big = acc("b", "Big", usage=daily_usage(ago(130), AS_OF, users_30d=95), seats=100)
    # Big: $1,000/seat x (ceil(95 / 0.8) = 119 - 100 = 19 seats) = $19,000
    small = acc("s", "Small", arr=10_000, usage=daily_usage(ago(130), AS_OF, users_30d=95))
    # Small: $100/seat x 19 seats = $1,900
    unsized = acc("u", "Unsized", events=[Event("u", ago(1), "new_use_case_interest")])
    result = scan(unsized, small, big)
    assert [o.account_id for o in result.opportunities] == ["b", "s", "u"]
    assert [o.revenue_estimate for o in result.opportunities] == [
        pytest.approx(19_000),
        pytest.approx(1_900),
        None,
    ]


def test_budget_owner_is_the_exec_sponsor_or_economic_buyer(no_churn):
    people = [
        Contact("c1", "a1", "Ana Ruiz", role="champion"),
        Contact("c2", "a1", "Bo Chen", role="economic_buyer"),
        Contact(
            "c3", "a1", "Cy Diaz", role="exec_sponsor", status="departed", status_changed_at=ago(10)
        ),  # fmt: skip
    ]
    signal = [Event("a1", ago(1), "new_use_case_interest")]
    (opp,) = scan(acc(contacts=people, events=signal)).opportunities
    assert (opp.budget_owner.name, opp.budget_owner.role) == ("Bo Chen", "economic_buyer")
    (opp,) = scan(acc(contacts=people[:1], events=signal)).opportunities
    assert opp.budget_owner is None
    result = scan(acc(contacts=people[:1], events=signal))
    gap = next(g for g in result.gaps if g.signal == "contacts")
    assert gap.needed_for == "expansion: budget_owner"


def test_expansion_account_refuses_a_churned_account():
    data = acc(status="churned", churned_at=ago(10))
    with pytest.raises(ValueError, match="churned on"):
        expansion_account(portfolio(AS_OF, data), "a1")


def test_expansion_account_uses_the_real_churn_tool_for_held_back():
    result = expansion_account(portfolio(AS_OF, collapsing()), "a2")
    assert result.account_id == "a2"
    assert [h.account_id for h in result.held_back] == ["a2"]


def test_renderer_labels_estimates_and_lists_held_back():
    from rich.console import Console

    from agent.render.expansion import render_expansion

    big = acc("b", "Big", usage=daily_usage(ago(130), AS_OF, users_30d=95), seats=100)
    console = Console(record=True, width=200)
    console.print(render_expansion(scan(big, collapsing())))
    text = console.export_text()
    assert "$19,000 (estimate)" in text
    assert "Held back (1)" in text and "Collapsing Inc" in text
    assert "Data gaps" in text


def test_a_single_account_with_no_signal_is_titled_by_its_name(demo_env):
    from typer.testing import CliRunner

    from agent.cli import app

    out = CliRunner().invoke(app, ["expansion", "acme", "--as-of", "2026-11-23"]).output
    assert "Expansion opportunities for Acme Corp" in out
    assert "for acme" not in out
