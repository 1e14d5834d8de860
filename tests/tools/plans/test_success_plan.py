"""Success plan: stakeholders, objectives, dated milestones, risks from the tools, review."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.render.success_plan import to_markdown
from memory.read import Account, AccountData, Contact, Contract, Event, Goal, load_portfolio
from memory.store import open_store
from prompts import unfilled
from tests.conftest import DEMO_AS_OF
from tests.factories import daily_usage, portfolio
from tools.health import score_account
from tools.plans.success_plan import build_success_plan

AS_OF = date(2026, 11, 23)
runner = CliRunner()


def _logins(d: date) -> int:
    # the 30 days before the last 30 (2026-09-25..10-24): 20 a day; the last 30: 5 a day
    return 20 if d <= date(2026, 10, 24) else 5


def _account(goals=None, events=None) -> AccountData:
    return AccountData(
        account=Account(
            "A1",
            "Globex",
            segment="enterprise",
            csm="Maya Chen",
            kickoff_date=date(2025, 10, 1),
            first_value_date=date(2025, 10, 20),
        ),
        contracts=[
            Contract(
                "C1", "A1", 120_000.0, date(2026, 4, 1), date(2027, 3, 31), notice_days=60
            )
        ],
        contacts=[
            Contact("P4", "A1", "Kim Lee", role="user", status="departed"),
            Contact("P3", "A1", "Greg Holloway", role="detractor", influence="medium"),
            Contact(
                "P2",
                "A1",
                "Lee Park",
                title="VP Operations",
                role="exec_sponsor",
                influence="high",
                last_engaged_at=date(2026, 10, 1),
            ),
            Contact(
                "P1",
                "A1",
                "Dana Whitfield",
                title="Director of Operations",
                role="champion",
                influence="high",
                last_engaged_at=date(2026, 11, 20),
            ),
        ],
        usage=daily_usage(date(2026, 9, 25), AS_OF, logins=_logins),
        events=events
        if events is not None
        else [
            Event("A1", date(2026, 9, 10), "qbr_held"),
            Event("A1", date(2026, 11, 1), "competitor_mention", detail="Evaluating a rival"),
            Event("A1", date(2026, 12, 5), "qbr_held"),  # after as-of: ignored
        ],
        goals=goals
        if goals is not None
        else [
            Goal(
                "G1", "A1", "Cut month-end reporting time", metric="hours per month",
                baseline=40, target=15, current=25, unit="hours", due_date=date(2027, 2, 15),
                status="on_track", set_at=date(2025, 10, 1),
            ),
            Goal(
                "G2", "A1", "Roll out to Finance", metric="Finance users", baseline=0,
                target=30, current=30, unit="users", due_date=date(2026, 6, 30),
                status="achieved", set_at=date(2025, 10, 1),
            ),
            Goal(
                "G3", "A1", "Automate the KPI pack", metric="manual steps", baseline=25,
                current=10, unit="steps", due_date=date(2026, 11, 1), status="at_risk",
                set_at=date(2025, 10, 1),
            ),
            Goal("G4", "A1", "Set after as-of", set_at=date(2026, 12, 1)),
        ],
    )  # fmt: skip


def _plan(data: AccountData):
    return build_success_plan(portfolio(AS_OF, data), "A1", AS_OF)


def test_objectives_progress_from_each_goals_own_numbers():
    result = _plan(_account())
    goals = {o.goal_id: o for o in result.objectives}
    assert set(goals) == {"G1", "G2", "G3"}  # G4 was set after as-of
    # G1: (25 - 40) / (15 - 40) = 0.6 toward a lower target
    assert goals["G1"].progress == pytest.approx(0.6)
    assert goals["G2"].progress == pytest.approx(1.0)
    # G3 has no target: no progress, a `target` gap, and it is past its due date
    assert goals["G3"].progress is None and goals["G3"].past_due
    assert any(g.signal == "target" and "G3" in g.detail for g in result.gaps)


def test_milestones_are_dated_and_sorted():
    result = _plan(_account())
    assert [(m.due, m.kind, m.status) for m in result.milestones] == [
        (date(2025, 10, 20), "first_value", "done"),
        (date(2026, 6, 30), "goal", "done"),
        (date(2026, 11, 1), "goal", "overdue"),
        (date(2026, 12, 9), "qbr", "upcoming"),  # QBR held 2026-09-10 + 90 days
        (date(2027, 1, 30), "notice_deadline", "upcoming"),  # 2027-03-31 - 60 days
        (date(2027, 2, 15), "goal", "upcoming"),
        (date(2027, 3, 31), "renewal", "upcoming"),
    ]


def test_next_review_is_the_next_qbr_when_ahead():
    result = _plan(_account())
    assert (result.last_qbr, result.next_qbr, result.next_review) == (
        date(2026, 9, 10),
        date(2026, 12, 9),
        date(2026, 12, 9),
    )
    assert result.next_review_basis.startswith("At the next QBR on 2026-12-09")


def test_an_overdue_or_missing_qbr_brings_the_review_within_30_days():
    overdue = _plan(_account(events=[Event("A1", date(2026, 7, 1), "qbr_held")]))
    # 2026-07-01 + 90 = 2026-09-29 has passed: review on as-of + 30 = 2026-12-23
    assert overdue.next_review == date(2026, 12, 23)
    assert "the QBR due on 2026-09-29" in overdue.next_review_basis
    none = _plan(_account(events=[]))
    assert none.next_review == date(2026, 12, 23) and none.next_qbr is None
    assert any(g.signal == "qbr_held" for g in none.gaps)


def test_risks_come_from_the_churn_signals_and_the_weak_health_dimensions():
    data = _account()
    result = _plan(data)
    health = score_account(portfolio(AS_OF, data), "A1", AS_OF, with_trend=False)
    weak = [d.name for d in health.dimensions if d.score is not None and d.score < 6]
    # logins 150 in the last 30 days vs 600 before: usage_collapse; a competitor mention
    assert [r.kind for r in result.risks] == ["usage_collapse", "competitive", *weak]
    assert "engagement" in weak and "relationship" not in weak  # -75% logins; 10 of 10
    assert result.churn_risk == "high"
    assert result.action_48h.startswith("CSM Maya Chen calls Dana Whitfield")
    assert all(r.owner == "Maya Chen" and r.mitigation for r in result.risks)
    engagement = next(r for r in result.risks if r.kind == "engagement")
    assert engagement.evidence.startswith("Health dimension engagement scores 0.0 of 10")


def test_the_review_comes_before_a_notice_deadline_that_falls_first():
    data = _account()
    # renewal 2027-01-20 with 45 days' notice: last day 2026-12-06, before the QBR of 12-09
    data.contracts = [
        Contract("C1", "A1", 120_000.0, date(2026, 4, 1), date(2027, 1, 20), notice_days=45)
    ]
    result = _plan(data)
    assert result.next_review == date(2026, 12, 6)
    assert result.next_review_basis.startswith(
        "By 2026-12-06, the last day the customer can give notice of non-renewal, which comes "
        "before 2026-12-09"
    )


def test_stakeholders_active_first_by_role():
    result = _plan(_account())
    assert [(s.name, s.status) for s in result.stakeholders] == [
        ("Dana Whitfield", "active"),
        ("Lee Park", "active"),
        ("Greg Holloway", "active"),
        ("Kim Lee", "departed"),
    ]
    assert result.stakeholders[0].days_since_engaged == 3


def test_no_goals_is_a_gap_that_names_the_champion():
    result = _plan(_account(goals=[]))
    gap = next(g for g in result.gaps if g.signal == "goals")
    assert "the champion Dana Whitfield" in gap.ask
    assert result.objectives == []
    text = to_markdown(result)
    assert "No goals are on record." in text
    assert unfilled(text) == []


def test_a_churned_account_has_no_success_plan():
    data = _account()
    data.account = Account("A1", "Globex", status="churned", churned_at=date(2026, 10, 1))
    with pytest.raises(ValueError, match="churned on 2026-10-01"):
        _plan(data)


def test_markdown_sections():
    text = to_markdown(_plan(_account()))
    assert text.startswith("# Success plan: Globex")
    assert "**Next review: 2026-12-09.**" in text
    assert (
        "| Cut month-end reporting time | hours per month | 40 hours | 15 hours | 25 hours | 60% |"
        in text
    )
    assert (
        "| 2027-01-30 | Last day to give notice of non-renewal (60 days before the renewal) |"
        in text
    )
    assert "**48-hour action:** CSM Maya Chen calls Dana Whitfield" in text
    assert "## Data gaps" in text
    assert unfilled(text) == []


@pytest.fixture(scope="module")
def demo(demo_db_url):
    store = open_store(demo_db_url)
    try:
        yield load_portfolio(store.engine, DEMO_AS_OF, usage_days=60)
    finally:
        store.dispose()


def test_every_active_demo_account_renders_without_placeholders(demo):
    accounts = demo.active_accounts()
    for data in accounts:
        result = build_success_plan(demo, data.account_id, DEMO_AS_OF)
        assert unfilled(to_markdown(result)) == [], data.account_id
        assert result.next_review >= DEMO_AS_OF
    churned = [a for a in demo.accounts.values() if a.account.is_churned_on(DEMO_AS_OF)]
    assert churned and len(accounts) + len(churned) == len(demo.accounts)


def test_cli_success_plan_json_markdown_and_churned(demo_env):
    args = ["success-plan", "Acme Corp", "--as-of", "2026-11-23"]
    result = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    payload = json.loads(result.output)
    assert payload["command"] == "success-plan"
    keys = {"stakeholders", "objectives", "milestones", "risks", "next_review", "gaps"}
    assert keys <= set(payload)
    assert {"metric", "baseline", "target", "current", "due_date"} <= set(payload["objectives"][0])
    text = runner.invoke(app, args, catch_exceptions=False).output
    assert "# Success plan: Acme Corp" in text
    assert "| Dana Whitfield | Director of Operations | champion | high | departed on" in text
    assert "champion loss (churn signal)" in text
    churned = runner.invoke(app, ["success-plan", "Orion Energy", "--as-of", "2026-11-23"])
    assert churned.exit_code == 2
    assert "a success plan is for active accounts" in churned.output
