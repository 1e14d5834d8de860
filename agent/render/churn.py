"""Render a churn result (`csm churn [ACCOUNT]`): ranked risks, their evidence, the gaps.

The scan shows a narrow ranked table (risk, ARR, escalation, signal kinds), then per account
the 48-hour action and the evidence behind each signal. A portfolio scan summarises its gaps
by signal; one account lists them.

`details_table` and `single_account_gaps` are shared by the other renderers (candidates for
agent/render/common.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.common import gaps_section, gaps_summary, header, money, risk_text, stack
from tools.churn import AccountRisk, ChurnResult
from tools.types import Gap

ACCOUNT_WIDTH = 22
"""Widest an account-name or label column gets; longer names wrap."""

Detail = tuple[str | Text, str | Text]
"""(label, text): one line of an account's details."""


def details_table(
    title: str, groups: Iterable[tuple[str | Text | None, Sequence[Detail]]]
) -> Table | None:
    """Render long text per account: the account once, then one (label, text) row per item.

    Free text gets the table's remaining width and wraps there instead of squeezing a
    column of a wide table; accounts are separated by a rule. With every account None (a
    one-account answer) the account column is left out. None when there is no row.
    """
    groups = [(account, rows) for account, rows in groups if rows]
    if not groups:
        return None
    with_account = any(account is not None for account, _ in groups)
    table = Table(title=title, title_justify="left", show_header=False)
    if with_account:
        table.add_column("account", max_width=ACCOUNT_WIDTH, overflow="fold")
    table.add_column("item", style="bold", max_width=ACCOUNT_WIDTH, overflow="fold")
    table.add_column("text", overflow="fold")
    for account, rows in groups:
        for i, (label, text) in enumerate(rows):
            cells = [label, text]
            if with_account:
                cells.insert(0, (account or "") if i == 0 else "")
            table.add_row(*cells, end_section=i == len(rows) - 1)
    return table


def single_account_gaps(gaps: Sequence[Gap]) -> list[Gap]:
    """Return the gaps without their account id: one account's answer needs no account column."""
    return [g.model_copy(update={"account_id": None}) for g in gaps]


def render_churn(result: ChurnResult) -> RenderableType:
    """Render the churn scan or one account's churn assessment."""
    single = result.scanned == 1 and len(result.accounts) == 1
    title = f"Churn risk for {result.accounts[0].name}" if single else "Churn risk assessment"
    return stack(
        header(title, result.as_of),
        _risks(result.accounts, result.scanned, single),
        _details(result.accounts, single),
        gaps_section(single_account_gaps(result.gaps)) if single else gaps_summary(result.gaps),
    )


def _escalation(risk: AccountRisk) -> Text:
    if risk.escalation == "executive":
        return Text("executive", style="bold red")
    return Text(risk.escalation or "")


def _risks(accounts: list[AccountRisk], scanned: int, single: bool) -> RenderableType:
    if not accounts or (single and accounts[0].risk is None):
        return Text(f"No churn signal fired ({scanned} account(s) checked).", style="dim")
    if single:
        a = accounts[0]
        return Text.assemble(
            ("Risk ", "bold"),
            risk_text(a.risk),
            f" · ARR {money(a.arr)} · escalation ",
            _escalation(a),
            f" · {len(a.signals)} signal(s): {', '.join(s.kind for s in a.signals)}",
        )
    table = Table(
        title=f"Flagged accounts ({len(accounts)} of {scanned}), by risk then ARR",
        title_justify="left",
    )
    for col in ("#", "account", "risk", "ARR", "escalation", "signals"):
        table.add_column(col, justify="right" if col in ("#", "ARR") else "left")
    table.columns[1].max_width = ACCOUNT_WIDTH
    for i, a in enumerate(accounts, start=1):
        table.add_row(
            str(i),
            a.name,
            risk_text(a.risk),
            money(a.arr),
            _escalation(a),
            ", ".join(s.kind for s in a.signals),
        )
    return table


def _details(accounts: list[AccountRisk], single: bool) -> Table | None:
    groups = []
    for i, a in enumerate(accounts, start=1):
        if a.risk is None:
            continue
        rows: list[Detail] = [("48-hour action", a.action)]
        rows += [(s.kind, s.evidence) for s in a.signals]
        groups.append((None if single else f"{i}. {a.name}", rows))
    return details_table("48-hour actions and the evidence behind each signal", groups)
