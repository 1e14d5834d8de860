"""Backtest of a health model: did it flag, ahead of time, the accounts that churned?

For every account that churned (churned_at on or before as_of) or contracted (ARR fell and
stayed above 0), the score is recomputed 30, 60 and 90 days before the event, point in
time. For every account flagged orange or red 90 days before as_of, it tells whether the
account churned since (a false positive when it did not). This answers the playbook
review's "did the model flag the accounts that churned?".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData, PortfolioData
from tools.common import Gaps, arr_on
from tools.health import HealthResult, Tier, load_model, score_at
from tools.health_model import HealthModel
from tools.types import Result

LEADS = (30, 60, 90)
"""Days before the churn or contraction at which the model's tier is checked."""
FLAGGED: frozenset[str] = frozenset({"orange", "red"})


class BacktestCase(BaseModel):
    """One churn or contraction and the tier the model gave before it."""

    account_id: str
    name: str
    event: Literal["churn", "contraction"]
    event_date: date
    arr_before: float = Field(description="ARR the day before the event")
    arr_after: float = Field(description="ARR on the event date (0 for a churn)")
    scores: dict[str, int | None] = Field(description="score N days before, keyed by N")
    tiers: dict[str, Tier] = Field(description="tier N days before, keyed by N")
    flagged: dict[str, bool] = Field(description="orange or red N days before")


class FlaggedAccount(BaseModel):
    """An account the model flagged orange/red 90 days before as_of, and what happened."""

    account_id: str
    name: str
    score: int | None
    tier: Tier
    churned: bool
    churned_at: date | None
    contracted: bool = Field(description="ARR on as_of below ARR 90 days before, above 0")
    false_positive: bool = Field(description="flagged, yet not churned by as_of")


class BacktestSummary(BaseModel):
    """Shares of churned/contracted accounts the model flagged ahead of time."""

    churned: int
    contracted: int
    churn_flagged_share: dict[str, float | None] = Field(
        description="share of churned accounts flagged orange/red N days ahead"
    )
    churn_flagged_share_of_tiered: dict[str, float | None] = Field(
        description="the same, among churned accounts whose tier was known then"
    )
    churn_unknown_tier: dict[str, int] = Field(description="churned accounts not tierable")
    contraction_flagged_share: dict[str, float | None]
    flagged_90d: int = Field(description="accounts orange/red 90 days before as_of")
    false_positives: int
    false_positive_rate: float | None


class BacktestResult(Result):
    """The backtest of one profile (command 'backtest')."""

    command: str = "backtest"
    profile: str
    leads: list[int] = Field(default_factory=lambda: list(LEADS))
    cases: list[BacktestCase]
    flagged: list[FlaggedAccount]
    summary: BacktestSummary


def backtest(
    portfolio: PortfolioData, as_of: date | None = None, profile: str = "engine"
) -> BacktestResult:
    """Backtest `profile` on the portfolio's churns and contractions up to as_of.

    Raises:
        ValueError: `profile` is not one of the shipped profiles.
    """
    as_of = as_of or portfolio.as_of
    model = load_model(profile)
    gaps = Gaps(portfolio.workspace)
    cases: list[BacktestCase] = []
    for data in sorted(portfolio.accounts.values(), key=lambda a: (a.name.lower(), a.account_id)):
        for event, day in _events(data, as_of):
            cases.append(_case(portfolio, data, model, event, day, gaps))
    flagged = _flagged(portfolio, model, as_of)
    return BacktestResult(
        as_of=as_of,
        gaps=gaps.list(),
        profile=model.name,
        cases=cases,
        flagged=flagged,
        summary=_summary(cases, flagged),
    )


def _events(data: AccountData, as_of: date) -> list[tuple[Literal["churn", "contraction"], date]]:
    """Return the account's churn (if any) and its latest contraction on or before as_of."""
    out: list[tuple[Literal["churn", "contraction"], date]] = []
    contraction = _latest_contraction(data, as_of)
    if contraction is not None:
        out.append(("contraction", contraction))
    if data.account.is_churned_on(as_of) and data.account.churned_at is not None:
        out.append(("churn", data.account.churned_at))
    return out


def _latest_contraction(data: AccountData, as_of: date) -> date | None:
    """Return the latest day ARR fell below the day before while staying above 0."""
    candidates = {c.start_date for c in data.contracts} | {
        c.end_date + timedelta(days=1) for c in data.contracts
    }
    for day in sorted((d for d in candidates if d <= as_of), reverse=True):
        now, before = arr_on(data, day), arr_on(data, day - timedelta(days=1))
        if 0 < now < before:
            return day
    return None


def _case(
    portfolio: PortfolioData,
    data: AccountData,
    model: HealthModel,
    event: Literal["churn", "contraction"],
    day: date,
    gaps: Gaps,
) -> BacktestCase:
    scores: dict[str, int | None] = {}
    tiers: dict[str, Tier] = {}
    for lead in LEADS:
        r = score_at(portfolio, data, model, day - timedelta(days=lead))
        scores[str(lead)], tiers[str(lead)] = r.score, r.tier
        if r.tier == "unknown":
            _carry(gaps, r, f"backtest: tier {lead} days before {event}")
    return BacktestCase(
        account_id=data.account_id,
        name=data.name,
        event=event,
        event_date=day,
        arr_before=arr_on(data, day - timedelta(days=1)),
        arr_after=0.0 if event == "churn" else arr_on(data, day),
        scores=scores,
        tiers=tiers,
        flagged={k: t in FLAGGED for k, t in tiers.items()},
    )


def _carry(gaps: Gaps, result: HealthResult, needed_for: str) -> None:
    for g in result.gaps:
        gaps.add(g.signal, needed_for, account_id=g.account_id, detail=g.detail)


def _flagged(portfolio: PortfolioData, model: HealthModel, as_of: date) -> list[FlaggedAccount]:
    """Score every account active 90 days before as_of; keep the orange/red ones."""
    then = as_of - timedelta(days=max(LEADS))
    out: list[FlaggedAccount] = []
    for data in portfolio.active_accounts(then):
        r = score_at(portfolio, data, model, then)
        if r.tier not in FLAGGED:
            continue
        churned = data.account.is_churned_on(as_of)
        now, before = arr_on(data, as_of), arr_on(data, then)
        out.append(
            FlaggedAccount(
                account_id=data.account_id,
                name=data.name,
                score=r.score,
                tier=r.tier,
                churned=churned,
                churned_at=data.account.churned_at if churned else None,
                contracted=0 < now < before,
                false_positive=not churned,
            )
        )
    return out


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _summary(cases: list[BacktestCase], flagged: list[FlaggedAccount]) -> BacktestSummary:
    churns = [c for c in cases if c.event == "churn"]
    contractions = [c for c in cases if c.event == "contraction"]
    keys = [str(lead) for lead in LEADS]
    hits = {k: sum(1 for c in churns if c.flagged[k]) for k in keys}
    unknown = {k: sum(1 for c in churns if c.tiers[k] == "unknown") for k in keys}
    false_pos = sum(1 for f in flagged if f.false_positive)
    return BacktestSummary(
        churned=len(churns),
        contracted=len(contractions),
        churn_flagged_share={k: _share(hits[k], len(churns)) for k in keys},
        churn_flagged_share_of_tiered={k: _share(hits[k], len(churns) - unknown[k]) for k in keys},
        churn_unknown_tier=unknown,
        contraction_flagged_share={
            k: _share(sum(1 for c in contractions if c.flagged[k]), len(contractions)) for k in keys
        },
        flagged_90d=len(flagged),
        false_positives=false_pos,
        false_positive_rate=_share(false_pos, len(flagged)),
    )
