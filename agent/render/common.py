"""Pieces every renderer shares: tier colours, money and percent formats, the gaps section."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tools.types import Gap

TIER_STYLE = {
    "green": "bold green",
    "yellow": "bold yellow",
    "orange": "bold dark_orange",
    "red": "bold red",
    "unknown": "bold white",
}
TIER_LABEL = {
    "green": "Thriving",
    "yellow": "Healthy",
    "orange": "At-Risk",
    "red": "Critical",
    "unknown": "Unknown",
}
RISK_STYLE = {"high": "bold red", "medium": "bold dark_orange", "low": "yellow"}


def tier_text(tier: str) -> Text:
    """Return the tier as coloured text, e.g. 'orange (At-Risk)'."""
    return Text(f"{tier} ({TIER_LABEL.get(tier, tier)})", style=TIER_STYLE.get(tier, ""))


def risk_text(risk: str | None) -> Text:
    """Return a churn risk level as coloured text."""
    return Text(risk or "none", style=RISK_STYLE.get(risk or "", "dim"))


def money(value: float | None) -> str:
    """Format dollars for people: $1,234,567 (unknown = '?')."""
    if value is None:
        return "?"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def pct(value: float | None, digits: int = 1) -> str:
    """Format a fraction of 1 as a percent: 0.9712 -> '97.1%' (unknown = '?')."""
    if value is None:
        return "?"
    return f"{value * 100:.{digits}f}%"


def num(value: float | None, digits: int = 1) -> str:
    """Format a number compactly (integers without decimals; unknown = '?')."""
    if value is None:
        return "?"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def gaps_section(gaps: Sequence[Gap], *, names: dict[str, str] | None = None) -> RenderableType:
    """Render the data gaps in their own table (or a line saying there are none)."""
    if not gaps:
        return Text("Data gaps: none.", style="dim")
    table = Table(title=f"Data gaps ({len(gaps)})", title_justify="left", show_lines=False)
    show_account = any(g.account_id for g in gaps)
    if show_account:
        table.add_column("account")
    for col in ("missing", "needed for", "lives in", "ask"):
        table.add_column(col)
    for g in gaps:
        missing = g.signal + (f": {g.detail}" if g.detail else "")
        row = [missing, g.needed_for, g.source, g.ask]
        if show_account:
            acc = (names or {}).get(g.account_id or "", g.account_id or "")
            row.insert(0, acc)
        table.add_row(*row)
    return table


def header(title: str, as_of: object) -> Text:
    """Return a bold title line with the as-of date."""
    return Text.assemble((title, "bold"), ("  as of ", "dim"), (str(as_of), "dim"))


def stack(*parts: RenderableType | None) -> Group:
    """Group renderables, skipping None, with a blank line between them."""
    items: list[RenderableType] = []
    for p in parts:
        if p is None:
            continue
        if items:
            items.append(Text(""))
        items.append(p)
    return Group(*items)


def gaps_summary(gaps: Sequence[Gap]) -> RenderableType:
    """Summarise gaps by signal: how many accounts lack each, what for, and who to ask."""
    if not gaps:
        return Text("Data gaps: none.", style="dim")
    groups: dict[str, list[Gap]] = {}
    for g in gaps:
        groups.setdefault(g.signal, []).append(g)
    table = Table(title=f"Data gaps ({len(gaps)}), by signal", title_justify="left")
    for col in ("missing", "accounts", "needed for", "lives in", "ask"):
        table.add_column(col, justify="right" if col == "accounts" else "left")
    for signal, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        accounts = {g.account_id for g in items if g.account_id}
        overall = [g for g in items if not g.account_id]
        missing = signal + (f": {overall[0].detail}" if overall and overall[0].detail else "")
        needs = sorted({n for g in items for n in g.needed_for.split("; ")})
        count = f"{len(accounts):,}" if accounts else ""
        if overall:
            count = f"{count} + portfolio" if count else "portfolio"
        table.add_row(
            missing,
            count,
            "; ".join(needs),
            items[0].source,
            items[0].ask,
        )
    return table
