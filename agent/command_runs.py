"""The runners behind agent.commands: load the window a command needs, call its one tool.

Each runner is `run(args, ctx) -> result` (a pydantic model), reading exactly what the CLI
command of the same name reads: the usage window and the skipped tables come from the CLI
modules' constants (imported, not copied), so the agent's numbers are the CLI's numbers.
Everything heavy is imported inside the runner that needs it (a `Score Acme` never imports
the notes index). The document commands' runners are in agent.command_docs. The write
commands only stage a change (tools.crm): nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from agent.command_args import (
    AccountArgs,
    HealthPushArgs,
    LogNoteArgs,
    LogPlanArgs,
    NoArgs,
    NrrArgs,
    OptionalAccountArgs,
    ProfileArgs,
    RenewalsArgs,
    ScanArgs,
    ScoreArgs,
    TaskArgs,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from memory.read import PortfolioData
    from memory.store import Store
    from memory.workspace import WorkspaceProfile

ALL_OPTIONAL = frozenset({"users", "notes", "plays", "feature_usage"})
"""Every optional table: what a command reading only accounts and contracts skips."""
NO_PORTFOLIO = (
    "no portfolio loaded yet: run `csm demo` for the demo portfolio, "
    "or `csm import FOLDER` for your own CSV export"
)


class CommandError(Exception):
    """A command cannot run as asked; the message says why and what to do."""


@dataclass
class RunContext:
    """What a runner needs besides its arguments: the point in time, the store, the user."""

    as_of: date
    store: Store
    user: str = "csm"
    book: str | None = None
    """Only the accounts this CSM owns (accounts.csm, any case) exist; None = all."""
    _names: dict[str, str] | None = field(default=None, repr=False)
    _workspace: WorkspaceProfile | None = field(default=None, repr=False)

    def names(self) -> dict[str, str]:
        """Return account id -> name (read once per context).

        Raises:
            CommandError: the store holds no portfolio yet.
        """
        if self._names is None:
            from memory.read import account_names

            engine = self.store.engine
            self._names = account_names(engine) if self.book is None else _book(engine, self.book)
        if not self._names:
            raise CommandError(NO_PORTFOLIO)
        return self._names

    def workspace(self) -> WorkspaceProfile:
        """Return the workspace profile of the app home (read once per context)."""
        if self._workspace is None:
            from agent.settings import get_settings
            from memory.workspace import load_profile

            self._workspace = load_profile(get_settings().home)
        return self._workspace

    def resolve(self, account: str) -> str:
        """Return the id of the account `account` names (an id resolves to itself)."""
        from agent.resolve import resolve_account

        return resolve_account(self.names(), account)

    def load(
        self,
        usage_days: int,
        account_id: str | None = None,
        *,
        whole: bool = False,
        skip: frozenset[str] = frozenset(),
        feature_days: int | None = None,
    ) -> PortfolioData:
        """Load the portfolio as of `as_of`: one account, or all of them (see memory.read)."""
        from memory.read import load_portfolio

        self.names()
        ids = [account_id] if account_id is not None and not whole else None
        if ids is None and self.book is not None and account_id is None:
            ids = list(self.names())  # a portfolio command sees the book only
        return load_portfolio(
            self.store.engine,
            self.as_of,
            usage_days=usage_days,
            account_ids=ids,
            workspace=self.workspace(),
            skip=skip,
            feature_days=feature_days,
        )


def _book(engine: Any, book: str) -> dict[str, str]:  # noqa: ANN401  (an Engine)
    """Return id -> name of the accounts whose owner (accounts.csm) is `book`, ignoring case."""
    from sqlalchemy import func, select

    from memory.models import Account

    stmt = select(Account.account_id, Account.name).where(
        func.lower(Account.csm) == book.strip().lower()
    )
    with engine.connect() as conn:
        return dict(conn.execute(stmt).all())


def one_account(
    ctx: RunContext,
    account: str,
    usage_days: int,
    **kw: Any,  # noqa: ANN401
) -> tuple[PortfolioData, str]:
    """Resolve `account` and load it with `usage_days` of usage (kw: see RunContext.load)."""
    account_id = ctx.resolve(account)
    return ctx.load(usage_days, account_id, **kw), account_id


# --- analytics (agent/cli/analytics.py) ------------------------------------------------------


def score(args: ScoreArgs, ctx: RunContext) -> BaseModel:
    """Score one account with a health-model profile (with trend and alerts)."""
    from agent.cli.analytics import NOT_READ, USAGE_DAYS
    from tools.health import load_model, score_account

    whole = "usage_depth" in load_model(args.profile).kinds
    data, account_id = one_account(
        ctx, args.account, USAGE_DAYS["score"], whole=whole, skip=NOT_READ["score"]
    )
    return score_account(data, account_id, ctx.as_of, args.profile)


def churn(args: OptionalAccountArgs, ctx: RunContext) -> BaseModel:
    """Assess churn risk of one account, or scan the portfolio."""
    from agent.cli.analytics import NOT_READ, USAGE_DAYS
    from tools.churn import churn_account, churn_scan

    if args.account is None:
        return churn_scan(ctx.load(USAGE_DAYS["churn"], skip=NOT_READ["churn"]), ctx.as_of)
    data, account_id = one_account(ctx, args.account, USAGE_DAYS["churn"], skip=NOT_READ["churn"])
    return churn_account(data, account_id, ctx.as_of)


def renewals(args: RenewalsArgs, ctx: RunContext) -> BaseModel:
    """List the renewal pipeline within `days`."""
    from agent.cli.analytics import NOT_READ, USAGE_DAYS
    from tools.renewals import renewal_pipeline

    data = ctx.load(USAGE_DAYS["renewals"], skip=NOT_READ["renewals"])
    return renewal_pipeline(data, ctx.as_of, days=args.days)


def expansion(args: OptionalAccountArgs, ctx: RunContext) -> BaseModel:
    """Find expansion signals of one account, or scan the portfolio."""
    from agent.cli.analytics import USAGE_DAYS
    from tools.expansion import expansion_account, expansion_scan

    if args.account is None:
        return expansion_scan(ctx.load(USAGE_DAYS["expansion"]), ctx.as_of)
    data, account_id = one_account(ctx, args.account, USAGE_DAYS["expansion"])
    return expansion_account(data, account_id, ctx.as_of)


def roi(args: AccountArgs, ctx: RunContext) -> BaseModel:
    """Compute an account's documented ROI."""
    from agent.cli.analytics import NOT_READ
    from tools.roi import roi as roi_tool

    data, account_id = one_account(ctx, args.account, 1, skip=NOT_READ["roi"])
    return roi_tool(data, account_id, ctx.as_of)


def nrr(args: NrrArgs, ctx: RunContext) -> BaseModel:
    """Report NRR, GRR and logo retention over a period (default the 365 days to as-of)."""
    from agent.cli.analytics import NOT_READ
    from tools.retention import nrr as nrr_tool

    end = args.end or ctx.as_of
    start = args.start or end - timedelta(days=365)
    if start >= end:
        raise CommandError(f"the period start ({start}) must be before its end ({end})")
    if end > ctx.as_of:
        raise CommandError(f"the period end ({end}) is after the as-of date ({ctx.as_of})")
    data = RunContext(end, ctx.store, ctx.user, ctx.book).load(1, skip=NOT_READ["nrr"])
    return nrr_tool(data, start, end)


def scan(args: ScanArgs, ctx: RunContext) -> BaseModel:
    """Run the weekly health scan."""
    from agent.cli.analytics import NOT_READ, USAGE_DAYS
    from tools.weekly import weekly_scan

    data = ctx.load(USAGE_DAYS["scan"], skip=NOT_READ["scan"], feature_days=56)
    return weekly_scan(data, ctx.as_of, show_all=args.show_all)


def portfolio(args: ProfileArgs, ctx: RunContext) -> BaseModel:
    """Build the weekly CS dashboard."""
    from agent.cli.analytics import NOT_READ, USAGE_DAYS
    from tools.portfolio import portfolio_review

    data = ctx.load(USAGE_DAYS["portfolio"], skip=NOT_READ["portfolio"])
    return portfolio_review(data, ctx.as_of, args.profile)


def cohorts(args: NoArgs, ctx: RunContext) -> BaseModel:
    """Compute retention by first-contract cohort."""
    from agent.cli.analytics import NOT_READ
    from tools.retention import cohorts as cohorts_tool

    return cohorts_tool(ctx.load(1, skip=NOT_READ["cohorts"]), ctx.as_of)


def winback(args: AccountArgs, ctx: RunContext) -> BaseModel:
    """Plan the win-back of a churned account."""
    from agent.cli.analytics import NOT_READ
    from tools.winback import winback as winback_tool

    data, account_id = one_account(ctx, args.account, 1, skip=NOT_READ["winback"])
    return winback_tool(data, account_id, ctx.as_of)


def backtest(args: ProfileArgs, ctx: RunContext) -> BaseModel:
    """Backtest a health-model profile on past churns."""
    from agent.cli.analytics import NOT_READ, USAGE_DAYS
    from tools.health import backtest as backtest_tool

    data = ctx.load(USAGE_DAYS["backtest"], skip=NOT_READ["backtest"])
    return backtest_tool(data, ctx.as_of, args.profile)


# --- CRM writes: staged only (tools/crm.py) --------------------------------------------------


def log_note(args: LogNoteArgs, ctx: RunContext) -> BaseModel:
    """Stage a note on an account, authored by the user; nothing is written."""
    from tools.crm import stage_note

    data, account_id = one_account(ctx, args.account, 1, skip=ALL_OPTIONAL)
    return stage_note(data, account_id, args.text, ctx.as_of, author=ctx.user)


def log_plan(args: LogPlanArgs, ctx: RunContext) -> BaseModel:
    """Stage a note holding a document csm builds (save plan, renewal prep, ...); no write.

    The note's text is the document's deterministic Markdown, exactly as `csm DOCUMENT
    ACCOUNT` prints it: every number in it comes from the tools. A document longer than a
    CRM note may hold is cut at a line, with a last line saying how to see all of it.
    """
    from agent.commands import get_command
    from tools.crm import CRM_TEXT_LIMIT, stage_note

    data, account_id = one_account(ctx, args.account, 1, skip=ALL_OPTIONAL)
    cmd = get_command(args.document)
    result = cmd.run(cmd.args.model_validate({"account": account_id}), ctx)
    command = args.document.replace("_", "-")
    text = fit_note(cmd.render_text(result), CRM_TEXT_LIMIT, f"csm {command} {account_id}")
    return stage_note(data, account_id, text, ctx.as_of, author=ctx.user)


def fit_note(text: str, limit: int, command: str) -> str:
    """Return `text` whole when it fits in `limit` characters, else cut at a line end.

    The cut text ends with a line saying it was shortened and which command prints it all.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    tail = f"\n\n(Shortened to fit a CRM note; the full document: `{command}`.)"
    head = text[: limit - len(tail)]
    cut = head.rfind("\n")
    return (head[:cut] if cut > 0 else head).rstrip() + tail


def create_task(args: TaskArgs, ctx: RunContext) -> BaseModel:
    """Stage a task on an account; nothing is written."""
    from tools.crm import stage_task

    data, account_id = one_account(ctx, args.account, 1, skip=ALL_OPTIONAL)
    return stage_task(data, account_id, args.text, args.due, ctx.as_of)


def push_health(args: HealthPushArgs, ctx: RunContext) -> BaseModel:
    """Stage pushing the account's computed health score and tier; nothing is written."""
    from agent.cli.analytics import NOT_READ, USAGE_DAYS
    from tools.crm import stage_health_push

    data, account_id = one_account(ctx, args.account, USAGE_DAYS["score"], skip=NOT_READ["score"])
    return stage_health_push(data, account_id, ctx.as_of)
