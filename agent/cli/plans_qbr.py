"""The `csm qbr` command: QBR prep document, and optionally the slide deck and trend chart."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.app import (
    AccountArg,
    AsOf,
    CliError,
    Json,
    app,
    emit_markdown,
    friendly_errors,
    today,
)
from agent.cli.context import portfolio

if TYPE_CHECKING:
    from tools.plans.qbr_models import QbrResult

DeckOption = Annotated[
    Path | None,
    typer.Option(
        "--deck", help="Also write the QBR slide deck to this .pptx file.", metavar="FILE.pptx"
    ),
]
ChartOption = Annotated[
    Path | None,
    typer.Option(
        "--chart", help="Also write the monthly usage chart to this .png file.", metavar="FILE.png"
    ),
]


@app.command()
@friendly_errors
def qbr(
    account: AccountArg,
    deck: DeckOption = None,
    chart: ChartOption = None,
    as_of: AsOf = None,
    json: Json = False,
) -> None:
    """Prepare a QBR: 60-minute agenda, monthly usage, support, goals, ROI, risks, people.

    Example: csm qbr "Acme Corp" --deck acme-qbr.pptx --chart acme-usage.png
    """
    from agent.citations import TOPICS, cite_notes, cited, with_notes
    from agent.render.qbr import to_markdown
    from tools.plans.qbr import USAGE_DAYS, build_qbr

    deck_path = _output(deck, ".pptx", "deck")
    chart_path = _output(chart, ".png", "chart")
    day: date = as_of or today()
    # every table is read: expansion needs users, notes and feature usage; the QBR, plays
    data, account_id = portfolio(day, usage_days=USAGE_DAYS, account=account)
    try:
        result = build_qbr(data, account_id, day)
    except ValueError as err:
        raise CliError(str(err), 2) from None
    written = _write_files(result, deck_path, chart_path)
    cites = cite_notes(result.account_id, TOPICS["qbr"], day)
    emit_markdown(cited(result, cites), with_notes(to_markdown), json)
    for what, path in written:
        typer.echo(f"{what} written to {path}", err=json)


def _output(path: Path | None, suffix: str, what: str) -> Path | None:
    """Check an output path before any work: the right suffix and an existing folder."""
    if path is None:
        return None
    if path.suffix.lower() != suffix:
        raise CliError(f"the {what} file must end in {suffix}: {path}", 2)
    folder = path.expanduser().resolve().parent
    if not folder.is_dir():
        raise CliError(f"cannot write the {what} to {path}: folder {folder} does not exist", 2)
    return path.expanduser()


def _write_files(
    result: QbrResult, deck: Path | None, chart: Path | None
) -> list[tuple[str, Path]]:
    """Write the chart and the deck (sharing one drawing of the chart)."""
    if deck is None and chart is None:
        return []
    from agent.render.qbr_chart import chart_png
    from agent.render.qbr_deck import write_deck

    png = chart_png(result.name, result.usage)
    written = []
    try:
        if chart is not None:
            chart.write_bytes(png)
            written.append(("Chart", chart))
        if deck is not None:
            write_deck(result, deck, chart=png)
            written.append(("Deck", deck))
    except OSError as err:
        raise CliError(
            f"cannot write {err.filename or 'the file'}: {err.strerror or err}", 1
        ) from None
    return written
