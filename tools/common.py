"""Shared helpers of the tools: windows, gap collection, ARR, renewal dates, usage sums.

The window convention of commands.md: "the last N days" are the N days ending on and
including as-of; "the N before" are the N days immediately before those.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from memory.read import AccountData, Contract, FeatureWeek, UsageDay
from memory.workspace import WorkspaceProfile
from tools.types import Gap

SIGNAL_CATEGORY: dict[str, str] = {
    "usage": "analytics",
    "feature_usage": "analytics",
    "features": "analytics",
    "users": "analytics",
    "users_30d": "analytics",
    "active_users": "analytics",
    "logins": "analytics",
    "core_actions": "analytics",
    "tickets": "support",
    "invoices": "billing",
    "nps": "surveys",
    "csat": "surveys",
    "surveys": "surveys",
    "goals": "cs_platform",
    "roi": "cs_platform",
    "plays": "cs_platform",
    "rate_usd": "cs_platform",
    "discount_authority": "workspace",
    "escalation_path": "workspace",
}
"""Signal -> system category; anything not listed lives in the CRM."""


def window(as_of: date, days: int, offset: int = 0) -> tuple[date, date]:
    """Return the `days` days ending `offset` days before as_of, both ends inclusive.

    window(d, 30) is "the last 30 days"; window(d, 30, 30) is "the 30 before".
    """
    end = as_of - timedelta(days=offset)
    return end - timedelta(days=days - 1), end


def within(day: date | None, start: date, end: date) -> bool:
    """Tell whether `day` is known and in [start, end]."""
    return day is not None and start <= day <= end


class Gaps:
    """Collects data gaps, merging repeats of the same signal for the same account."""

    def __init__(self, workspace: WorkspaceProfile | None = None) -> None:
        self.workspace = workspace or WorkspaceProfile()
        self._items: dict[tuple[str | None, str], Gap] = {}

    def add(
        self,
        signal: str,
        needed_for: str,
        *,
        account_id: str | None = None,
        detail: str | None = None,
        category: str | None = None,
    ) -> Gap:
        """Record that `signal` is unknown and what needed it; return the (merged) gap."""
        key = (account_id, signal)
        existing = self._items.get(key)
        if existing is not None:
            needs = existing.needed_for.split("; ")
            if needed_for not in needs:
                existing.needed_for = "; ".join([*needs, needed_for])
            if detail and not existing.detail:
                existing.detail = detail
            elif detail and detail not in existing.detail:
                existing.detail = f"{existing.detail}; {detail}"
            return existing
        cat = category or SIGNAL_CATEGORY.get(signal, "crm")
        gap = Gap(
            signal=signal,
            needed_for=needed_for,
            source=self.workspace.source(cat),
            ask=self.workspace.ask(cat),
            account_id=account_id,
            detail=detail,
        )
        self._items[key] = gap
        return gap

    def extend(self, gaps: Iterable[Gap]) -> None:
        """Merge gaps produced elsewhere."""
        for g in gaps:
            key = (g.account_id, g.signal)
            if key not in self._items:
                self._items[key] = g.model_copy()
                continue
            # a merged gap carries "a; b": add each need on its own so none is doubled
            for need in g.needed_for.split("; "):
                self.add(g.signal, need, account_id=g.account_id, detail=g.detail)

    def __len__(self) -> int:
        return len(self._items)

    def list(self) -> list[Gap]:
        """Return the gaps in the order they were first recorded."""
        return list(self._items.values())


def usage_between(usage: Sequence[UsageDay], start: date, end: date) -> Sequence[UsageDay]:
    """Return the usage rows dated in [start, end] (usage is sorted by date)."""
    lo = bisect_left(usage, start, key=_day)
    return usage[lo : bisect_right(usage, end, lo=lo, key=_day)]


def _day(row: UsageDay) -> date:
    return row.date


def feature_weeks(rows: Sequence[FeatureWeek], start: date, end: date) -> list[FeatureWeek]:
    """Return the weekly feature rows of a window: those whose week_start is in [start, end].

    One rule for every tool, so "features used in the last 30 days" means the same thing in
    the health score, the expansion scan and the weekly scan.
    """
    return [w for w in rows if start <= w.week_start <= end]


def total(rows: Iterable[object], column: str) -> int | None:
    """Sum a column over rows, skipping unknown cells; None when no cell is known."""
    known = [v for r in rows if (v := getattr(r, column)) is not None]
    return sum(known) if known else None


def mean(values: Sequence[float]) -> float | None:
    """Return the mean, or None for no values."""
    return sum(values) / len(values) if values else None


def arr_on(data: AccountData, day: date) -> float:
    """ARR on `day`: the sum of contract rows in force that day; 0 once churned."""
    if data.account.is_churned_on(day):
        return 0.0
    return sum(c.arr for c in data.contracts if c.active_on(day))


def active_contracts(data: AccountData, day: date) -> list[Contract]:
    """Return the contract rows in force on `day`."""
    return [c for c in data.contracts if c.active_on(day)]


def renewal_date(data: AccountData, day: date) -> date | None:
    """Return the renewal date: the latest end_date of the rows in force on `day`."""
    rows = active_contracts(data, day)
    return max(c.end_date for c in rows) if rows else None


def notice_deadline(data: AccountData, day: date) -> date | None:
    """Return the last day to give notice of non-renewal, when notice_days is known."""
    rows = active_contracts(data, day)
    if not rows:
        return None
    last = max(rows, key=lambda c: c.end_date)
    if last.notice_days is None:
        return None
    return last.end_date - timedelta(days=last.notice_days)


def round_half_up(value: float) -> int:
    """Round to an integer, halves away from zero (commands.md: 59.5 -> 60)."""
    from decimal import ROUND_HALF_UP, Decimal

    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


DECISION_ROLES = frozenset({"exec_sponsor", "decision_maker", "economic_buyer"})
"""Contact roles that count as the renewal decision-maker (data-format.md)."""
