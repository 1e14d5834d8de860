"""Save play: churn reason, the dated plan, the drop-dead date, approvals, refusals, rendering."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.render.save import to_markdown
from memory.read import (
    Account,
    AccountData,
    Contact,
    Contract,
    Event,
    Goal,
    Invoice,
    RoiRow,
    Ticket,
)
from memory.workspace import DiscountStep, WorkspaceProfile
from prompts import unfilled
from tests.conftest import DEMO_AS_OF
from tests.factories import daily_usage, portfolio
from tools.plans.save import build_save, infer_reason

AS_OF = date(2026, 11, 23)
LADDER = [
    DiscountStep(role="CSM", max_discount_pct=10),
    DiscountStep(role="VP CS", max_discount_pct=25),
]


def _account(
    *,
    notice_days: int | None = 60,
    end: date = date(2027, 2, 6),
    contracts: bool = True,
    events: tuple[Event, ...] = (),
    churn_reason: str | None = None,
    champion_left: date | None = date(2026, 11, 3),
    **account: object,
) -> AccountData:
    """Acme: a champion who left on 2026-11-03, an active VP sponsor, steady usage, 3 goals.

    Renews 2027-02-06 with 60 days' notice, so the notice deadline is 2026-12-08.
    """
    champion = Contact(
        "K1",
        "A1",
        "Dana Whitfield",
        title="Director of Operations",
        role="champion",
        status="departed" if champion_left else "active",
        status_changed_at=champion_left,
    )
    sponsor = Contact("K2", "A1", "Lee Park", title="VP Operations", role="exec_sponsor")
    user = Contact("K3", "A1", "Priya Raman", title="Analyst", role="user")
    return AccountData(
        account=Account("A1", "Acme Corp", csm="Maya Lopez", churn_reason=churn_reason, **account),
        contracts=[Contract("C1", "A1", 120_000, date(2026, 2, 7), end, notice_days=notice_days)]
        if contracts
        else [],
        contacts=[champion, sponsor, user],
        usage=daily_usage(AS_OF - timedelta(days=199), AS_OF),
        tickets=[Ticket("T1", "A1", datetime(2026, 6, 1), closed_at=datetime(2026, 6, 2))],
        invoices=[Invoice("I1", "A1", 30_000, date(2026, 8, 1), "paid", date(2026, 7, 30))],
        events=[Event("A1", date(2026, 10, 1), "qbr_held"), *events],
        goals=[
            Goal("G1", "A1", "Cut reporting time", status="achieved", set_at=date(2026, 2, 10)),
            Goal("G2", "A1", "Automate scorecards", status="missed", set_at=date(2026, 2, 10)),
            Goal("G3", "A1", "Roll out to Finance", status="on_track", set_at=date(2026, 2, 10)),
        ],
        roi=[
            RoiRow(
                "A1",
                "cost_reduction",
                "legacy BI licences",
                "usd",
                before=60_000,
                after=20_000,
                period="year",
                recorded_at=date(2026, 6, 1),
            )
        ],
    )


def _save(data: AccountData, as_of: date = AS_OF, workspace: WorkspaceProfile | None = None):
    return build_save(portfolio(AS_OF, data, workspace=workspace), "A1", as_of)


def test_a_lost_champion_gives_a_dated_relationship_plan():
    result = _save(_account())
    # Only champion_loss fires: one signal (not a survey) is medium risk, CSM escalation.
    assert result.command == "save"
    assert (result.risk, result.escalation) == ("medium", "csm")
    assert (result.reason.reason, result.reason.basis) == ("relationship", "inferred")
    assert result.reason.signals == ["champion_loss"]
    assert "inferred, not recorded" in result.reason.statement
    # The churn scan's 48-hour action, verbatim: the decision-maker is called; due as-of + 2.
    assert result.immediate.action == (
        "CSM Maya Lopez calls Lee Park (VP Operations) to find the new champion "
        "(replacing Dana Whitfield)."
    )
    assert result.immediate.due == date(2026, 11, 25)
    assert result.message.to.name == "Lee Park"
    assert result.message.body.startswith("Hi Lee,")
    assert "by Wednesday 25 November 2026" in result.message.body
    # Two-week fixes: as-of + 14 = 2026-12-07; relationship (3 of 10) is already covered.
    assert [f.due for f in result.fixes] == [date(2026, 12, 7)]
    assert "new-stakeholder onboarding" in result.fixes[0].action
    # Drop-dead: notice deadline = 2027-02-06 - 60 days = 2026-12-08, 15 days away.
    assert result.drop_dead.date == date(2026, 12, 8)
    assert (result.drop_dead.basis, result.drop_dead.days_left) == ("notice", 15)
    # Manager call within 7 days (csm escalation, tier not red); weekly checkpoints stop at
    # the drop-dead date: 11-30 and 12-07 (12-14 is past 12-08).
    assert result.executive.level == "csm"
    assert result.executive.by == date(2026, 11, 30)
    assert result.executive.customer_exec.name == "Lee Park"
    assert result.checkpoints == [date(2026, 11, 30), date(2026, 12, 7)]
    # Value recovery from tools.roi: (60,000 - 20,000) usd/year = $40,000 on $120,000 ARR.
    assert result.value.total_annual_value_usd == 40_000
    assert result.value.roi_multiple == pytest.approx(1 / 3)
    assert [g.goal_id for g in result.value.achieved] == ["G1"]
    assert [g.goal_id for g in result.value.missed] == ["G2"]
    assert [g.goal_id for g in result.value.open] == ["G3"]
    assert [o.key for o in result.options if o.recommended] == ["fix_and_stay"]


def test_unset_discount_ladder_and_escalation_path_are_gaps():
    result = _save(_account())
    gaps = {g.signal: g for g in result.gaps}
    assert gaps["discount_authority"].source == "workspace profile (csm init)"
    assert gaps["discount_authority"].ask == "CS leadership"
    assert "escalation_path" in gaps
    discount = next(a for a in result.approvals if a.key == "discount")
    assert discount.approver is None
    assert "Never give one without something back" in discount.item


def test_the_workspace_ladder_and_path_name_the_approvers():
    workspace = WorkspaceProfile(
        discount_authority=LADDER, escalation_path=["CSM", "CS Manager", "VP CS"]
    )
    # A competitive event adds an executive escalation (and a second signal: high risk).
    rfp = Event("A1", date(2026, 11, 10), "rfp", detail="RFP issued")
    result = _save(_account(events=(rfp,)), workspace=workspace)
    assert result.escalation == "executive"
    assert result.reason.reason == "relationship"  # champion_loss comes first in the order
    assert [(x.reason, x.signals) for x in result.reason.also] == [("competition", ["competitive"])]
    assert result.executive.our_side == ["CS Manager", "VP CS"]
    assert result.executive.by == date(2026, 11, 25)  # executive escalation: within 2 days
    approvers = {a.key: a.approver for a in result.approvals}
    assert approvers["discount"] == "CSM up to 10%; VP CS up to 25%"
    assert approvers["executive"] == "VP CS"
    assert not {"discount_authority", "escalation_path"} & {g.signal for g in result.gaps}


def test_unknown_notice_period_sets_the_drop_dead_date_30_days_before_renewal():
    result = _save(_account(notice_days=None))
    # 2027-02-06 - 30 days = 2027-01-07
    assert result.drop_dead.date == date(2027, 1, 7)
    assert result.drop_dead.basis == "renewal_minus_30"
    assert "notice period is not recorded" in result.drop_dead.statement
    assert "notice_days" in {g.signal for g in result.gaps}


def test_a_passed_notice_deadline_makes_the_renewal_the_drop_dead_date_and_pulls_in_steps():
    # Renews 2026-12-01 with 60 days' notice: the deadline 2026-10-02 has passed.
    result = _save(_account(end=date(2026, 12, 1)))
    assert (result.drop_dead.date, result.drop_dead.basis) == (date(2026, 12, 1), "renewal")
    assert "2026-10-02" in result.drop_dead.statement
    # Fixes would be due 2026-12-07, after the drop-dead date: pulled in to 2026-12-01.
    assert [(f.due, f.compressed) for f in result.fixes] == [(date(2026, 12, 1), True)]
    assert result.checkpoints == [date(2026, 11, 30)]


def test_no_contract_means_no_drop_dead_date_and_a_gap():
    result = _save(_account(contracts=False))
    assert result.drop_dead.date is None
    gap = next(g for g in result.gaps if g.signal == "contracts" and "drop-dead" in g.needed_for)
    assert "no contract row in force" in gap.detail
    assert "**Drop-dead date: none.**" in to_markdown(result)


def test_a_recorded_reason_wins_and_the_signals_are_listed_beside_it():
    result = _save(_account(churn_reason="financial"))
    assert (result.reason.reason, result.reason.basis) == ("financial", "recorded")
    assert [(x.reason, x.signals) for x in result.reason.also] == [
        ("relationship", ["champion_loss"])
    ]
    assert result.play_title == "Price or budget pressure"
    assert [o.key for o in result.options if o.recommended] == ["right_size"]


@pytest.mark.parametrize(
    ("kinds", "reason", "named_by", "beside"),
    [
        (["silence", "competitive", "billing"], "competition", ["competitive"],
         [("financial", ["billing"]), ("value", ["silence"])]),
        (["usage_collapse", "stakeholder_churn"], "relationship", ["stakeholder_churn"],
         [("value", ["usage_collapse"])]),
        (["negative_survey", "support_escalation"], "product", ["support_escalation"],
         [("value", ["negative_survey"])]),
        (["negative_survey"], "value", ["negative_survey"], []),
        ([], None, [], []),
    ],
)  # fmt: skip
def test_reason_inference_follows_the_spec_order(kinds, reason, named_by, beside):
    got, signals, others = infer_reason(kinds)
    assert (got, signals) == (reason, named_by)
    assert [(o.reason, o.signals) for o in others] == beside


def test_no_signal_and_no_recorded_reason_is_a_gap_not_a_guess():
    result = _save(_account(champion_left=None))
    assert result.risk is None
    assert (result.reason.reason, result.reason.basis) == (None, "unknown")
    assert "churn_reason" in {g.signal for g in result.gaps}
    assert result.message is None
    assert result.intro.startswith("No churn signal fired for Acme Corp on 2026-11-23")


def test_rows_after_as_of_are_ignored():
    # On 2026-11-01 the champion (departed 2026-11-03) was still there: no signal yet.
    result = _save(_account(), as_of=date(2026, 11, 1))
    assert result.as_of == date(2026, 11, 1)
    assert result.signals == []
    assert result.drop_dead.days_left == (date(2026, 12, 8) - date(2026, 11, 1)).days


def test_a_churned_account_points_to_winback():
    data = _account(status="churned", churned_at=date(2026, 10, 1))
    with pytest.raises(ValueError, match="csm winback"):
        _save(data)


def test_markdown_states_the_deadlines_and_the_reason_basis():
    text = to_markdown(_save(_account()))
    assert "# Save play: Acme Corp" in text
    assert "**Drop-dead date: 2026-12-08** (in 15 days)" in text
    assert "## Next 48 hours (by 2026-11-25)" in text
    assert "**Churn reason: relationship.** The churn reason is inferred, not recorded" in text
    assert "| 2026-12-08 | drop-dead date: decide, or stop investing |" in text
    assert "- **discount_authority**: who may approve which discount" in text
    assert unfilled(text) == []


def test_every_demo_account_renders_without_placeholders(demo_portfolio):
    data = demo_portfolio
    active = data.active_accounts()
    assert len(active) > 40
    for acc in active:
        text = to_markdown(build_save(data, acc.account_id, DEMO_AS_OF))
        assert unfilled(text) == [], (acc.account_id, unfilled(text))
        assert "## Data gaps" in text
    churned = [a for a in data.accounts.values() if a.account.is_churned_on(DEMO_AS_OF)]
    assert churned
    for acc in churned:
        with pytest.raises(ValueError, match="winback"):
            build_save(data, acc.account_id, DEMO_AS_OF)


def test_cli_save_for_acme(demo_env):
    runner = CliRunner()
    args = ["save", "Acme Corp", "--as-of", DEMO_AS_OF.isoformat()]
    raw = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert raw.exit_code == 0, raw.output
    result = json.loads(raw.output)
    assert {"command", "as_of", "gaps", "reason", "immediate", "fixes", "executive", "value",
            "options", "drop_dead", "approvals"} <= result.keys()  # fmt: skip
    assert result["command"] == "save"
    # Acme: champion Dana Whitfield left; renews in 75 days with 60 days' notice.
    assert result["reason"]["reason"] == "relationship"
    assert result["reason"]["basis"] == "inferred"
    assert result["drop_dead"]["date"] == (DEMO_AS_OF + timedelta(days=15)).isoformat()
    text = runner.invoke(app, args, catch_exceptions=False)
    assert text.exit_code == 0
    assert "# Save play: Acme Corp" in text.output
    assert f"**Drop-dead date: {DEMO_AS_OF + timedelta(days=15)}**" in text.output
    assert "Dana Whitfield" in text.output


def test_cli_save_refuses_a_churned_account(demo_env):
    result = CliRunner().invoke(
        app, ["save", "Cogswell Cogs", "--as-of", DEMO_AS_OF.isoformat()], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert "csm winback" in result.output
