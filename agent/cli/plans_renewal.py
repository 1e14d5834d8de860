"""The renewal documents: `csm renewal` (prep) and `csm renewal-package` (shareable + internal).

Each loads only the window its tools read, calls one tool and prints its Markdown.
"""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.app import (
    AccountArg,
    AsOf,
    CliError,
    Json,
    app,
    console,
    emit_markdown,
    friendly_errors,
    today,
)
from agent.cli.context import portfolio

RENEWAL_DAYS = 184 + 60 + 1
"""Usage days read: 6 monthly health scores back (up to 184 days), each needing 60 days of
logins; this also covers the usage trend (the last 90 days vs the 90 before)."""
PACKAGE_FEATURE_DAYS = 90
"""Weekly feature usage read by the expansion scan's feature ceiling (90 days)."""
RENEWAL_SKIP = frozenset({"users", "notes", "plays", "feature_usage"})
PACKAGE_SKIP = frozenset({"plays"})
"""The package's expansion scan reads users, notes and feature usage; nothing reads plays."""


@app.command()
@friendly_errors
def renewal(account: AccountArg, as_of: AsOf = None, json: Json = False) -> None:
    """Prepare a renewal: dated Day -90..-7 steps, risk, value, objections and a talk track.

    Example: csm renewal "Acme Corp"
    """
    from agent.citations import TOPICS, cite_notes, cited, with_notes
    from agent.render.renewal_prep import to_markdown
    from tools.plans.renewal_prep import build_renewal_prep

    day = as_of or today()
    data, account_id = portfolio(day, usage_days=RENEWAL_DAYS, account=account, skip=RENEWAL_SKIP)
    try:
        result = build_renewal_prep(data, account_id, day)
    except ValueError as err:
        raise CliError(str(err), 2) from None
    cites = cite_notes(result.account_id, TOPICS["renewal"], day)
    emit_markdown(cited(result, cites), with_notes(to_markdown), json)


@app.command("renewal-package")
@friendly_errors
def renewal_package(
    account: AccountArg,
    customer_only: Annotated[
        bool,
        typer.Option(
            "--customer-only",
            help="Print only the shareable document (no internal notes, no data gaps).",
        ),
    ] = False,
    as_of: AsOf = None,
    json: Json = False,
) -> None:
    """Build the renewal package: a document to share plus internal negotiation notes.

    Example: csm renewal-package "Acme Corp" --customer-only > acme-renewal.md
    """
    from agent.render.renewal_package import customer_markdown, to_markdown
    from tools.plans.renewal_package import build_renewal_package

    day = as_of or today()
    data, account_id = portfolio(
        day,
        usage_days=RENEWAL_DAYS,
        account=account,
        skip=PACKAGE_SKIP,
        feature_days=PACKAGE_FEATURE_DAYS,
    )
    try:
        result = build_renewal_package(data, account_id, day)
    except ValueError as err:
        raise CliError(str(err), 2) from None
    if not customer_only:
        emit_markdown(result, to_markdown, json)
        return
    emit_markdown(result.customer_view(), lambda _: customer_markdown(result), json)
    console(stderr=True).print(
        f"Left out: the internal negotiation notes and {len(result.gaps)} data gap(s); "
        "run without --customer-only to see them.",
        style="dim",
        markup=False,
        highlight=False,
    )
