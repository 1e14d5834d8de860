"""The QBR's wording toolkit: the facts the sentences are made of, `say`, and formatters.

The wording lives in prompts/qbr.md; tools.plans.qbr_summary, qbr_points and qbr_checklist
decide which sections apply and fill them through `say` with the facts' numbers, dates and
names, formatted here for people.
`say` validates each template with prompts.fill (every field given, nothing left unfilled)
and then inserts the values, so a value taken from the data (a contact's or an account's
name) is shown as it was entered instead of aborting the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import prompts
from memory.read import AccountData
from tools.plans.qbr_models import (
    ExpansionSection,
    GoalOutcome,
    HealthSection,
    Person,
    QbrTiming,
    RiskSection,
    RoiValue,
    StakeholderMap,
    SupportHistory,
    UsageMonth,
)
from tools.roi import RoiResult

TEMPLATE = "qbr"
TIER_LABEL = {
    "green": "Thriving",
    "yellow": "Healthy",
    "orange": "At-Risk",
    "red": "Critical",
    "unknown": "Unknown",
}
BLOCKS: tuple[tuple[str, int], ...] = (
    ("context", 10),
    ("value", 15),
    ("roadmap", 10),
    ("goals", 15),
    ("strategic", 10),
)
"""The 60-minute agenda of customer-success-engine phase 6: block key and minutes."""
EXEC_QUIET_DAYS = 90


@dataclass(frozen=True)
class Facts:
    """Everything the wording needs, computed before any sentence is written."""

    data: AccountData
    as_of: date
    arr: float | None
    renewal_date: date | None
    notice_deadline: date | None
    usage: list[UsageMonth]
    usage_ask: str
    support_ask: str
    support: SupportHistory
    goals: list[GoalOutcome]
    roi: RoiResult
    roi_rows: int
    roi_valued: list[RoiValue]
    measured_only: list[str]
    health: HealthSection
    risk: RiskSection
    expansion: ExpansionSection
    stakeholders: StakeholderMap
    timing: QbrTiming

    @property
    def company(self) -> str:
        """The account's name."""
        return self.data.name

    @property
    def days_to_renewal(self) -> int | None:
        """Days from as-of to the renewal date."""
        return (self.renewal_date - self.as_of).days if self.renewal_date else None

    @property
    def next_review(self) -> date | None:
        """The review after the coming one: a cadence after its due date, when not overdue."""
        return self.timing.next_after


def say(key: str, **values: object) -> str:
    """Fill the section `key` of prompts/qbr.md with `values` (TemplateError if one is missing)."""
    template = prompts.sections(TEMPLATE)[key]
    marked = {k: f"\x00{k}\x00" for k in values}
    text = prompts.fill(template, **marked)
    for k, v in values.items():
        text = text.replace(marked[k], str(v).replace("\x00", ""))
    return text


def money(value: float) -> str:
    """Format dollars for people: $1,234."""
    return f"-${abs(value):,.0f}" if value < 0 else f"${value:,.0f}"


def num(value: float | None) -> str:
    """Format a measured number compactly: integers plain, others with one decimal."""
    if value is None:
        return "unknown"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def whole(value: float | None) -> str:
    """Format a mean count (users, logins a day) as a whole number."""
    return "unknown" if value is None else f"{round(value):,}"


def plural(count: int, word: str) -> str:
    """Return '1 ticket' or '3 tickets'."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def person(p: Person) -> str:
    """Name a contact with their title when known."""
    return f"{p.name} ({p.title})" if p.title else p.name


def listing(items: Sequence[str]) -> str:
    """Join items with commas."""
    return ", ".join(items)


def kinds(names: Sequence[str]) -> str:
    """Turn signal kinds into words: 'champion_loss' -> 'champion loss'."""
    return listing([n.replace("_", " ") for n in names])


def change(p: Person) -> str:
    """Say when a contact left or changed role."""
    key = "person: role_changed" if p.status == "role_changed" else "person: departed"
    return say(key, person=person(p), date=p.status_changed_at or "an unknown date")


def basis(e: ExpansionSection) -> str:
    """Say how the expansion estimate was computed (the 'estimate: ' label is in the sentence)."""
    return (e.estimate_basis or "").removeprefix("estimate: ")


def first_name(p: Person) -> str:
    """Return a contact's first name."""
    return p.name.split()[0]


def with_data(usage: Sequence[UsageMonth]) -> list[UsageMonth]:
    """Return the months whose mean active users is known."""
    return [m for m in usage if m.active_users is not None]


def missing_labels(usage: Sequence[UsageMonth]) -> str:
    """List the months without usage rows."""
    return listing([m.label for m in usage if m.days_with_data == 0])


def open_ticket_list(s: SupportHistory) -> str:
    """List the open tickets by id, priority and age (never their subjects)."""
    return listing(
        [
            f"{t.ticket_id} ({t.priority or 'priority unknown'}"
            f"{', escalated' if t.escalated else ''}, open {t.days_open} days)"
            for t in s.open_now
        ]
    )


def status_counts(goals: Sequence[GoalOutcome]) -> str:
    """Count goals by status: '2 achieved, 1 at risk'."""
    order = ("achieved", "on_track", "at_risk", "missed", "not_started", None)
    counts = [(s, sum(g.status == s for g in goals)) for s in order]
    return listing([f"{n} {(s or 'without a status').replace('_', ' ')}" for s, n in counts if n])


def main_contact(f: Facts) -> str:
    """Name whom to ask about a missing role, never a detractor.

    The champion, else the renewal owner, else the most influential and most recently
    engaged other contact, else neutral wording.
    """
    sh = f.stakeholders
    if sh.champions:
        return person(sh.champions[0])
    if sh.renewal_owner:
        return person(sh.renewal_owner)
    if sh.others:
        rank = {"high": 0, "medium": 1, "low": 2}
        return person(min(sh.others, key=lambda p: rank.get(p.influence or "", 3)))
    return say("who: unknown", company=f.company)


def detractor_list(sh: StakeholderMap) -> str:
    """Name the detractors with why they count as one."""
    return listing([f"{person(p)}, {p.note}" if p.note else person(p) for p in sh.detractors])
