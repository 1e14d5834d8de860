"""Render a win-back plan (`csm winback`): timing, approach, churn reason, the three e-mails."""

from __future__ import annotations

from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.render.churn import single_account_gaps
from agent.render.common import gaps_section, header, stack
from agent.render.markdown import blockquote, gaps_markdown, join, safe, table, title_block
from tools.winback import Email, WinbackResult


def render_winback(result: WinbackResult) -> RenderableType:
    """Render the plan's facts as a table, then each e-mail in its own panel."""
    return stack(
        header(f"Win-back plan for {result.name}", result.as_of),
        _facts(result),
        *(_email(e) for e in result.emails),
        gaps_section(single_account_gaps(result.gaps)),
    )


def _facts(result: WinbackResult) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold")
    table.add_column()
    days = "unknown" if result.days_since_churn is None else str(result.days_since_churn)
    approach = result.approach or "unknown (churn date not recorded)"
    if result.success_rate:
        approach += f"  (typical success rate {result.success_rate})"
    reason = result.churn_reason or "not recorded: neutral wording used (see data gaps)"
    recipient = "none on record: neutral greeting"
    if result.recipient:
        r = result.recipient
        extra = ", ".join(x for x in (r.title, r.role, r.email) if x)
        recipient = r.name + (f" ({extra})" if extra else "")
    for label, value in (
        ("churned on", str(result.churned_at or "unknown")),
        ("days since churn", days),
        ("approach", approach),
        ("churn reason", reason),
        ("write to", recipient),
    ):
        table.add_row(label, value)
    if result.in_active_campaign is False:
        table.add_row("note", Text("over 365 days: remove from active campaigns", style="yellow"))
    return table


def _email(email: Email) -> Panel:
    when = f"day {email.day}"
    if email.send_on:
        when += f", {email.send_on}" + (", date passed" if email.past else "")
    body = Text.assemble(("Subject: ", "bold"), email.subject, "\n\n", email.body)
    return Panel(body, title=f"E-mail {email.number}: {when}", title_align="left")


def to_markdown(result: WinbackResult) -> str:
    """Render the plan as Markdown: the facts, the three e-mails to edit and send, the gaps."""
    days = "unknown" if result.days_since_churn is None else str(result.days_since_churn)
    approach = result.approach or "unknown (churn date not recorded)"
    if result.success_rate:
        approach += f" (typical success rate {result.success_rate})"
    recipient = "none on record: neutral greeting"
    if result.recipient:
        r = result.recipient
        extra = ", ".join(x for x in (r.title, r.role, r.email) if x)
        recipient = r.name + (f" ({extra})" if extra else "")
    facts = table(
        ["", ""],
        [
            ["Churned on", result.churned_at or "unknown"],
            ["Days since churn", days],
            ["Approach", approach],
            ["Churn reason", result.churn_reason or "not recorded: neutral wording used"],
            ["Write to", recipient],
        ],
    )
    note = (
        "Over 365 days since churn: remove from active campaigns."
        if result.in_active_campaign is False
        else None
    )
    emails = [_email_markdown(e) for e in result.emails]
    return join(
        title_block(f"Win-back plan: {result.name}", [f"As of {result.as_of}"]),
        facts,
        note,
        *emails,
        gaps_markdown(result.gaps),
    )


def _email_markdown(email: Email) -> str:
    when = f"day {email.day}"
    if email.send_on:
        when += f", {email.send_on}" + (" (date passed)" if email.past else "")
    body = blockquote(f"Subject: {email.subject}\n\n{email.body}")
    return f"## E-mail {email.number}: {when}\n\n{safe(body)}"
