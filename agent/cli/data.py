"""Commands that bring data in or set the workspace up: import, demo, init."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from agent.cli.app import AsOf, CliError, app, console, friendly_errors, today
from agent.cli.context import current_store
from agent.settings import get_settings
from memory.workspace import (
    DiscountStep,
    SystemOwner,
    WorkspaceProfile,
    load_profile,
    save_profile,
)


def _import(folder: Path) -> None:
    from connectors.csv_import import ImportFailed, import_folder

    if not folder.is_dir():
        raise CliError(f"{folder}: not a folder (give the folder that holds accounts.csv)")
    store = current_store()
    out = console()
    try:
        with Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console(stderr=True),
            transient=True,
        ) as bar:
            tasks: dict[str, int] = {}

            def progress(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=done, total=total)

            summary = import_folder(store, folder, progress=progress)
    except ImportFailed as failed:
        err = console(stderr=True)
        err.print(
            f"Import aborted: {len(failed.errors)} problem(s); nothing was written.",
            style="bold red",
            markup=False,
        )
        for e in failed.errors[:200]:
            err.print(str(e), markup=False, highlight=False)
        if len(failed.errors) > 200:
            err.print(f"... and {len(failed.errors) - 200} more", markup=False)
        raise typer.Exit(1) from None
    finally:
        store.dispose()
    table = Table(title=f"Imported from {folder}", title_justify="left")
    table.add_column("entity")
    table.add_column("rows", justify="right")
    for entity, n in summary.rows.items():
        table.add_row(entity, f"{n:,}")
    out.print(table)
    for w in summary.warnings:
        out.print(f"warning: {w}", style="yellow", markup=False)
    if {"notes", "tickets"} & summary.rows.keys():
        _index_notes()


def _index_notes() -> None:
    """Bring the notes index up to date with the store; on failure, keep the import and say so.

    Only new or changed notes and tickets are embedded, so re-importing is quick and leaves
    the index as it was.
    """
    from memory.notes import open_index, store_documents

    err = console(stderr=True)
    try:
        store = current_store()
        try:
            docs = store_documents(store.engine)
        finally:
            store.dispose()
        with Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("notes index", total=None)
            index = open_index(get_settings())

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            synced = index.sync(docs, progress)
    except Exception as failure:  # noqa: BLE001 (the rows are saved; report and go on)
        err.print(
            f"The rows are imported, but the notes index was not updated: {failure}\n"
            "Retry with `csm notes --reindex` (notes search answers from the old index "
            "until then).",
            style="bold red",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(3) from None
    console().print(
        f"Notes index: {synced.indexed:,} notes and tickets indexed "
        f"({synced.unchanged:,} unchanged, {synced.removed:,} removed) in {index.location}.",
        markup=False,
        highlight=False,
    )


@app.command("import")
@friendly_errors
def import_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder of CSV files (spec/data-format.md).")],
) -> None:
    """Import a folder of CSV files into the account store, all or nothing.

    Every problem is listed as file:line: column: problem, and on any problem nothing is
    written. Re-importing the same rows updates them (idempotent). Notes and tickets are
    then indexed for `csm notes`; if that fails the rows stay imported, the exit code is 3,
    and `csm notes --reindex` retries.

    Example: csm import ./export
    """
    _import(folder)


DEMO_DAYS = 400


@app.command()
@friendly_errors
def demo(
    accounts: Annotated[int, typer.Option(help="How many accounts to generate.", min=1)] = 60,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same portfolio).")] = 7,
    as_of: AsOf = None,
) -> None:
    """Generate the demo portfolio (Acme Corp and ~60 accounts) and load it into CSM_HOME.

    Example: csm demo && csm score "Acme Corp"
    """
    from connectors.demo import demo_folder, generate

    folder = demo_folder(get_settings().home)
    console(stderr=True).print(
        f"Generating {accounts} demo accounts into {folder} ...", markup=False, highlight=False
    )
    # 400 days of usage: enough history for backtests 90 days before the older churns and
    # for the quarter-over-quarter analysis, at about a second more than the benchmark's 180
    generate(folder, accounts=accounts, seed=seed, as_of=as_of or today(), days=DEMO_DAYS)
    _import(folder)


def _owner_emails(pairs: list[str]) -> dict[str, str]:
    """Parse 'Owner Name=e-mail' pairs; an entry without '=' or '@' is an error."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, email = pair.partition("=")
        if not sep or not name.strip() or "@" not in email:
            raise typer.BadParameter(
                f"{pair!r}: write it as 'Owner Name=name@company.com'", param_hint="--owner-email"
            )
        out[name.strip()] = email.strip()
    return out


def _ladder(value: str) -> list[DiscountStep]:
    steps = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        role, _, pct = part.rpartition(":")
        try:
            steps.append(DiscountStep(role=role.strip(), max_discount_pct=float(pct)))
        except ValueError:
            raise typer.BadParameter(
                f"'{part}' is not ROLE:PERCENT (e.g. 'CSM:10,CS Director:20')"
            ) from None
    return steps


def _opt(name: str, what: str) -> object:
    return typer.Option(f"--{name}", envvar=f"CSM_{name.upper().replace('-', '_')}", help=what)


@app.command()
@friendly_errors
def init(
    crm: Annotated[str | None, _opt("crm", "CRM product, e.g. HubSpot.")] = None,
    crm_owner: Annotated[str | None, _opt("crm-owner", "Who owns CRM data.")] = None,
    support: Annotated[str | None, _opt("support", "Support desk, e.g. Zendesk.")] = None,
    support_owner: Annotated[str | None, _opt("support-owner", "Who owns it.")] = None,
    billing: Annotated[str | None, _opt("billing", "Billing system, e.g. Stripe.")] = None,
    billing_owner: Annotated[str | None, _opt("billing-owner", "Who owns it.")] = None,
    analytics: Annotated[str | None, _opt("analytics", "Product analytics tool.")] = None,
    analytics_owner: Annotated[str | None, _opt("analytics-owner", "Who owns it.")] = None,
    surveys: Annotated[str | None, _opt("surveys", "Survey tool, e.g. Delighted.")] = None,
    surveys_owner: Annotated[str | None, _opt("surveys-owner", "Who owns it.")] = None,
    discount_ladder: Annotated[
        str | None, _opt("discount-ladder", "Discount authority, e.g. 'CSM:10,VP CS:25'.")
    ] = None,
    escalation_path: Annotated[
        str | None, _opt("escalation-path", "Comma-separated, e.g. 'CSM,CS Manager,VP CS'.")
    ] = None,
    csat_threshold: Annotated[
        float | None, _opt("csat-threshold", "Mean CSAT below this is negative (1-5).")
    ] = None,
    owner_email: Annotated[
        list[str] | None,
        typer.Option(
            "--owner-email",
            help="An account owner as written in accounts.csm and their e-mail, "
            "'Maya Chen=maya@acme.com' (repeat the option): who they are in Slack.",
        ),
    ] = None,
    interactive: Annotated[
        bool | None,
        typer.Option(
            "--interactive/--no-interactive", help="Ask for each value (default: on a terminal)."
        ),
    ] = None,
) -> None:
    """Record the team's systems, owners and policies (the workspace profile).

    Data gaps then name your systems and who can fill them ("survey tool (Delighted)", ask
    "CS Ops"). Values come from flags, CSM_* environment variables, or prompts. Running it
    again changes only what it is given: the rest of the saved profile (connector mappings,
    owner e-mails, the other systems) stays.

    Example: csm init --crm HubSpot --crm-owner "RevOps (Dana)" --discount-ladder "CSM:10,VP:25"
    """
    import sys

    ask = sys.stdin.isatty() if interactive is None else interactive
    values = {
        "crm": [crm, crm_owner],
        "support": [support, support_owner],
        "billing": [billing, billing_owner],
        "analytics": [analytics, analytics_owner],
        "surveys": [surveys, surveys_owner],
    }
    if ask:
        for key, pair in values.items():
            pair[0] = pair[0] or typer.prompt(f"{key} system", default="", show_default=False)
            pair[1] = pair[1] or typer.prompt(f"{key} owner", default="", show_default=False)
        discount_ladder = discount_ladder or typer.prompt(
            "discount ladder (ROLE:PCT,...)", default="", show_default=False
        )
        escalation_path = escalation_path or typer.prompt(
            "escalation path (comma-separated)", default="", show_default=False
        )
    saved = load_profile(get_settings().home)
    changes: dict[str, object] = {}
    for key, (system, owner) in values.items():
        before: SystemOwner = getattr(saved, key)
        changes[key] = SystemOwner(system=system or before.system, owner=owner or before.owner)
    if discount_ladder:
        changes["discount_authority"] = _ladder(discount_ladder)
    if escalation_path:
        changes["escalation_path"] = [p.strip() for p in escalation_path.split(",") if p.strip()]
    if csat_threshold is not None:
        changes["csat_threshold"] = csat_threshold
    if owner_email:
        changes["owner_emails"] = {**saved.owner_emails, **_owner_emails(owner_email)}
    try:
        profile = WorkspaceProfile.model_validate({**saved.model_dump(), **changes})
    except ValueError as err:
        raise CliError(f"invalid workspace profile: {err}") from None
    path = save_profile(get_settings().home, profile)
    console().print(f"Workspace profile saved to {path}", markup=False, highlight=False)
