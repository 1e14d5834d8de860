"""The at-risk and expansion documents: `csm save` and `csm business-case`.

Each is parse -> load the one account with the window its tools read -> build -> print the
Markdown (or JSON with --json). A churned account is refused with a pointer to `csm winback`.
"""

from __future__ import annotations

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

SAVE_USAGE_DAYS = 90 + 60 + 1
"""Health with its trend (scores 90 days back, each over 60 days of logins); churn needs 60."""
BUSINESS_CASE_USAGE_DAYS = 120 + 1
"""Expansion compares the last 30 days with the same window 90 days earlier."""
NOT_READ = {
    "save": frozenset({"users", "notes", "feature_usage"}),
    "business-case": frozenset({"plays"}),
}
"""Tables each command's tools never read (see memory.read.OPTIONAL_TABLES)."""


@app.command()
@friendly_errors
def save(account: AccountArg, as_of: AsOf = None, json: Json = False) -> None:
    """Build the save plan of an at-risk account: reason, 48-hour action, fixes, drop-dead date.

    Also: executive engagement, value recovery against the original goals, decision options
    and what needs leadership approval.
    Example: csm save "Acme Corp" --as-of 2026-11-23
    """
    from agent.citations import TOPICS, cite_notes, cited, with_notes
    from agent.render.save import to_markdown
    from tools.plans.save import build_save

    day = as_of or today()
    data, account_id = portfolio(
        day, usage_days=SAVE_USAGE_DAYS, account=account, skip=NOT_READ["save"]
    )
    try:
        result = build_save(data, account_id, day)
    except ValueError as err:
        raise CliError(str(err), 2) from None
    cites = cite_notes(result.account_id, TOPICS["save"], day)
    emit_markdown(cited(result, cites), with_notes(to_markdown), json)


@app.command("business-case")
@friendly_errors
def business_case(account: AccountArg, as_of: AsOf = None, json: Json = False) -> None:
    """Build the expansion business case of an account, or say why there is none yet.

    A high-churn-risk account gets "save first, expand later"; no signal, what would change.
    Example: csm business-case "Nimbus Software"
    """
    from agent.render.business_case import to_markdown
    from tools.plans.business_case import build_business_case

    day = as_of or today()
    data, account_id = portfolio(
        day,
        usage_days=BUSINESS_CASE_USAGE_DAYS,
        account=account,
        skip=NOT_READ["business-case"],
    )
    try:
        result = build_business_case(data, account_id, day)
    except ValueError as err:
        raise CliError(str(err), 2) from None
    emit_markdown(result, to_markdown, json)
