"""Render an expansion result (`csm expansion`): ranked opportunities, evidence, held back.

A narrow ranked table (signals, action, timing, labelled revenue estimate), then per account
the evidence of each signal with the free-text quotes beside it, the estimate's basis, the
budget owner and open CRM opportunities (context, not signals); accounts held back for churn
risk get their own section. A portfolio scan summarises its gaps by signal; one account lists
them.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.churn import ACCOUNT_WIDTH, Detail, details_table, single_account_gaps
from agent.render.common import gaps_section, gaps_summary, header, money, stack
from tools.expansion import ExpansionOpportunity, ExpansionResult, HeldBack, OpenOpportunity


def render_expansion(result: ExpansionResult) -> RenderableType:
    """Render the opportunities table, the evidence per account, and the held-back accounts."""
    names = {o.account_id: o.name for o in result.opportunities}
    names |= {h.account_id: h.name for h in result.held_back}
    title = "Expansion opportunities"
    single = result.account_id is not None
    if single:
        title += f" for {result.name or names.get(result.account_id or '', result.account_id)}"
    return stack(
        header(title, result.as_of),
        _opportunities(result.opportunities, result.scanned),
        _details(result.opportunities, single),
        _held_back(result.held_back),
        gaps_section(single_account_gaps(result.gaps)) if single else gaps_summary(result.gaps),
    )


def _estimate(o: ExpansionOpportunity) -> Text:
    if o.revenue_estimate is None:
        return Text("no estimate", style="dim")
    return Text(f"{money(o.revenue_estimate)} (estimate)")


def _timing(o: ExpansionOpportunity) -> str:
    return f"renewal {o.renewal_date}" if o.timing == "renewal" and o.renewal_date else o.timing


def _opportunities(opps: list[ExpansionOpportunity], scanned: int) -> RenderableType:
    if not opps:
        return Text(f"No expansion signal fired ({scanned} account(s) checked).", style="dim")
    table = Table(title=f"Opportunities ({len(opps)}), by revenue estimate", title_justify="left")
    for col in ("#", "account", "signals", "action", "timing", "revenue estimate"):
        table.add_column(col, justify="right" if col in ("#", "revenue estimate") else "left")
    table.columns[1].max_width = ACCOUNT_WIDTH
    table.columns[2].no_wrap = table.columns[3].no_wrap = True  # one vocabulary word each
    for i, o in enumerate(opps, start=1):
        signals = "\n".join(s.kind for s in o.signals)
        revenue = (
            Text("none", style="dim") if o.revenue_estimate is None else money(o.revenue_estimate)
        )
        table.add_row(str(i), o.name, signals, o.action, _timing(o), revenue)
    return table


def _owner(o: ExpansionOpportunity) -> Text:
    if o.budget_owner is None:
        return Text("none on record (see data gaps)", style="dim")
    b = o.budget_owner
    return Text(b.name + f" ({', '.join(x for x in (b.title, b.role) if x)})")


def _opportunity(o: OpenOpportunity) -> str:
    amount = money(o.amount) if o.amount is not None else "no amount"
    return f"{o.opportunity_id}: {o.kind}, {o.stage or 'no stage'}, {amount}, opened {o.created_at}"


def _details(opps: list[ExpansionOpportunity], single: bool) -> RenderableType | None:
    groups = []
    for i, o in enumerate(opps, start=1):
        rows: list[Detail] = []
        for s in o.signals:
            text = Text(s.evidence)
            for q in s.quotes:
                text.append(f'\n{q.source} {q.id or ""} {q.date}: "{q.text}"', style="dim italic")
            rows.append((f"{s.kind} ({s.strength})", text))
        if o.revenue_estimate is None:
            basis = Text(o.estimate_basis)
        else:  # the figure, labelled, then how it was computed
            how = o.estimate_basis.removeprefix("estimate: ")
            basis = Text.assemble(_estimate(o), ": ", how)
        rows.append(("revenue estimate", basis))
        rows.append(("budget owner", _owner(o)))
        if o.open_opportunities:
            context = "\n".join(_opportunity(x) for x in o.open_opportunities)
            rows.append(("open in CRM (context)", context))
        groups.append((None if single else f"{i}. {o.name}", rows))
    return details_table("Evidence, revenue basis and budget owner", groups)


def _held_back(held: list[HeldBack]) -> RenderableType | None:
    if not held:
        return None
    groups = [
        (
            h.name,
            [
                ("ARR", money(h.arr)),
                ("why held back", h.reason),
                ("expansion signals", ", ".join(h.signals)),
            ],
        )
        for h in held
    ]
    return details_table(f"Held back ({len(held)}): save first, expand later", groups)
