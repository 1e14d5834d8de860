"""Render an expansion result (`csm expansion`): ranked opportunities, evidence, held back.

Revenue figures are labelled as estimates with their basis; free-text quotes are shown as
quotes beside the signal they support; accounts held back for churn risk get their own
table. A portfolio scan summarises its gaps by signal; one account lists them.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.common import gaps_section, gaps_summary, header, money, stack
from tools.expansion import ExpansionOpportunity, ExpansionResult, HeldBack

MAX_LISTED_GAPS = 20


def render_expansion(result: ExpansionResult) -> RenderableType:
    """Render the opportunities table, the evidence per signal, and the held-back accounts."""
    names = {o.account_id: o.name for o in result.opportunities}
    names |= {h.account_id: h.name for h in result.held_back}
    title = "Expansion opportunities"
    if result.account_id:
        title += f" for {names.get(result.account_id, result.account_id)}"
    many = len(result.gaps) > MAX_LISTED_GAPS
    return stack(
        header(title, result.as_of),
        _opportunities(result.opportunities, result.scanned),
        _evidence(result.opportunities),
        _held_back(result.held_back),
        gaps_summary(result.gaps) if many else gaps_section(result.gaps, names=names),
    )


def _estimate(o: ExpansionOpportunity) -> Text:
    if o.revenue_estimate is None:
        return Text("no estimate", style="dim")
    return Text(f"{money(o.revenue_estimate)} (estimate)")


def _opportunities(opps: list[ExpansionOpportunity], scanned: int) -> RenderableType:
    if not opps:
        return Text(f"No expansion signal fired ({scanned} account(s) checked).", style="dim")
    table = Table(title=f"Opportunities ({len(opps)}), by revenue estimate", title_justify="left")
    for col in ("#", "account", "signals", "action", "timing", "revenue", "budget owner"):
        table.add_column(col, justify="right" if col in ("#", "revenue") else "left")
    for i, o in enumerate(opps, start=1):
        signals = ", ".join(f"{s.kind} ({s.strength})" for s in o.signals)
        timing = o.timing + (f" ({o.renewal_date})" if o.timing == "renewal" else "")
        owner = f"{o.budget_owner.name} ({o.budget_owner.role})" if o.budget_owner else "none"
        table.add_row(str(i), o.name, signals, o.action, timing, _estimate(o), owner)
    return table


def _evidence(opps: list[ExpansionOpportunity]) -> Table | None:
    if not opps:
        return None
    table = Table(title="Evidence", title_justify="left")
    for col in ("account", "signal", "evidence"):
        table.add_column(col)
    for o in opps:
        for s in o.signals:
            text = Text(s.evidence)
            for q in s.quotes:
                text.append(f'\n{q.source} {q.id or ""} {q.date}: "{q.text}"', style="dim italic")
            table.add_row(o.name, s.kind, text)
        table.add_row(o.name, "revenue basis", Text(o.estimate_basis, style="dim"))
    return table


def _held_back(held: list[HeldBack]) -> Table | None:
    if not held:
        return None
    table = Table(title=f"Held back ({len(held)}): save first, expand later", title_justify="left")
    for col in ("account", "ARR", "reason", "expansion signals"):
        table.add_column(col, justify="right" if col == "ARR" else "left")
    for h in held:
        table.add_row(h.name, money(h.arr), h.reason, ", ".join(h.signals))
    return table
