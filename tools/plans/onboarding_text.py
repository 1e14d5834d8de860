"""Wording and people helpers shared by the plan documents of the first 90 days.

Onboarding, success plan and handoff read their wording from prompts/<name>.md as
`key: text` lines (`wording`, `say`) and name people only from contacts (`person`,
`active_in`). Data text that looks like a template placeholder is defused (`defuse`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import prompts
from memory.read import AccountData, Contact


def wording(name: str, section: str) -> dict[str, str]:
    """Return the `key: text` lines of one `## section` of prompts/<name>.md."""
    body = prompts.sections(name)[section]
    out: dict[str, str] = {}
    for line in body.splitlines():
        key, sep, text = line.partition(":")
        if sep and key.strip() and " " not in key.strip():
            out[key.strip()] = text.strip()
    return out


def say(prompt: str, section: str, key: str, /, **values: object) -> str:
    """Fill one wording line of prompts/<prompt>.md with dates and numbers from the data."""
    return prompts.fill(wording(prompt, section)[key], **values)


def person(contact: Contact) -> str:
    """Name a contact with their title when known (placeholder-looking text defused)."""
    return defuse(f"{contact.name} ({contact.title})" if contact.title else contact.name)


_WORDS = {"TBD": "to be decided", "TODO": "to do", "XXX": "(unspecified)"}


def defuse(text: str) -> str:
    """Rewrite what looks like a template placeholder in data text: {x} -> (x), TBD -> words.

    Data (a title, a note) may say "TBD" or "[Name]"; copied as-is into a document it would
    read as a template left unfilled, and prompts.fill would refuse it.
    """

    def repl(m: re.Match[str]) -> str:
        token = m.group(0)
        return _WORDS.get(token, f"({token[1:-1]})")

    return prompts.PLACEHOLDER.sub(repl, text)


def active_in(contacts: Iterable[Contact], day: date, roles: Iterable[str]) -> list[Contact]:
    """Return the contacts with one of `roles` active on `day`, most recently engaged first."""
    wanted = set(roles)
    found = [c for c in contacts if c.role in wanted and c.status_on(day) == "active"]
    return sorted(found, key=lambda c: (-(c.last_engaged_at or date.min).toordinal(), c.name))


def first_contract_start(data: AccountData, day: date) -> date | None:
    """Return the start of the account's first contract row that began by `day`."""
    starts = [c.start_date for c in data.contracts if c.start_date <= day]
    return min(starts) if starts else None


def days_text(n: int) -> str:
    """Say a number of days: '1 day', '5 days'."""
    return "1 day" if n == 1 else f"{n} days"


def pct(value: float) -> str:
    """Format a share of 1 for a sentence: 0.4444 -> '44%'."""
    return f"{value * 100:.0f}%"
