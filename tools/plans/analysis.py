"""Portfolio analysis of one quarter against the one before (openclaw 7.1).

Every figure comes from the tool that owns the metric: GRR, NRR and logo retention from
tools.retention `nrr`, the health distribution from tools.health `score_portfolio`, time to
first value from tools.portfolio `ttfv_days`. This module picks the quarter's window, counts
what happened in it, compares it with the previous quarter and names the accounts behind
every move over 10%.

Resolutions of cases the spec leaves open:
- Quarters are calendar quarters, written YYYYQn (2026Q3 = 2026-07-01 .. 2026-09-30). A
  quarter not finished on as-of is analysed to date (its end is as-of) and labelled so; it is
  compared with the whole previous quarter. A quarter starting after as-of is an error.
- Retention (GRR, NRR, logo retention) is `nrr` from the previous quarter's last day to the
  quarter's last day: the cohort is the accounts paying when the quarter opens, and an ARR
  change on the quarter's first day (a contract ending on the last day of the quarter
  before) counts in this quarter. Consecutive quarters so share their boundary day and
  every change is counted exactly once (tools.portfolio uses the same convention for the
  month to date).
- TTFV = the mean of first_value_date - kickoff_date (tools.portfolio `ttfv_days`) over the
  accounts whose first_value_date falls in the quarter. Lower is better.
- Health distribution = the share of the accounts scored by `score_portfolio` on the
  quarter's end in each tier, one metric per tier. Higher is better for green, lower for
  orange, red and unknown; yellow's moves are neither (it gains from green and orange).
  Only customers that day count: an account is left out when it is known to have started
  later (every contract row starts after the day, or, without contract rows, its
  kickoff_date does); `nrr`'s missing-contract gaps for such accounts are dropped too.
- QBR completion = due accounts with at least one qbr_held event in the quarter / due
  accounts. Due = enterprise and mid-market accounts paying (ARR > 0) on the quarter's first
  day (the segments on a quarterly business-review cadence). A paying account without a
  segment is a `segment` gap and left out.
- Save-plan effectiveness = save plays closed in the quarter with outcome saved / save plays
  closed in the quarter with an outcome (`play_tally`); a closed play without an outcome is
  an `outcome` gap, left out.
- Expansion conversion = expansion opportunities (every kind but renewal) closed in the
  quarter at stage won / those closed at stage won or lost. The won amounts are summed
  beside it; a won opportunity without an amount is an `amount` gap.
- A move is flagged when |value - previous| / |previous| > 10% (relative, strictly more,
  compared after rounding to 9 decimals so 0.50 -> 0.55 is exactly 10% and not flagged).
  From a previous value of 0, any change is flagged (relative change undefined). Fractions
  also carry the change in percentage points. A metric unknown in either quarter is not
  compared.
- The accounts behind a flagged move are the contributions pushing the metric the way it
  moved: for retention, this quarter's expansions (up) or churns and contractions (down),
  plus the previous quarter's churns and contractions (up: losses not repeated) or
  expansions (down: gains not repeated); for TTFV, this quarter's accounts slower (up) or
  faster (down) than the previous quarter's mean; for a tier's share, the accounts that
  entered the tier (up) or left it (down); for QBR completion, due accounts holding a QBR
  this quarter but not the last (up) or the reverse (down); for save plays and expansion,
  this quarter's saved / won (up) or lost (down).
- The three improvement opportunities are the metrics that got worse, flagged ones first,
  then by the size of the relative move.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData, Play, PortfolioData
from tools.common import Gaps, arr_on
from tools.health import HealthResult, score_portfolio
from tools.portfolio import ttfv_days
from tools.retention import AccountMove, NrrResult, nrr
from tools.types import Gap, Result

FLAG_RELATIVE = 0.10
"""A move is flagged when its relative size is strictly more than this."""
TIERS: tuple[str, ...] = ("green", "yellow", "orange", "red", "unknown")
HIGHER_IS_BETTER: dict[str, bool | None] = {
    "green": True,
    "yellow": None,
    "orange": False,
    "red": False,
    "unknown": False,
}
"""Which way a tier's share should move; yellow's rises and falls are neither good nor bad
(it gains from green and from orange alike)."""
QBR_SEGMENTS = frozenset({"enterprise", "mid-market"})
"""Segments due a business review every quarter."""
SUCCESS_OUTCOMES = frozenset({"saved", "won", "completed"})
"""Play outcomes that count as a success."""
EXPANSION_CLOSED = frozenset({"won", "lost"})
HEALTH_LOOKBACK_DAYS = 91
"""Days of usage before a scoring date the health models read (the longest is 60)."""
IMPROVEMENTS = 3
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")

Unit = Literal["fraction", "days"]
Sign = Literal[1, -1]


class QuarterError(ValueError):
    """A quarter that is malformed or not analysable on the as-of date."""


class Quarter(BaseModel):
    """A calendar quarter and the part of it analysed."""

    label: str = Field(description="YYYYQn")
    start: date
    end: date = Field(description="last day analysed: the quarter's end, or as-of when to date")
    quarter_end: date = Field(description="the quarter's calendar end")
    to_date: bool = Field(description="the quarter was not finished on as-of")


class Driver(BaseModel):
    """An account behind a move, and what it did in which quarter."""

    account_id: str
    name: str
    quarter: str = Field(description="the quarter whose data this is (YYYYQn)")
    effect: str = Field(
        description="churned, contracted, expanded, slower, faster, entered, left, "
        "held_qbr, missed_qbr, saved, not_saved, won, lost"
    )
    value: float | None = Field(
        None, description="ARR change, TTFV days, score or amount, by effect"
    )
    note: str | None = Field(None, description="the tier on the other side, or the play's outcome")
    sign: Sign = Field(description="+1 pushes the metric up, -1 down")


class Reading(BaseModel):
    """One quarter's value of a metric with what it was computed from."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None


class Metric(BaseModel):
    """A metric this quarter and last, its change, and the accounts behind a flagged move."""

    key: str
    unit: Unit
    higher_is_better: bool | None = Field(description="None: neither way is better (yellow)")
    current: Reading
    previous: Reading
    value: float | None
    previous_value: float | None
    change: float | None = Field(description="value - previous (a fraction for fractions)")
    change_points: float | None = Field(description="fractions: the change in % points")
    relative_change: float | None = Field(description="change / |previous|; None from 0")
    flagged: bool = Field(description="moved more than 10% (relative)")
    direction: Literal["up", "down", "flat"] | None
    better: bool | None = Field(description="the move is an improvement (None: flat/unknown)")
    drivers: list[Driver] = Field(default_factory=list, description="flagged moves only")


class RetentionSummary(BaseModel):
    """The `nrr` report of one quarter, without its account lists."""

    period_start: date
    period_end: date
    start_arr: float
    end_arr: float
    expansion: float
    contraction: float
    churn: float
    cohort_size: int
    retained_logos: int


class TierCount(BaseModel):
    """Accounts in one tier at a quarter's end."""

    tier: str
    count: int
    share: float | None


class HealthDistribution(BaseModel):
    """Tiers of the customers on one day, scored on that day."""

    day: date
    accounts: int
    tiers: list[TierCount]


class AnalysisResult(Result):
    """Portfolio analysis of a quarter vs the previous one (command 'analysis')."""

    command: Literal["analysis"] = "analysis"
    profile: str
    quarter: Quarter
    previous: Quarter
    metrics: list[Metric]
    flagged: list[str] = Field(description="keys of the metrics that moved more than 10%")
    improvements: list[str] = Field(description="up to 3 metric keys that got worse, worst first")
    retention: RetentionSummary
    previous_retention: RetentionSummary
    health: HealthDistribution
    previous_health: HealthDistribution
    expansion_won_amount: float = Field(description="known amounts of won opportunities")
    previous_expansion_won_amount: float
    names: dict[str, str] = Field(
        default_factory=dict, description="account id -> name of the accounts in the gaps"
    )


# --- quarters -----------------------------------------------------------------------------


def parse_quarter(text: str) -> tuple[int, int]:
    """Parse 'YYYYQn' (also 'YYYY-Qn', lower case q) into (year, n).

    Raises:
        QuarterError: the text is not a quarter.
    """
    match = _QUARTER.match(text or "")
    if match is None:
        raise QuarterError(f"'{text}' is not a quarter: use YYYYQn, e.g. 2026Q3")
    return int(match.group(1)), int(match.group(2))


def quarter_bounds(year: int, n: int) -> tuple[date, date]:
    """Return the first and last day of quarter n of `year`."""
    start = date(year, 3 * (n - 1) + 1, 1)
    nxt = date(year + 1, 1, 1) if n == 4 else date(year, 3 * n + 1, 1)
    return start, nxt - timedelta(days=1)


def quarter_of(day: date) -> str:
    """Return the quarter `day` falls in, as YYYYQn."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_window(label: str, as_of: date) -> Quarter:
    """Return the analysed window of a quarter on `as_of` (to date when unfinished).

    Raises:
        QuarterError: malformed, or starting after as_of.
    """
    year, n = parse_quarter(label)
    start, end = quarter_bounds(year, n)
    if start > as_of:
        raise QuarterError(
            f"{year}Q{n} starts on {start}, after the as-of date {as_of}: nothing to analyse yet"
        )
    return Quarter(
        label=f"{year}Q{n}",
        start=start,
        end=min(end, as_of),
        quarter_end=end,
        to_date=end > as_of,
    )


def previous_quarter(q: Quarter) -> Quarter:
    """Return the whole quarter before `q`."""
    start, end = quarter_bounds(*parse_quarter(quarter_of(q.start - timedelta(days=1))))
    return Quarter(label=quarter_of(start), start=start, end=end, quarter_end=end, to_date=False)


def usage_days_needed(label: str, as_of: date) -> int:
    """Return the days of usage, ending on as_of, that scoring both quarter ends needs."""
    prev = previous_quarter(quarter_window(label, as_of))
    return (as_of - prev.end).days + HEALTH_LOOKBACK_DAYS


# --- the analysis -------------------------------------------------------------------------


def build_analysis(
    portfolio: PortfolioData,
    quarter: str,
    as_of: date | None = None,
    profile: str = "engine",
) -> AnalysisResult:
    """Analyse a quarter against the previous one, flagging moves over 10% with their accounts.

    Args:
        portfolio: the portfolio loaded as of as_of, with usage covering both quarter ends
            (see `usage_days_needed`).
        quarter: YYYYQn.
        as_of: the point in time (default the portfolio's); a later quarter is an error.
        profile: the health model for the distribution.

    Returns:
        Every metric this quarter and last, the flagged moves with their accounts, the three
        improvement opportunities, and the gaps.

    Raises:
        QuarterError: malformed quarter, or one starting after as_of.
        ValueError: as_of is after the portfolio's as-of.
    """
    day = as_of or portfolio.as_of
    if day > portfolio.as_of:
        raise ValueError(f"as_of ({day}) is after the data's as-of ({portfolio.as_of})")
    cur = quarter_window(quarter, day)
    prev = previous_quarter(cur)
    gaps = Gaps(portfolio.workspace)
    every = sorted(portfolio.accounts.values(), key=lambda a: (a.name.lower(), a.account_id))
    ret_cur, ret_prev = _nrr(portfolio, cur, gaps), _nrr(portfolio, prev, gaps)
    health_cur = _scores(portfolio, cur, profile, gaps)
    health_prev = _scores(portfolio, prev, profile, gaps)
    won_cur, won_prev = _won_amount(every, cur, gaps), _won_amount(every, prev, gaps)
    metrics = [
        *retention_metrics(ret_cur, ret_prev, cur, prev),
        ttfv_metric(every, cur, prev, gaps),
        *health_metrics(health_cur, health_prev, cur, prev),
        qbr_metric(every, cur, prev, gaps),
        save_metric(every, cur, prev, gaps),
        expansion_metric(every, cur, prev, gaps),
    ]
    return AnalysisResult(
        as_of=day,
        gaps=gaps.list(),
        names=gap_names(portfolio, gaps.list()),
        profile=profile,
        quarter=cur,
        previous=prev,
        metrics=metrics,
        flagged=[m.key for m in metrics if m.flagged],
        improvements=improvements(metrics),
        retention=_summary(ret_cur),
        previous_retention=_summary(ret_prev),
        health=_distribution(health_cur, cur.end),
        previous_health=_distribution(health_prev, prev.end),
        expansion_won_amount=won_cur,
        previous_expansion_won_amount=won_prev,
    )


def gap_names(portfolio: PortfolioData, gaps: Iterable[Gap]) -> dict[str, str]:
    """Return account id -> name of the accounts the gaps concern."""
    return {
        g.account_id: portfolio.accounts[g.account_id].name
        for g in gaps
        if g.account_id is not None and g.account_id in portfolio.accounts
    }


def compare(
    key: str,
    unit: Unit,
    current: Reading,
    previous: Reading,
    contributions: Iterable[Driver] = (),
    *,
    higher_is_better: bool | None = True,
) -> Metric:
    """Compare two readings; flag a move over 10% and attach the drivers pushing its way."""
    value, before = current.value, previous.value
    change = relative = None
    flagged = False
    direction: Literal["up", "down", "flat"] | None = None
    if value is not None and before is not None:
        change = value - before
        direction = "flat" if round(change, 9) == 0 else ("up" if change > 0 else "down")
        if before != 0:
            relative = change / abs(before)
            flagged = round(abs(relative), 9) > FLAG_RELATIVE
        else:
            flagged = direction != "flat"
    better = None
    if higher_is_better is not None and direction in ("up", "down"):
        better = (direction == "up") == higher_is_better
    drivers: list[Driver] = []
    if flagged:
        sign = 1 if direction == "up" else -1
        drivers = sorted(
            (d for d in contributions if d.sign == sign),
            key=lambda d: (-abs(d.value or 0), d.name.lower(), d.account_id, d.quarter),
        )
    return Metric(
        key=key,
        unit=unit,
        higher_is_better=higher_is_better,
        current=current,
        previous=previous,
        value=value,
        previous_value=before,
        change=change,
        change_points=change * 100 if change is not None and unit == "fraction" else None,
        relative_change=relative,
        flagged=flagged,
        direction=direction,
        better=better,
        drivers=drivers,
    )


def improvements(metrics: Sequence[Metric]) -> list[str]:
    """Return up to 3 metrics that got worse: flagged first, then by relative size."""
    worse = [m for m in metrics if m.better is False]
    worse.sort(
        key=lambda m: (
            not m.flagged,
            -(abs(m.relative_change) if m.relative_change is not None else float("inf")),
            m.key,
        )
    )
    return [m.key for m in worse[:IMPROVEMENTS]]


# --- retention ----------------------------------------------------------------------------


def _nrr(portfolio: PortfolioData, q: Quarter, gaps: Gaps) -> NrrResult:
    """Run `nrr` from the day before the quarter to its (analysed) end."""
    result = nrr(portfolio, q.start - timedelta(days=1), q.end)
    for g in result.gaps:
        if g.account_id is not None and not started_by(portfolio.get(g.account_id), q.end):
            continue  # signed after the quarter: not a customer yet, not a missing contract
        gaps.add(
            g.signal, f"analysis: retention {q.label}", account_id=g.account_id, detail=g.detail
        )
    return result


def retention_metrics(cur: NrrResult, prev: NrrResult, q: Quarter, p: Quarter) -> list[Metric]:
    """Compare GRR, NRR and logo retention, with the accounts behind each move."""
    losses = {"churned": cur.churned, "contracted": cur.contracted}
    prev_losses = {"churned": prev.churned, "contracted": prev.contracted}
    grr_drivers = [*_moves(losses, q, -1), *_moves(prev_losses, p, 1)]
    nrr_drivers = [
        *grr_drivers,
        *_moves({"expanded": cur.expanded}, q, 1),
        *_moves({"expanded": prev.expanded}, p, -1),
    ]
    logo_drivers = [
        *_moves({"churned": cur.churned}, q, -1),
        *_moves({"churned": prev.churned}, p, 1),
    ]
    return [
        compare("grr", "fraction", _ratio(cur, "grr"), _ratio(prev, "grr"), grr_drivers),
        compare("nrr", "fraction", _ratio(cur, "nrr"), _ratio(prev, "nrr"), nrr_drivers),
        compare(
            "logo_retention",
            "fraction",
            Reading(
                value=cur.logo_retention,
                numerator=cur.retained_logos,
                denominator=cur.cohort_size,
            ),
            Reading(
                value=prev.logo_retention,
                numerator=prev.retained_logos,
                denominator=prev.cohort_size,
            ),
            logo_drivers,
        ),
    ]


def _ratio(r: NrrResult, which: Literal["grr", "nrr"]) -> Reading:
    kept = r.start_arr - r.contraction - r.churn
    numerator = kept + r.expansion if which == "nrr" else kept
    return Reading(value=getattr(r, which), numerator=numerator, denominator=r.start_arr)


def _moves(groups: dict[str, list[AccountMove]], q: Quarter, sign: Sign) -> list[Driver]:
    return [
        Driver(
            account_id=m.account_id,
            name=m.name,
            quarter=q.label,
            effect=effect,
            value=m.change,
            sign=sign,
        )
        for effect, moves in groups.items()
        for m in moves
    ]


def _summary(r: NrrResult) -> RetentionSummary:
    return RetentionSummary(
        **r.model_dump(include=set(RetentionSummary.model_fields)),
    )


# --- time to first value ------------------------------------------------------------------


def ttfv_in(
    accounts: Iterable[AccountData], q: Quarter, gaps: Gaps, needed_for: str = "analysis: ttfv"
) -> list[tuple[AccountData, int]]:
    """Return (account, TTFV days) of the accounts whose first value falls in the quarter.

    An account with a first value in the quarter but no kickoff_date is a gap, left out.
    """
    out: list[tuple[AccountData, int]] = []
    for a in accounts:
        first = a.account.first_value_date
        if first is None or not q.start <= first <= q.end:
            continue
        rows = ttfv_days([a], q.end)
        if not rows:
            gaps.add(
                "kickoff_date",
                f"{needed_for} {q.label}",
                account_id=a.account_id,
                detail=f"first value on {first}, no kickoff_date on record",
            )
            continue
        out.append((a, rows[0][1]))
    return out


def ttfv_reading(rows: Sequence[tuple[AccountData, int]]) -> Reading:
    """Return the mean TTFV of the rows (sum of days over accounts)."""
    total = sum(d for _, d in rows)
    return Reading(
        value=total / len(rows) if rows else None,
        numerator=total if rows else None,
        denominator=len(rows),
    )


def ttfv_metric(accounts: Sequence[AccountData], q: Quarter, p: Quarter, gaps: Gaps) -> Metric:
    """Compare the mean TTFV; the drivers are this quarter's accounts off the last mean."""
    cur, prev = ttfv_in(accounts, q, gaps), ttfv_in(accounts, p, gaps)
    for rows, quarter in ((cur, q), (prev, p)):
        if not rows:
            gaps.add(
                "first_value_date",
                f"analysis: ttfv {quarter.label}",
                detail=f"no account's first_value_date falls in {quarter.label}",
            )
    cur_r, prev_r = ttfv_reading(cur), ttfv_reading(prev)
    drivers = []
    if prev_r.value is not None:
        for a, days in cur:
            if days != prev_r.value:
                slower = days > prev_r.value
                drivers.append(
                    Driver(
                        account_id=a.account_id,
                        name=a.name,
                        quarter=q.label,
                        effect="slower" if slower else "faster",
                        value=days,
                        sign=1 if slower else -1,
                    )
                )
    return compare("ttfv_days", "days", cur_r, prev_r, drivers, higher_is_better=False)


def started_by(a: AccountData, day: date) -> bool:
    """Tell whether the account was a customer by `day`, unless known to start later.

    Known to start later: every contract row starts after `day`, or, with no contract row,
    the kickoff_date is after it. An account with neither date is kept (and its gaps shown).
    """
    if a.contracts:
        return any(c.start_date <= day for c in a.contracts)
    kickoff = a.account.kickoff_date
    return kickoff is None or kickoff <= day


# --- health distribution ------------------------------------------------------------------


def _scores(
    portfolio: PortfolioData, q: Quarter, profile: str, gaps: Gaps
) -> dict[str, HealthResult]:
    """Score the accounts that were customers on the quarter's (analysed) end."""
    results = {
        acc_id: res
        for acc_id, res in score_portfolio(portfolio, q.end, profile).items()
        if started_by(portfolio.get(acc_id), q.end)
    }
    for res in results.values():
        for g in res.gaps:
            gaps.add(
                g.signal,
                f"analysis: health distribution {q.label}",
                account_id=g.account_id,
                detail=g.detail,
            )
    return results


def health_metrics(
    cur: dict[str, HealthResult], prev: dict[str, HealthResult], q: Quarter, p: Quarter
) -> list[Metric]:
    """Compare each tier's share of the scored accounts; drivers entered or left the tier."""
    out = []
    for tier in TIERS:
        drivers: list[Driver] = []
        for acc_id, res in cur.items():
            before = prev[acc_id].tier if acc_id in prev else None
            if res.tier == tier and before != tier:
                drivers.append(_tier_driver(res, q, "entered", before, 1))
        for acc_id, res in prev.items():
            now = cur.get(acc_id)
            if res.tier == tier and (now is None or now.tier != tier):
                drivers.append(_tier_driver(now or res, q, "left", now and now.tier, -1))
        out.append(
            compare(
                f"health_{tier}",
                "fraction",
                _share(cur, tier),
                _share(prev, tier),
                drivers,
                higher_is_better=HIGHER_IS_BETTER[tier],
            )
        )
    return out


def _tier_driver(
    res: HealthResult, q: Quarter, effect: str, other: str | None, sign: Sign
) -> Driver:
    """A tier move with the score on `res`; `other` is the tier on the other side.

    For an account that entered, `other` is its tier at the previous quarter's end; for one
    that left, its tier now, and `res` is its previous result when it is no longer scored
    (churned): then `other` is None. None on entry: it was not a customer then.
    """
    return Driver(
        account_id=res.account_id,
        name=res.name,
        quarter=q.label,
        effect=effect,
        value=res.score,
        note=other,
        sign=sign,
    )


def _share(results: dict[str, HealthResult], tier: str) -> Reading:
    n = sum(1 for r in results.values() if r.tier == tier)
    return Reading(
        value=n / len(results) if results else None, numerator=n, denominator=len(results)
    )


def _distribution(results: dict[str, HealthResult], day: date) -> HealthDistribution:
    return HealthDistribution(
        day=day,
        accounts=len(results),
        tiers=[
            TierCount(tier=t, count=int(r.numerator or 0), share=r.value)
            for t in TIERS
            for r in [_share(results, t)]
        ],
    )


# --- QBR completion -----------------------------------------------------------------------


def qbr_due(accounts: Iterable[AccountData], q: Quarter, gaps: Gaps) -> list[AccountData]:
    """Return the accounts due a QBR in the quarter (see the module docstring)."""
    due = []
    for a in accounts:
        if arr_on(a, q.start) <= 0:
            continue
        segment = a.account.segment
        if segment is None:
            gaps.add(
                "segment",
                f"analysis: qbr completion {q.label}",
                account_id=a.account_id,
                detail="paying account without a segment: cannot tell whether a QBR was due",
            )
        elif segment in QBR_SEGMENTS:
            due.append(a)
    return due


def held_qbr(a: AccountData, q: Quarter) -> bool:
    """Tell whether the account has a qbr_held event in the quarter."""
    return any(e.kind == "qbr_held" and q.start <= e.occurred_at <= q.end for e in a.events)


def qbr_metric(accounts: Sequence[AccountData], q: Quarter, p: Quarter, gaps: Gaps) -> Metric:
    """Compare the share of due accounts that held a QBR."""
    readings: list[Reading] = []
    for quarter in (q, p):
        due = qbr_due(accounts, quarter, gaps)
        held = sum(1 for a in due if held_qbr(a, quarter))
        if not due:
            gaps.add(
                "segment",
                f"analysis: qbr completion {quarter.label}",
                detail=f"no enterprise or mid-market account was paying on {quarter.start}",
            )
        readings.append(
            Reading(value=held / len(due) if due else None, numerator=held, denominator=len(due))
        )
    if not any(e.kind == "qbr_held" for a in accounts for e in a.events):
        gaps.add(
            "events",
            "analysis: qbr completion",
            detail="no qbr_held event on record: QBRs are not tracked as events",
        )
    drivers = []
    for a in qbr_due(accounts, q, gaps):
        now, before = held_qbr(a, q), held_qbr(a, p)
        if now != before:
            drivers.append(
                Driver(
                    account_id=a.account_id,
                    name=a.name,
                    quarter=q.label,
                    effect="held_qbr" if now else "missed_qbr",
                    sign=1 if now else -1,
                )
            )
    return compare("qbr_completion", "fraction", readings[0], readings[1], drivers)


# --- plays and opportunities --------------------------------------------------------------


def play_tally(
    plays: Iterable[tuple[AccountData, Play]],
    start: date | None,
    end: date,
    gaps: Gaps,
    needed_for: str,
) -> tuple[list[tuple[AccountData, Play]], list[tuple[AccountData, Play]]]:
    """Split the plays closed in [start, end] with an outcome into (succeeded, failed).

    A play is closed when closed_at is on or before `end` (and on or after `start`, when
    given). A closed play whose outcome is empty or still 'open' is an `outcome` gap, left
    out of both lists.
    """
    won: list[tuple[AccountData, Play]] = []
    lost: list[tuple[AccountData, Play]] = []
    for a, p in plays:
        if p.closed_at is None or p.closed_at > end or (start and p.closed_at < start):
            continue
        if p.outcome is None or p.outcome == "open":
            gaps.add(
                "outcome",
                needed_for,
                account_id=a.account_id,
                detail=f"play {p.play_id} ({p.kind}) closed {p.closed_at} without an outcome",
                category="cs_platform",
            )
            continue
        (won if p.outcome in SUCCESS_OUTCOMES else lost).append((a, p))
    return won, lost


def save_metric(accounts: Sequence[AccountData], q: Quarter, p: Quarter, gaps: Gaps) -> Metric:
    """Compare saved / closed save plays."""
    plays = [(a, pl) for a in accounts for pl in a.plays if pl.kind == "save"]
    readings, drivers = [], []
    for quarter in (q, p):
        won, lost = play_tally(
            plays,
            quarter.start,
            quarter.end,
            gaps,
            f"analysis: save-plan effectiveness {quarter.label}",
        )
        closed = len(won) + len(lost)
        if not closed:
            gaps.add(
                "plays",
                f"analysis: save-plan effectiveness {quarter.label}",
                detail=f"no save play closed with an outcome in {quarter.label}",
            )
        readings.append(
            Reading(
                value=len(won) / closed if closed else None, numerator=len(won), denominator=closed
            )
        )
        if quarter is q:
            drivers = [_play_driver(a, pl, q, "saved", 1) for a, pl in won] + [
                _play_driver(a, pl, q, "not_saved", -1) for a, pl in lost
            ]
    return compare("save_effectiveness", "fraction", readings[0], readings[1], drivers)


def _play_driver(a: AccountData, play: Play, q: Quarter, effect: str, sign: Sign) -> Driver:
    return Driver(
        account_id=a.account_id,
        name=a.name,
        quarter=q.label,
        effect=effect,
        note=play.intervention,
        sign=sign,
    )


def closed_expansions(
    accounts: Iterable[AccountData], q: Quarter, gaps: Gaps
) -> list[tuple[AccountData, str, float | None]]:
    """Return (account, stage, amount) of expansion opportunities closed in the quarter."""
    out = []
    for a in accounts:
        for o in a.opportunities:
            if o.kind == "renewal" or o.closed_at is None:
                continue
            if not q.start <= o.closed_at <= q.end:
                continue
            if o.stage not in EXPANSION_CLOSED:
                gaps.add(
                    "stage",
                    f"analysis: expansion conversion {q.label}",
                    account_id=a.account_id,
                    detail=f"opportunity {o.opportunity_id} closed {o.closed_at} at stage "
                    f"{o.stage or 'empty'} (neither won nor lost)",
                )
                continue
            out.append((a, o.stage, o.amount))
    return out


def expansion_metric(accounts: Sequence[AccountData], q: Quarter, p: Quarter, gaps: Gaps) -> Metric:
    """Compare won / closed expansion opportunities."""
    readings, drivers = [], []
    for quarter in (q, p):
        rows = closed_expansions(accounts, quarter, gaps)
        won = sum(1 for _, stage, _ in rows if stage == "won")
        if not rows:
            gaps.add(
                "opportunities",
                f"analysis: expansion conversion {quarter.label}",
                detail=f"no expansion opportunity closed won or lost in {quarter.label}",
            )
        readings.append(
            Reading(value=won / len(rows) if rows else None, numerator=won, denominator=len(rows))
        )
        if quarter is q:
            drivers = [
                Driver(
                    account_id=a.account_id,
                    name=a.name,
                    quarter=q.label,
                    effect=stage,
                    value=amount,
                    sign=1 if stage == "won" else -1,
                )
                for a, stage, amount in rows
            ]
    return compare("expansion_conversion", "fraction", readings[0], readings[1], drivers)


def _won_amount(accounts: Iterable[AccountData], q: Quarter, gaps: Gaps) -> float:
    """Sum the known amounts of expansion opportunities won in the quarter."""
    total = 0.0
    for a in accounts:
        for o in a.opportunities:
            if o.kind == "renewal" or o.stage != "won" or o.closed_at is None:
                continue
            if not q.start <= o.closed_at <= q.end:
                continue
            if o.amount is None:
                gaps.add(
                    "amount",
                    f"analysis: expansion won {q.label}",
                    account_id=a.account_id,
                    detail=f"won opportunity {o.opportunity_id} has no amount",
                )
            else:
                total += o.amount
    return total
