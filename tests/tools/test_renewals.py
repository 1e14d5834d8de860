"""Renewal pipeline: the window, the four buckets in rule order, the row facts, the gaps.

The health tiers come from the real engine scorer on hand-built data. The base account
`green()` scores 87 (usage: DAU/MAU 16/20 = 0.8 -> 10; engagement flat -> 5; relationship:
champion + exec 8, +1 three active contacts, +1 exec engaged within 90 days = 10;
outcomes: all goals achieved 8 + ROI 2 = 10; financial: on time 5 + ARR grew 3 = 8;
(30*10 + 20*5 + 15*10 + 20*10 + 15*8) / 100 * 10 = 87) -> green.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from memory.read import (
    Account,
    AccountData,
    Contact,
    Contract,
    Event,
    Goal,
    Invoice,
    RoiRow,
    Survey,
    Ticket,
)
from tests.factories import daily_usage, portfolio
from tools.health import score_account
from tools.renewals import months_back, renewal_pipeline, renewal_row

AS_OF = date(2026, 11, 23)


def ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def green(aid: str = "a1", name: str = "Acme", *, due_in: int = 30, arr: float = 120_000):
    """A green account renewing `due_in` days after as_of, with documented value."""
    end = AS_OF + timedelta(days=due_in)
    return AccountData(
        account=Account(aid, name, csm="Dana"),
        contracts=[
            Contract(
                f"k-{aid}",
                aid,
                arr,
                end - timedelta(days=364),
                end,
                auto_renew=False,
                notice_days=60,
                price_increase_pct=5,
            )
        ],
        contacts=[
            Contact(f"{aid}-ch", aid, "Ana Ruiz", role="champion", last_engaged_at=ago(5)),
            Contact(f"{aid}-ex", aid, "Maria Lopez", role="exec_sponsor", last_engaged_at=ago(20)),
            Contact(f"{aid}-u", aid, "Uli Berg", role="user", last_engaged_at=ago(50)),
        ],
        usage=daily_usage(ago(399), AS_OF, active_users=16, logins=10),
        tickets=[Ticket(f"{aid}-t0", aid, datetime(2026, 5, 1, 9), status="closed")],
        surveys=[Survey(aid, "nps", 9, ago(20)), Survey(aid, "csat", 5, ago(10))],
        invoices=[Invoice(f"{aid}-i0", aid, 1000, ago(40), "paid", paid_at=ago(41))],
        events=[Event(aid, ago(10), "qbr_held")],
        goals=[Goal(f"{aid}-g", aid, "Cut reporting time", status="achieved")],
        roi=[RoiRow(aid, "time_saved", "hours", "hours", 10, 5, 50, "week", recorded_at=ago(30))],
    )


def row(a: AccountData, as_of: date = AS_OF):
    return renewal_row(portfolio(AS_OF, a), a.account_id, as_of)


def test_green_with_champion_and_value_is_strong_with_its_facts():
    r = row(green())
    assert r.bucket == "strong"
    assert (r.tier, r.score) == ("green", 87)
    assert r.reasons == [
        "health tier green (score 87)",
        "active champion Ana Ruiz",
        "1 ROI row(s) documented",
        "goal achieved: Cut reporting time",
    ]
    assert r.renewal_date == date(2026, 12, 23) and r.arr == 120_000
    assert (r.start_date, r.end_date) == (date(2025, 12, 24), date(2026, 12, 23))
    assert (r.term_days, r.term_months, r.auto_renew) == (365, 12, False)
    assert r.notice_deadline == date(2026, 10, 24)  # 2026-12-23 - 60 days
    assert r.price_increase_pct == 5
    assert r.champion.name == "Ana Ruiz" and r.champion_status == "active"
    assert r.exec_sponsor.name == "Maria Lopez"
    # logins 10/day: 900 in the last 90 days vs 900 in the 90 before -> flat, 0%
    assert (r.usage_trend.current, r.usage_trend.previous) == (900, 900)
    assert r.usage_trend.direction == "flat" and r.usage_trend.change == 0
    assert [p.as_of for p in r.health_trend] == [
        date(2026, 5, 23),
        date(2026, 6, 23),
        date(2026, 7, 23),
        date(2026, 8, 23),
        date(2026, 9, 23),
        date(2026, 10, 23),
        AS_OF,
    ]
    assert r.health_trend[-1].tier == "green"
    assert (r.open_issues, r.competitive_risk, r.churn_risk, r.gaps) == ([], False, None, [])


def test_green_without_documented_value_is_manage():
    a = green()
    a.roi, a.goals = [], []
    r = row(a)
    # no goals is an outcomes gap: coverage 0.8, (300 + 100 + 150 + 120) / 80 * 10 = 83.75
    # -> 84 green
    assert (r.tier, r.score) == ("green", 84)
    assert r.bucket == "manage"
    assert r.reasons == ["green without documented value (no ROI rows, no achieved goal)"]


def test_roi_recorded_after_as_of_is_not_documented_value_yet():
    a = green()
    a.goals = []
    a.roi = [RoiRow("a1", "time_saved", "hours", "hours", 10, 5, 50, "week", recorded_at=ago(3))]
    assert row(a).bucket == "strong"
    assert row(a, ago(4)).documented_value == []


def test_yellow_is_manage():
    a = green()
    a.usage = daily_usage(ago(399), AS_OF, active_users=8, logins=10)
    r = row(a)
    # DAU/MAU 8/20 = 0.4 -> 4 + 2 * 0.2 / 0.2 = 6; (180 + 100 + 150 + 200 + 120) / 10 = 75
    # -> yellow
    assert (r.tier, r.score, r.bucket) == ("yellow", 75, "manage")
    assert r.reasons == ["health tier yellow (score 75)"]


def test_champion_change_within_180_days_is_manage_but_not_181():
    a = green()
    # window(as_of, 180) = ago(179)..as_of; a second champion is still active
    a.contacts.append(
        Contact(
            "old", "a1", "Bo Chan", role="champion", status="departed", status_changed_at=ago(179)
        )
    )
    r = row(a)
    assert r.bucket == "manage"
    assert r.reasons == [
        f"champion changed within 180 days: champion Bo Chan departed on {ago(179)}"
    ]
    a.contacts[-1] = Contact(
        "old", "a1", "Bo Chan", role="champion", status="departed", status_changed_at=ago(180)
    )
    assert row(a).bucket == "strong"


def test_orange_is_at_risk_even_with_missing_data():
    a = green()
    a.usage = daily_usage(ago(399), AS_OF, active_users=2, logins=10)
    a.contacts = [c for c in a.contacts if c.role != "exec_sponsor"]  # exec sponsor missing
    r = row(a)
    # DAU/MAU 2/20 = 0.1 -> 1.5; relationship champion only 5 (+1 with 3+ active: only 2) = 5
    # (45 + 100 + 75 + 200 + 120) / 10 = 54 -> orange; at_risk wins over unknown
    assert (r.tier, r.score, r.bucket) == ("orange", 54, "at_risk")
    assert r.reasons == ["health tier orange (score 54)"]
    assert any(g.signal == "exec_sponsor" for g in r.gaps)


def test_usage_down_exactly_10_percent_is_declining_and_at_risk():
    a = green()
    # logins 9/day in the last 90 days (810) vs 10/day in the 90 before (900): -10%
    a.usage = daily_usage(
        ago(399), AS_OF, active_users=16, logins=lambda d: 9 if d > ago(90) else 10
    )
    r = row(a)
    assert r.usage_trend.direction == "declining"
    assert r.usage_trend.change == pytest.approx(-0.1)
    assert r.bucket == "at_risk"
    assert r.reasons == ["usage declining: logins 810 vs 900 (-10%, last 90 days vs 90 before)"]
    # one more login on the last day: 811 vs 900 = -9.9% -> flat
    a.usage[-1] = a.usage[-1]._replace(logins=10)
    r = row(a)
    assert (r.usage_trend.direction, r.bucket) == ("flat", "strong")


def test_detractor_nps_and_open_escalation_are_known_dissatisfaction():
    a = green()
    a.surveys = [Survey("a1", "nps", 5, ago(3)), Survey("a1", "csat", 5, ago(3))]
    a.tickets.append(Ticket("t9", "a1", datetime(2026, 11, 20, 9), status="open", escalated=True))
    r = row(a)
    assert r.bucket == "at_risk"
    assert r.reasons == [
        f"negative survey: latest NPS 5 on {ago(3)} (0-6 = detractor)",
        "open escalation: ticket t9 (priority unknown, escalated, opened 2026-11-20)",
    ]
    assert r.open_issues == ["ticket t9 open since 2026-11-20 (priority unknown, escalated)"]


def test_competitive_risk_is_shown_from_structured_events():
    a = green()
    a.events.append(Event("a1", ago(5), "rfp", detail="looking at a rival"))
    r = row(a)
    assert r.competitive_risk is True
    assert r.competitive_evidence == f'rfp on {ago(5)} "looking at a rival"'
    assert r.bucket == "strong"  # competitive risk is context; the bucket rules do not use it


def test_missing_exec_sponsor_is_unknown_with_a_gap():
    a = green()
    a.contacts = [c for c in a.contacts if c.role != "exec_sponsor"]
    a.contacts.append(Contact("u2", "a1", "Ivo", role="user"))
    r = row(a)
    # relationship: champion only with 3 active contacts = 6
    # (300 + 100 + 90 + 200 + 120) / 10 = 81 -> green, so only the sponsor is missing
    assert r.tier == "green"
    assert r.bucket == "unknown"
    assert r.reasons == ["no active exec sponsor or decision-maker on record"]
    gap = next(g for g in r.gaps if g.signal == "exec_sponsor")
    # one gap for the one missing input, naming both uses
    assert gap.needed_for == "health: relationship; renewals: exec sponsor"
    assert gap.source == "CRM"


def test_no_champion_on_record_is_unknown():
    a = green()
    a.contacts = [c for c in a.contacts if c.role != "champion"]
    r = row(a)
    assert r.champion_status == "none_on_record"
    assert r.bucket == "unknown"
    assert "no champion on record" in r.reasons


def test_no_contacts_is_unknown_with_a_contacts_gap():
    a = green()
    a.contacts = []
    r = row(a)
    assert r.bucket == "unknown"
    assert "champion status unknown: no contacts on record" in r.reasons
    gap = next(g for g in r.gaps if g.signal == "contacts")
    assert "renewals: champion status" in gap.needed_for


def test_one_missing_usage_day_in_180_makes_the_trend_unknown():
    a = green()
    a.usage = [u for u in a.usage if u.date != ago(120)]  # in the 90 before
    r = row(a)
    assert r.usage_trend is None
    assert r.bucket == "unknown"
    gap = next(g for g in r.gaps if g.needed_for == "renewals: usage trend")
    assert gap.signal == "usage"
    assert gap.detail == f"logins known for 89 of 90 days in {ago(179)}..{ago(90)}"


def test_unknown_tier_is_unknown_bucket():
    a = green()
    a.usage = daily_usage(ago(399), AS_OF, active_users=16, logins=10, users_30d=None)
    r = row(a)
    assert r.tier == "unknown"
    assert r.bucket == "unknown"
    assert r.reasons[0].startswith("health tier unknown")


def test_lost_champion_long_ago_keeps_a_green_account_out_of_strong():
    a = green()
    a.contacts[0] = Contact(
        "a1-ch", "a1", "Ana Ruiz", role="champion", status="departed", status_changed_at=ago(400)
    )
    r = row(a)
    # relationship: exec only 3 -> (300 + 100 + 45 + 200 + 120) / 10 = 76.5 -> 77 yellow
    assert r.tier == "yellow" and r.champion_status == "lost"
    assert r.bucket == "manage"


def test_pipeline_window_sort_and_contract_gaps():
    today = green("t", "Today", due_in=0)
    last_day = green("l", "Last", due_in=89)
    outside = green("o", "Outside", due_in=90)
    managed = green("m", "Managed", due_in=10)
    managed.roi, managed.goals = [], []
    risky = green("r", "Risky", due_in=5)
    risky.events.append(Event("r", ago(1), "downgrade_request"))
    risky.surveys = [Survey("r", "nps", 3, ago(2)), Survey("r", "csat", 5, ago(2))]
    unknown = green("u", "Unknown", due_in=1)
    unknown.contacts = []
    strong_late = green("s", "Strong", due_in=40)
    no_contract = green("n", "No contract")
    no_contract.contracts = []
    churned = green("c", "Churned", due_in=3)
    churned.account = Account("c", "Churned", status="churned", churned_at=ago(1))
    p = portfolio(
        AS_OF, today, last_day, outside, managed, risky, unknown, strong_late, no_contract, churned
    )
    result = renewal_pipeline(p, days=90)
    assert result.command == "renewals"
    assert (result.window_start, result.window_end) == (AS_OF, ago(-89))
    # strong by date (t day 0, s day 40, l day 89), manage (m), unknown (u), at_risk (r)
    assert [r.account_id for r in result.renewals] == ["t", "s", "l", "m", "u", "r"]
    assert [r.bucket for r in result.renewals] == [
        "strong",
        "strong",
        "strong",
        "manage",
        "unknown",
        "at_risk",
    ]
    gap = next(g for g in result.gaps if g.account_id == "n")
    assert (gap.signal, gap.needed_for) == ("contracts", "renewals: renewal date")
    # u: no contacts; m: no goals (a health: outcomes gap); n: no contract in force
    assert {g.account_id for g in result.gaps} == {"n", "u", "m"}
    dumped = result.model_dump(mode="json")
    assert {"command", "as_of", "gaps", "renewals"} <= set(dumped)
    assert {"account_id", "name", "bucket", "renewal_date", "arr"} <= set(dumped["renewals"][0])


def test_empty_contract_cells_are_gaps():
    a = green()
    c = a.contracts[0]
    a.contracts = [Contract(c.contract_id, "a1", c.arr, c.start_date, c.end_date)]
    r = row(a)
    assert r.notice_deadline is None and r.auto_renew is None
    assert {(g.signal, g.needed_for) for g in r.gaps} == {
        ("auto_renew", "renewals: contract terms"),
        ("notice_days", "renewals: contract terms"),
        ("price_increase_pct", "renewals: contract terms"),
    }


def test_health_trend_recomputes_past_scores():
    a = green()
    p = portfolio(AS_OF, a)
    r = renewal_row(p, "a1")
    back = score_account(p, "a1", date(2026, 8, 23), with_trend=False)
    point = next(x for x in r.health_trend if x.as_of == date(2026, 8, 23))
    assert (point.score, point.tier) == (back.score, back.tier)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 23), 6, date(2026, 5, 23)),
        (date(2026, 8, 31), 6, date(2026, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2026, 1, 15), 2, date(2025, 11, 15)),
    ],
)
def test_months_back(day, months, expected):
    assert months_back(day, months) == expected


def test_render_renewals():
    from rich.console import Console

    from agent.render.renewals import render_renewals

    a = green()
    a.contacts = []
    console = Console(record=True, width=250)
    console.print(render_renewals(renewal_pipeline(portfolio(AS_OF, a, green("b", "Beta")))))
    text = console.export_text()
    assert "Renewals (2), by likelihood to renew" in text
    assert "champion status unknown: no contacts on record" in text
    assert "Data gaps (" in text and "renewals: champion status" in text
