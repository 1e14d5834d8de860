"""ROI calculator: an account's documented annual value per category, against its ARR.

The rules of commands.md ("ROI"): per roi row, the improvement (before - after for
time_saved, cost_reduction and risk_reduction; after - before for revenue_impact and
productivity) is annualised by its period (week x 52, month x 12, quarter x 4, year x 1)
and dollarised by `rate_usd`; a row whose unit is `usd` needs no rate. All five categories
are always listed. A category with no rows, or whose rows cannot be dollarised, is a data
gap naming what to track next quarter, and is left out of the total. The kickoff goals
(goals.csv) are shown beside as the benchmark; rows from `source = estimate` are labelled.

Resolutions of cases the spec leaves open:
- A metric measured more than once (same category and metric) counts once, by its latest
  row recorded on or before as-of; the earlier rows are counted as `superseded`, since
  adding them up would count the same saving twice.
- A category where some rows have a value and others lack an input keeps the sum of the
  valued rows (`partial` is true) and the missing inputs are gaps.
- A row without `recorded_at` cannot be placed in time: it is used (as the oldest of its
  metric) and reported as a `recorded_at` gap.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData, Goal, PortfolioData, RoiRow
from tools.common import Gaps, arr_on
from tools.types import Result

ROI_CATEGORIES: tuple[str, ...] = (
    "time_saved",
    "cost_reduction",
    "revenue_impact",
    "productivity",
    "risk_reduction",
)
LOWER_IS_BETTER = frozenset({"time_saved", "cost_reduction", "risk_reduction"})
"""Categories whose improvement is before - after (the rest: after - before)."""
PERIODS_PER_YEAR: dict[str, int] = {"week": 52, "month": 12, "quarter": 4, "year": 1}
TRACK_NEXT_QUARTER: dict[str, str] = {
    "time_saved": "hours per week spent on the task before and after, with a loaded hourly rate",
    "cost_reduction": "tool, vendor or headcount cost per month before and after, in usd",
    "revenue_impact": "revenue per quarter influenced by the product, before and after, in usd",
    "productivity": "output per user per month before and after, with a dollar value per unit",
    "risk_reduction": "errors or incidents per quarter before and after, with a cost per incident",
}
"""What to start tracking for a category that has no dollar value yet."""


class Benchmark(BaseModel):
    """A success-plan goal shown beside the measured value (the kickoff benchmark)."""

    goal_id: str
    objective: str
    metric: str | None = None
    baseline: float | None = None
    target: float | None = None
    current: float | None = None
    unit: str | None = None
    status: str | None = None
    set_at: date | None = None
    due_date: date | None = None


class RoiLine(BaseModel):
    """One roi row with its improvement, annualisation and dollarisation shown."""

    metric: str
    unit: str
    before: float | None
    after: float | None
    period: str | None
    rate_usd: float | None
    source: str | None
    recorded_at: date | None
    improvement: float | None = Field(None, description="per period, in the row's unit")
    periods_per_year: int | None = None
    annual_improvement: float | None = Field(None, description="per year, in the row's unit")
    annual_value_usd: float | None = None
    estimate: bool = Field(description="the row's source is `estimate`")
    calculation: str = Field(description="the arithmetic, or what is missing")
    goal: Benchmark | None = Field(None, description="the goal tracking the same metric")


class RoiCategory(BaseModel):
    """One of the five ROI categories."""

    category: str
    annual_value_usd: float | None = Field(description="None when no row could be dollarised")
    estimate: bool = Field(description="any row behind the value is an estimate")
    partial: bool = Field(False, description="some rows lack an input and are left out")
    rows: list[RoiLine] = Field(default_factory=list)
    superseded: int = Field(0, description="older measurements of the same metrics, not counted")
    track_next_quarter: str | None = Field(None, description="set when the value is missing")


class RoiResult(Result):
    """ROI of one account: value per category, total, and total / ARR."""

    command: Literal["roi"] = "roi"
    account_id: str
    name: str
    arr: float | None = Field(description="ARR on as-of; None when no contract is on record")
    categories: list[RoiCategory]
    total_annual_value_usd: float | None = Field(description="sum of categories with a value")
    roi_multiple: float | None = Field(description="total annual value / ARR")
    estimate: bool = Field(description="any counted row is an estimate")
    benchmark: list[Benchmark] = Field(default_factory=list)


def roi(portfolio: PortfolioData, account_id: str, as_of: date | None = None) -> RoiResult:
    """Compute an account's annual value per ROI category and its ROI multiple.

    Args:
        portfolio: the loaded portfolio.
        account_id: the account.
        as_of: the point in time (default: the portfolio's); later roi rows are ignored.

    Returns:
        The five categories with their rows and arithmetic, the total, the multiple and gaps.
    """
    day = as_of or portfolio.as_of
    data = portfolio.get(account_id)
    gaps = Gaps(portfolio.workspace)
    goals = _benchmark(data, day)
    if not goals:
        gaps.add("goals", "roi: benchmark", account_id=account_id, detail="no goals on record")
    rows = [r for r in data.roi if r.recorded_at is None or r.recorded_at <= day]
    undated = sum(r.recorded_at is None for r in rows)
    if undated:
        gaps.add(
            "recorded_at",
            "roi: point in time",
            account_id=account_id,
            detail=f"{undated} roi row(s) without recorded_at, counted as recorded before as-of",
        )
    categories = [_category(c, rows, goals, gaps, account_id) for c in ROI_CATEGORIES]
    valued = [c.annual_value_usd for c in categories if c.annual_value_usd is not None]
    total_value = sum(valued) if valued else None
    arr = _arr(data, day)
    multiple = None
    if total_value is not None and arr:
        multiple = total_value / arr
    elif not arr:
        detail = "no contract on record" if arr is None else f"ARR on {day} is 0"
        gaps.add("contracts", "roi: roi_multiple", account_id=account_id, detail=detail)
    return RoiResult(
        as_of=day,
        gaps=gaps.list(),
        account_id=account_id,
        name=data.name,
        arr=arr,
        categories=categories,
        total_annual_value_usd=total_value,
        roi_multiple=multiple,
        estimate=any(c.estimate for c in categories if c.annual_value_usd is not None),
        benchmark=goals,
    )


def _arr(data: AccountData, day: date) -> float | None:
    """Return ARR on `day`, or None when no contract row had started by then."""
    if not any(c.start_date <= day for c in data.contracts):
        return None
    return arr_on(data, day)


def _benchmark(data: AccountData, day: date) -> list[Benchmark]:
    """Return the goals set on or before `day` (undated goals included), oldest first."""
    goals: list[Goal] = [g for g in data.goals if g.set_at is None or g.set_at <= day]
    goals.sort(key=lambda g: (g.set_at or date.min, g.goal_id))
    return [
        Benchmark(
            goal_id=g.goal_id,
            objective=g.objective,
            metric=g.metric,
            baseline=g.baseline,
            target=g.target,
            current=g.current,
            unit=g.unit,
            status=g.status,
            set_at=g.set_at,
            due_date=g.due_date,
        )
        for g in goals
    ]


def _latest_per_metric(rows: list[RoiRow]) -> tuple[list[RoiRow], int]:
    """Keep the latest row of each metric; return them and how many were superseded."""
    latest: dict[str, RoiRow] = {}
    for r in rows:
        key = _norm(r.metric)
        kept = latest.get(key)
        if kept is None or (r.recorded_at or date.min) >= (kept.recorded_at or date.min):
            latest[key] = r
    return list(latest.values()), len(rows) - len(latest)


def _category(
    category: str,
    rows: list[RoiRow],
    goals: list[Benchmark],
    gaps: Gaps,
    account_id: str,
) -> RoiCategory:
    """Value one category from its rows, recording a gap for whatever is missing."""
    needed_for = f"roi: {category}"
    track = TRACK_NEXT_QUARTER[category]
    mine, superseded = _latest_per_metric([r for r in rows if r.category == category])
    if not mine:
        gaps.add("roi", needed_for, account_id=account_id, detail=f"track next quarter: {track}")
        return RoiCategory(
            category=category, annual_value_usd=None, estimate=False, track_next_quarter=track
        )
    by_metric = {_norm(g.metric): g for g in goals if g.metric}
    lines = [_line(category, r, by_metric.get(_norm(r.metric))) for r in mine]
    for r, line in zip(mine, lines, strict=True):
        for signal in _missing_inputs(r, line):
            gaps.add(
                signal,
                needed_for,
                account_id=account_id,
                detail=f"{r.metric}: {line.calculation}; track next quarter: {track}",
            )
    values = [ln for ln in lines if ln.annual_value_usd is not None]
    return RoiCategory(
        category=category,
        annual_value_usd=sum(ln.annual_value_usd for ln in values) if values else None,
        estimate=any(ln.estimate for ln in values),
        partial=bool(values) and len(values) < len(lines),
        rows=lines,
        superseded=superseded,
        track_next_quarter=None if values else track,
    )


def _missing_inputs(row: RoiRow, line: RoiLine) -> list[str]:
    """Name the empty or invalid cells that kept a row from having a dollar value."""
    if line.annual_value_usd is not None:
        return []
    missing = [name for name in ("before", "after") if getattr(row, name) is None]
    if line.periods_per_year is None:
        missing.append("period")
    if not _is_usd(row.unit) and row.rate_usd is None:
        missing.append("rate_usd")
    return missing


def _line(category: str, row: RoiRow, goal: Benchmark | None) -> RoiLine:
    """Compute one row's improvement, annual improvement and annual dollar value."""
    per_year = PERIODS_PER_YEAR.get(_norm(row.period)) if row.period else None
    improvement = None
    if row.before is not None and row.after is not None:
        diff = row.before - row.after
        improvement = diff if category in LOWER_IS_BETTER else -diff
    annual = improvement * per_year if improvement is not None and per_year else None
    rate = 1.0 if _is_usd(row.unit) else row.rate_usd
    value = annual * rate if annual is not None and rate is not None else None
    return RoiLine(
        metric=row.metric,
        unit=row.unit,
        before=row.before,
        after=row.after,
        period=row.period,
        rate_usd=row.rate_usd,
        source=row.source,
        recorded_at=row.recorded_at,
        improvement=improvement,
        periods_per_year=per_year,
        annual_improvement=annual,
        annual_value_usd=value,
        estimate=row.source == "estimate",
        calculation=_calculation(category, row, per_year, value),
        goal=goal,
    )


def _calculation(category: str, row: RoiRow, per_year: int | None, value: float | None) -> str:
    """Spell out the arithmetic of a row, or say which input is missing."""
    if row.before is None or row.after is None:
        return "before or after not recorded: no improvement"
    if per_year is None:
        return f"period '{row.period or ''}' unknown: cannot annualise"
    first, second = (
        (row.before, row.after) if category in LOWER_IS_BETTER else (row.after, row.before)
    )
    text = f"({_fmt(first)} - {_fmt(second)}) {row.unit}/{_norm(row.period)} x {per_year}"
    if _is_usd(row.unit):
        return f"{text} = ${_fmt(value)}"
    if row.rate_usd is None:
        return f"{text}; no rate_usd: cannot dollarise"
    return f"{text} x ${_fmt(row.rate_usd)} rate_usd = ${_fmt(value)}"


def _is_usd(unit: str | None) -> bool:
    return _norm(unit) == "usd"


def _norm(text: str | None) -> str:
    return (text or "").strip().lower()


def _fmt(value: float | None) -> str:
    """Format a number for the arithmetic line: thousands separators, at most 2 decimals."""
    if value is None:
        return "?"
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text
