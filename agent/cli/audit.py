"""The `csm audit` command: the CRM audit log, every executed write and its result."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import BaseModel, Field
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from agent.cli.app import Json, app, emit, friendly_errors
from agent.cli.context import current_store
from memory.writes import AuditEntry, PendingWrite

WHAT_WIDTH = 60
"""Characters of a note's or task's text shown in the table (the JSON has all of it)."""


class AuditLog(BaseModel):
    """The audit log as `csm audit` shows it: entries newest first, and pending writes."""

    entries: list[AuditEntry]
    pending: list[PendingWrite] = Field(
        default_factory=list, description="confirmed writes not finished yet (interrupted)"
    )


@app.command()
@friendly_errors
def audit(
    account: Annotated[
        str | None,
        typer.Option("--account", help="Only the writes on this account (name or id)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Show at most N entries, newest first.")
    ] = None,
    json: Json = False,
) -> None:
    """List the CRM audit log: when, who asked, who confirmed, what was written, the result.

    Every write the agent executed after a person's yes is here, including failed ones and
    repeats that were not sent again. The JSON has every field (key `entries`).

    Example: csm audit --account "Acme Corp" --limit 20
    """
    from agent.resolve import resolve_account
    from memory.read import account_names
    from memory.writes import audit_entries, pending_writes

    store = current_store()
    try:
        account_id = (
            resolve_account(account_names(store.engine), account) if account is not None else None
        )
        log = AuditLog(
            entries=audit_entries(store, limit=limit, account_id=account_id),
            pending=[
                p for p in pending_writes(store) if account_id is None or p.account_id == account_id
            ],
        )
    finally:
        store.dispose()
    emit(log, render_audit, json)


def render_audit(log: AuditLog) -> RenderableType:
    """Render the audit log as a table (untrusted text is shown as plain text, never markup)."""
    parts: list[RenderableType] = []
    if not log.entries:
        parts.append(Text("No CRM writes yet: a write is logged here once someone confirms it."))
    else:
        table = Table(title="CRM audit log (newest first)", title_justify="left")
        table.add_column("when (UTC)", no_wrap=True)
        for column in ("who", "confirmed by", "what", "account", "result"):
            table.add_column(column)
        for e in log.entries:
            table.add_row(
                Text(f"{e.at:%Y-%m-%d %H:%M}"),
                Text(e.actor),
                Text(e.confirmed_by),
                Text(what(e.kind, e.payload)),
                Text(e.account_name),
                Text(result_text(e)),
            )
        parts.append(table)
    if log.pending:
        parts.append(
            Text(
                f"{len(log.pending)} confirmed write(s) not finished (interrupted); they "
                "complete when the agent resumes pending writes:"
            )
        )
        for p in log.pending:
            parts.append(Text(f"  {p.kind} on {p.account_id}, confirmed by {p.confirmed_by}"))
    return Group(*parts)


def what(kind: str, payload: dict[str, Any]) -> str:
    """Describe a write in one short line: its kind and the start of its text or its values."""
    if kind == "note":
        return f'note: "{_clip(str(payload.get("text", "")))}"'
    if kind == "task":
        return f'task due {payload.get("due")}: "{_clip(str(payload.get("text", "")))}"'
    if kind == "health_fields":
        return (
            f"health fields: score {payload.get('health_score')}, tier {payload.get('health_tier')}"
        )
    return kind


def result_text(entry: AuditEntry) -> str:
    """Describe the result: ok / failed / not repeated, with the record id or the error."""
    tries = f", {entry.attempts} attempts" if entry.attempts > 1 else ""
    if entry.result == "ok":
        return f"ok ({entry.record_id}{tries})"
    if entry.result == "not_repeated":
        return f"already executed, not repeated ({entry.record_id})"
    return f"failed: {entry.detail}"


def _clip(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= WHAT_WIDTH else line[: WHAT_WIDTH - 3] + "..."
