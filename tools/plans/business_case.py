"""Expansion business case for one account (`csm business-case`): openclaw 5.2.

Built on tools.expansion.expansion_account (signals, action, timing, the labelled revenue
estimate, the budget owner), tools.roi (the value case), tools.health (adoption and
relationship health) and tools.churn (risk and competitive context); their gaps are copied
in. The wording is prompts/business_case.md. Three outcomes:

- `case`: the account has an expansion signal and is not held back: the full case.
- `held_back`: its churn risk is high; the document says "save first, expand later" and
  points to the save play instead of pitching.
- `no_signal`: nothing fired; the document says so and lists what would have to change
  (each signal's condition, and the inputs that could not be checked), with no case.

Resolutions of what the seed leaves open:
- No payback or projected-value figure: the seed's "expected ROI timeline" would be a
  metric of the document's own making; the case shows the ROI tool's documented value and
  multiple and the expansion tool's labelled estimate, and nothing derived from them.
- Pricing: bundled with the renewal when it is within 120 days (the contract-anniversary
  window; the seed's "bundle expansion with renewals"), proposal by renewal - 45 days (the
  renewal sequence's "terms, expansion, multi-year options" step) but no sooner than as-of
  + 14 and no later than the renewal; else standalone, co-termed: by as-of + 21 when the
  timing is `now`, by as-of + 30 (the next business review) otherwise.
- Next steps: confirm the need with the champion by as-of + 7, send the case to the budget
  owner by as-of + 14, then the proposal date above. Held back: the churn scan's 48-hour
  action by as-of + 2, and a revisit by as-of + 14 (after the save play's two-week fixes).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData, Contact, PortfolioData
from prompts import fill, sections
from tools.churn import AccountRisk, ChurnSignal, assess_account
from tools.common import Gaps, arr_on, renewal_date
from tools.expansion import (
    SIGNAL_ORDER,
    BudgetOwner,
    ExpansionOpportunity,
    ExpansionResult,
    HeldBack,
    expansion_account,
)
from tools.health import HealthResult, score_account
from tools.plans.save_models import Message, Person, Step
from tools.roi import RoiResult, roi
from tools.types import Result

BUNDLE_WITHIN_DAYS = 120
ADOPTION_DIMENSIONS = ("usage", "engagement")
INFLUENCE = {"high": 0, "medium": 1, "low": 2}
Status = Literal["case", "held_back", "no_signal"]


class Objection(BaseModel):
    """A likely objection and the answer to it."""

    key: str
    objection: str
    answer: str


class Condition(BaseModel):
    """What would have to be true for one expansion signal to fire."""

    kind: str
    condition: str
    unchecked: list[str] = Field(
        default_factory=list, description="inputs missing to check it (see the gaps)"
    )


class ValueCase(BaseModel):
    """The value case: documented ROI (from tools.roi) and adoption (from tools.health)."""

    total_annual_value_usd: float | None
    roi_multiple: float | None
    estimate: bool = Field(description="some documented value is itself an estimate")
    valued: dict[str, float] = Field(description="ROI category -> annual value, where known")
    adoption: list[str] = Field(description="usage and engagement readings of the health score")


class BusinessCaseResult(Result):
    """The expansion business case of one account, or why there is none."""

    command: Literal["business-case"] = "business-case"
    account_id: str
    name: str
    csm: str | None
    status: Status
    summary: str
    arr: float
    plan: str | None = None
    licensed_seats: int | None = None
    departments_licensed: list[str] = Field(default_factory=list)
    renewal_date: date | None = None
    opportunity: ExpansionOpportunity | None = None
    held_back: HeldBack | None = None
    proposal: str | None = None
    needs: list[str] = Field(default_factory=list, description="what each signal says they need")
    revenue_estimate: float | None = Field(None, description="an estimate, never a booked number")
    estimate_basis: str | None = None
    budget_owner: BudgetOwner | None = None
    value: ValueCase | None = None
    competitive: list[ChurnSignal] = Field(default_factory=list)
    competitive_context: str | None = None
    pricing: str | None = None
    discount: str | None = Field(None, description="the discount rule and authority ladder")
    churn_risk: str | None = None
    churn_signals: list[ChurnSignal] = Field(default_factory=list)
    health_score: int | None = None
    health_tier: str | None = None
    stakeholders: list[Person] = Field(default_factory=list)
    objections: list[Objection] = Field(default_factory=list)
    next_steps: list[Step] = Field(default_factory=list)
    email: Message | None = None
    talking_points: list[str] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)


def build_business_case(
    portfolio: PortfolioData, account_id: str, as_of: date | None = None
) -> BusinessCaseResult:
    """Build the expansion business case of an active account from the analytics tools.

    Args:
        portfolio: the loaded portfolio.
        account_id: the account (KeyError if it was not loaded).
        as_of: the point in time (default: the portfolio's); later rows are ignored.

    Returns:
        The case (opportunity, value case, pricing, stakeholders, objections, dated next
        steps, e-mail and talking points); "save first" when held back; or what would have
        to change when no expansion signal fired.

    Raises:
        ValueError: when the account had churned by as-of (see csm winback).
    """
    day = as_of or portfolio.as_of
    data = portfolio.get(account_id)
    expansion = expansion_account(portfolio, account_id, day)
    gaps = Gaps(portfolio.workspace)
    gaps.extend(expansion.gaps)
    fields = _fields(data, day, gaps)
    base = _base(data, day)
    risk = assess_account(portfolio, account_id, day)
    gaps.extend(risk.gaps)
    if expansion.held_back:
        return _held(base, expansion.held_back[0], risk, fields, day, gaps)
    if not expansion.opportunities:
        return _no_signal(base, expansion, risk, fields, gaps)
    health = score_account(portfolio, account_id, day, with_trend=False)
    value = roi(portfolio, account_id, day)
    gaps.extend(health.gaps)
    gaps.extend(value.gaps)
    base["discount"] = _discount(portfolio, data, gaps)
    return _case(base, expansion.opportunities[0], risk, health, value, fields, gaps, data)


def _fields(data: AccountData, day: date, gaps: Gaps) -> dict[str, str]:
    """Return the template fields every section may use."""
    acc = data.account
    csm = acc.csm if acc.csm and "@" not in acc.csm else None
    if not acc.csm:
        gaps.add("csm", "business-case: owners", account_id=data.account_id)
    renews = renewal_date(data, day)
    return {
        "company": data.name,
        "arr": _money(arr_on(data, day)),
        "renewal": str(renews) if renews else "the next renewal",
        "renewal_day": _spoken(renews) if renews else "the next renewal",
        "csm": f"CSM {csm}" if csm else "the CSM",
        "signature": csm or "Your customer success team",
        "as_of": str(day),
        "meet_by": _spoken(day + timedelta(days=21)),
    }


def _base(data: AccountData, day: date) -> dict[str, object]:
    """Return the result fields every outcome shares."""
    acc = data.account
    return {
        "as_of": day,
        "account_id": data.account_id,
        "name": data.name,
        "csm": acc.csm,
        "arr": arr_on(data, day),
        "plan": acc.plan,
        "licensed_seats": acc.licensed_seats,
        "departments_licensed": list(acc.departments_licensed or ()),
        "renewal_date": renewal_date(data, day),
    }


# --- the three outcomes ----------------------------------------------------------------------


def _held(
    base: dict[str, object],
    held: HeldBack,
    risk: AccountRisk,
    fields: dict[str, str],
    day: date,
    gaps: Gaps,
) -> BusinessCaseResult:
    """Say "save first, expand later", with the save play's first step and a revisit date."""
    words = sections("business_case")
    summary = fill(
        words["held back"],
        **fields,
        signals=", ".join(held.signals),
        churn_signals=", ".join(held.churn_signals),
    )
    owner = fields["csm"].removeprefix("CSM ")
    steps = [
        Step(
            action=fill(words["step save first"], action=risk.action),
            owner=owner,
            due=day + timedelta(days=2),
        ),
        Step(action=words["step revisit"], owner=owner, due=day + timedelta(days=14)),
    ]
    return BusinessCaseResult(
        **base,
        status="held_back",
        summary=summary,
        held_back=held,
        churn_risk=risk.risk,
        churn_signals=risk.signals,
        next_steps=steps,
        gaps=gaps.list(),
    )


def _no_signal(
    base: dict[str, object],
    expansion: ExpansionResult,
    risk: AccountRisk,
    fields: dict[str, str],
    gaps: Gaps,
) -> BusinessCaseResult:
    """Say no signal fired and list each signal's condition and what could not be checked."""
    words = sections("business_case")
    conditions = []
    for kind in SIGNAL_ORDER:
        need = f"expansion: {kind}"
        unchecked = [g.signal for g in expansion.gaps if need in g.needed_for.split("; ")]
        conditions.append(
            Condition(kind=kind, condition=words[f"condition {kind}"], unchecked=unchecked)
        )
    return BusinessCaseResult(
        **base,
        status="no_signal",
        summary=fill(words["no signal"], **fields),
        conditions=conditions,
        churn_risk=risk.risk,
        churn_signals=risk.signals,
        gaps=gaps.list(),
    )


def _case(
    base: dict[str, object],
    opp: ExpansionOpportunity,
    risk: AccountRisk,
    health: HealthResult,
    value: RoiResult,
    fields: dict[str, str],
    gaps: Gaps,
    data: AccountData,
) -> BusinessCaseResult:
    """Build the full business case of an opportunity."""
    words = sections("business_case")
    day = health.as_of
    champion = _champion(data, day, gaps)
    owner = opp.budget_owner
    fields = {
        **fields,
        "champion": _name(champion) if champion else f"the day-to-day owner at {data.name}",
        "budget_owner": _title(owner.name, owner.title)
        if owner
        else f"the budget owner at {data.name}",
        "greeting": f"Hi {owner.name.split()[0]}," if owner else "Hello,",
    }
    value_case = _value_case(value, health, opp, fields, words)
    fields["value_line"] = _value_line(value, words, fields)
    proposal_by, pricing = _pricing(opp, day, fields, words)
    competitive = [s for s in risk.signals if s.kind == "competitive"]
    return BusinessCaseResult(
        **base,
        status="case",
        summary=fill(words[f"proposal {opp.action}"], **fields),
        opportunity=opp,
        proposal=fill(words[f"proposal {opp.action}"], **fields),
        needs=[words[f"need {s.kind}"] for s in opp.signals],
        revenue_estimate=opp.revenue_estimate,
        estimate_basis=opp.estimate_basis,
        budget_owner=owner,
        value=value_case,
        competitive=competitive,
        competitive_context=_competitive(risk, competitive, fields, words),
        pricing=pricing,
        churn_risk=risk.risk,
        churn_signals=risk.signals,
        health_score=health.score,
        health_tier=health.tier,
        stakeholders=_stakeholders(data, day, owner),
        objections=_objections(opp, value, health, competitive, words),
        next_steps=_next_steps(fields, day, proposal_by, words),
        email=_email(opp, owner, data, fields, words),
        talking_points=[
            line.removeprefix("- ")
            for line in fill(words[f"talking points {opp.action}"], **fields).splitlines()
            if line.strip()
        ],
        gaps=gaps.list(),
    )


# --- sections of the case ------------------------------------------------------------------


def _value_case(
    value: RoiResult,
    health: HealthResult,
    opp: ExpansionOpportunity,
    fields: dict[str, str],
    words: dict[str, str],
) -> ValueCase:
    """Summarise documented ROI and adoption, as the tools reported them."""
    adoption = [
        f"{d.name} ({s.name}): {s.detail}"
        + (f", {d.score:.1f} of 10" if d.score is not None else "")
        for d in health.dimensions
        if d.name in ADOPTION_DIMENSIONS
        for s in d.signals
        if s.value is not None and s.detail
    ]
    multiple = value.roi_multiple
    return ValueCase(
        total_annual_value_usd=value.total_annual_value_usd,
        roi_multiple=multiple,
        estimate=value.estimate,
        valued={
            c.category: c.annual_value_usd
            for c in value.categories
            if c.annual_value_usd is not None
        },
        adoption=adoption,
    )


def _value_line(value: RoiResult, words: dict[str, str], fields: dict[str, str]) -> str:
    """Return the e-mail's sentence about documented value (or about measuring it first)."""
    if value.total_annual_value_usd is None or value.total_annual_value_usd <= 0:
        return fill(words["value line none"], **fields)
    return fill(
        words["value line documented"], **fields, value=_money(value.total_annual_value_usd)
    )


def _pricing(
    opp: ExpansionOpportunity, day: date, fields: dict[str, str], words: dict[str, str]
) -> tuple[date, str]:
    """Choose bundled or standalone and the proposal date (see the module docstring)."""
    renews = opp.renewal_date
    if renews is None:
        by, key = day + timedelta(days=21), "no_contract"
    elif (renews - day).days <= BUNDLE_WITHIN_DAYS:
        earliest = day + timedelta(days=14)
        by = min(max(renews - timedelta(days=45), earliest), renews)
        key = "bundle"
    elif opp.timing == "now":
        by, key = day + timedelta(days=21), "standalone"
    else:
        by, key = day + timedelta(days=30), "next_qbr"
    return by, fill(words[f"pricing {key}"], **fields, proposal_by=str(by))


def _discount(portfolio: PortfolioData, data: AccountData, gaps: Gaps) -> str:
    """State the discount rule with the workspace's authority ladder (unset = a gap)."""
    words = sections("business_case")
    steps = portfolio.workspace.discount_authority
    if not steps:
        gaps.add(
            "discount_authority",
            "business-case: pricing",
            account_id=data.account_id,
            detail="who may approve which discount (the discount authority ladder)",
        )
        return words["discount unset"]
    ladder = "; ".join(f"{s.role} up to {s.max_discount_pct:g}%" for s in steps)
    return fill(words["discount ladder"], ladder=ladder)


def _competitive(
    risk: AccountRisk, found: list[ChurnSignal], fields: dict[str, str], words: dict[str, str]
) -> str:
    """Say whether they are evaluating alternatives, from the churn scan's competitive signal."""
    if found:
        return fill(words["competitive present"], **fields)
    unknown = any(g.signal == "events" and "churn: competitive" in g.needed_for for g in risk.gaps)
    return fill(words["competitive unknown" if unknown else "competitive none"], **fields)


def _objections(
    opp: ExpansionOpportunity,
    value: RoiResult,
    health: HealthResult,
    competitive: list[ChurnSignal],
    words: dict[str, str],
) -> list[Objection]:
    """List the likely objections: budget always, the others when the data points to them."""
    keys = ["budget"]
    if value.total_annual_value_usd is None:
        keys.append("roi_unproven")
    if competitive:
        keys.append("competitive")
    if health.tier not in ("green", "yellow"):
        keys.append("adoption")
    if opp.action == "multi_year" or "multi_year" in opp.actions:
        keys.append("timing")
    out = []
    for key in keys:
        objection, _, answer = words[f"objection {key}"].partition("\n")
        out.append(Objection(key=key, objection=objection.strip(), answer=answer.strip()))
    return out


def _next_steps(
    fields: dict[str, str], day: date, proposal_by: date, words: dict[str, str]
) -> list[Step]:
    """Date the next steps: confirm the need, send the case, put the proposal on the table."""
    owner = fields["csm"].removeprefix("CSM ")
    confirm, send = day + timedelta(days=7), day + timedelta(days=14)
    return [
        Step(action=fill(words["step confirm"], **fields), owner=owner, due=confirm),
        Step(action=fill(words["step send"], **fields), owner=owner, due=send),
        Step(
            action=fill(words["step proposal"], **fields),
            owner=f"{owner} with the account executive",
            due=max(proposal_by, send),
        ),
    ]


def _email(
    opp: ExpansionOpportunity,
    owner: BudgetOwner | None,
    data: AccountData,
    fields: dict[str, str],
    words: dict[str, str],
) -> Message:
    """Fill the e-mail to the budget owner for the opportunity's action."""
    text = fill(words[f"email {opp.action}"], **fields)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"prompts/business_case.md: an e-mail needs 'Subject:': {first!r}")
    to = None
    if owner is not None:
        contact = next((c for c in data.contacts if c.contact_id == owner.contact_id), None)
        to = Person(
            contact_id=owner.contact_id,
            name=owner.name,
            title=owner.title,
            role=owner.role,
            email=contact.email if contact else None,
        )
    return Message(to=to, subject=first.removeprefix("Subject:").strip(), body=body.strip())


def _champion(data: AccountData, day: date, gaps: Gaps) -> Contact | None:
    """Return the active champion (most influential, most recently engaged), else a gap."""
    active = [c for c in data.contacts if c.role == "champion" and c.status_on(day) == "active"]
    if not active:
        gaps.add(
            "champion",
            "business-case: confirming the need",
            account_id=data.account_id,
            detail="no active champion on record",
        )
        return None
    return min(
        active,
        key=lambda c: (
            INFLUENCE.get(c.influence or "", 3),
            -(c.last_engaged_at or date.min).toordinal(),
            c.name,
        ),
    )


def _stakeholders(data: AccountData, day: date, owner: BudgetOwner | None) -> list[Person]:
    """List the budget owner, then active champions, decision roles and detractors."""
    order = {"champion": 1, "exec_sponsor": 2, "economic_buyer": 2, "decision_maker": 2}
    order["detractor"] = 3
    people = [
        c
        for c in data.contacts
        if c.status_on(day) == "active"
        and (c.role in order or (owner and c.contact_id == owner.contact_id))
    ]
    people.sort(
        key=lambda c: (
            0 if owner and c.contact_id == owner.contact_id else order.get(c.role or "", 4),
            c.name,
        )
    )
    return [
        Person(contact_id=c.contact_id, name=c.name, title=c.title, role=c.role, email=c.email)
        for c in people
    ]


def _name(contact: Contact) -> str:
    return _title(contact.name, contact.title)


def _title(name: str, title: str | None) -> str:
    return f"{name} ({title})" if title else name


def _spoken(day: date) -> str:
    """Write a date the way an e-mail would: 'Monday 7 December 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _money(value: float) -> str:
    return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"
