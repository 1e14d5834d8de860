"""The review commands: `csm analysis` (openclaw 7.1) and `csm playbooks` (openclaw 7.2).

Each is parse -> load the portfolio for the window it needs -> call one tool -> Markdown.
"""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.app import AsOf, CliError, Json, app, emit_markdown, friendly_errors, today
from agent.cli.context import portfolio

BACKTEST_USAGE_DAYS = 365 + 150
"""Days of usage the backtest reads (its flagged accounts are scored 90 days back)."""
NOT_READ = frozenset({"users", "notes"})
"""Tables neither command reads."""

Quarter = Annotated[
    str | None,
    typer.Option(
        "--quarter",
        help="Calendar quarter to analyse, YYYYQn (e.g. 2026Q3). Default: the quarter of "
        "--as-of, to date.",
        metavar="YYYYQn",
        show_default=False,
    ),
]
Profile = Annotated[str, typer.Option(help="Health model: engine, leading80, ops or sales.")]


def _check_profile(profile: str) -> None:
    from tools.health import PROFILES

    if profile not in PROFILES:
        raise CliError(f"unknown profile '{profile}': choose one of {', '.join(PROFILES)}", 2)


@app.command()
@friendly_errors
def analysis(
    quarter: Quarter = None,
    profile: Profile = "engine",
    as_of: AsOf = None,
    json: Json = False,
) -> None:
    """Analyse a quarter against the one before: retention, TTFV, health, QBRs, saves, expansion.

    Moves over 10% are flagged with the accounts behind them.
    Example: csm analysis --quarter 2026Q3
    """
    from agent.render.analysis import to_markdown
    from tools.plans.analysis import QuarterError, build_analysis, quarter_of, usage_days_needed

    _check_profile(profile)
    day = as_of or today()
    label = quarter or quarter_of(day)
    try:
        usage_days = usage_days_needed(label, day)
    except QuarterError as err:
        raise CliError(str(err), 2) from None
    data, _ = portfolio(day, usage_days=usage_days, skip=NOT_READ)
    try:
        result = build_analysis(data, label, day, profile)
    except ValueError as err:
        raise CliError(str(err), 2) from None
    emit_markdown(result, to_markdown, json)


@app.command()
@friendly_errors
def playbooks(profile: Profile = "engine", as_of: AsOf = None, json: Json = False) -> None:
    """Review the playbooks: keep, change, drop or test next, with the health model's backtest.

    Example: csm playbooks
    """
    from agent.render.playbooks import to_markdown
    from tools.plans.playbooks import build_playbooks

    _check_profile(profile)
    day = as_of or today()
    data, _ = portfolio(day, usage_days=BACKTEST_USAGE_DAYS, skip=NOT_READ)
    emit_markdown(build_playbooks(data, day, profile), to_markdown, json)
