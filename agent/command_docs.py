"""The runners of the document commands (plans): onboarding, QBR, renewal, save, ...

Each loads the one account (or the portfolio) with the window the CLI command of the same
name loads (agent/cli/plans_*.py constants, imported) and calls its builder; see
agent.command_runs for the context they share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.command_args import AccountArgs, AnalysisArgs, NotesArgs, ProfileArgs
from agent.command_runs import ALL_OPTIONAL, CommandError, RunContext, one_account

if TYPE_CHECKING:
    from pydantic import BaseModel


# --- documents (agent/cli/plans_*.py) --------------------------------------------------------


def _with_citations(
    document: str, result: BaseModel, account_id: str, ctx: RunContext
) -> BaseModel:
    """Attach the account's notes closest to the document's topic (agent.citations).

    The result keeps its type and keys and gains `cited_notes` (untrusted quotes, best
    first; none when the notes index is missing, empty or unusable).
    """
    from agent.citations import TOPICS, cite_notes, cited

    return cited(result, cite_notes(account_id, TOPICS[document], ctx.as_of))


def onboarding(args: AccountArgs, ctx: RunContext) -> BaseModel:
    """Build the dated 90-day onboarding plan (usage read back to the account's day 0)."""
    from agent.cli.plans_onboarding import NOT_READ, ONBOARDING_MAX_DAYS
    from tools.plans.onboarding import build_onboarding
    from tools.plans.onboarding_text import first_contract_start

    account_id = ctx.resolve(args.account)
    acc = ctx.load(1, account_id, skip=ALL_OPTIONAL).get(account_id)
    anchor = acc.account.kickoff_date or acc.account.go_live_date
    anchor = anchor or first_contract_start(acc, ctx.as_of)
    days = 1
    if anchor is not None and anchor < ctx.as_of:
        days = min((ctx.as_of - anchor).days + 1, ONBOARDING_MAX_DAYS)
    data = ctx.load(days, account_id, skip=NOT_READ["onboarding"])
    return build_onboarding(data, account_id, ctx.as_of)


def success_plan(args: AccountArgs, ctx: RunContext) -> BaseModel:
    """Build the success plan."""
    from agent.cli.plans_onboarding import NOT_READ, SUCCESS_PLAN_USAGE_DAYS
    from tools.plans.success_plan import build_success_plan

    data, account_id = one_account(
        ctx, args.account, SUCCESS_PLAN_USAGE_DAYS, skip=NOT_READ["success-plan"]
    )
    return build_success_plan(data, account_id, ctx.as_of)


def handoff(args: AccountArgs, ctx: RunContext) -> BaseModel:
    """Build the sales-to-CS handoff record."""
    from agent.cli.plans_onboarding import NOT_READ
    from tools.plans.handoff import build_handoff

    data, account_id = one_account(ctx, args.account, 1, skip=NOT_READ["handoff"])
    return _with_citations("handoff", build_handoff(data, account_id, ctx.as_of), account_id, ctx)


def qbr(args: AccountArgs, ctx: RunContext) -> BaseModel:
    """Prepare a QBR (every table is read)."""
    from tools.plans.qbr import USAGE_DAYS, build_qbr

    data, account_id = one_account(ctx, args.account, USAGE_DAYS)
    return _with_citations("qbr", build_qbr(data, account_id, ctx.as_of), account_id, ctx)


def renewal(args: AccountArgs, ctx: RunContext) -> BaseModel:
    """Prepare one account's renewal."""
    from agent.cli.plans_renewal import RENEWAL_DAYS, RENEWAL_SKIP
    from tools.plans.renewal_prep import build_renewal_prep

    data, account_id = one_account(ctx, args.account, RENEWAL_DAYS, skip=RENEWAL_SKIP)
    result = build_renewal_prep(data, account_id, ctx.as_of)
    return _with_citations("renewal", result, account_id, ctx)


def renewal_package(args: AccountArgs, ctx: RunContext) -> BaseModel:
    """Build the renewal package (shareable document and internal notes)."""
    from agent.cli.plans_renewal import PACKAGE_FEATURE_DAYS, PACKAGE_SKIP, RENEWAL_DAYS
    from tools.plans.renewal_package import build_renewal_package

    data, account_id = one_account(
        ctx, args.account, RENEWAL_DAYS, skip=PACKAGE_SKIP, feature_days=PACKAGE_FEATURE_DAYS
    )
    return build_renewal_package(data, account_id, ctx.as_of)


def save(args: AccountArgs, ctx: RunContext) -> BaseModel:
    """Build the save plan of an at-risk account."""
    from agent.cli.plans_save import NOT_READ, SAVE_USAGE_DAYS
    from tools.plans.save import build_save

    data, account_id = one_account(ctx, args.account, SAVE_USAGE_DAYS, skip=NOT_READ["save"])
    return _with_citations("save", build_save(data, account_id, ctx.as_of), account_id, ctx)


def business_case(args: AccountArgs, ctx: RunContext) -> BaseModel:
    """Build the expansion business case."""
    from agent.cli.plans_save import BUSINESS_CASE_USAGE_DAYS, NOT_READ
    from tools.plans.business_case import build_business_case

    data, account_id = one_account(
        ctx, args.account, BUSINESS_CASE_USAGE_DAYS, skip=NOT_READ["business-case"]
    )
    return build_business_case(data, account_id, ctx.as_of)


def analysis(args: AnalysisArgs, ctx: RunContext) -> BaseModel:
    """Analyse a quarter against the one before."""
    from agent.cli.plans_analysis import NOT_READ
    from tools.plans.analysis import QuarterError, build_analysis, quarter_of, usage_days_needed

    label = args.quarter or quarter_of(ctx.as_of)
    try:
        days = usage_days_needed(label, ctx.as_of)
    except QuarterError as err:
        raise CommandError(str(err)) from None
    return build_analysis(ctx.load(days, skip=NOT_READ), label, ctx.as_of, args.profile)


def playbooks(args: ProfileArgs, ctx: RunContext) -> BaseModel:
    """Review the playbooks with the health model's backtest."""
    from agent.cli.plans_analysis import BACKTEST_USAGE_DAYS, NOT_READ
    from tools.plans.playbooks import build_playbooks

    return build_playbooks(ctx.load(BACKTEST_USAGE_DAYS, skip=NOT_READ), ctx.as_of, args.profile)


def notes(args: NotesArgs, ctx: RunContext) -> BaseModel:
    """Search one account's notes and tickets by meaning (opens the notes index)."""
    from agent.cli.app import CliError
    from agent.cli.notes import search_notes

    try:
        return search_notes(ctx.resolve(args.account), args.query, ctx.as_of)
    except CliError as err:
        raise CommandError(str(err)) from None
