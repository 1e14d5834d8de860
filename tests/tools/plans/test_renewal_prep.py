"""Renewal prep: dated sequence, value, objections, authority, gaps, demo and CLI."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

import prompts
from agent.cli import app
from agent.render.renewal_prep import to_markdown
from memory.read import (
    Account,
    AccountData,
    Contact,
    Contract,
    Event,
    Invoice,
    Opportunity,
    RoiRow,
    load_portfolio,
)
from memory.store import open_store
from memory.workspace import DiscountStep, WorkspaceProfile
from tests.conftest import DEMO_AS_OF
from tests.factories import daily_usage, portfolio
from tools.plans.renewal_prep import build_renewal_prep

AS_OF = date(2026, 11, 23)
LADDER = WorkspaceProfile(
    discount_authority=[
        DiscountStep(role="CS Director", max_discount_pct=10),
        DiscountStep(role="CSM", max_discount_pct=3),
    ],
    escalation_path=["CS Director (Sam Rivera)", "VP CS"],
)


def _contract(**kw) -> Contract:
    # 12 months, renewing 2027-01-31, 69 days after as-of (7 left in Nov + 31 Dec + 31 Jan)
    terms = dict(
        contract_id="C1",
        account_id="A1",
        arr=120_000.0,
        start_date=date(2026, 2, 1),
        end_date=date(2027, 1, 31),
        auto_renew=True,
        notice_days=30,
        price_increase_pct=5.0,
    )
    return Contract(**(terms | kw))


CHAMPION = Contact(
    "K1", "A1", "Dana Whitfield", title="Director of Operations", role="champion",
    last_engaged_at=date(2026, 11, 10),
)  # fmt: skip
SPONSOR = Contact(
    "K2", "A1", "Sam Lee", title="VP Operations", role="exec_sponsor",
    last_engaged_at=date(2026, 10, 1),
)  # fmt: skip
ROI_ROWS = [
    # (10 - 4) hours/week x 52 x $50 = $15,600; (200,000 - 50,000) usd/year = $150,000
    RoiRow("A1", "time_saved", "hours on reporting", "hours", 10, 4, 50.0, "week", "customer",
           date(2026, 6, 1)),
    RoiRow("A1", "cost_reduction", "legacy licences", "usd", 200_000, 50_000, None, "year",
           "customer", date(2026, 6, 1)),
]  # fmt: skip


def _account(
    *, contracts=None, contacts=(CHAMPION, SPONSOR), roi=ROI_ROWS, events=(), **kw
) -> AccountData:
    return AccountData(
        account=Account("A1", "Acme Corp", **({"segment": "enterprise", "csm": "Maya Chen"} | kw)),
        contracts=[_contract()] if contracts is None else contracts,
        contacts=list(contacts),
        usage=daily_usage(date(2025, 10, 20), AS_OF),
        invoices=[Invoice("I1", "A1", 30_000, date(2026, 8, 1), "paid", date(2026, 7, 30))],
        events=list(events),
        roi=list(roi),
    )


def _prep(data=None, *, workspace=LADDER, as_of=AS_OF, portfolio_as_of=None):
    data = data or _account()
    book = portfolio(portfolio_as_of or as_of, data, workspace=workspace)
    return build_renewal_prep(book, "A1", as_of)


def test_sequence_is_dated_back_from_the_renewal_and_past_steps_are_overdue():
    result = _prep()
    assert result.command == "renewal"
    assert result.renewal_date == date(2027, 1, 31)
    assert result.days_to_renewal == 69
    # 2027-01-31 minus 90, 75, 60, 45, 30, 14 and 7 days
    assert [(s.day, s.date) for s in result.steps] == [
        (-90, date(2026, 11, 2)),
        (-75, date(2026, 11, 17)),
        (-60, date(2026, 12, 2)),
        (-45, date(2026, 12, 17)),
        (-30, date(2027, 1, 1)),
        (-14, date(2027, 1, 17)),
        (-7, date(2027, 1, 24)),
    ]
    assert [s.status for s in result.steps] == ["overdue", "overdue"] + ["upcoming"] * 5
    # the notice deadline is 30 days before the renewal: 2027-01-01
    assert result.notice_deadline == date(2027, 1, 1)
    assert result.sign_by == date(2027, 1, 17)  # Day -14, the signature target
    owners = {s.day: s.owner for s in result.steps}
    assert owners[-90] == "CSM Maya Chen"
    assert owners[-14] == "CSM Maya Chen with CS Director (Sam Rivera)"
    assert owners[-7] == "CSM Maya Chen, escalating to CS Director (Sam Rivera) then VP CS"
    withs = {s.day: s.with_whom for s in result.steps}
    assert withs[-90] is None
    assert withs[-75] == "Dana Whitfield (Director of Operations)"
    assert withs[-45] == "Sam Lee (VP Operations)"


def test_a_qbr_recorded_after_day_minus_75_marks_the_roi_presentation_done():
    qbr = Event("A1", date(2026, 11, 20), "qbr_held")
    result = _prep(_account(events=[qbr]))
    step = next(s for s in result.steps if s.day == -60)
    assert (step.status, step.evidence) == ("done", "qbr_held on 2026-11-20")


def test_events_and_wins_after_as_of_do_not_count():
    later_qbr = Event("A1", date(2026, 11, 25), "qbr_held")
    data = _account(events=[later_qbr])
    data.opportunities = [
        Opportunity("O1", "A1", "renewal", date(2026, 11, 1), stage="won",
                    closed_at=date(2026, 11, 26)),
    ]  # fmt: skip
    result = _prep(data, portfolio_as_of=date(2026, 11, 30))
    assert result.as_of == AS_OF
    assert {s.status for s in result.steps} == {"overdue", "upcoming"}


def test_a_renewal_won_this_term_closes_the_contract_steps():
    data = _account()
    data.opportunities = [
        Opportunity("O1", "A1", "renewal", date(2026, 11, 1), stage="won",
                    closed_at=date(2026, 11, 20)),
    ]  # fmt: skip
    result = _prep(data)
    status = {s.day: s.status for s in result.steps}
    assert status == {
        -90: "not_needed",
        -75: "not_needed",
        -60: "not_needed",
        -45: "not_needed",
        -30: "done",
        -14: "done",
        -7: "done",
    }


def test_price_increase_budget_objection_and_the_ladder_rung_that_approves_it():
    result = _prep()
    # $120,000 x 1.05 = $126,000; holding the price gives up 5 / 105 = 4.76% of it
    assert result.new_arr == pytest.approx(126_000)
    budget = next(o for o in result.objections if o.kind == "budget")
    assert "price increase of 5% due at renewal ($6,000 on $120,000)" in budget.basis
    assert budget.counteroffer.concession_pct == pytest.approx(100 * 5 / 105)
    assert budget.counteroffer.approver == "CS Director"  # above the CSM's 3%
    assert "$120,000 instead of $126,000" in budget.counteroffer.give
    assert "2-year commitment signed by 2027-01-17" in budget.counteroffer.get
    ladder = [(r.role, r.max_discount_usd) for r in result.authority.ladder]
    assert ladder == [("CSM", pytest.approx(3_600)), ("CS Director", pytest.approx(12_000))]


def test_documented_value_above_arr_is_the_value_talk():
    result = _prep()
    # $15,600 + $150,000 = $165,600 a year; / $120,000 ARR = 1.38
    assert result.value.total_annual_value_usd == pytest.approx(165_600)
    assert result.value.risk is None
    assert result.value.statement == (
        "By Acme Corp's own numbers, the value delivered comes to about $165,600 a year, from "
        "$15,600 of time saved and $150,000 of cost reduction. That is 1.4 times the annual "
        "investment of $120,000."
    )
    talk = {t.label: t.text for t in result.talk_track}
    assert talk["Opening"].startswith("Hi Sam, thank you for making the time.")
    assert "1.4 times what you pay" in talk["Value"]
    # the notice deadline (2027-01-01) comes before the signature target (2027-01-17)
    assert result.decide_by == date(2027, 1, 1)
    assert "agree the renewal before 2027-01-01" in talk["The ask"]
    assert [o.kind for o in result.objections] == ["budget"]


def test_no_roi_is_said_plainly_as_a_renewal_risk_with_a_gap():
    result = _prep(_account(roi=[]))
    assert not result.value.documented and not result.value.dollarised
    assert result.value.risk.startswith("No ROI is documented for Acme Corp")
    assert "renewal risk" in result.value.risk
    # the next value review still ahead: the ROI presentation on 2026-12-02
    assert "by 2026-12-02" in result.value.risk
    roi_gap = next(g for g in result.gaps if g.signal == "roi")
    assert "renewal: value summary" in roi_gap.needed_for
    no_value = next(o for o in result.objections if o.kind == "no_value")
    assert no_value.basis == [result.value.risk]
    value_talk = next(t.text for t in result.talk_track if t.label == "Value")
    assert "we have not yet measured" in value_talk
    assert "## Value summary\n\n**Renewal risk:** No ROI is documented" in to_markdown(result)


def test_objections_follow_the_signals_each_with_a_give_and_a_get():
    departed = Contact(
        "K1", "A1", "Dana Whitfield", role="champion", status="departed",
        status_changed_at=date(2026, 11, 1),
    )  # fmt: skip
    rfp = Event("A1", date(2026, 11, 5), "rfp", detail="Procurement RFP")
    result = _prep(_account(contacts=[departed, SPONSOR], events=[rfp]))
    kinds = [o.kind for o in result.objections]
    assert kinds[:2] == ["new_stakeholder", "competitor"]
    assert "budget" in kinds
    stakeholder = result.objections[0]
    assert "I know Dana Whitfield has moved on" in stakeholder.acknowledge
    assert "before the renewal discussion on 2026-12-17" in stakeholder.counteroffer.get
    assert "rfp on 2026-11-05" in result.objections[1].basis[0]
    for o in result.objections:
        assert o.counteroffer.give and o.counteroffer.get
    acknowledged = [t.text for t in result.talk_track if t.label == "Acknowledge"]
    assert acknowledged[0] == stakeholder.acknowledge


def test_no_signal_prepares_the_standard_price_question_said_as_such():
    result = _prep(_account(contracts=[_contract(price_increase_pct=0.0)]))
    assert [o.kind for o in result.objections] == ["budget"]
    budget = result.objections[0]
    assert budget.basis[0].startswith("No signal in the data predicts a price objection")
    assert budget.counteroffer.approver == "CSM, up to 3%"  # the first rung of the ladder


def test_unknown_terms_and_unset_profile_are_gaps_never_guesses():
    data = _account(contracts=[_contract(notice_days=None, price_increase_pct=None)])
    result = _prep(data, workspace=WorkspaceProfile())
    assert result.notice_deadline is None and result.new_arr is None
    gaps = {g.signal: g for g in result.gaps}
    assert "renewal: notice deadline" in gaps["notice_days"].needed_for
    assert "renewal: price for the new term" in gaps["price_increase_pct"].needed_for
    for signal in ("discount_authority", "escalation_path"):
        assert gaps[signal].ask == "CS leadership"
        assert gaps[signal].source == "workspace profile (csm init)"
    assert result.authority.ladder == [] and result.authority.escalation_path == []
    owners = {s.day: s.owner for s in result.steps}
    assert owners[-14] == "CSM Maya Chen with CS leadership"
    text = to_markdown(result)
    assert "Discount authority ladder: **not set**" in text
    assert prompts.unfilled(text) == []


def test_missing_people_get_neutral_wording_and_gaps():
    result = _prep(_account(contacts=[], csm=None))
    assert {"contacts", "csm"} <= {g.signal for g in result.gaps}
    assert result.steps[0].owner == "the account's CSM"
    assert result.steps[3].with_whom.startswith("the renewal decision-maker (none on record")
    assert result.talk_track[0].text.startswith("Hello, thank you")


def test_churned_or_contractless_accounts_have_no_renewal_to_prepare():
    churned = _account(status="churned", churned_at=date(2026, 10, 1))
    with pytest.raises(ValueError, match="churned on 2026-10-01"):
        _prep(churned)
    with pytest.raises(ValueError, match="no contract in force on 2026-11-23"):
        _prep(_account(contracts=[]))


def _demo(demo_db_url):
    store = open_store(demo_db_url)
    try:
        return load_portfolio(store.engine, DEMO_AS_OF, workspace=LADDER)
    finally:
        store.dispose()


def test_every_demo_account_renders_without_placeholders(demo_db_url):
    book = _demo(demo_db_url)
    active = book.active_accounts()
    assert len(active) > 40
    for data in active:
        text = to_markdown(build_renewal_prep(book, data.account_id, DEMO_AS_OF))
        assert prompts.unfilled(text) == [], data.name
        assert "## Data gaps" in text
    for data in book.accounts.values():
        if data.account.is_churned_on(DEMO_AS_OF):
            with pytest.raises(ValueError, match="no renewal to prepare"):
                build_renewal_prep(book, data.account_id, DEMO_AS_OF)


def test_cli_renewal_prints_markdown_and_json(demo_env):
    runner = CliRunner()
    args = ["renewal", "Acme Corp", "--as-of", "2026-11-23"]
    out = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["command"] == "renewal"
    assert {"renewal_date", "notice_deadline", "steps", "risk", "value", "objections",
            "authority", "talk_track", "gaps"} <= set(data)  # fmt: skip
    assert data["renewal_date"] == "2027-02-06"  # the demo's Acme renews 75 days out
    assert data["risk"]["bucket"] == "at_risk"
    out = runner.invoke(app, args, catch_exceptions=False)
    assert out.exit_code == 0
    text = out.output
    assert text.startswith("# Renewal prep: Acme Corp")
    assert "| -90 | 2026-11-08 | **Internal renewal review**" in text
    assert "| -75 | 2026-11-23 | **Success recap e-mail**" in text
    assert "**due today**" in text and "**overdue**" in text
    assert "I know Dana Whitfield has moved on" in text
    assert "- **discount_authority**: " in text
    churned = runner.invoke(app, ["renewal", "Cogswell Cogs", "--as-of", "2026-11-23"])
    assert churned.exit_code == 2
    assert "Cogswell Cogs churned on 2026-11-03" in churned.output
