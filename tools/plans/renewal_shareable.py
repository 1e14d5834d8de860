"""The shareable part of the renewal package: what the customer may read, and nothing else.

Value from the ROI calculator (estimates labelled), what changes in the new term (the
contract's price increase applied to the ARR, or a promise to confirm it in writing when it
is not on record), the steps still ahead as dates, the next term's initiatives, and the
pricing options: the standard renewal, a multi-year term with the price held (a price lock
in exchange for the commitment, never a discount) and, when the expansion scan finds one,
an expansion bundled with the renewal priced by its labelled revenue estimate. It never
mentions risk, churn, objections, discounts or data gaps. Wording comes from
prompts/renewal_package.md.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from tools.expansion import ExpansionOpportunity
from tools.plans.renewal_common import (
    ValueSummary,
    first_name,
    percent,
    track_for,
    usd,
    wording,
)
from tools.plans.renewal_common import say as _say
from tools.plans.renewal_prep import RenewalPrepResult
from tools.plans.renewal_sequence import step_at
from tools.renewals import ContactRef, months_back

MULTI_YEAR_YEARS = 2
BUNDLE_ACTIONS = ("seat_expansion", "upsell", "cross_sell")
"""Expansion actions that make an expansion option (multi_year is the multi-year option)."""


class Dated(BaseModel):
    """One dated line of a timeline."""

    date: date
    item: str


class ValueItem(BaseModel):
    """One value category the customer sees, labelled when it is an estimate."""

    label: str
    annual_value_usd: float
    estimate: bool
    measured_as: str


class PriceOption(BaseModel):
    """A pricing option of the shareable package."""

    key: Literal["standard", "multi_year", "expansion"]
    title: str
    description: str
    term_start: date
    term_end: date
    annual_price_usd: float | None = Field(description="None when the new price is not on record")
    added_arr_usd: float | None = Field(None, description="expansion: the scan's estimate")
    estimate: bool = Field(False, description="the amount is an estimate")
    amount_note: str | None = None
    in_return: str | None = Field(None, description="what the customer commits to in return")


class CustomerPackage(BaseModel):
    """The shareable document: nothing in it is internal."""

    title: str
    prepared_for: str
    prepared_by: str
    intro: str
    value_statement: str
    value_items: list[ValueItem]
    value_total_usd: float | None
    value_estimate: bool
    goals_achieved: list[str]
    changes: list[str]
    timeline: list[Dated]
    initiatives: list[Dated]
    options: list[PriceOption]
    closing: str


def say(heading: str, key: str, **values: object) -> str:
    """Fill one piece of prompts/renewal_package.md."""
    return _say("renewal_package", heading, key, **values)


def add_months(day: date, months: int) -> date:
    """Return the same day `months` calendar months later (clamped to the month's end)."""
    return months_back(day, -months)


def term(prep: RenewalPrepResult, years: int | None = None) -> tuple[date, date]:
    """Return the next term's first and last day (same length as the current, or `years`)."""
    start = prep.renewal_date + timedelta(days=1)
    if years is not None:
        return start, add_months(start, 12 * years) - timedelta(days=1)
    if prep.term_months:
        return start, add_months(start, prep.term_months) - timedelta(days=1)
    if prep.term_days:
        return start, start + timedelta(days=prep.term_days - 1)
    return start, add_months(start, 12) - timedelta(days=1)


def _term_label(start: date, end: date) -> str:
    """Describe a term's length: '12 months', '24 months' or 'N days'."""
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if months > 0 and add_months(start, months) == after:
        return f"{months} months"
    return f"{(end - start).days + 1} days"


# --- the document --------------------------------------------------------------------------


def customer(
    prep: RenewalPrepResult, options: list[PriceOption], start: date, end: date
) -> CustomerPackage:
    """Write the shareable document from the prep's facts (nothing internal)."""
    contact = prep.contact
    greeting = f"Hi {first_name(contact.name)}," if contact else "Hello,"
    value = prep.value
    fields = {
        "company": prep.name,
        "greeting": greeting,
        "renewal_date": prep.renewal_date,
        "arr": usd(prep.arr),
        "new_arr": usd(prep.new_arr),
        "increase_pct": percent(prep.price_increase_pct or 0),
        "total_value": usd(value.total_annual_value_usd),
        "multiple": f"{value.roi_multiple:.1f}" if value.roi_multiple is not None else "",
        "term": _term_label(start, end),
        "start": start,
        "end": end,
    }
    return CustomerPackage(
        title=say("shareable", "title", **fields),
        prepared_for=_person(contact) if contact else say("shareable", "team", **fields),
        prepared_by=prep.csm or say("shareable", "signature none"),
        intro=say("shareable", "intro", **fields),
        value_statement=say("shareable", _value_key(value), **fields),
        value_items=[
            ValueItem(
                label=ln.label,
                annual_value_usd=ln.annual_value_usd,
                estimate=ln.estimate,
                measured_as="; ".join(ln.metrics),
            )
            for ln in value.lines
        ],
        value_total_usd=value.total_annual_value_usd if value.lines else None,
        value_estimate=value.estimate,
        goals_achieved=value.achieved_goals,
        changes=_changes(prep, fields),
        timeline=_timeline(prep, start),
        initiatives=_initiatives(prep, options, start),
        options=options,
        closing=_closing(prep, fields),
    )


def options(
    prep: RenewalPrepResult,
    opportunity: ExpansionOpportunity | None,
    start: date,
    end: date,
) -> list[PriceOption]:
    """Offer the standard renewal, the multi-year price lock and an expansion bundle."""
    length = _term_label(start, end)
    fields = {"term": length, "start": start, "end": end, "years": MULTI_YEAR_YEARS}
    price = prep.new_arr
    standard = PriceOption(
        key="standard",
        title=say("option standard", "title"),
        description=say("option standard", "description", **fields),
        term_start=start,
        term_end=end,
        annual_price_usd=price,
        amount_note=None if price is not None else say("option standard", "price unknown"),
    )
    m_start, m_end = term(prep, MULTI_YEAR_YEARS)
    m_fields = fields | {"start": m_start, "end": m_end, "price": usd(price)}
    multi = PriceOption(
        key="multi_year",
        title=say("option multi_year", "title", **m_fields),
        description=say(
            "option multi_year",
            "description" if price is not None else "description unknown",
            **m_fields,
        ),
        term_start=m_start,
        term_end=m_end,
        annual_price_usd=price,
        amount_note=None if price is not None else say("option standard", "price unknown"),
        in_return=say("option multi_year", "in return", **m_fields),
    )
    offers = [standard, multi]
    if opportunity is not None:
        offers.append(_expansion_option(opportunity, price, start, end))
    return offers


def _expansion_option(
    o: ExpansionOpportunity, price: float | None, start: date, end: date
) -> PriceOption:
    """Bundle the expansion with the renewal, priced by the scan's labelled estimate."""
    action = next(a for a in o.actions if a in BUNDLE_ACTIONS)
    added = o.revenue_estimate
    total = price + added if price is not None and added is not None else None
    note_key = "unknown" if added is None else "known" if total is None else "known total"
    return PriceOption(
        key="expansion",
        title=say(f"option {action}", "title"),
        description=say(f"option {action}", "description"),
        term_start=start,
        term_end=end,
        annual_price_usd=total,
        added_arr_usd=added,
        estimate=True,
        amount_note=say("option amount", note_key, estimate=usd(added), total=usd(total)),
    )


def _person(contact: ContactRef) -> str:
    return f"{contact.name}, {contact.title}" if contact.title else contact.name


def _value_key(value: ValueSummary) -> str:
    """Choose the shareable value sentence: measured, partly measured, goals, or nothing yet."""
    if value.dollarised and value.roi_multiple is not None and value.roi_multiple >= 1:
        return "value estimate" if value.estimate else "value documented"
    if value.dollarised:
        return "value partial"
    return "value goals" if value.achieved_goals else "value nothing"


def _changes(prep: RenewalPrepResult, fields: dict[str, object]) -> list[str]:
    """Say what changes in the new term: the price (or that it will be confirmed), the term."""
    pct = prep.price_increase_pct
    if pct is None:
        price = say("shareable", "price unconfirmed", **fields)
    elif pct == 0:
        price = say("shareable", "price same", **fields)
    else:
        price = say("shareable", "price up", **fields)
    return [price, say("shareable", "term", **fields)]


def _timeline(prep: RenewalPrepResult, start: date) -> list[Dated]:
    """List the customer-facing steps still ahead, the signature and the new term's start."""
    labels = wording("renewal_package")["timeline"]
    items = [
        Dated(date=s.date, item=labels[str(s.day)])
        for s in prep.steps
        if str(s.day) in labels and s.date >= prep.as_of and s.status in ("upcoming", "due_today")
    ]
    if not any(s.status == "done" and s.day == -30 for s in prep.steps):
        items.append(Dated(date=prep.sign_by, item=labels["sign"]))
    items.append(Dated(date=start, item=labels["start"]))
    return sorted(items, key=lambda d: d.date)


def _initiatives(prep: RenewalPrepResult, options: list[PriceOption], start: date) -> list[Dated]:
    """Plan the next term: open goals, the 30-day value review and the first business review."""
    text = wording("renewal_package")["initiatives"]
    items = [Dated(date=start + timedelta(days=30), item=text["value review"])]
    if not prep.value.dollarised:
        track = track_for(prep.value.lines)
        items.insert(0, Dated(date=start, item=say("initiatives", "measure", track=track)))
    items.append(Dated(date=start + timedelta(days=90), item=text["business review"]))
    for goal in prep.value.open_goals:
        if goal.due_date is not None and goal.due_date >= start:
            items.append(
                Dated(date=goal.due_date, item=say("initiatives", "goal due", goal=goal.text))
            )
        else:
            items.append(Dated(date=start, item=say("initiatives", "goal carried", goal=goal.text)))
    if any(o.key == "expansion" for o in options):
        items.append(Dated(date=start + timedelta(days=30), item=text["expansion"]))
    return sorted(items, key=lambda d: d.date)


def _closing(prep: RenewalPrepResult, fields: dict[str, object]) -> str:
    """Offer to walk through the package at the renewal discussion, or in the next days."""
    discussion = step_at(prep.steps, -45)
    if discussion.date > prep.as_of and discussion.status != "done":
        return say("shareable", "closing", **fields | {"next_date": discussion.date})
    return say("shareable", "closing soon", **fields)
