"""Account resolution: find one account by a name a person typed.

Matching is case- and punctuation-insensitive ("acme corp", "ACME, Corp." and "Acme-Corp" are
the same), accepts an exact account id, and a unique prefix or whole-word match ("acme" ->
"Acme Corp"). An ambiguous name lists the candidates; an unknown name suggests the closest.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping

_SUFFIXES = {"inc", "corp", "corporation", "co", "llc", "ltd", "gmbh", "plc", "sa", "ag", "the"}


class AccountNotFound(LookupError):
    """No account matches; `suggestions` holds the closest names."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        self.query = query
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f'No account matches "{query}".{hint}')


class AmbiguousAccount(LookupError):
    """Several accounts match; `candidates` holds their names."""

    def __init__(self, query: str, candidates: list[str]) -> None:
        self.query = query
        self.candidates = candidates
        super().__init__(
            f'"{query}" matches {len(candidates)} accounts: {", ".join(candidates)}. '
            "Use the full name or the account id."
        )


def normalise(name: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: 'Acme, Corp.' -> 'acme corp'."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _core(name: str) -> str:
    words = [w for w in normalise(name).split() if w not in _SUFFIXES]
    return " ".join(words)


def resolve_account(accounts: Mapping[str, str], query: str) -> str:
    """Return the id of the one account `query` names.

    Args:
        accounts: account id -> display name.
        query: what the person typed (a name, part of one, or an id).

    Raises:
        AmbiguousAccount: several accounts match equally well.
        AccountNotFound: nothing matches; carries the closest names as suggestions.
    """
    if query in accounts:
        return query
    q = normalise(query)
    if not q:
        raise AccountNotFound(query, [])
    for key in (normalise, _core):
        hits = [i for i, n in accounts.items() if key(n) == key(query) and key(query)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise AmbiguousAccount(query, sorted(accounts[i] for i in hits))
    by_id = [i for i in accounts if normalise(i) == q]
    if len(by_id) == 1:
        return by_id[0]
    partial = [
        i
        for i, n in accounts.items()
        if normalise(n).startswith(q) or re.search(rf"\b{re.escape(q)}\b", normalise(n))
    ]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise AmbiguousAccount(query, sorted(accounts[i] for i in partial)[:10])
    raise AccountNotFound(query, suggest(accounts, query))


def suggest(accounts: Mapping[str, str], query: str, limit: int = 3) -> list[str]:
    """Return up to `limit` account names closest to `query`."""
    q = normalise(query)
    scored: dict[str, float] = {}
    for name in accounts.values():
        # the full name and its core ("Globx" is close to "globex", not to "globex corporation")
        keys = {normalise(name), _core(name)} - {""}
        best = max(difflib.SequenceMatcher(None, q, k).ratio() for k in keys) if keys else 0.0
        if best >= 0.5:
            scored[name] = max(best, scored.get(name, 0.0))
    return sorted(scored, key=lambda n: (-scored[n], n))[:limit]
