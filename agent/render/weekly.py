"""Render the weekly health scan (`csm scan`): 3 priority accounts, the pattern, tier moves.

Short by design: the three accounts to act on with one action each, the single pattern to
escalate, and the tier moves since last week. With `--all` every qualifying account and
every pattern candidate follow. A long gap list is summarised by signal.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.common import (
    gaps_section,
    gaps_summary,
    header,
    money,
    pct,
    risk_text,
    stack,
    tier_text,
)
from tools.weekly import Pattern, TierMove, WeeklyAccount, WeeklyScanResult

MAX_LISTED_GAPS = 20


def render_weekly(result: WeeklyScanResult) -> RenderableType:
    """Render the weekly scan; the long lists only when it was run with show_all."""
    names = {i.account_id: i.name for i in [*result.priority, *result.all]}
    many = len(result.gaps) > MAX_LISTED_GAPS
    return stack(
        header("Weekly health scan", result.as_of),
        _accounts(
            f"This week's priority accounts ({len(result.priority)} of {result.qualifying})",
            result.priority,
        ),
        _pattern(result.pattern),
        _moves("Moved down a tier since last week", result.moved_down),
        _moves("Moved up a tier since last week", result.moved_up),
        _features(result),
        _accounts("All qualifying accounts", result.all) if result.show_all else None,
        _patterns(result.patterns) if result.show_all and result.patterns else None,
        gaps_summary(result.gaps) if many else gaps_section(result.gaps, names=names),
    )


def _accounts(title: str, items: list[WeeklyAccount]) -> RenderableType:
    if not items:
        return Text("No account needs attention this week.", style="dim")
    table = Table(title=title, title_justify="left")
    for col in ("#", "account", "churn risk", "ARR", "action", "why"):
        table.add_column(col, justify="right" if col in ("#", "ARR") else "left")
    for i, item in enumerate(items, start=1):
        table.add_row(
            str(i),
            item.name,
            risk_text(item.churn_risk),
            money(item.arr),
            item.action,
            "\n".join(item.reasons),
        )
    return table


def _pattern(pattern: Pattern | None) -> Text:
    if pattern is None:
        return Text("Pattern to escalate: none (no cause shared by 2+ accounts).", style="dim")
    return Text.assemble(("Pattern to escalate: ", "bold"), pattern.summary)


def _moves(title: str, moves: list[TierMove]) -> RenderableType:
    if not moves:
        return Text(f"{title}: none.", style="dim")
    table = Table(title=f"{title} ({len(moves)})", title_justify="left")
    for col in ("account", "ARR", "from", "to", "score", "moved most"):
        table.add_column(col, justify="right" if col == "ARR" else "left")
    for m in moves:
        table.add_row(
            m.name,
            money(m.arr),
            tier_text(m.from_tier),
            tier_text(m.to_tier),
            f"{m.from_score} -> {m.to_score}",
            m.reason,
        )
    return table


def _features(result: WeeklyScanResult) -> Table | None:
    if not result.declining_features:
        return None
    table = Table(title="Features declining across the portfolio (28 days)", title_justify="left")
    for col in ("feature", "active users", "change", "accounts down 10%+"):
        table.add_column(col)
    for t in result.declining_features:
        table.add_row(
            t.feature, f"{t.previous} -> {t.current}", pct(t.change, 0), str(len(t.accounts))
        )
    return table


def _patterns(patterns: list[Pattern]) -> Table:
    table = Table(title="Pattern candidates, by ARR behind them", title_justify="left")
    for col in ("cause", "accounts", "ARR", "summary"):
        table.add_column(col, justify="right" if col in ("accounts", "ARR") else "left")
    for p in patterns:
        table.add_row(p.feature or p.kind, str(len(p.account_ids)), money(p.arr), p.summary)
    return table
