"""Revenue and logo retention: the NRR report over a period and the cohort table.

NRR / GRR over [a, b] (commands.md): the cohort is the accounts with ARR > 0 on day a.
Expansion = sum of ARR increases and contraction = sum of decreases of accounts still paying
on day b; churn = ARR on day a of accounts with ARR 0 on day b. NRR = (start + expansion -
contraction - churn) / start; GRR = (start - contraction - churn) / start; logo retention =
share of the cohort still paying on day b. ARR on a day is `tools.common.arr_on`.

Cohorts: accounts grouped by the month of their earliest contract start_date; an account's
month k is measured on its own k-month anniversary of that date (clamped to the month's
last day: Jan 31 + 1 month = Feb 28). Logo retention at month k = share of the cohort with
ARR > 0 that day; revenue retention = the cohort's ARR that day / its ARR at month 0. A
month is reached when every account of the cohort has passed that anniversary by as-of;
before that it is None, not 0.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData, PortfolioData
from tools.common import Gaps, arr_on
from tools.types import Result

COHORT_MONTHS: tuple[int, ...] = (0, 1, 2, 3, 6, 12)


class AccountMove(BaseModel):
    """One account's ARR at the start and end of the period."""

    account_id: str
    name: str
    start_arr: float
    end_arr: float
    change: float = Field(description="end_arr - start_arr")


class NrrResult(Result):
    """NRR, GRR and logo retention over a period, with the accounts behind each bucket."""

    command: Literal["nrr"] = "nrr"
    period_start: date
    period_end: date
    start_arr: float = Field(description="ARR on period_start of the cohort (ARR > 0 that day)")
    end_arr: float = Field(description="ARR on period_end of the same cohort")
    expansion: float
    contraction: float
    churn: float
    nrr: float | None
    grr: float | None
    logo_retention: float | None
    cohort_size: int
    retained_logos: int
    expanded: list[AccountMove] = Field(default_factory=list)
    contracted: list[AccountMove] = Field(default_factory=list)
    churned: list[AccountMove] = Field(default_factory=list)
    flat: list[AccountMove] = Field(default_factory=list)
    new: list[AccountMove] = Field(
        default_factory=list, description="ARR 0 on period_start, paying on period_end: context"
    )


def nrr(portfolio: PortfolioData, start: date, end: date) -> NrrResult:
    """Compute NRR, GRR and logo retention of the accounts paying on `start`, at `end`.

    Args:
        portfolio: the portfolio loaded as of `end` or later.
        start: day a, which defines the cohort (ARR > 0 that day).
        end: day b, the as-of date of the report; nothing dated later is used.

    Returns:
        The buckets with their accounts and the three ratios (None with a gap when the
        cohort's start ARR is 0).

    Raises:
        ValueError: when start is not before end, or end is after the portfolio's as-of.
    """
    if start >= end:
        raise ValueError(f"the period start ({start}) must be before its end ({end})")
    if end > portfolio.as_of:
        raise ValueError(f"the period end ({end}) is after the data's as-of ({portfolio.as_of})")
    gaps = Gaps(portfolio.workspace)
    buckets: dict[str, list[AccountMove]] = defaultdict(list)
    for data in portfolio.accounts.values():
        a, b = arr_on(data, start), arr_on(data, end)
        move = AccountMove(
            account_id=data.account_id, name=data.name, start_arr=a, end_arr=b, change=b - a
        )
        buckets[_bucket(a, b)].append(move)
        if not a and not b and _unknown_arr(data, end):
            gaps.add(
                "contracts",
                "nrr: cohort",
                account_id=data.account_id,
                detail="active account with no contract row on record",
            )
    for moves in buckets.values():
        moves.sort(key=lambda m: (-abs(m.change), m.name.lower(), m.account_id))
    return _nrr_result(portfolio, start, end, buckets, gaps)


def _bucket(a: float, b: float) -> str:
    """Place one account by its ARR on day a and day b."""
    if a <= 0:
        return "new" if b > 0 else "none"
    if b <= 0:
        return "churned"
    if b > a:
        return "expanded"
    return "contracted" if b < a else "flat"


def _unknown_arr(data: AccountData, end: date) -> bool:
    """Tell whether an account not churned by `end` has no contract row at all."""
    return not data.account.is_churned_on(end) and not any(
        c.start_date <= end for c in data.contracts
    )


def _nrr_result(
    portfolio: PortfolioData,
    start: date,
    end: date,
    buckets: dict[str, list[AccountMove]],
    gaps: Gaps,
) -> NrrResult:
    """Sum the buckets into the report and its ratios."""
    cohort = [m for k in ("expanded", "contracted", "churned", "flat") for m in buckets[k]]
    start_arr = sum(m.start_arr for m in cohort)
    expansion = sum(m.change for m in buckets["expanded"])
    contraction = -sum(m.change for m in buckets["contracted"])
    churn = sum(m.start_arr for m in buckets["churned"])
    retained = len(cohort) - len(buckets["churned"])
    ratios: tuple[float | None, float | None, float | None] = (None, None, None)
    if start_arr > 0:
        ratios = (
            (start_arr + expansion - contraction - churn) / start_arr,
            (start_arr - contraction - churn) / start_arr,
            retained / len(cohort),
        )
    else:
        gaps.add(
            "contracts",
            "nrr: start_arr",
            detail=f"no account had ARR > 0 on {start}: the ratios are undefined",
        )
    return NrrResult(
        as_of=end,
        gaps=gaps.list(),
        period_start=start,
        period_end=end,
        start_arr=start_arr,
        end_arr=sum(m.end_arr for m in cohort),
        expansion=expansion,
        contraction=contraction,
        churn=churn,
        nrr=ratios[0],
        grr=ratios[1],
        logo_retention=ratios[2],
        cohort_size=len(cohort),
        retained_logos=retained,
        expanded=buckets["expanded"],
        contracted=buckets["contracted"],
        churned=buckets["churned"],
        flat=buckets["flat"],
        new=buckets["new"],
    )


class CohortPoint(BaseModel):
    """Retention of one cohort at month k (None: not reached by as-of)."""

    month: int
    logo_retention: float | None
    revenue_retention: float | None
    accounts_paying: int | None = None
    arr: float | None = None


class Cohort(BaseModel):
    """The accounts whose first contract started in one calendar month."""

    cohort: str = Field(description="first-contract month, YYYY-MM")
    accounts: int
    start_arr: float = Field(description="the cohort's ARR at month 0")
    months: list[CohortPoint]
    account_ids: list[str]


class CohortResult(Result):
    """Logo and revenue retention by first-contract month at months 0, 1, 2, 3, 6, 12."""

    command: Literal["cohorts"] = "cohorts"
    months: list[int] = Field(default_factory=lambda: list(COHORT_MONTHS))
    cohorts: list[Cohort]


def cohorts(portfolio: PortfolioData, as_of: date | None = None) -> CohortResult:
    """Build the retention cohort table by first-contract month.

    Args:
        portfolio: the loaded portfolio.
        as_of: the point in time (default: the portfolio's); contracts starting later are
            ignored and months not reached by then are None.

    Returns:
        One row per cohort month, oldest first, with logo and revenue retention per month.
    """
    day = as_of or portfolio.as_of
    gaps = Gaps(portfolio.workspace)
    groups: dict[date, list[tuple[AccountData, date]]] = defaultdict(list)
    for data in portfolio.accounts.values():
        starts = [c.start_date for c in data.contracts if c.start_date <= day]
        if not starts:
            if not data.account.is_churned_on(day):
                gaps.add(
                    "contracts",
                    "cohorts: first-contract month",
                    account_id=data.account_id,
                    detail="no contract row on record",
                )
            continue
        first = min(starts)
        groups[first.replace(day=1)].append((data, first))
    rows = [_cohort(month, members, day, gaps) for month, members in sorted(groups.items())]
    return CohortResult(as_of=day, gaps=gaps.list(), cohorts=rows)


def _cohort(
    month: date, members: list[tuple[AccountData, date]], as_of: date, gaps: Gaps
) -> Cohort:
    """Measure one cohort at each of COHORT_MONTHS."""
    base = sum(arr_on(data, first) for data, first in members)
    latest_start = max(first for _, first in members)
    label = month.strftime("%Y-%m")
    if base <= 0:
        gaps.add(
            "contracts",
            f"cohorts: revenue retention of {label}",
            detail=f"the {label} cohort's ARR at month 0 is 0",
        )
    points = []
    for k in COHORT_MONTHS:
        if add_months(latest_start, k) > as_of:
            points.append(CohortPoint(month=k, logo_retention=None, revenue_retention=None))
            continue
        arrs = [arr_on(data, add_months(first, k)) for data, first in members]
        paying = sum(a > 0 for a in arrs)
        points.append(
            CohortPoint(
                month=k,
                logo_retention=paying / len(members),
                revenue_retention=sum(arrs) / base if base > 0 else None,
                accounts_paying=paying,
                arr=sum(arrs),
            )
        )
    return Cohort(
        cohort=label,
        accounts=len(members),
        start_arr=base,
        months=points,
        account_ids=sorted(data.account_id for data, _ in members),
    )


def add_months(day: date, months: int) -> date:
    """Return the same day `months` calendar months later, clamped to the month's end."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
