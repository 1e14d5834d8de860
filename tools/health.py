"""The health scorer: an explainable 0-100 score and tier per account, from a profile model.

`score_account` and `score_portfolio` apply a health-model profile (tools/profiles/*.toml,
read by tools.health_model) to the portfolio as of a date. Every dimension shows its
signals with their raw values, the band each met and the points it gave; unknown inputs are
data gaps, never zeros. `score_account` also recomputes the score 7, 30 and 90 days earlier
(trend) and raises the alerts of support-ai-customer-success-ops and openclaw. The backtest
lives in tools.health_backtest (also reachable as tools.health.backtest).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from memory.read import AccountData, PortfolioData
from tools import health_signals as usage_kinds
from tools import health_signals_crm as crm_kinds
from tools.common import Gaps, round_half_up
from tools.health_model import DimensionSpec, Excluded, HealthModel, SignalSpec, get_model
from tools.health_signals import Context, Reading, build_context
from tools.health_tiers import DECLINE_CHECKPOINTS, HealthAlert, Tier, raise_alerts, tier_for
from tools.profiles import PROFILES
from tools.types import Result

__all__ = [
    "PROFILES",
    "Dimension",
    "HealthAlert",
    "HealthResult",
    "HealthSignal",
    "Tier",
    "load_model",
    "score_account",
    "score_portfolio",
    "tier_for",
]

TREND_DAYS = (7, 30, 90)
"""Days before as_of at which the score is recomputed for the trend."""
GAP_CATEGORY = {"paid_at": "billing", "status": "cs_platform", "recorded_at": "cs_platform"}
"""Where the empty cells this scorer reports live, when tools.common does not say."""


class HealthSignal(BaseModel):
    """One scored input: its raw value, the band it met and the points it gave."""

    name: str
    value: bool | int | float | str | None = Field(description="raw value; None = unknown (a gap)")
    threshold: str = Field(description="the band or threshold it met")
    points: float | None = Field(description="what it gave to the dimension; None = unknown")
    kind: Literal["leading", "lagging"]
    detail: str | None = Field(None, description="how the value was read, or what is missing")


class Dimension(BaseModel):
    """A weighted dimension, its 0-10 score (None = no data) and its signals."""

    name: str
    weight: float
    score: float | None
    signals: list[HealthSignal]
    excluded: list[Excluded] = Field(
        default_factory=list, description="source sub-signals the model leaves out, and why"
    )


class HealthResult(Result):
    """The health score of one account (command 'score')."""

    command: str = "score"
    account_id: str
    name: str
    score: int | None = Field(description="composite rounded half up; provisional when unknown")
    raw_score: float | None = Field(description="unrounded composite")
    tier: Tier
    coverage: float = Field(description="share of model weight that had data, 0-1")
    profile: str
    leading_share: float = Field(description="share of model weight on leading signals")
    dimensions: list[Dimension]
    trend: dict[str, int | None] = Field(
        default_factory=dict, description="score N days before as_of, keyed by N"
    )
    trend_tiers: dict[str, Tier] = Field(default_factory=dict)
    alerts: list[HealthAlert] = Field(default_factory=list)


KINDS: dict[str, Callable[..., Reading]] = {
    f.__name__: f
    for f in (
        usage_kinds.dau_mau,
        usage_kinds.login_change,
        usage_kinds.login_days,
        usage_kinds.usage_depth,
        usage_kinds.feature_breadth,
        usage_kinds.tickets_opened,
        usage_kinds.training_completion,
        usage_kinds.meeting_attendance,
        crm_kinds.payment_status,
        crm_kinds.late_payments,
        crm_kinds.contract_status,
        crm_kinds.arr_grew,
        crm_kinds.expansion_open,
        crm_kinds.champion_exec,
        crm_kinds.active_contacts,
        crm_kinds.exec_engaged,
        crm_kinds.stakeholder_engagement,
        crm_kinds.stakeholder_changes,
        crm_kinds.goal_ratio,
        crm_kinds.roi_documented,
        crm_kinds.nps_latest,
        crm_kinds.csat_mean,
    )
}
"""Signal kind name, as profiles spell it -> the function that reads it."""


def load_model(profile: str) -> HealthModel:
    """Return the validated model of `profile` (ValueError naming the valid profiles)."""
    model = get_model(profile)
    unknown = model.kinds - KINDS.keys()
    if unknown:
        raise ValueError(f"profile {profile!r} uses unknown signal kinds: {sorted(unknown)}")
    return model


def score_account(
    portfolio: PortfolioData,
    account_id: str,
    as_of: date | None = None,
    profile: str = "engine",
    *,
    with_trend: bool = True,
) -> HealthResult:
    """Score one account as of a date, with its trend and alerts unless `with_trend` is off.

    Raises:
        KeyError: the account is not in the portfolio.
        ValueError: `profile` is not one of PROFILES.
    """
    as_of = as_of or portfolio.as_of
    model = load_model(profile)
    data = portfolio.get(account_id)
    result = _score(data, model, build_context(portfolio, as_of, model.kinds), portfolio)
    if with_trend:
        past = _history(portfolio, data, model, as_of, sorted({*TREND_DAYS, *DECLINE_CHECKPOINTS}))
        result.trend = {str(d): past[d][0] for d in TREND_DAYS}
        result.trend_tiers = {str(d): past[d][1] for d in TREND_DAYS}
        past[0] = (result.score, result.tier)
        result.alerts = raise_alerts(past)
    return result


def score_portfolio(
    portfolio: PortfolioData, as_of: date | None = None, profile: str = "engine"
) -> dict[str, HealthResult]:
    """Score every account active on as_of (no trend): account_id -> result, by name.

    For scans: each dimension carries its score but not its signal list (a CSM reads those
    in `score_account`); building them for every account tripled a portfolio scan's cost.
    """
    as_of = as_of or portfolio.as_of
    model = load_model(profile)
    ctx = build_context(portfolio, as_of, model.kinds)
    return {
        data.account_id: _score(data, model, ctx, portfolio, signals=False)
        for data in portfolio.active_accounts(as_of)
    }


def score_at(
    portfolio: PortfolioData, data: AccountData, model: HealthModel, as_of: date
) -> HealthResult:
    """Score one account's data at `as_of` without trend (for trends and backtests)."""
    return _score(data, model, build_context(portfolio, as_of, model.kinds), portfolio)


def _history(
    portfolio: PortfolioData,
    data: AccountData,
    model: HealthModel,
    as_of: date,
    days_back: list[int],
) -> dict[int, tuple[int | None, Tier]]:
    """Recompute the score and tier `d` days before as_of for each d in days_back (d > 0)."""
    out: dict[int, tuple[int | None, Tier]] = {}
    for d in days_back:
        if d == 0:
            continue
        r = score_at(portfolio, data, model, as_of - timedelta(days=d))
        out[d] = (r.score, r.tier)
    return out


def _score(
    data: AccountData,
    model: HealthModel,
    ctx: Context,
    portfolio: PortfolioData,
    *,
    signals: bool = True,
) -> HealthResult:
    # Results here are built with model_construct: every value comes from this module's own
    # typed code, and validating ~20 models per account doubled the cost of a portfolio scan.
    gaps = Gaps(portfolio.workspace)
    dims = [_dimension(spec, data, ctx, gaps, signals) for spec in model.dimensions]
    with_data = [(spec.weight, d.score) for spec, d in zip(model.dimensions, dims, strict=True)]
    known = [(w, s) for w, s in with_data if s is not None]
    total_weight = math.fsum(spec.weight for spec in model.dimensions)
    coverage = math.fsum(w for w, _ in known) / total_weight
    raw = (
        math.fsum(w * s * 10 for w, s in known) / math.fsum(w for w, _ in known) if known else None
    )
    score = round_half_up(round(raw, 9)) if raw is not None else None
    usage = next(d for d in dims if d.name == model.usage_dimension)
    return HealthResult.model_construct(
        command="score",
        as_of=ctx.as_of,
        gaps=gaps.list(),
        account_id=data.account_id,
        name=data.name,
        score=score,
        raw_score=raw,
        tier=tier_for(score, coverage, usage.score is not None),
        coverage=coverage,
        profile=model.name,
        leading_share=model.leading_share(),
        dimensions=dims,
        # explicit: pydantic would inspect each default factory's signature on every call
        trend={},
        trend_tiers={},
        alerts=[],
    )


def _dimension(
    spec: DimensionSpec, data: AccountData, ctx: Context, gaps: Gaps, keep: bool = True
) -> Dimension:
    met: dict[str, str | None] = {}
    signals: list[HealthSignal] = []
    applicable: list[float | None] = []
    missing_required = False
    for s in spec.signals:
        sig, band_id, applies = _signal(s, spec.name, data, ctx, gaps, met)
        met[s.name] = band_id
        if keep:
            signals.append(HealthSignal.model_construct(**sig))
        if applies:
            applicable.append(sig["points"])
            missing_required |= s.required and sig["points"] is None
    points = [p for p in applicable if p is not None]
    if missing_required or not points:
        score = None
    else:
        combined = math.fsum(points) if spec.combine == "sum" else math.fsum(points) / len(points)
        score = min(combined, spec.cap) / spec.scale
    return Dimension.model_construct(
        name=spec.name, weight=spec.weight, score=score, signals=signals, excluded=spec.excluded
    )


def _signal(
    s: SignalSpec,
    dimension: str,
    data: AccountData,
    ctx: Context,
    gaps: Gaps,
    met: dict[str, str | None],
) -> tuple[dict[str, Any], str | None, bool]:
    """Read and score one signal: (its fields, the id of the band met, whether it applies)."""
    reading = KINDS[s.kind](data, ctx, **s.params)
    if s.when is not None and not s.when.holds(met):
        sig = dict(
            name=s.name,
            value=reading.value,
            threshold=f"n/a: counts only when {s.when.text()}",
            points=0.0,
            kind=s.timing,
            detail=reading.detail,
        )
        return sig, None, False
    if reading.missing is not None:
        gaps.add(
            reading.missing,
            f"health: {dimension}",
            account_id=data.account_id,
            detail=reading.detail,
            category=GAP_CATEGORY.get(reading.missing),
        )
    if reading.value is None:
        sig = dict(
            name=s.name,
            value=None,
            threshold="unknown: no data",
            points=None,
            kind=s.timing,
            detail=reading.detail,
        )
        return sig, None, True
    band = s.band_for(reading.value, met)
    if band is None:
        detail = f"{s.name} = {reading.value!r} is outside every band of the profile"
        gaps.add(s.name, f"health: {dimension}", account_id=data.account_id, detail=detail)
    sig = dict(
        name=s.name,
        value=reading.value,
        threshold=band.text if band else "outside every band: not scored",
        points=band.score(reading.value) if band else None,
        kind=s.timing,
        detail=reading.detail,
    )
    return sig, (band.id or band.label) if band else None, True


def __getattr__(name: str) -> object:
    """Expose the backtest lazily (it imports this module)."""
    if name in ("backtest", "BacktestResult"):
        from tools import health_backtest

        return getattr(health_backtest, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
