"""`csm sync SOURCE` and `csm connectors`: bring vendor data in, and see each source's state."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer
from pydantic import BaseModel, Field
from rich.console import Group, RenderableType
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table
from rich.text import Text

from agent.cli.app import CliError, Json, app, console, emit, friendly_errors
from agent.cli.context import current_store, workspace
from agent.settings import get_settings
from connectors.sync.runner import SyncReport
from connectors.sync.state import SyncState

SKIPPED_SHOWN = 50
"""Skipped records listed in the summary (the JSON has them all)."""


class ConnectorStatus(BaseModel):
    """One source as `csm connectors` shows it."""

    name: str
    configured: bool
    missing: str | None = Field(None, description="what to set when not configured")
    state: SyncState | None = Field(None, description="the last sync, None if never")


class ConnectorsReport(BaseModel):
    """Every known source, configured or not, with its last sync."""

    connectors: list[ConnectorStatus]


@app.command("sync")
@friendly_errors
def sync_cmd(
    source: Annotated[str, typer.Argument(help="hubspot, salesforce, zendesk or stripe.")],
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only records changed on or after this date (YYYY-MM-DD). Stripe cannot list "
            "by change: it reads invoices created up to 90 days before it (option "
            "invoice_lookback_days) and every subscription.",
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Read everything again, ignoring the stored cursor.")
    ] = False,
    json: Json = False,
) -> None:
    """Sync a CRM, support desk or billing system into the account store.

    Pages are stored one transaction at a time: an interrupted sync resumes where it
    stopped, and the next run reads only what changed. Records that cannot be placed (an
    unknown organisation, a malformed date) are listed with their ids and skipped.

    Example: csm sync hubspot --since 2026-10-01
    """
    from connectors.sync.base import SourceNotConfigured
    from connectors.sync.registry import create_source
    from connectors.sync.runner import sync

    settings = get_settings()
    start = _since(since)
    try:
        src = create_source(source, settings, workspace())
    except SourceNotConfigured as err:
        raise CliError(f"{source} is not configured: {err}", 2) from None
    except ValueError as err:
        raise CliError(str(err), 2) from None
    store = current_store()
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            console=console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task(f"{source}: reading the first page", total=None)

            def progress(pages: int, rows: dict[str, int]) -> None:
                counts = ", ".join(f"{n:,} {entity}" for entity, n in rows.items()) or "no rows"
                bar.update(task, description=f"{source}: page {pages} stored ({counts})")

            report = sync(
                store,
                src,
                since=start,
                full=full,
                progress=progress,
                home=settings.home,
                notes_index=_notes_opener(),
            )
    finally:
        store.dispose()
    emit(report, render_sync, json)
    if report.status != "ok":
        raise typer.Exit(1)


@app.command("connectors")
@friendly_errors
def connectors_cmd(json: Json = False) -> None:
    """List the sync sources: configured or not (and what to set), last sync, cursor, rows.

    Example: csm connectors --json
    """
    from connectors.sync.base import SourceNotConfigured
    from connectors.sync.registry import source_class, source_names
    from connectors.sync.state import all_states

    settings, profile = get_settings(), workspace()
    store = current_store()
    try:
        states = all_states(store)
    finally:
        store.dispose()
    out = []
    for name in source_names():
        missing = None
        try:
            source_class(name).from_settings(settings, profile)
        except SourceNotConfigured as err:
            missing = str(err)
        except ImportError:
            missing = f"the {name} connector is not installed in this version"
        except Exception as err:  # noqa: BLE001 (one broken connector must not hide the rest)
            missing = f"the {name} connector cannot be loaded: {type(err).__name__}: {err}"
        out.append(
            ConnectorStatus(
                name=name, configured=missing is None, missing=missing, state=states.get(name)
            )
        )
    emit(ConnectorsReport(connectors=out), render_connectors, json)


def render_sync(report: SyncReport) -> RenderableType:
    """Render a sync report: rows per entity, skipped records, errors."""
    parts: list[RenderableType] = []
    how = "resumed" if report.resumed else ("full" if report.full else "sync")
    verb = "finished" if report.status == "ok" else "FAILED"
    parts.append(Text(f"{report.source} {how} {verb}: {report.pages} page(s) stored."))
    table = Table(title_justify="left")
    table.add_column("entity")
    table.add_column("rows", justify="right")
    for entity, n in report.rows.items():
        table.add_row(entity, f"{n:,}")
    if report.rows:
        parts.append(table)
    else:
        parts.append(Text("No rows changed."))
    if report.skipped:
        parts.append(Text(f"{len(report.skipped)} record(s) skipped:"))
        for s in report.skipped[:SKIPPED_SHOWN]:
            parts.append(Text(f"  {s.entity} {s.source_id}: {s.problem}"))
        if len(report.skipped) > SKIPPED_SHOWN:
            parts.append(Text(f"  ... and {len(report.skipped) - SKIPPED_SHOWN} more (--json)"))
    if report.notes_indexed:
        parts.append(Text(f"Notes index: {report.notes_indexed:,} notes and tickets indexed."))
    if report.profile_marked:
        parts.append(
            Text(f"Workspace profile: {report.source} recorded as your {_category(report)}.")
        )
    for warning in report.warnings:
        parts.append(Text(f"warning: {warning}"))
    for error in report.errors:
        parts.append(Text(f"error: {error}"))
    if report.status != "ok":
        parts.append(Text("The pages stored stay; run the same command again to resume."))
    return Group(*parts)


def render_connectors(report: ConnectorsReport) -> RenderableType:
    """Render the sources as a table."""
    table = Table(title="Sync sources", title_justify="left")
    for column in ("source", "configured", "last sync", "status", "rows", "errors"):
        table.add_column(column)
    for c in report.connectors:
        state = c.state
        when = f"{state.finished_at or state.started_at:%Y-%m-%d %H:%M} UTC" if state else "never"
        rows = ", ".join(f"{n:,} {e}" for e, n in state.rows.items()) if state else ""
        table.add_row(
            Text(c.name),
            Text("yes" if c.configured else f"no: {c.missing}"),
            Text(when),
            Text(state.status if state else ""),
            Text(rows),
            Text(str(len(state.errors)) if state and state.errors else ""),
        )
    return table


def _category(report: SyncReport) -> str:
    from memory.workspace import CATEGORIES

    return CATEGORIES.get(report.profile_marked or "", ("system", ""))[0]


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(f"--since {text!r}: not a date (expected YYYY-MM-DD)", 2) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _notes_opener():  # noqa: ANN202
    from memory.notes import open_index

    return lambda: open_index(get_settings())
