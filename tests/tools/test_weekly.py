"""Weekly scan: the triggers and their windows, priority ranking, the pattern, tier moves, gaps.

The base account `calm()` has no churn signal and no trigger: 10 logins a day, a stable
feature, no open ticket, contacts active, a renewal far away. Its engine health score is 83
(green): usage 16/20 = 0.8 -> 10, engagement flat 5, relationship 10, outcomes 10,
financial 5 (on time, ARR flat): (300 + 100 + 150 + 200 + 75) / 10 = 82.5 -> 83.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from memory.read import (
    Account,
    AccountData,
    Contact,
    Contract,
    Event,
    FeatureWeek,
    Goal,
    Invoice,
    RoiRow,
    Survey,
    Ticket,
)
from tests.factories import daily_usage, portfolio
from tools.weekly import weekly_scan

AS_OF = date(2026, 11, 23)  # a Monday: the last 28 days hold the weeks of ago(21..0)


def ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def at(n: int) -> datetime:
    return datetime.combine(ago(n), datetime.min.time()).replace(hour=9)


def weeks(feature: str, *users: int, account: str = "a1") -> list[FeatureWeek]:
    """Feature rows for the 8 Mondays ago(49) .. ago(0), oldest first."""
    return [FeatureWeek(ago(7 * (7 - i)), feature, u, u) for i, u in enumerate(users)]


def calm(aid: str = "a1", name: str = "Acme", *, arr: float = 50_000) -> AccountData:
    end = date(2027, 6, 30)
    return AccountData(
        account=Account(aid, name, csm="Dana"),
        contracts=[
            Contract(f"k-{aid}", aid, arr, date(2026, 7, 1), end, notice_days=60),
            Contract(f"k0-{aid}", aid, arr, date(2025, 7, 1), date(2026, 6, 30)),
        ],
        contacts=[
            Contact(f"{aid}-ch", aid, "Ana Ruiz", role="champion", last_engaged_at=ago(5)),
            Contact(f"{aid}-ex", aid, "Maria Lopez", role="exec_sponsor", last_engaged_at=ago(9)),
            Contact(f"{aid}-u", aid, "Uli Berg", role="user", last_engaged_at=ago(50)),
        ],
        usage=daily_usage(ago(119), AS_OF, active_users=16, logins=10),
        feature_usage=weeks("reports", *[10] * 8),
        tickets=[Ticket(f"{aid}-t0", aid, at(200), status="closed")],
        surveys=[Survey(aid, "nps", 9, ago(20)), Survey(aid, "csat", 5, ago(10))],
        invoices=[Invoice(f"{aid}-i0", aid, 1000, ago(40), "paid", paid_at=ago(41))],
        events=[Event(aid, ago(10), "qbr_held")],
        goals=[Goal(f"{aid}-g", aid, "Cut reporting time", status="achieved")],
        roi=[RoiRow(aid, "time_saved", "hours", "hours", 10, 5, 50, "week", recorded_at=ago(30))],
    )


def scan(*accounts: AccountData, **kw):
    return weekly_scan(portfolio(AS_OF, *accounts), **kw)


def triggers(result, aid: str = "a1") -> list[str]:
    item = next((i for i in result.all if i.account_id == aid), None)
    return [t.kind for t in item.triggers] if item else []


def test_calm_portfolio_has_nothing_to_report():
    r = scan(calm(), show_all=True)
    assert r.command == "scan"
    assert (r.priority, r.pattern, r.moved_down, r.moved_up, r.qualifying) == ([], None, [], [], 0)
    assert r.gaps == []


# --- triggers -------------------------------------------------------------------------------


def test_logins_this_week_below_70_percent_of_the_8_week_mean():
    a = calm()
    # 8 weeks before (ago(62)..ago(7)): 10/day -> weekly mean 70; 70% = 49
    # this week (ago(6)..as_of): 4/day = 28 < 49 -> login_drop
    a.usage = daily_usage(
        ago(119), AS_OF, active_users=16, logins=lambda d: 4 if d > ago(7) else 10
    )
    r = scan(a, show_all=True)
    assert triggers(r) == ["login_drop"]
    item = r.priority[0]
    assert item.churn_risk is None
    assert "logins 28 in" in item.triggers[0].evidence
    assert "weekly mean of 70" in item.triggers[0].evidence
    assert item.action.startswith("CSM Dana calls Ana Ruiz about this week's login drop")


def test_logins_exactly_at_70_percent_do_not_trigger():
    a = calm()
    a.usage = daily_usage(
        ago(119), AS_OF, active_users=16, logins=lambda d: 7 if d > ago(7) else 10
    )
    assert triggers(scan(a, show_all=True)) == []  # 7 * 7 = 49, not < 49


def test_missing_usage_days_this_week_are_a_gap():
    a = calm()
    a.usage = [u for u in a.usage if u.date <= ago(3)]  # feed stopped 3 days ago
    r = scan(a, show_all=True)
    assert "login_drop" not in triggers(r)
    gap = next(g for g in r.gaps if g.needed_for == "scan: login_drop")
    assert gap.signal == "usage"
    assert gap.detail == f"logins known for 4 of 7 days in {ago(6)}..{AS_OF}"


def test_feature_whose_portfolio_active_users_fell_10_percent():
    a = calm("a1", "Acme")
    b = calm("b1", "Beta")
    c = calm("c1", "Gamma")
    # reports: a 4 x 10 = 40 -> 4 x 8 = 32 (-20%); b 40 -> 40; portfolio 80 -> 72 = -10%
    a.feature_usage = weeks("reports", 10, 10, 10, 10, 8, 8, 8, 8) + weeks("alerts", *[5] * 8)
    b.feature_usage = weeks("reports", *[10] * 8) + weeks("alerts", 5, 5, 5, 5, 5, 5, 5, 4)
    # c has rows only in the last 4 weeks: left out of the sums (a fake decline), and a gap
    c.feature_usage = [w for w in weeks("reports", *[0] * 8) if w.week_start > ago(28)]
    r = scan(a, b, c, show_all=True)
    # alerts: 40 -> 39 = -2.5%, not a decline
    assert [(t.feature, t.previous, t.current, t.accounts) for t in r.declining_features] == [
        ("reports", 80, 72, ["a1"])
    ]
    assert triggers(r, "a1") == ["feature_decline"]
    assert triggers(r, "b1") == []
    gap = next(g for g in r.gaps if g.account_id == "c1")
    assert (gap.signal, gap.needed_for) == ("feature_usage", "scan: feature_decline")
    assert gap.detail == f"no feature_usage rows in {ago(55)}..{ago(28)}"


def test_feature_fall_just_under_10_percent_is_not_a_decline():
    a = calm("a1", "Acme")
    b = calm("b1", "Beta")
    # 80 -> 73 = -8.75%
    a.feature_usage = weeks("reports", 10, 10, 10, 10, 8, 8, 8, 9)
    b.feature_usage = weeks("reports", *[10] * 8)
    assert scan(a, b).declining_features == []


def test_three_open_tickets_or_one_older_than_5_days():
    a = calm()
    a.tickets += [Ticket(f"n{i}", "a1", at(i), status="open") for i in range(3)]
    assert triggers(scan(a, show_all=True)) == ["ticket_backlog"]
    a = calm()
    a.tickets += [Ticket(f"n{i}", "a1", at(i), status="open") for i in range(2)]
    assert triggers(scan(a, show_all=True)) == []  # 2 open, both under 5 days old
    a.tickets[-1] = Ticket("old", "a1", at(6), status="pending")  # 6 days > 5
    r = scan(a, show_all=True)
    assert triggers(r) == ["ticket_backlog"]
    assert f"ticket old open since {ago(6)} (6 days)" in r.priority[0].triggers[0].evidence
    a.tickets[-1] = Ticket("old", "a1", at(5), status="pending")  # 5 days: not older than 5
    assert triggers(scan(a, show_all=True)) == []


def test_contact_departed_or_changed_role_in_the_last_7_days():
    a = calm()
    a.contacts[2] = Contact(
        "a1-u", "a1", "Uli Berg", role="user", status="departed", status_changed_at=ago(6)
    )
    r = scan(a, show_all=True)
    assert triggers(r) == ["contact_change"]
    assert r.priority[0].action == (
        "CSM Dana calls Maria Lopez to learn who takes over from Uli Berg."
    )
    a.contacts[2] = Contact(
        "a1-u", "a1", "Uli Berg", role="user", status="role_changed", status_changed_at=ago(7)
    )
    assert triggers(scan(a, show_all=True)) == []


def test_renewal_notice_and_price_increase_due_within_90_days():
    a = calm()
    end = AS_OF + timedelta(days=89)
    a.contracts = [
        Contract("k", "a1", 50_000, date(2026, 2, 20), end, notice_days=30, price_increase_pct=7),
        Contract("k0", "a1", 50_000, date(2025, 2, 20), date(2026, 2, 19)),
    ]
    r = scan(a, show_all=True)
    assert triggers(r) == ["renewal_due", "price_increase", "notice_deadline"]
    item = r.priority[0]
    assert [t.due for t in item.triggers] == [end, end, end - timedelta(days=30)]
    # the notice deadline comes first in TRIGGER_ORDER
    assert item.action == (
        f"CSM Dana confirms renewal intent with Maria Lopez before the notice deadline "
        f"{end - timedelta(days=30)}."
    )
    a.contracts[0] = Contract(
        "k", "a1", 50_000, date(2026, 2, 21), end + timedelta(days=1), notice_days=0
    )
    # renewal on as_of + 90 is outside; its notice deadline (same day) too
    assert triggers(scan(a, show_all=True)) == []


def test_unknown_price_increase_for_a_renewal_in_the_window_is_a_gap():
    a = calm()
    a.contracts = [Contract("k", "a1", 50_000, date(2026, 1, 1), AS_OF + timedelta(days=10))]
    r = scan(a)
    assert {(g.signal, g.needed_for) for g in r.gaps if g.account_id == "a1"} >= {
        ("price_increase_pct", "scan: price_increase"),
        ("notice_days", "scan: notice_deadline"),
    }


# --- priority, pattern ----------------------------------------------------------------------


def with_signal(aid: str, name: str, arr: float, kind: str) -> AccountData:
    a = calm(aid, name, arr=arr)
    if kind == "negative_survey":  # low
        a.surveys = [Survey(aid, "nps", 3, ago(2)), Survey(aid, "csat", 5, ago(2))]
    elif kind == "billing":  # medium
        a.events.append(Event(aid, ago(2), "downgrade_request"))
    elif kind == "usage_collapse":  # high
        # logins 1/day in the last 30 days (30) vs 10/day before (300)
        a.usage = [u._replace(logins=1 if u.date > ago(30) else 10) for u in a.usage]
    return a


def test_priority_is_three_accounts_ranked_by_risk_then_arr_then_name():
    low = with_signal("l", "Low", 900_000, "negative_survey")
    med_a = with_signal("ma", "Alpha", 80_000, "billing")
    med_b = with_signal("mb", "Bravo", 80_000, "billing")
    high = with_signal("h", "High", 1_000, "usage_collapse")
    trig = calm("t", "Trigger only", arr=2_000_000)
    trig.tickets += [Ticket(f"x{i}", "t", at(i), status="open") for i in range(3)]
    r = scan(low, med_a, med_b, high, trig, calm("c", "Calm"), show_all=True)
    assert [i.account_id for i in r.priority] == ["h", "ma", "mb"]
    assert [i.account_id for i in r.all] == ["h", "ma", "mb", "l", "t"]
    assert r.qualifying == 5
    # with a churn signal, the action is the churn scan's 48-hour action
    assert r.priority[0].action.startswith("CSM Dana calls Ana Ruiz to find out why logins fell")
    assert r.priority[0].reasons[0].startswith("usage_collapse: logins 30 in")


def test_without_all_the_long_lists_stay_out():
    r = scan(with_signal("ma", "Alpha", 80_000, "billing"), calm("c", "Calm"))
    assert r.show_all is False and r.all == [] and r.patterns == []
    assert [i.account_id for i in r.priority] == ["ma"]
    dumped = r.model_dump(mode="json")
    assert {"command", "as_of", "gaps", "priority", "pattern", "moved_down", "moved_up"} <= set(
        dumped
    )
    assert {"account_id", "name", "action"} <= set(dumped["priority"][0])


def test_pattern_is_the_cause_with_the_most_arr_behind_it():
    # 3 detractor accounts: 3 * 50,000 = 150,000 ARR
    surveys = [with_signal(f"s{i}", f"S{i}", 50_000, "negative_survey") for i in range(3)]
    # 2 accounts with a contact change this week: 2 * 100,000 = 200,000 ARR -> the pattern
    changed = []
    for i in range(2):
        a = calm(f"c{i}", f"C{i}", arr=100_000)
        a.contacts[0] = Contact(
            f"c{i}-ch", f"c{i}", "Ana", role="champion", status="departed", status_changed_at=ago(1)
        )
        a.contacts.append(Contact(f"c{i}-ch2", f"c{i}", "Bo", role="champion"))
        changed.append(a)
    # a single billing account is not a pattern
    lone = with_signal("b", "Lone", 5_000_000, "billing")
    r = scan(*surveys, *changed, lone, show_all=True)
    # champion_loss (churn) and contact_change (trigger) both cover c0, c1 with 200,000:
    # tie on ARR and count -> kind name order: champion_loss first
    assert r.pattern.kind == "champion_loss"
    assert r.pattern.account_ids == ["c0", "c1"] and r.pattern.arr == 200_000
    assert r.pattern.summary.startswith("2 accounts show champion_loss ($200,000 ARR)")
    assert [(p.kind, p.arr) for p in r.patterns] == [
        ("champion_loss", 200_000),
        ("contact_change", 200_000),
        ("negative_survey", 150_000),
    ]


def test_feature_decline_can_be_the_pattern():
    a = calm("a1", "Acme", arr=300_000)
    b = calm("b1", "Beta", arr=10_000)
    a.feature_usage = weeks("reports", 10, 10, 10, 10, 5, 5, 5, 5)
    b.feature_usage = weeks("reports", *[10] * 8)
    r = scan(a, b)
    # reports 80 -> 60 = -25%, behind it a1 (300,000 ARR)
    assert r.pattern.kind == "feature_decline" and r.pattern.feature == "reports"
    assert r.pattern.summary == (
        "reports: active users fell 25% across the portfolio (80 -> 60, last 28 days vs 28 "
        "before); 1 accounts fell 10%+ ($300,000 ARR)"
    )


# --- tier moves -----------------------------------------------------------------------------


def test_tier_moves_since_7_days_ago_with_the_dimension_that_moved_most():
    down = calm("d", "Down")
    # MAU doubles from ago(6): DAU/MAU 16/40 = 0.4 -> usage 6 (was 16/20 = 0.8 -> 10)
    # score (180 + 100 + 150 + 200 + 75) / 10 = 70.5 -> 71 yellow; 7 days ago 83 green
    down.usage = [u._replace(users_30d=40 if u.date > ago(7) else 20) for u in down.usage]
    up = calm("u", "Up")
    up.usage = [u._replace(users_30d=20 if u.date > ago(7) else 40) for u in up.usage]
    r = scan(down, up, calm("c", "Calm"))
    assert [(m.account_id, m.from_tier, m.to_tier) for m in r.moved_down] == [
        ("d", "green", "yellow")
    ]
    assert (r.moved_down[0].from_score, r.moved_down[0].to_score) == (83, 71)
    assert r.moved_down[0].dimension == "usage"
    assert r.moved_down[0].reason == "usage 10.0 -> 6.0 (weight 0.3)"
    assert [(m.account_id, m.from_tier, m.to_tier, m.dimension) for m in r.moved_up] == [
        ("u", "yellow", "green", "usage")
    ]


# --- gaps and point in time -----------------------------------------------------------------


def test_no_ticket_or_feature_data_anywhere_is_a_portfolio_gap():
    a = calm()
    a.tickets, a.feature_usage = [], []
    r = scan(a)
    portfolio_gaps = {(g.signal, g.needed_for) for g in r.gaps if g.account_id is None}
    assert portfolio_gaps == {
        ("tickets", "scan: ticket_backlog"),
        ("feature_usage", "scan: feature_decline"),
    }


def test_rows_after_as_of_are_ignored():
    a = calm()
    a.contacts[2] = Contact(
        "a1-u", "a1", "Uli Berg", role="user", status="departed", status_changed_at=ago(0)
    )
    a.tickets += [Ticket(f"n{i}", "a1", at(0), status="open") for i in range(3)]
    p = portfolio(AS_OF, a)
    assert weekly_scan(p, ago(1), show_all=True).all == []
    assert triggers(weekly_scan(p, show_all=True)) == ["ticket_backlog", "contact_change"]


def test_account_without_feature_rows_among_others_is_a_gap():
    a, b = calm("a1", "Acme"), calm("b1", "Beta")
    b.feature_usage = []
    r = scan(a, b)
    gap = next(g for g in r.gaps if g.account_id == "b1")
    assert gap.detail == f"no feature_usage rows in {ago(55)}..{AS_OF}"


def test_render_weekly():
    from rich.console import Console

    from agent.render.weekly import render_weekly

    a = calm("a1", "Acme", arr=300_000)
    b = calm("b1", "Beta", arr=10_000)
    a.feature_usage = weeks("reports", 10, 10, 10, 10, 5, 5, 5, 5)
    console = Console(record=True, width=250)
    console.print(render_weekly(scan(a, b)))
    text = console.export_text()
    assert "This week's priority accounts (1 of 1)" in text
    assert "Pattern to escalate: reports: active users fell 25%" in text
    assert "All qualifying accounts" not in text  # only with show_all


def test_empty_feature_active_users_is_a_gap_and_left_out_of_the_sums():
    a, b = calm("a1", "Acme"), calm("b1", "Beta")
    # a's reports fell 40 -> 4, but one week's cell is empty: left out, not read as 0
    a.feature_usage = weeks("reports", 10, 10, 10, 10, 1, 1, 1, 1)
    a.feature_usage[0] = a.feature_usage[0]._replace(active_users=None)
    b.feature_usage = weeks("reports", *[10] * 8)
    r = scan(a, b)
    assert r.declining_features == []  # only b's 40 -> 40 is summed
    gap = next(g for g in r.gaps if g.account_id == "a1")
    assert (gap.signal, gap.detail) == (
        "active_users",
        "feature_usage of reports has empty active_users",
    )
