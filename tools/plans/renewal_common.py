"""What renewal prep and the renewal package share: formats, wording, people, value, authority.

Built on the analytics tools only: the renewal row (tools.renewals) for the people, the ROI
calculator (tools.roi) for the value, and the workspace profile for the discount authority
ladder and the escalation path (unset = a gap naming CS leadership). Wording comes from
prompts/renewal.md and prompts/renewal_package.md, parsed by `wording`.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Literal

from pydantic import BaseModel, Field

import prompts
from memory.read import AccountData, PortfolioData
from tools.common import Gaps
from tools.renewals import ContactRef, RenewalRow
from tools.roi import ROI_CATEGORIES, TRACK_NEXT_QUARTER, Benchmark, RoiResult

ObjectionKind = Literal[
    "new_stakeholder",
    "not_using",
    "competitor",
    "product_issues",
    "unhappy",
    "no_value",
    "budget",
]
CATEGORY_LABEL = {
    "time_saved": "time saved",
    "cost_reduction": "cost reduction",
    "revenue_impact": "revenue impact",
    "productivity": "productivity",
    "risk_reduction": "risk reduction",
}
KEY = re.compile(r"[a-z][a-z0-9 _]*|-\d+")
"""What a `key:` of a wording block looks like: lower-case words, or a step day like -60."""
DISCOUNT_RULE = "Never discount without getting something back: multi-year, case study, referral."
"""The seed's rule on price objections (customer-success-engine-skill, save plays)."""


class Counteroffer(BaseModel):
    """A give-get: what we offer and what we ask in return (never a give alone)."""

    give: str
    get: str
    concession_pct: float | None = Field(
        None, description="the price concession in percent of ARR, when the give is one"
    )
    approver: str | None = Field(
        None, description="the lowest rung of the discount ladder that can approve it"
    )


class Objection(BaseModel):
    """A likely objection, the data that predicts it, and how to answer it."""

    kind: ObjectionKind
    basis: list[str] = Field(description="the signals or facts that predict it")
    they_say: str
    response: str
    counteroffer: Counteroffer
    acknowledge: str = Field(description="the line that names it in the talk track")


class DiscountRung(BaseModel):
    """One rung of the discount authority ladder, priced on the renewal ARR."""

    role: str
    max_discount_pct: float
    max_discount_usd: float | None = Field(description="max_discount_pct of ARR on as-of")


class Authority(BaseModel):
    """Who may approve what: the discount ladder and the escalation path (workspace profile)."""

    ladder: list[DiscountRung] = Field(description="empty = not set (a gap)")
    escalation_path: list[str] = Field(description="empty = not set (a gap)")
    rule: str = DISCOUNT_RULE


class ValueLine(BaseModel):
    """One ROI category with a dollar value (from tools.roi)."""

    category: str
    label: str
    annual_value_usd: float
    estimate: bool
    metrics: list[str]


class OpenGoal(BaseModel):
    """A goal not yet achieved (nor missed), carried into the next term."""

    text: str = Field(description="the objective with its numbers")
    due_date: date | None


class ValueSummary(BaseModel):
    """The value delivered, from the ROI calculator; no ROI on record is a renewal risk."""

    documented: bool = Field(description="at least one roi row recorded on or before as-of")
    dollarised: bool = Field(description="at least one category has a dollar value")
    arr: float | None
    total_annual_value_usd: float | None
    roi_multiple: float | None
    estimate: bool
    lines: list[ValueLine]
    achieved_goals: list[str] = Field(description="goals with status achieved, with numbers")
    achieved_objectives: list[str] = Field(description="the same goals' objectives only")
    open_goals: list[OpenGoal] = Field(description="goals not yet achieved, for the next term")
    statement: str = Field(description="the value in one paragraph, or the risk of none")
    risk: str | None = Field(None, description="set when the value is not proven in dollars")


# --- formatting ----------------------------------------------------------------------------


def usd(value: float | None) -> str:
    """Format dollars for a document: $1,234 (no cents)."""
    if value is None:
        return "an unknown amount"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def percent(value: float) -> str:
    """Format a percent figure (7.0 -> '7%', 2.5 -> '2.5%')."""
    return f"{value:g}%"


def number(value: float | None) -> str:
    """Format a measured number compactly."""
    if value is None:
        return "?"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def first_name(name: str) -> str:
    """Return the first word of a contact's name."""
    return name.split()[0] if name.split() else name


def person(ref: ContactRef | None) -> str | None:
    """Name a contact with their title, or None."""
    if ref is None:
        return None
    return f"{ref.name} ({ref.title})" if ref.title else ref.name


def possessive(name: str) -> str:
    """Return a name's possessive: "Acme Corp's", "Monarch Analytics'"."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def join(parts: list[str]) -> str:
    """Join phrases as prose: 'a', 'a and b', 'a, b and c'."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def spoken(objective: str) -> str:
    """Lower-case an objective's first letter for use mid-sentence ('Cut costs' -> 'cut costs')."""
    if len(objective) > 1 and objective[0].isupper() and objective[1].islower():
        return objective[0].lower() + objective[1:]
    return objective


# --- wording -------------------------------------------------------------------------------


@cache
def wording(name: str) -> dict[str, dict[str, str]]:
    """Parse prompts/<name>.md: `## heading` -> its `key: value` lines (or `text`)."""
    out: dict[str, dict[str, str]] = {}
    for heading, body in prompts.sections(name).items():
        fields: dict[str, str] = {}
        key: str | None = None
        for line in body.splitlines():
            head, sep, rest = line.partition(": ")
            if sep and KEY.fullmatch(head):
                key = head
                fields[key] = rest.strip()
            elif line.strip() and key is not None:
                fields[key] += " " + line.strip()
        out[heading] = fields or {"text": body}
    return out


def say(name: str, heading: str, key: str = "text", **values: object) -> str:
    """Fill one piece of wording from prompts/<name>.md with the given values."""
    return prompts.fill(wording(name)[heading][key], **values)


# --- people --------------------------------------------------------------------------------


def csm_name(data: AccountData, gaps: Gaps, needed_for: str) -> str | None:
    """Return the CSM's name (an e-mail address is not a name); record a gap when unknown."""
    csm = (data.account.csm or "").strip()
    if not csm:
        gaps.add("csm", needed_for, account_id=data.account_id)
        return None
    return None if "@" in csm else csm


def active_champion(row: RenewalRow) -> ContactRef | None:
    """Return the champion when still active on as-of."""
    return row.champion if row.champion_status == "active" else None


def main_contact(row: RenewalRow) -> ContactRef | None:
    """Return whom the renewal is addressed to: the decision-maker, else the active champion."""
    return row.exec_sponsor or active_champion(row)


# --- authority -----------------------------------------------------------------------------


def authority(portfolio: PortfolioData, account_id: str, arr: float, gaps: Gaps) -> Authority:
    """Read the discount ladder and escalation path from the workspace profile; unset = gap."""
    ws = portfolio.workspace
    ladder = sorted(ws.discount_authority, key=lambda r: r.max_discount_pct)
    if not ladder:
        gaps.add(
            "discount_authority",
            "renewal: discount authority",
            account_id=account_id,
            detail="no discount authority ladder in the workspace profile",
        )
    if not ws.escalation_path:
        gaps.add(
            "escalation_path",
            "renewal: escalation path",
            account_id=account_id,
            detail="no escalation path in the workspace profile",
        )
    return Authority(
        ladder=[
            DiscountRung(
                role=r.role,
                max_discount_pct=r.max_discount_pct,
                max_discount_usd=arr * r.max_discount_pct / 100 if arr else None,
            )
            for r in ladder
        ],
        escalation_path=list(ws.escalation_path),
    )


def approver(auth: Authority, pct: float) -> str:
    """Name the lowest rung that can approve a concession of `pct` percent."""
    if not auth.ladder:
        return "unknown: no discount authority ladder is set (see data gaps)"
    for rung in auth.ladder:
        if pct <= rung.max_discount_pct:
            return rung.role
    top = auth.ladder[-1]
    return f"above every rung (the top, {top.role}, approves up to {percent(top.max_discount_pct)})"


# --- value ---------------------------------------------------------------------------------


def value_summary(roi: RoiResult, data: AccountData, day: date, roi_date: date) -> ValueSummary:
    """Summarise the ROI calculator's result; no documented or dollarised ROI is a risk."""
    lines = [
        ValueLine(
            category=c.category,
            label=CATEGORY_LABEL[c.category],
            annual_value_usd=c.annual_value_usd,
            estimate=c.estimate,
            metrics=[r.metric for r in c.rows if r.annual_value_usd is not None],
        )
        for c in roi.categories
        if c.annual_value_usd is not None
    ]
    documented = any(c.rows for c in roi.categories)
    achieved = [_goal(g) for g in roi.benchmark if g.status == "achieved"]
    open_goals = [
        OpenGoal(text=_goal(g), due_date=g.due_date)
        for g in roi.benchmark
        if g.status not in ("achieved", "missed")
    ]
    values = value_fields(roi, lines, data.name, roi_date)
    if lines and roi.roi_multiple is not None and roi.roi_multiple < 1:
        statement = say("renewal", "value below_cost", **values)
        risk = statement
    elif lines:
        heading = "value estimate" if roi.estimate else "value documented"
        if roi.roi_multiple is None:
            heading = "value no_multiple"
        statement, risk = say("renewal", heading, **values), None
    else:
        heading = "value undollarised" if documented else "value none"
        statement = say("renewal", heading, **values)
        risk = statement
    return ValueSummary(
        documented=documented,
        dollarised=bool(lines),
        arr=roi.arr,
        total_annual_value_usd=roi.total_annual_value_usd,
        roi_multiple=roi.roi_multiple,
        estimate=roi.estimate,
        lines=lines,
        achieved_goals=achieved,
        achieved_objectives=[g.objective for g in roi.benchmark if g.status == "achieved"],
        open_goals=open_goals,
        statement=statement,
        risk=risk,
    )


def value_fields(roi: RoiResult, lines: list[ValueLine], company: str, roi_date: date) -> dict:
    """Return the template fields that describe the value (shared by every value sentence)."""
    return {
        "company": company,
        "company_s": possessive(company),
        "total_value": usd(roi.total_annual_value_usd),
        "value_lines": value_phrases(lines),
        "multiple": f"{roi.roi_multiple:.1f}" if roi.roi_multiple is not None else "",
        "cover": f"{roi.roi_multiple:.0%}" if roi.roi_multiple is not None else "",
        "arr": usd(roi.arr),
        "roi_date": roi_date.isoformat(),
        "track": track_for(lines),
    }


def value_phrases(lines: list[ValueLine]) -> str:
    """Say where the value comes from: 'cost reduction', or '$1 of x and $2 of y'."""
    return join(
        [
            (f"{usd(ln.annual_value_usd)} of " if len(lines) > 1 else "")
            + ln.label
            + (" (estimate)" if ln.estimate else "")
            for ln in lines
        ]
    )


def track_for(lines: list[ValueLine]) -> str:
    """Return what to start measuring: the first ROI category without a dollar value."""
    missing = [c for c in ROI_CATEGORIES if c not in {ln.category for ln in lines}]
    return TRACK_NEXT_QUARTER[missing[0] if missing else "time_saved"]


def _goal(g: Benchmark) -> str:
    """Describe a goal with its numbers: 'objective: 160 → 48 hours (target 50)'."""
    text = g.objective
    unit = f" {g.unit}" if g.unit else ""
    if g.current is not None and g.target is not None:
        start = f"{number(g.baseline)} → " if g.baseline is not None else ""
        text += f": {start}{number(g.current)}{unit} (target {number(g.target)})"
    return text
