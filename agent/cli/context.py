"""What every analytics command needs: the store, the workspace profile, a loaded portfolio."""

from __future__ import annotations

import gc
from datetime import date

from agent.cli.app import CliError
from agent.resolve import resolve_account
from agent.settings import get_settings
from memory.read import PortfolioData, account_names, load_portfolio
from memory.store import Store, open_store
from memory.workspace import WorkspaceProfile, load_profile


def current_store() -> Store:
    """Open the configured store (migrating it if needed)."""
    settings = get_settings()
    try:
        return open_store(settings.store_url)
    except Exception as err:  # noqa: BLE001  (any driver error becomes one clear line)
        raise CliError(f"cannot open the account store at {settings.store_url}: {err}") from err


def workspace() -> WorkspaceProfile:
    """Return the workspace profile of the app home (empty when `csm init` was not run)."""
    return load_profile(get_settings().home)


def portfolio(
    as_of: date,
    *,
    usage_days: int,
    account: str | None = None,
    whole: bool = False,
    skip: frozenset[str] = frozenset(),
    feature_days: int | None = None,
) -> tuple[PortfolioData, str | None]:
    """Load the portfolio as of `as_of`; with `account`, resolve it first.

    Args:
        as_of: the point in time.
        usage_days: days of daily usage the command needs, ending on as_of.
        account: a name or id to resolve (None for portfolio commands).
        whole: load every account even when one is named (for portfolio-relative signals).
        skip: optional tables the command's tools never read (see memory.read.OPTIONAL_TABLES).
        feature_days: days of weekly feature usage the command reads (default usage_days).

    Returns:
        The loaded data and the resolved account id (None without `account`).
    """
    # A CLI run is short-lived and its loaded rows live until it exits: the cyclic garbage
    # collector would only re-walk millions of them (a third of a 10,000-account scan's time);
    # reference counting still frees everything that is dropped.
    gc.disable()
    store = current_store()
    try:
        names = account_names(store.engine)
        if not names:
            raise CliError(
                "no portfolio loaded yet: run `csm demo` for the demo portfolio, "
                "or `csm import FOLDER` for your own CSV export"
            )
        account_id = resolve_account(names, account) if account is not None else None
        ids = [account_id] if account_id is not None and not whole else None
        data = load_portfolio(
            store.engine,
            as_of,
            usage_days=usage_days,
            account_ids=ids,
            workspace=workspace(),
            skip=skip,
            feature_days=feature_days,
        )
        return data, account_id
    finally:
        store.dispose()
