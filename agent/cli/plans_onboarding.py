"""The first-90-days documents: `csm onboarding`, `csm success-plan` and `csm handoff`.

Each is parse -> load the one account with the window its tool reads -> build -> print the
Markdown (or JSON with --json).
"""

from __future__ import annotations

from datetime import date

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

NOT_READ = {
    "onboarding": frozenset({"users", "plays", "feature_usage"}),
    "success-plan": frozenset({"users", "notes", "plays", "feature_usage"}),
    "handoff": frozenset({"users", "plays", "feature_usage"}),
}
"""Tables each command's tools never read (see memory.read.OPTIONAL_TABLES)."""
SUCCESS_PLAN_USAGE_DAYS = 60
"""Health (engine, no trend) and churn read logins of the last 30 days and the 30 before."""
ONBOARDING_MAX_DAYS = 3 * 365
"""The longest usage window the onboarding plan loads (day 0 up to as-of)."""


def _onboarding_usage_days(account: str, day: date) -> tuple[str, int]:
    """Resolve the account and return how many days of usage reach back to its day 0."""
    from tools.plans.onboarding_text import first_contract_start

    data, account_id = portfolio(
        day,
        usage_days=1,
        account=account,
        skip=frozenset({"users", "notes", "plays", "feature_usage"}),
    )
    assert account_id is not None
    acc = data.get(account_id)
    anchor = acc.account.kickoff_date or acc.account.go_live_date
    anchor = anchor or first_contract_start(acc, day)
    if anchor is None or anchor >= day:
        return account_id, 1
    return account_id, min((day - anchor).days + 1, ONBOARDING_MAX_DAYS)


@app.command()
@friendly_errors
def onboarding(account: AccountArg, as_of: AsOf = None, json: Json = False) -> None:
    """Build the dated 90-day onboarding plan: steps by phase, TTFV against target, risk flags.

    Example: csm onboarding "Aperture Clinics" --as-of 2026-11-23
    """
    from agent.render.onboarding import to_markdown
    from tools.plans.onboarding import build_onboarding

    day = as_of or today()
    account_id, days = _onboarding_usage_days(account, day)
    data, _ = portfolio(day, usage_days=days, account=account_id, skip=NOT_READ["onboarding"])
    emit_markdown(build_onboarding(data, account_id, day), to_markdown, json)


def _domain(err: ValueError) -> CliError:
    return CliError(str(err), 2)


@app.command(name="success-plan")
@friendly_errors
def success_plan(account: AccountArg, as_of: AsOf = None, json: Json = False) -> None:
    """Build the success plan: stakeholders, objectives, milestones, risks and next review.

    Example: csm success-plan "Acme Corp"
    """
    from agent.render.success_plan import to_markdown
    from tools.plans.success_plan import build_success_plan

    day = as_of or today()
    data, account_id = portfolio(
        day, usage_days=SUCCESS_PLAN_USAGE_DAYS, account=account, skip=NOT_READ["success-plan"]
    )
    try:
        result = build_success_plan(data, account_id, day)
    except ValueError as err:
        raise _domain(err) from None
    emit_markdown(result, to_markdown, json)


@app.command()
@friendly_errors
def handoff(account: AccountArg, as_of: AsOf = None, json: Json = False) -> None:
    """Build the sales-to-CS handoff record: promises, goals, red flags, setup, relationships.

    Example: csm handoff "Acme Corp"
    """
    from agent.citations import TOPICS, cite_notes, cited, with_notes
    from agent.render.handoff import to_markdown
    from tools.plans.handoff import build_handoff

    day = as_of or today()
    data, account_id = portfolio(day, usage_days=1, account=account, skip=NOT_READ["handoff"])
    result = build_handoff(data, account_id, day)
    cites = cite_notes(result.account_id, TOPICS["handoff"], day)
    emit_markdown(cited(result, cites), with_notes(to_markdown), json)
