"""Place a vendor's customer on one of the store's accounts: by id, by name or by e-mail domain.

Source connectors (Zendesk organisations, Stripe customers) refer to the customer in the
vendor's own terms; the store knows accounts by `account_id`. An `AccountDirectory` holds the
store's accounts once per sync and answers "which account is this?" with an account id, or
raises `NoAccount` whose message says why (unknown, ambiguous), so the source can report the
record as skipped. `Unplaceable` is the wider error every vendor mapping raises for a record
it reports and skips (a malformed date, a deleted object).

Domains come from the store's contacts: data-format.md has no domain column on accounts, so
an account's domains are the e-mail domains of its contacts. A domain shared by contacts of
several accounts (gmail.com, a reseller) places nothing: it is ambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, select

from memory import models as m


class Unplaceable(Exception):
    """A vendor record the mapping cannot turn into a row; the message is the problem."""


class NoAccount(Unplaceable):
    """A vendor record names no single account of the store; the message says why."""


class AccountRef(BaseModel):
    """What the directory knows of one account."""

    model_config = ConfigDict(frozen=True)
    account_id: str
    name: str
    domains: frozenset[str] = frozenset()


def normalise_name(name: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: 'Acme, Corp.' -> 'acme corp'."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def email_domain(email: str | None) -> str | None:
    """Return the lower-case domain of an e-mail address, or None when it has none."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
    return domain or None


class AccountDirectory:
    """The store's accounts, indexed by id, normalised name and contact e-mail domain."""

    def __init__(self, accounts: Iterable[AccountRef]) -> None:
        self._ids: set[str] = set()
        self._names: dict[str, set[str]] = defaultdict(set)
        self._domains: dict[str, set[str]] = defaultdict(set)
        for ref in accounts:
            self._ids.add(ref.account_id)
            self._names[normalise_name(ref.name)].add(ref.account_id)
            for domain in ref.domains:
                self._domains[domain.lower()].add(ref.account_id)

    def by_id(self, account_id: str | None) -> str:
        """Return `account_id` when the store has that account.

        Raises:
            NoAccount: the id is empty or not an account of the store.
        """
        if not account_id:
            raise NoAccount("no account id")
        if account_id not in self._ids:
            raise NoAccount(f"unknown account {account_id!r}")
        return account_id

    def by_name(self, name: str | None) -> str:
        """Return the one account whose name matches `name` (case and punctuation ignored).

        Raises:
            NoAccount: no name, no account of that name, or several.
        """
        if not name:
            raise NoAccount("no name")
        return _one(self._names.get(normalise_name(name), set()), f"name {name!r}")

    def by_domains(self, domains: Iterable[str]) -> str:
        """Return the one account whose contacts use any of `domains`.

        Raises:
            NoAccount: no domain given, none known, or the domains point at several accounts.
        """
        wanted = sorted({d.strip().lower() for d in domains if d and d.strip()})
        if not wanted:
            raise NoAccount("no domain")
        found: set[str] = set()
        for domain in wanted:
            found |= self._domains.get(domain, set())
        return _one(found, f"domain {', '.join(wanted)}")


def _one(found: set[str], what: str) -> str:
    if not found:
        raise NoAccount(f"no account with {what}")
    if len(found) > 1:
        raise NoAccount(f"{what} matches {len(found)} accounts: {', '.join(sorted(found))}")
    return next(iter(found))


def load_directory(engine: Engine) -> AccountDirectory:
    """Read every account and its contacts' e-mail domains from the store (two queries)."""
    domains: dict[str, set[str]] = defaultdict(set)
    with engine.connect() as conn:
        accounts = conn.execute(select(m.Account.account_id, m.Account.name)).all()
        for account_id, email in conn.execute(select(m.Contact.account_id, m.Contact.email)):
            domain = email_domain(email)
            if domain:
                domains[account_id].add(domain)
    return AccountDirectory(
        AccountRef(account_id=a, name=n, domains=frozenset(domains.get(a, ()))) for a, n in accounts
    )


def store_accounts(store_url: str) -> Callable[[], AccountDirectory]:
    """Return a loader of the directory of the store at `store_url` (opened when called)."""

    def load() -> AccountDirectory:
        from memory.store import open_store

        store = open_store(store_url)
        try:
            return load_directory(store.engine)
        finally:
            store.dispose()

    return load
