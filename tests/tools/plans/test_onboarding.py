"""Onboarding plan: dated steps, statuses from data, TTFV, risk flags, gaps, demo, CLI."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.render.onboarding import to_markdown
from memory.read import Account, AccountData, Contact, Contract, Event, Goal, Note
from prompts import unfilled
from tests.conftest import DEMO_AS_OF
from tests.factories import daily_usage, portfolio
from tools.plans.onboarding import build_onboarding

AS_OF = date(2026, 11, 23)
KICKOFF = date(2026, 10, 14)  # day 0; as-of is day 40
runner = CliRunner()


def _logins(d: date) -> int:
    return 0 if d <= date(2026, 10, 18) else 6  # nobody logs in on days 0-4


def _core(d: date) -> int:
    return 0 if d < date(2026, 10, 25) else 5


def _mau(d: date) -> int:
    return 15 if d <= date(2026, 11, 13) else 18


def _account(**overrides) -> AccountData:
    fields = dict(
        segment="mid-market",
        csm="Maya Chen",
        licensed_seats=40,
        kickoff_date=KICKOFF,
        first_value_date=date(2026, 10, 31),
    )
    fields.update(overrides)
    return AccountData(
        account=Account("A1", "Acme Corp", **fields),
        contracts=[Contract("C1", "A1", 60_000.0, date(2026, 10, 1), date(2027, 9, 30))],
        contacts=[
            Contact("P1", "A1", "Dana Whitfield", title="Director of Operations", role="champion"),
            Contact(
                "P2",
                "A1",
                "Sam Ortega",
                title="Operations Lead",
                role="champion",
                status="departed",
                status_changed_at=date(2026, 11, 10),
            ),
            Contact(
                "P3",
                "A1",
                "Lee Park",
                role="exec_sponsor",
                status="departed",
                status_changed_at=date(2026, 11, 1),
            ),
        ],
        usage=daily_usage(
            KICKOFF,
            AS_OF + timedelta(days=5),  # rows after as-of must be ignored
            logins=_logins,
            users_30d=None,
        ),
        events=[
            Event("A1", KICKOFF, "kickoff_held"),
            Event("A1", date(2026, 10, 20), "training_completed"),
            Event("A1", date(2026, 12, 20), "qbr_held"),  # after as-of: not the 90-day review
        ],
        goals=[Goal("G1", "A1", "Cut month-end reporting time", set_at=date(2026, 10, 16))],
        notes=[Note("N1", "A1", datetime(2026, 11, 2, 15), "Check-in call", kind="call")],
    )


def _with_mau(data: AccountData) -> AccountData:
    data.usage = [
        u._replace(users_30d=_mau(u.date), core_actions=_core(u.date)) for u in data.usage
    ]
    return data


def _plan(data: AccountData, as_of: date = AS_OF):
    return build_onboarding(portfolio(AS_OF, data), "A1", as_of)


def _steps(result) -> dict:
    return {i.key: i for i in result.items}


def test_steps_are_dated_from_the_kickoff_with_statuses_from_the_data():
    result = _plan(_with_mau(_account()))
    steps = _steps(result)
    assert result.anchor == "kickoff_date" and result.day == 40 and result.stage == "in_progress"
    assert result.plan_end == date(2027, 1, 12)  # 2026-10-14 + 90 days
    # day 3 = 2026-10-17; the first logins came on day 5 (2026-10-19): done, 2 days late
    assert steps["first_login"].due == date(2026, 10, 17)
    assert steps["first_login"].status == "done"
    assert steps["first_login"].done_on == date(2026, 10, 19)
    assert steps["first_login"].days_late == 2
    # admin training on day 6, due day 7 (2026-10-21): on time
    assert steps["admin_training"].due == date(2026, 10, 21)
    assert (steps["admin_training"].status, steps["admin_training"].days_late) == ("done", None)
    # mid-market TTFV target 14 days: first value due 2026-10-28, reached 2026-10-31
    assert steps["first_value"].day == 14 and steps["first_value"].phase == "Days 8-30"
    assert steps["first_value"].days_late == 3
    # the call note on day 19 is the 30-day check-in
    assert steps["check_in_30"].status == "done"
    assert steps["check_in_30"].done_on == date(2026, 11, 2)
    # day 30 = 2026-11-13: 15 of 40 seats active (38%) is under half -> overdue
    assert steps["activation_30"].status == "overdue"
    assert "15 of 40 licensed seats active (38%) on 2026-11-13" in steps["activation_30"].evidence
    # day 60 = 2026-12-13 is ahead: due, with the progress on as-of (the row after is ignored)
    assert steps["activation_60"].status == "due"
    assert "so far 18 of 40 licensed seats active (45%) on 2026-11-23" in (
        steps["activation_60"].evidence
    )
    # the QBR on 2026-12-20 is after as-of: the 90-day review (2027-01-12) is still due
    assert (steps["review_90"].due, steps["review_90"].status) == (date(2027, 1, 12), "due")
    assert [p.name for p in result.phases] == ["Week 1", "Days 8-30", "Days 31-60", "Days 61-90"]
    assert result.phases[1].start == date(2026, 10, 22) and result.phases[1].end == date(
        2026, 11, 13
    )


def test_a_past_step_with_no_record_is_past_due_not_recorded_and_a_gap():
    data = _with_mau(_account())
    data.events = [e for e in data.events if e.kind != "training_completed"]
    result = _plan(data)
    assert _steps(result)["admin_training"].status == "past_due_not_recorded"
    gap = next(g for g in result.gaps if g.signal == "training_completed")
    assert gap.needed_for == "onboarding: admin_training"
    # a step no system records is never marked done or overdue, only past due or due
    assert _steps(result)["self_service"].status == "due"  # day 45 = 2026-11-28
    assert _steps(data_plan_at(data, date(2026, 12, 1)))["self_service"].status == (
        "past_due_not_recorded"
    )


def data_plan_at(data: AccountData, day: date):
    return build_onboarding(portfolio(day, data), "A1", day)


def test_ttfv_against_the_segment_target():
    result = _plan(_with_mau(_account()))
    # 2026-10-31 - 2026-10-14 = 17 days, target 14: missed by 3 days
    assert (result.ttfv.actual_days, result.ttfv.target_days) == (17, 14)
    assert result.ttfv.status == "missed"
    assert result.ttfv.summary == (
        "First value reached on 2026-10-31, 17 days after the kickoff: 3 days over the 14-day "
        "target for mid-market."
    )


def test_ttfv_still_open_counts_days_elapsed_and_ignores_a_later_first_value():
    result = _plan(_with_mau(_account(first_value_date=date(2026, 11, 30))))
    # first value dated after as-of is not known yet: day 40 > 14-day target (2026-10-28)
    assert result.ttfv.first_value_date is None
    assert (result.ttfv.days_elapsed, result.ttfv.status) == (40, "late")
    assert result.ttfv.target_date == date(2026, 10, 28)
    assert _steps(result)["first_value"].status == "past_due_not_recorded"
    assert any(g.signal == "first_value_date" for g in result.gaps)


def test_risk_flags_most_severe_first():
    result = _plan(_with_mau(_account()))
    assert [f.kind for f in result.risk_flags] == [
        "champion_left",  # Sam Ortega departed 2026-11-10, after day 0
        "no_login_by_day_3",  # rows for 2026-10-14..17 all have 0 logins
        "kickoff_delayed",  # kickoff 13 days after the contract started on 2026-10-01
        "low_activation_day_30",  # 15 / 40 = 38% on 2026-11-13
        "no_exec_sponsor",  # the only exec sponsor departed
    ]
    flags = {f.kind: f for f in result.risk_flags}
    assert flags["champion_left"].severity == "critical"
    assert "Sam Ortega (Operations Lead) departed on 2026-11-10" in flags["champion_left"].evidence
    assert "first logins came on 2026-10-19" in flags["no_login_by_day_3"].evidence
    assert "13 days after the contract started on 2026-10-01" in flags["kickoff_delayed"].evidence
    assert flags["no_exec_sponsor"].response.startswith("Ask the champion")


def test_no_usage_rows_in_the_first_days_is_a_gap_not_a_login_flag():
    data = _with_mau(_account())
    data.usage = [u for u in data.usage if u.date > KICKOFF + timedelta(days=3)]
    result = _plan(data)
    assert "no_login_by_day_3" not in {f.kind for f in result.risk_flags}
    gap = next(g for g in result.gaps if g.signal == "usage")
    assert "no usage rows from 2026-10-14 to 2026-10-17" in gap.detail
    assert gap.ask == "product analytics owner"


def test_go_live_anchors_the_plan_when_the_kickoff_is_unknown():
    result = _plan(_with_mau(_account(kickoff_date=None, go_live_date=date(2026, 10, 20))))
    assert (result.anchor, result.anchor_date) == ("go_live_date", date(2026, 10, 20))
    assert result.notes[0].startswith("The kickoff date is not recorded, so the plan is dated")
    assert _steps(result)["first_login"].due == date(2026, 10, 23)
    assert result.ttfv.status == "unknown"
    assert any(g.signal == "kickoff_date" and "TTFV" in g.needed_for for g in result.gaps)


def test_an_account_past_day_90_gets_its_plan_as_history():
    later = date(2027, 3, 1)  # day 138
    data = _with_mau(_account())
    result = build_onboarding(portfolio(later, data), "A1", later)
    assert result.stage == "historical" and result.day == 138
    assert (
        "past day 90 (today is day 138; the 90-day review fell on 2027-01-12)" in (result.notes[1])
    )
    # the first-90-days flags are listed until day 90; the account's state still is
    assert {f.kind for f in result.risk_flags} == {"champion_left", "no_exec_sponsor"}
    assert _steps(result)["review_90"].status == "done"  # the QBR of 2026-12-20 (day 67)


def test_markdown_reads_as_a_plan():
    text = to_markdown(_plan(_with_mau(_account())))
    assert text.startswith("# Onboarding plan: Acme Corp")
    assert "### Week 1 (days 0-7): 2026-10-14 to 2026-10-21" in text
    assert "| 2026-10-17 (day 3) | Provision the account" in text
    assert "done: first logins on 2026-10-19 (6 logins), 2 days late |" in text
    assert "- **Champion left** (critical): Champion Sam Ortega" in text
    assert unfilled(text) == []


def test_placeholder_looking_data_is_defused_in_the_document():
    data = _with_mau(_account())
    data.contacts[1] = Contact(
        "P2", "A1", "Sam Ortega", title="TBD", role="champion", status="departed"
    )
    text = to_markdown(_plan(data))
    assert "Sam Ortega (to be decided)" in text
    assert unfilled(text) == []


@pytest.fixture
def demo(demo_portfolio):
    return demo_portfolio


def test_every_demo_account_renders_without_placeholders(demo):
    stages = set()
    for account_id in demo.accounts:  # active and churned: the plan applies to both
        result = build_onboarding(demo, account_id, DEMO_AS_OF)
        stages.add(result.stage)
        text = to_markdown(result)
        assert unfilled(text) == [], account_id
        assert all(i.due is not None for i in result.items), account_id
    assert {"in_progress", "historical", "churned"} <= stages


def test_demo_aperture_shows_no_login_by_day_3(demo):
    result = build_onboarding(demo, "aperture", DEMO_AS_OF)
    assert result.day == 10
    assert [f.kind for f in result.risk_flags][:1] == ["no_login_by_day_3"]


def test_cli_onboarding_json_and_markdown(demo_env):
    args = ["onboarding", "Aperture Clinics", "--as-of", "2026-11-23"]
    result = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    payload = json.loads(result.output)
    assert payload["command"] == "onboarding"
    assert {"as_of", "gaps", "anchor", "anchor_date", "ttfv", "items", "risk_flags"} <= set(payload)
    assert payload["anchor_date"] == "2026-11-13"
    assert {"action", "owner", "done_when", "measure", "due", "status"} <= set(payload["items"][0])
    text = runner.invoke(app, args, catch_exceptions=False).output
    assert "# Onboarding plan: Aperture Clinics" in text
    assert "Dated from the kickoff on 2026-11-13" in text
    assert "- **No login by day 3** (high)" in text
