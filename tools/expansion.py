"""Expansion scanner: the seven expansion signals of commands.md, as ranked opportunities.

Signals (windows end on as-of; "within N days" = the last N days):
- `usage_growth`: mean daily active_users of the last 30 days >= 1.2 x the same 30-day
  window 90 days earlier, with no ARR increase in between (ARR never above its level at the
  end of the earlier window).
- `department_spread`: users (users.csv) active within 90 days in 2+ departments not in
  `departments_licensed`.
- `feature_ceiling`: 80%+ of the catalogue's core features used in the last 30 days and no
  premium feature used in 90 days (a weekly row counts in a window when its week_start does).
- `promoter`: latest NPS within 180 days is 9-10, and no expansion_discussed event and no
  expansion opportunity (kind other than renewal) created within 180 days.
- `organic_mention`: a new_use_case_interest / new_department_interest event within 90 days;
  notes of those 90 days that speak of it are quoted beside it, never counted.
- `contract_anniversary`: renewal date within 120 days and health tier green or yellow.
- `seat_capacity`: users_30d (the latest row of the last 30 days with it) > 80% of
  licensed_seats.

Strength is `strong` or `moderate`, from the seed's Hot/Warm table (customer-success-engine
phase 5): seat_capacity (hitting usage limits), department_spread and new_department_interest
(a new team asking) are strong; usage_growth is strong at 1.5x or more; the rest moderate.

Each opportunity's action is the one of its strongest signal (ties: the order of
SIGNAL_ORDER); timing is `now` with a strong signal, else `renewal` with a
contract_anniversary, else `next_qbr`. The revenue estimate is the largest the fired signals
can size (ARR per seat x seats, ARR x growth), else the known amounts of the account's open
CRM expansion opportunities (context, never a signal), else None with a gap; it is always
labelled an estimate with its basis. Accounts at high churn risk are held back, not offered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from memory.read import AccountData, Contact, Opportunity, PortfolioData
from tools.churn import AccountRisk, assess_account, churn_risks
from tools.common import Gaps, arr_on, renewal_date
from tools.expansion_models import (
    BUDGET_ROLES,
    EXPANSION_KINDS,
    INFLUENCE_RANK,
    SIGNAL_ORDER,
    Action,
    BudgetOwner,
    ExpansionOpportunity,
    ExpansionResult,
    ExpansionSignal,
    HeldBack,
    OpenOpportunity,
    Quote,
    SignalKind,
    Strength,
    Timing,
)
from tools.expansion_signals import _Ctx, _Fired, _signals

__all__ = [
    "SIGNAL_ORDER",
    "Action",
    "BudgetOwner",
    "ExpansionOpportunity",
    "ExpansionResult",
    "ExpansionSignal",
    "HeldBack",
    "OpenOpportunity",
    "Quote",
    "SignalKind",
    "Strength",
    "Timing",
    "expansion_account",
    "expansion_scan",
]


def expansion_scan(portfolio: PortfolioData, as_of: date | None = None) -> ExpansionResult:
    """Scan every account active on as-of for expansion signals.

    Args:
        portfolio: the loaded portfolio.
        as_of: the point in time (default: the portfolio's); later rows are ignored.

    Returns:
        The opportunities ranked by revenue estimate (largest first, unknown last) and the
        accounts held back for high churn risk.
    """
    ctx, gaps = _start(portfolio, as_of)
    active = portfolio.active_accounts(ctx.as_of)
    found = [(d, fired) for d in active if (fired := _signals(d, ctx, gaps))]
    risks = churn_risks(portfolio, ctx.as_of) if found else {}
    result = _result(ctx, found, lambda a: risks.get(a), gaps)
    result.scanned = len(active)
    return result


def expansion_account(
    portfolio: PortfolioData, account_id: str, as_of: date | None = None
) -> ExpansionResult:
    """Check one account for expansion signals.

    Args:
        portfolio: the loaded portfolio.
        account_id: the account (KeyError if it was not loaded).
        as_of: the point in time (default: the portfolio's).

    Returns:
        The account's opportunity (or nothing when no signal fires), or its held-back entry.

    Raises:
        ValueError: when the account had churned by as-of.
    """
    ctx, gaps = _start(portfolio, as_of)
    data = portfolio.get(account_id)
    if data.account.is_churned_on(ctx.as_of):
        raise ValueError(
            f"{data.name} churned on {data.account.churned_at}; "
            "expansion applies to active accounts (see csm winback)"
        )
    fired = _signals(data, ctx, gaps)
    found = [(data, fired)] if fired else []
    risk = assess_account(portfolio, account_id, ctx.as_of) if fired else None
    result = _result(ctx, found, lambda _: risk, gaps)
    result.account_id = account_id
    result.name = data.name
    result.scanned = 1
    return result


def _start(portfolio: PortfolioData, as_of: date | None) -> tuple[_Ctx, Gaps]:
    """Build the scan context and record the portfolio-wide gaps."""
    day = as_of or portfolio.as_of
    if day > portfolio.as_of:
        raise ValueError(f"as_of {day} is after the loaded portfolio's {portfolio.as_of}")
    events_known = "events" in portfolio.files_present or any(
        a.events for a in portfolio.accounts.values()
    )
    gaps = Gaps(portfolio.workspace)
    if not portfolio.features:
        gaps.add("features", "expansion: feature_ceiling", detail="no feature catalogue")
    if not events_known:
        gaps.add("events", "expansion: organic_mention; expansion: promoter", detail="no events")
    return _Ctx(day, portfolio, events_known), gaps


def _result(
    ctx: _Ctx,
    found: list[tuple[AccountData, list[_Fired]]],
    risk_of: Callable[[str], AccountRisk | None],
    gaps: Gaps,
) -> ExpansionResult:
    """Split the accounts with signals into opportunities and held-back, and rank them."""
    opportunities, held = [], []
    for data, fired in found:
        risk = risk_of(data.account_id)
        if risk is not None and risk.risk == "high":
            held.append(_held(data, fired, risk, ctx))
        else:
            opportunities.append(_opportunity(data, fired, ctx, gaps))
    opportunities.sort(
        key=lambda o: (
            o.revenue_estimate is None,
            -(o.revenue_estimate or 0),
            -o.arr,
            o.name.lower(),
        )
    )
    held.sort(key=lambda h: (-h.arr, h.name.lower()))
    return ExpansionResult(
        as_of=ctx.as_of, gaps=gaps.list(), opportunities=opportunities, held_back=held
    )


def _held(data: AccountData, fired: list[_Fired], risk: AccountRisk, ctx: _Ctx) -> HeldBack:
    """Describe an account held back for high churn risk."""
    churn_kinds = [s.kind for s in risk.signals]
    because = f" ({', '.join(churn_kinds)})" if churn_kinds else ""
    return HeldBack(
        account_id=data.account_id,
        name=data.name,
        arr=arr_on(data, ctx.as_of),
        risk="high",
        reason=f"high churn risk{because}: save first, expand later",
        signals=[f.signal.kind for f in fired],
        churn_signals=churn_kinds,
    )


def _opportunity(
    data: AccountData, fired: list[_Fired], ctx: _Ctx, gaps: Gaps
) -> ExpansionOpportunity:
    """Turn an account's fired signals into an opportunity."""
    ranked = sorted(
        fired, key=lambda f: (f.signal.strength != "strong", SIGNAL_ORDER.index(f.signal.kind))
    )
    kinds = {f.signal.kind for f in fired}
    timing: Timing = "next_qbr"
    if ranked[0].signal.strength == "strong":
        timing = "now"
    elif "contract_anniversary" in kinds:
        timing = "renewal"
    opens = _open_opportunities(data, ctx.as_of)
    estimate, basis = _estimate(data, fired, opens, gaps)
    return ExpansionOpportunity(
        account_id=data.account_id,
        name=data.name,
        arr=arr_on(data, ctx.as_of),
        signals=[f.signal for f in ranked],
        action=ranked[0].action,
        actions=list(dict.fromkeys(f.action for f in ranked)),
        timing=timing,
        renewal_date=renewal_date(data, ctx.as_of),
        revenue_estimate=estimate,
        estimate_basis=basis,
        budget_owner=_budget_owner(data, ctx.as_of, gaps),
        open_opportunities=opens,
    )


def _estimate(
    data: AccountData, fired: list[_Fired], opens: list[OpenOpportunity], gaps: Gaps
) -> tuple[float | None, str]:
    """Pick the largest sizing the signals give, else the open opportunities' amounts."""
    sized = [f for f in fired if f.estimate is not None]
    if sized:
        best = max(sized, key=lambda f: f.estimate)
        return best.estimate, f"estimate: {best.basis}"
    known = [o for o in opens if o.amount is not None]
    if known:
        listed = ", ".join(f"{o.opportunity_id} ({o.kind}, {o.stage or 'no stage'})" for o in known)
        return sum(o.amount for o in known), f"estimate: amount of open CRM opportunities {listed}"
    why = "; ".join(f.basis for f in fired if f.basis) or "no signal gives a size"
    gaps.add(
        "opportunities",
        "expansion: revenue estimate",
        account_id=data.account_id,
        detail=f"{why}; record the opportunity with its amount in the CRM",
    )
    return None, f"no estimate: {why}"


def _open_opportunities(data: AccountData, day: date) -> list[OpenOpportunity]:
    """Return the account's expansion opportunities open on `day` (CRM context)."""
    return [
        OpenOpportunity(
            opportunity_id=o.opportunity_id,
            kind=o.kind,
            stage=o.stage,
            amount=o.amount,
            created_at=o.created_at,
        )
        for o in data.opportunities
        if _is_open(o, day) and o.kind in EXPANSION_KINDS
    ]


def _is_open(o: Opportunity, day: date) -> bool:
    if o.created_at > day or o.stage in ("won", "lost"):
        return False
    return o.closed_at is None or o.closed_at > day


def _budget_owner(data: AccountData, day: date, gaps: Gaps) -> BudgetOwner | None:
    """Return the active exec sponsor or economic buyer, else None with a `contacts` gap."""
    owners = [c for c in data.contacts if c.role in BUDGET_ROLES and c.status_on(day) == "active"]
    if not owners:
        gaps.add(
            "contacts",
            "expansion: budget_owner",
            account_id=data.account_id,
            detail="no active exec sponsor or economic buyer on record",
        )
        return None

    def rank(c: Contact) -> tuple[int, int, int, str]:
        engaged = (c.last_engaged_at or date.min).toordinal()
        influence = INFLUENCE_RANK.get(c.influence or "", 3)
        return BUDGET_ROLES.index(c.role), influence, -engaged, c.contact_id

    best = min(owners, key=rank)
    return BudgetOwner(contact_id=best.contact_id, name=best.name, title=best.title, role=best.role)
