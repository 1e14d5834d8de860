"""Render the weekly health scan (`csm scan`): 3 priority accounts, the pattern, tier moves.

Short by design: the three accounts to act on (a narrow table, then each one's action and
the evidence behind it), the single pattern to escalate, and the tier moves since last week.
With `--all` every qualifying account and every pattern candidate follow. Gaps are
summarised by signal.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.churn import ACCOUNT_WIDTH, Detail, details_table
from agent.render.common import (
    TIER_STYLE,
    gaps_summary,
    header,
    money,
    pct,
    risk_text,
    stack,
)
from tools.weekly import Pattern, TierMove, WeeklyAccount, WeeklyScanResult


def render_weekly(result: WeeklyScanResult) -> RenderableType:
    """Render the weekly scan; the long lists only when it was run with show_all."""
    every = result.show_all and result.all
    return stack(
        header("Weekly health scan", result.as_of),
        _accounts(
            f"This week's priority accounts ({len(result.priority)} of {result.qualifying})",
            result.priority,
        ),
        _details("What to do this week, and why", result.priority),
        _pattern(result.pattern),
        _moves("Moved down a tier since last week", result.moved_down),
        _moves("Moved up a tier since last week", result.moved_up),
        _features(result),
        _accounts("All qualifying accounts", result.all) if every else None,
        _details("All qualifying accounts: action and why", result.all) if every else None,
        _patterns(result.patterns) if result.show_all and result.patterns else None,
        gaps_summary(result.gaps),
    )


def _accounts(title: str, items: list[WeeklyAccount]) -> RenderableType:
    if not items:
        return Text("No account needs attention this week.", style="dim")
    table = Table(title=title, title_justify="left")
    for col in ("#", "account", "churn risk", "ARR", "why (details below)"):
        table.add_column(col, justify="right" if col in ("#", "ARR") else "left")
    table.columns[1].max_width = ACCOUNT_WIDTH
    for i, item in enumerate(items, start=1):
        kinds = [s.kind for s in item.churn_signals] + [t.kind for t in item.triggers]
        table.add_row(
            str(i),
            item.name,
            risk_text(item.churn_risk),
            money(item.arr),
            ", ".join(dict.fromkeys(kinds)),
        )
    return table


def _details(title: str, items: list[WeeklyAccount]) -> RenderableType | None:
    groups = []
    for i, item in enumerate(items, start=1):
        rows: list[Detail] = [("action", item.action)]
        rows += [(s.kind, s.evidence) for s in item.churn_signals]
        rows += [(t.kind, t.evidence) for t in item.triggers]
        groups.append((f"{i}. {item.name}", rows))
    return details_table(title, groups)


def _pattern(pattern: Pattern | None) -> Text:
    if pattern is None:
        return Text("Pattern to escalate: none (no cause shared by 2+ accounts).", style="dim")
    return Text.assemble(("Pattern to escalate: ", "bold"), pattern.summary)


def _moves(title: str, moves: list[TierMove]) -> RenderableType:
    if not moves:
        return Text(f"{title}: none.", style="dim")
    table = Table(title=f"{title} ({len(moves)})", title_justify="left")
    for col in ("account", "ARR", "tier", "score", "moved most"):
        table.add_column(col, justify="right" if col == "ARR" else "left")
    table.columns[0].max_width = ACCOUNT_WIDTH
    for m in moves:
        table.add_row(
            m.name,
            money(m.arr),
            tier_move(m.from_tier, m.to_tier),
            f"{m.from_score} -> {m.to_score}",
            m.reason,
        )
    return table


def tier_move(before: str, after: str) -> Text:
    """Return a tier move as coloured tier names, e.g. 'orange -> red'."""
    return Text.assemble(
        (before, TIER_STYLE.get(before, "")), " -> ", (after, TIER_STYLE.get(after, ""))
    )


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
