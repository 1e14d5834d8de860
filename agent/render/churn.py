"""Render a churn result (`csm churn [ACCOUNT]`): ranked risks, their evidence, the gaps.

The scan shows one table of flagged accounts (risk, ARR, signals, 48-hour action,
escalation) and one table of the evidence behind each signal. A portfolio scan summarises
its gaps by signal; one account lists them.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.common import gaps_section, gaps_summary, header, money, risk_text, stack
from tools.churn import AccountRisk, ChurnResult

MAX_LISTED_GAPS = 20


def render_churn(result: ChurnResult) -> RenderableType:
    """Render the churn scan or one account's churn assessment."""
    names = {a.account_id: a.name for a in result.accounts}
    single = result.scanned == 1 and len(result.accounts) == 1
    title = f"Churn risk for {result.accounts[0].name}" if single else "Churn risk assessment"
    many = len(result.gaps) > MAX_LISTED_GAPS
    return stack(
        header(title, result.as_of),
        _risks(result.accounts, result.scanned, single),
        _evidence(result.accounts),
        gaps_summary(result.gaps) if many else gaps_section(result.gaps, names=names),
    )


def _escalation(risk: AccountRisk) -> Text:
    if risk.escalation == "executive":
        return Text("executive", style="bold red")
    return Text(risk.escalation or "")


def _risks(accounts: list[AccountRisk], scanned: int, single: bool) -> RenderableType:
    if not accounts or (single and accounts[0].risk is None):
        return Text(f"No churn signal fired ({scanned} account(s) checked).", style="dim")
    table = Table(
        title=f"Flagged accounts ({len(accounts)} of {scanned}), by risk then ARR",
        title_justify="left",
    )
    for col in ("#", "account", "risk", "ARR", "signals", "48-hour action", "escalation"):
        table.add_column(col, justify="right" if col in ("#", "ARR") else "left")
    for i, a in enumerate(accounts, start=1):
        table.add_row(
            str(i),
            a.name,
            risk_text(a.risk),
            money(a.arr),
            ", ".join(s.kind for s in a.signals),
            a.action,
            _escalation(a),
        )
    return table


def _evidence(accounts: list[AccountRisk]) -> Table | None:
    rows = [(a.name, s.kind, s.evidence) for a in accounts for s in a.signals]
    if not rows:
        return None
    table = Table(title="Evidence", title_justify="left")
    for col in ("account", "signal", "evidence"):
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    return table
