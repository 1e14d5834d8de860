"""Renewal package: shareable options and timeline, internal notes kept apart, demo and CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from typer.testing import CliRunner

import prompts
from agent.cli import app
from agent.render.renewal_package import customer_markdown, to_markdown
from memory.read import Contact, Event, load_portfolio
from memory.store import open_store
from tests.conftest import DEMO_AS_OF
from tests.factories import portfolio
from tests.tools.plans.test_renewal_prep import (
    AS_OF,
    LADDER,
    ROI_ROWS,
    SPONSOR,
    _account,
    _contract,
)
from tools.plans.renewal_package import build_renewal_package

INTERNAL_WORDS = (
    "internal",
    "objection",
    "discount",
    "churn",
    "data gap",
    "deal desk",
    "escalat",
    "counteroffer",
    "at risk",
    "held back",
)
"""Words of the internal notes that must never reach the shareable document."""


def _package(data=None, *, workspace=LADDER):
    data = data or _account()
    return build_renewal_package(portfolio(AS_OF, data, workspace=workspace), "A1", AS_OF)


def _with_seats(data, seats=20):
    # usage rows carry users_30d = 20: above 80% of 20 seats -> seat_capacity fires
    data.account = replace(data.account, licensed_seats=seats)
    return data


def test_options_price_the_new_term_and_the_multi_year_lock():
    result = _package()
    assert result.command == "renewal-package"
    standard, multi = result.customer.options
    # renewal 2027-01-31: the new 12-month term runs 2027-02-01 .. 2028-01-31
    assert (standard.key, standard.term_start, standard.term_end) == (
        "standard",
        date(2027, 2, 1),
        date(2028, 1, 31),
    )
    assert standard.annual_price_usd == pytest.approx(126_000)  # $120,000 + 5%
    assert (multi.key, multi.term_end) == ("multi_year", date(2029, 1, 31))
    assert multi.annual_price_usd == pytest.approx(126_000)  # held for both years
    assert multi.in_return == "a 2-year commitment"
    assert result.customer.changes[0] == (
        "Annual price: $120,000 this term, $126,000 in the new term, reflecting the 5% "
        "adjustment set out in your current agreement."
    )
    for option in result.customer.options:
        assert option.annual_price_usd is None or option.annual_price_usd >= result.new_arr
    for objection in result.internal.objections:
        assert objection.counteroffer.give and objection.counteroffer.get


def test_timeline_and_initiatives_are_dated():
    result = _package()
    assert [(d.date, d.item) for d in result.customer.timeline] == [
        (date(2026, 12, 2), "Value review with your team"),
        (date(2026, 12, 17), "Renewal discussion: terms and options"),
        (date(2027, 1, 1), "Renewal agreement sent for signature"),
        (date(2027, 1, 17), "Agreement signed"),
        (date(2027, 2, 1), "New term starts"),
    ]
    # 30 and 90 days into the new term (2027-02-01): 2027-03-03 and 2027-05-02
    assert [d.date for d in result.customer.initiatives] == [date(2027, 3, 3), date(2027, 5, 2)]
    assert result.customer.prepared_for == "Sam Lee, VP Operations"
    assert result.customer.intro.startswith("Hi Sam, thank you for another year")
    assert "on 2026-12-17" in result.customer.closing  # the renewal discussion


def test_expansion_is_bundled_with_its_labelled_estimate_and_the_ae_brought_in():
    result = _package(_with_seats(_account()))
    expansion = result.customer.options[-1]
    # ARR per seat $120,000 / 20 = $6,000 x 5 seats (25 brings 20 users back to 80%)
    assert expansion.key == "expansion"
    assert expansion.added_arr_usd == pytest.approx(30_000)
    assert expansion.annual_price_usd == pytest.approx(156_000)
    assert expansion.estimate
    assert "an estimated $30,000 a year" in expansion.amount_note
    assert "(estimate)" not in result.customer.options[0].title
    who = {b.who: b for b in result.internal.bring_in}
    assert who["the account executive"].when == date(2026, 12, 17)
    assert "offer at most 3% (CSM's limit)" in who["the deal desk"].why
    assert who["CS Director (Sam Rivera)"].when == date(2027, 1, 1)
    assert "seat_capacity" in result.internal.expansion


def test_high_churn_risk_holds_the_expansion_back():
    departed = Contact(
        "K1", "A1", "Dana Whitfield", role="champion", status="departed",
        status_changed_at=date(2026, 11, 1),
    )  # fmt: skip
    rfp = Event("A1", date(2026, 11, 5), "rfp")
    data = _with_seats(_account(contacts=[departed, SPONSOR], events=[rfp]))
    result = _package(data)
    assert [o.key for o in result.customer.options] == ["standard", "multi_year"]
    assert "save first, expand later" in result.internal.expansion
    who = [b.who for b in result.internal.bring_in]
    assert "the account executive and your executive sponsor" in who  # competitive: now


def test_estimates_are_labelled_for_the_customer():
    estimated = [r if r.category != "cost_reduction" else replace(r, source="estimate")
                 for r in ROI_ROWS]  # fmt: skip
    result = _package(_account(roi=estimated))
    labels = {v.label: v.estimate for v in result.customer.value_items}
    assert labels == {"time saved": False, "cost reduction": True}
    assert result.customer.value_statement.startswith("By the measures we built with your team")
    text = customer_markdown(result)
    assert "| cost reduction | $150,000 (estimate) |" in text
    assert "**$165,600 (includes estimates)**" in text


def test_unknown_price_is_confirmed_in_writing_not_guessed():
    result = _package(_account(contracts=[_contract(price_increase_pct=None)]))
    assert result.new_arr is None
    assert all(o.annual_price_usd is None for o in result.customer.options)
    assert result.customer.changes[0] == (
        "Annual price for the new term: we will confirm it with you in writing before the "
        "agreement is sent."
    )
    assert any("price_increase_pct" in b for b in result.internal.blockers)
    assert "price_increase_pct" in {g.signal for g in result.gaps}


def test_no_roi_proposes_measuring_value_to_the_customer_and_flags_it_inside():
    result = _package(_account(roi=[]))
    assert result.customer.value_items == []
    assert result.customer.value_statement.startswith("In the new term we propose to agree")
    assert result.customer.initiatives[0].item.startswith("Agree how the value will be measured")
    assert result.internal.value_conversation[0].startswith("I would like to be upfront")
    assert any("No ROI with a dollar value" in b for b in result.internal.blockers)


def test_the_shareable_part_never_carries_internal_notes():
    departed = Contact(
        "K1", "A1", "Dana Whitfield", role="champion", status="departed",
        status_changed_at=date(2026, 11, 1),
    )  # fmt: skip
    result = _package(_account(contacts=[departed, SPONSOR]))
    shareable = customer_markdown(result)
    full = to_markdown(result)
    assert full.startswith(shareable.rstrip())
    assert "# Internal negotiation notes: do not share" in full
    assert "## Likely objections" in full and "## Data gaps" in full
    for word in INTERNAL_WORDS:
        assert word not in shareable.lower(), word
    view = result.customer_view().model_dump()
    assert set(view) == {"command", "as_of", "account_id", "name", "customer"}


def _demo(demo_db_url):
    store = open_store(demo_db_url)
    try:
        return load_portfolio(store.engine, DEMO_AS_OF, workspace=LADDER)
    finally:
        store.dispose()


def test_every_demo_account_package_is_filled_and_keeps_notes_internal(demo_db_url):
    book = _demo(demo_db_url)
    bundled = 0
    for data in book.active_accounts():
        result = build_renewal_package(book, data.account_id, DEMO_AS_OF)
        full, shareable = to_markdown(result), customer_markdown(result)
        assert prompts.unfilled(full) == [], data.name
        for word in INTERNAL_WORDS:
            assert word not in shareable.lower(), (data.name, word)
        bundled += any(o.key == "expansion" for o in result.customer.options)
    assert bundled > 0
    for data in book.accounts.values():
        if data.account.is_churned_on(DEMO_AS_OF):
            with pytest.raises(ValueError, match="no renewal to prepare"):
                build_renewal_package(book, data.account_id, DEMO_AS_OF)


def test_cli_package_full_customer_only_and_json(demo_env):
    runner = CliRunner()
    args = ["renewal-package", "Acme Corp", "--as-of", "2026-11-23"]
    out = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert {"command", "as_of", "gaps", "customer", "internal", "renewal_date"} <= set(data)
    assert data["command"] == "renewal-package"
    assert [o["key"] for o in data["customer"]["options"]][:2] == ["standard", "multi_year"]
    full = runner.invoke(app, args, catch_exceptions=False).output
    assert full.startswith("# Your Acme Corp renewal")
    assert "| 2027-02-07 | New term starts |" in full
    assert "# Internal negotiation notes: do not share" in full
    shareable = runner.invoke(app, [*args, "--customer-only"], catch_exceptions=False)
    assert shareable.exit_code == 0
    assert "Annual price: $240,000 this term, $256,800 in the new term" in shareable.stdout
    assert "Internal negotiation notes" not in shareable.stdout
    assert "Data gaps" not in shareable.stdout
    view = runner.invoke(app, [*args, "--customer-only", "--json"], catch_exceptions=False)
    assert set(json.loads(view.stdout)) == {"command", "as_of", "account_id", "name", "customer"}
