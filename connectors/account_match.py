"""Place a vendor's customer on one of the store's accounts: by id, by name or by e-mail domain.

Source connectors (Zendesk organisations, Stripe customers) refer to the customer in the
vendor's own terms; the store knows accounts by `account_id`. An `AccountDirectory` holds the
store's accounts once per sync and answers "which account is this?" with an account id, or
raises `NoAccount` whose message says why (unknown, ambiguous), so the source can report the
record as skipped. `Unplaceable` is the wider error every vendor mapping raises for a record
it reports and skips (a malformed date, a deleted object).

Domains come from the store's contacts: data-format.md has no domain column on accounts, so
an account's domains are the e-mail domains of its contacts. Three rules keep one customer's
records off another's account:

- a free-mail or consumer domain (gmail.com, outlook.com, yahoo.*, ... `FREE_MAIL`) never
  places anything: it says who hosts the mailbox, not which company the person works for;
- a domain counts for an account only when at least half of the account's contacts with a
  company e-mail use it, so a consultant's or a reseller's address among an account's
  contacts does not draw that firm's other customers onto it;
- a domain of several accounts places nothing: it is ambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, select

from memory import models as m

FREE_MAIL = frozenset(
    """
    gmail.com googlemail.com outlook.com hotmail.com live.com msn.com passport.com
    icloud.com me.com mac.com aol.com aim.com yahoo.com ymail.com rocketmail.com
    proton.me pm.me protonmail.com protonmail.ch tutanota.com tuta.io fastmail.com hey.com
    gmx.com gmx.net mail.com web.de t-online.de freenet.de mail.ru bk.ru inbox.ru list.ru
    yandex.com yandex.ru ya.ru qq.com foxmail.com 163.com 126.com yeah.net sina.com
    zoho.com zohomail.com naver.com daum.net hanmail.net free.fr orange.fr laposte.net
    libero.it seznam.cz wp.pl o2.pl interia.pl rediffmail.com comcast.net verizon.net
    att.net sbcglobal.net btinternet.com sky.com
    """.split()
)
"""Free-mail and consumer mailbox domains: never an account's domain."""

FREE_MAIL_FAMILIES = frozenset("yahoo hotmail outlook live gmx yandex aol".split())
"""Providers with a domain per country (yahoo.co.uk, hotmail.fr, gmx.de, yandex.kz ...)."""

_COUNTRY_SUFFIX = re.compile(r"[a-z]{2,3}|(?:co|com|net)\.[a-z]{2}")


def is_free_mail(domain: str) -> bool:
    """Return whether `domain` is a free-mail or consumer mailbox domain (case ignored)."""
    domain = domain.strip().lower().rstrip(".")
    if domain in FREE_MAIL:
        return True
    family, _, suffix = domain.partition(".")
    return family in FREE_MAIL_FAMILIES and _COUNTRY_SUFFIX.fullmatch(suffix) is not None


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
    """The account's company domains (used by at least half its contacts' company e-mail)."""
    minor_domains: frozenset[str] = frozenset()
    """Domains only a minority of its contacts use (a consultant's, a reseller's): these
    place nothing, they only explain why."""
    currency: str = "USD"
    """The account's currency (ISO 4217, upper case): money stored for it is in this one."""


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
        self._minor: dict[str, set[str]] = defaultdict(set)
        self._currency: dict[str, str] = {}
        for ref in accounts:
            self._ids.add(ref.account_id)
            self._names[normalise_name(ref.name)].add(ref.account_id)
            self._currency[ref.account_id] = (ref.currency or "USD").strip().upper()
            for domain in ref.domains:
                if not is_free_mail(domain):
                    self._domains[domain.lower()].add(ref.account_id)
            for domain in ref.minor_domains:
                self._minor[domain.lower()].add(ref.account_id)

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

    def currency(self, account_id: str) -> str:
        """Return the account's currency (upper case; USD when the store says nothing)."""
        return self._currency.get(account_id, "USD")

    def by_domains(self, domains: Iterable[str]) -> str:
        """Return the one account whose contacts mostly use any of `domains`.

        Free-mail domains (`is_free_mail`) are left out: they name no company.

        Raises:
            NoAccount: no domain given, only free-mail ones, none an account's company domain
                (unknown, or used by only a minority of an account's contacts), or the domains
                point at several accounts.
        """
        given = sorted({d.strip().lower().rstrip(".") for d in domains if d and d.strip()})
        if not given:
            raise NoAccount("no domain")
        wanted = [d for d in given if not is_free_mail(d)]
        if not wanted:
            free = ", ".join(given)
            raise NoAccount(f"e-mail domain {free} is a free-mail domain")
        found: set[str] = set()
        for domain in wanted:
            found |= self._domains.get(domain, set())
        what = f"domain {', '.join(wanted)}"
        if not found:
            minor = sorted(set().union(*(self._minor.get(d, set()) for d in wanted)))
            if minor:
                raise NoAccount(
                    f"{what} is used by only a minority of the contacts of "
                    f"{', '.join(minor)} (a consultant's or reseller's address?): no match"
                )
        return _one(found, what)


def _one(found: set[str], what: str) -> str:
    if not found:
        raise NoAccount(f"no account with {what}")
    if len(found) > 1:
        raise NoAccount(f"{what} matches {len(found)} accounts: {', '.join(sorted(found))}")
    return next(iter(found))


def load_directory(engine: Engine) -> AccountDirectory:
    """Read every account and its contacts' e-mail domains from the store (two queries).

    An account's company domains are those used by at least half of its contacts whose
    e-mail is not free-mail; the others are its minority domains.
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    with engine.connect() as conn:
        accounts = conn.execute(
            select(m.Account.account_id, m.Account.name, m.Account.currency)
        ).all()
        for account_id, email in conn.execute(select(m.Contact.account_id, m.Contact.email)):
            domain = email_domain(email)
            if domain and not is_free_mail(domain):
                counts[account_id][domain] += 1
    refs = []
    for account_id, name, currency in accounts:
        used = counts.get(account_id, Counter())
        total = sum(used.values())
        major = frozenset(d for d, n in used.items() if 2 * n >= total)
        refs.append(
            AccountRef(
                account_id=account_id,
                name=name,
                domains=major,
                minor_domains=frozenset(used) - major,
                currency=currency or "USD",
            )
        )
    return AccountDirectory(refs)


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
