"""The analytics commands: score, churn, renewals, expansion, roi, nrr, scan, portfolio, ...

Each is parse -> load the portfolio for the window it needs -> call one tool -> render.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer

from agent.cli.app import (
    AccountArg,
    AsOf,
    CliError,
    Json,
    app,
    emit,
    emit_markdown,
    friendly_errors,
    parse_date,
    today,
)
from agent.cli.context import portfolio

OptionalAccount = Annotated[
    str | None,
    typer.Argument(help="Account name or id; leave out to scan the whole portfolio."),
]

# Days of daily usage each command reads, ending on as-of (the longest window it looks at).
USAGE_DAYS = {
    "score": 90 + 60 + 1,  # trend 90 days back, each score needs 60 days of logins
    "churn": 60,  # usage_collapse: last 30 vs 30 before; silence: 45
    "scan": 7 + 60,  # tier moves: a score 7 days ago needs the 60 days before it (covers 7 + 56)
    "renewals": 184 + 60 + 1,  # monthly health trend: 6 months back (<= 184 days), 60 days each
    "expansion": 120 + 1,  # usage now vs the same window 90 days earlier
    "portfolio": 180 + 60 + 1,
    "backtest": 365 + 150,
}


# Tables only some tools read: the others skip loading them (users and notes are large).
NOT_READ = {
    "score": frozenset({"users", "notes", "plays"}),
    "churn": frozenset({"users", "notes", "plays", "feature_usage"}),
    "scan": frozenset({"users", "notes", "plays"}),
    "renewals": frozenset({"users", "notes", "plays", "feature_usage"}),
    "roi": frozenset({"users", "notes", "plays", "feature_usage"}),
    "nrr": frozenset({"users", "notes", "plays", "feature_usage"}),
    "cohorts": frozenset({"users", "notes", "plays", "feature_usage"}),
    "winback": frozenset({"users", "notes", "plays", "feature_usage"}),
    "backtest": frozenset({"users", "notes", "plays"}),
    "portfolio": frozenset({"users", "notes"}),
}


def _as_of(value: date | None) -> date:
    return value or today()


@app.command()
@friendly_errors
def score(
    account: AccountArg,
    profile: Annotated[
        str, typer.Option(help="Health model: engine, leading80, ops or sales.")
    ] = "engine",
    as_of: AsOf = None,
    json: Json = False,
) -> None:
    """Score an account's health, showing every dimension's signals, thresholds and points.

    Example: csm score "Acme Corp" --profile leading80
    """
    from agent.render.health import render_score
    from tools.health import PROFILES, load_model, score_account

    if profile not in PROFILES:
        raise CliError(f"unknown profile '{profile}': choose one of {', '.join(PROFILES)}", 2)
    day = _as_of(as_of)
    data, account_id = portfolio(
        day,
        usage_days=USAGE_DAYS["score"],
        account=account,
        # usage depth compares with the portfolio mean: those profiles need every account
        whole="usage_depth" in load_model(profile).kinds,
        skip=NOT_READ["score"],
    )
    emit(score_account(data, account_id, day, profile), render_score, json)


@app.command()
@friendly_errors
def churn(account: OptionalAccount = None, as_of: AsOf = None, json: Json = False) -> None:
    """Assess churn risk: one account's signals, or every flagged account ranked.

    Example: csm churn            (the portfolio)    csm churn "Acme Corp"
    """
    from agent.render.churn import render_churn
    from tools.churn import churn_account, churn_scan

    day = _as_of(as_of)
    data, account_id = portfolio(
        day, usage_days=USAGE_DAYS["churn"], account=account, skip=NOT_READ["churn"]
    )
    result = churn_scan(data, day) if account_id is None else churn_account(data, account_id, day)
    emit(result, render_churn, json)


@app.command()
@friendly_errors
def renewals(
    days: Annotated[int, typer.Option(help="Renewals due within this many days.", min=1)] = 90,
    as_of: AsOf = None,
    json: Json = False,
) -> None:
    """List the renewal pipeline: strong, manage, unknown and at-risk renewals with reasons.

    Example: csm renewals --days 90
    """
    from agent.render.renewals import render_renewals
    from tools.renewals import renewal_pipeline

    day = _as_of(as_of)
    data, _ = portfolio(day, usage_days=USAGE_DAYS["renewals"], skip=NOT_READ["renewals"])
    emit(renewal_pipeline(data, day, days=days), render_renewals, json)


@app.command()
@friendly_errors
def expansion(account: OptionalAccount = None, as_of: AsOf = None, json: Json = False) -> None:
    """Find expansion opportunities, ranked by (labelled) revenue estimate.

    Example: csm expansion            csm expansion "Globex"
    """
    from agent.render.expansion import render_expansion
    from tools.expansion import expansion_account, expansion_scan

    day = _as_of(as_of)
    data, account_id = portfolio(day, usage_days=USAGE_DAYS["expansion"], account=account)
    if account_id is None:
        result = expansion_scan(data, day)
    else:
        result = expansion_account(data, account_id, day)
    emit(result, render_expansion, json)


@app.command()
@friendly_errors
def roi(account: AccountArg, as_of: AsOf = None, json: Json = False) -> None:
    """Compute an account's documented ROI per category, with gaps for what is not tracked.

    Example: csm roi "Acme Corp"
    """
    from agent.render.roi import render_roi
    from tools.roi import roi as roi_tool

    day = _as_of(as_of)
    data, account_id = portfolio(day, usage_days=1, account=account, skip=NOT_READ["roi"])
    emit(roi_tool(data, account_id, day), render_roi, json)


@app.command()
@friendly_errors
def nrr(
    from_: Annotated[
        date | None,
        typer.Option("--from", parser=parse_date, metavar="YYYY-MM-DD", help="Period start."),
    ] = None,
    to: Annotated[
        date | None,
        typer.Option("--to", parser=parse_date, metavar="YYYY-MM-DD", help="Period end."),
    ] = None,
    json: Json = False,
) -> None:
    """Report NRR, GRR and logo retention over a period, with the accounts behind each move.

    Default period: the 12 months ending today. Example: csm nrr --from 2025-10-01 --to 2026-09-30
    """
    from agent.render.retention import render_nrr
    from tools.retention import nrr as nrr_tool

    end = to or today()
    start = from_ or end - timedelta(days=365)
    if start >= end:
        raise CliError(f"--from ({start}) must be before --to ({end})", 2)
    data, _ = portfolio(end, usage_days=1, skip=NOT_READ["nrr"])
    emit(nrr_tool(data, start, end), render_nrr, json)


@app.command()
@friendly_errors
def scan(
    show_all: Annotated[bool, typer.Option("--all", help="Show every flagged account.")] = False,
    as_of: AsOf = None,
    json: Json = False,
) -> None:
    """Run the weekly health scan: the top 3 accounts to act on, tier moves, one pattern.

    Example: csm scan            csm scan --all
    """
    from agent.cli.parallel import alongside
    from agent.render.weekly import render_weekly
    from tools.health import score_portfolio
    from tools.weekly import weekly_scan

    day = _as_of(as_of)
    data, _ = portfolio(
        day,
        usage_days=USAGE_DAYS["scan"],
        skip=NOT_READ["scan"],
        feature_days=56,  # declining features: the last 4 weeks vs the 4 before
    )
    # tier moves need every score of 7 days ago too: computed on the other core meanwhile
    week_ago = alongside(lambda: score_portfolio(data, day - timedelta(days=7)), len(data.accounts))
    emit(weekly_scan(data, day, show_all=show_all, week_ago=week_ago), render_weekly, json)


@app.command()
@friendly_errors
def cohorts(as_of: AsOf = None, json: Json = False) -> None:
    """Show logo and revenue retention by first-contract month at months 0-12.

    Example: csm cohorts
    """
    from agent.render.retention import render_cohorts
    from tools.retention import cohorts as cohorts_tool

    day = _as_of(as_of)
    data, _ = portfolio(day, usage_days=1, skip=NOT_READ["cohorts"])
    emit(cohorts_tool(data, day), render_cohorts, json)


@app.command()
@friendly_errors
def winback(account: AccountArg, as_of: AsOf = None, json: Json = False) -> None:
    """Plan a win-back for a churned account: timing, approach and three e-mails.

    Example: csm winback "Initech"
    """
    from agent.render.winback import to_markdown
    from tools.winback import winback as winback_tool

    day = _as_of(as_of)
    data, account_id = portfolio(day, usage_days=1, account=account, skip=NOT_READ["winback"])
    try:
        result = winback_tool(data, account_id, day)
    except ValueError as err:
        raise CliError(str(err), 2) from None
    emit_markdown(result, to_markdown, json)


@app.command()
@friendly_errors
def backtest(
    profile: Annotated[str, typer.Option(help="Health model to backtest.")] = "engine",
    as_of: AsOf = None,
    json: Json = False,
) -> None:
    """Backtest the health model: did it flag the accounts that churned or contracted?

    Example: csm backtest --profile leading80
    """
    from agent.render.health import render_backtest
    from tools.health import PROFILES
    from tools.health import backtest as backtest_tool

    if profile not in PROFILES:
        raise CliError(f"unknown profile '{profile}': choose one of {', '.join(PROFILES)}", 2)
    day = _as_of(as_of)
    data, _ = portfolio(day, usage_days=USAGE_DAYS["backtest"], skip=NOT_READ["backtest"])
    emit(backtest_tool(data, day, profile), render_backtest, json)


@app.command("portfolio")
@friendly_errors
def portfolio_cmd(
    profile: Annotated[str, typer.Option(help="Health model for the distribution.")] = "engine",
    as_of: AsOf = None,
    json: Json = False,
) -> None:
    """Show the weekly CS dashboard: health by count and ARR, retention, expansion, renewals.

    Example: csm portfolio
    """
    from agent.render.portfolio import render_portfolio
    from tools.health import PROFILES
    from tools.portfolio import portfolio_review

    if profile not in PROFILES:
        raise CliError(f"unknown profile '{profile}': choose one of {', '.join(PROFILES)}", 2)
    day = _as_of(as_of)
    data, _ = portfolio(day, usage_days=USAGE_DAYS["portfolio"], skip=NOT_READ["portfolio"])
    emit(portfolio_review(data, day, profile), render_portfolio, json)
