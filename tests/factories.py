"""Tiny builders for hand-made portfolios in tool tests (no database needed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from memory.read import AccountData, PortfolioData, UsageDay
from memory.workspace import WorkspaceProfile


def days(start: date, end: date) -> list[date]:
    """Return every date from start to end inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def daily_usage(
    start: date,
    end: date,
    *,
    active_users: int | None | Callable[[date], int | None] = 10,
    logins: int | None | Callable[[date], int | None] = 10,
    sessions: int | None = 10,
    core_actions: int | None = 10,
    users_30d: int | None = 20,
) -> list[UsageDay]:
    """Return one usage row per day; a callable value is called with the day."""

    def val(v, d):  # noqa: ANN001
        return v(d) if callable(v) else v

    return [
        UsageDay(d, val(active_users, d), val(logins, d), sessions, core_actions, users_30d)
        for d in days(start, end)
    ]


def portfolio(
    as_of: date,
    *accounts: AccountData,
    features: dict[str, str | None] | None = None,
    workspace: WorkspaceProfile | None = None,
    usage_days: int = 400,
) -> PortfolioData:
    """Wrap hand-built accounts in a PortfolioData as of `as_of`."""
    return PortfolioData(
        as_of=as_of,
        usage_since=as_of - timedelta(days=usage_days - 1),
        accounts={a.account_id: a for a in accounts},
        features=features or {},
        workspace=workspace or WorkspaceProfile(),
    )
