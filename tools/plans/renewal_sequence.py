"""The renewal sequence as calendar dates: Day -90, -75, -60, -45, -30, -14 and -7.

The steps are the customer-success-engine-skill's "Renewal Prep Sequence", dated back from
the renewal date. A step dated before as-of is `overdue` unless the data records it: the
ROI presentation (Day -60) is `done` with a qbr_held or exec_meeting event after Day -75;
the renewal discussion (Day -45) with an expansion_discussed or exec_meeting event after
Day -60; a renewal opportunity won after the current term started means the renewal is
signed, so the contract steps (Day -30, -14, -7) are `done` and the others `not_needed`.
The action and detail of each step are the wording of prompts/renewal.md.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData
from tools.plans.renewal_common import Authority, active_champion, person, wording
from tools.renewals import RenewalRow

STEP_DAYS: tuple[int, ...] = (-90, -75, -60, -45, -30, -14, -7)
CUSTOMER_STEPS = frozenset({-75, -60, -45, -30})
"""Steps the customer takes part in (the shareable timeline lists these)."""
MEETING_EVENTS = {-60: ("qbr_held", "exec_meeting"), -45: ("expansion_discussed", "exec_meeting")}
"""Step -> event kinds that record it as done when dated after the previous step."""
CONTRACT_STEPS = frozenset({-30, -14, -7})
SIGN_STEPS = frozenset({-14, -7})
"""Unsigned at Day -14 is the seed's cue for executive involvement: the signature target."""
StepStatus = Literal["done", "overdue", "due_today", "upcoming", "not_needed"]


class Step(BaseModel):
    """One step of the renewal sequence as a calendar date."""

    day: int = Field(description="days before the renewal date, e.g. -90")
    date: date
    action: str
    detail: str
    owner: str = Field(description="who on our side runs it")
    with_whom: str | None = Field(None, description="who at the customer, None = internal")
    customer_facing: bool
    status: StepStatus
    evidence: str | None = Field(None, description="the record that shows it done")


def sequence(
    data: AccountData, row: RenewalRow, day: date, csm: str | None, authority: Authority
) -> list[Step]:
    """Date the seven steps from the renewal date and mark each done, overdue or upcoming."""
    assert row.renewal_date is not None
    signed = signed_renewal(data, row, day)
    ours = f"CSM {csm}" if csm else "the account's CSM"
    lead = authority.escalation_path[0] if authority.escalation_path else "CS leadership"
    path = " then ".join(authority.escalation_path) or "CS leadership"
    nobody = wording("renewal")["labels"]["no decision maker"]
    sponsor = person(row.exec_sponsor) or person(active_champion(row)) or nobody
    champion = person(active_champion(row)) or sponsor
    owners = {-14: f"{ours} with {lead}", -7: f"{ours}, escalating to {path}"}
    with_whom = {-75: champion, -60: sponsor, -45: sponsor, -30: sponsor, -14: sponsor, -7: sponsor}
    steps = []
    for offset in STEP_DAYS:
        when = row.renewal_date + timedelta(days=offset)
        text = wording("renewal")[f"step {offset}"]
        status, evidence = _status(data, row, offset, when, day, signed)
        steps.append(
            Step(
                day=offset,
                date=when,
                action=text["action"],
                detail=text["detail"],
                owner=owners.get(offset, ours),
                with_whom=with_whom.get(offset) if offset != -90 else None,
                customer_facing=offset in CUSTOMER_STEPS,
                status=status,
                evidence=evidence,
            )
        )
    return steps


def signed_renewal(data: AccountData, row: RenewalRow, day: date) -> str | None:
    """Describe a renewal opportunity won during the current term, if there is one."""
    start = row.start_date or date.min
    won = [
        o
        for o in data.opportunities
        if o.kind == "renewal"
        and o.stage == "won"
        and o.closed_at is not None
        and start <= o.closed_at <= day
        and o.created_at <= day
    ]
    if not won:
        return None
    latest = max(won, key=lambda o: o.closed_at or date.min)
    return f"renewal signed: opportunity {latest.opportunity_id} won on {latest.closed_at}"


def _status(
    data: AccountData, row: RenewalRow, offset: int, when: date, day: date, signed: str | None
) -> tuple[StepStatus, str | None]:
    """Return a step's status and the record behind it."""
    if signed and offset in CONTRACT_STEPS:
        return "done", signed
    kinds = MEETING_EVENTS.get(offset)
    if kinds:
        after = when - timedelta(days=15)  # the previous step's date
        held = [e for e in data.events if e.kind in kinds and after < e.occurred_at <= day]
        if held:
            last = max(held, key=lambda e: e.occurred_at)
            return "done", f"{last.kind} on {last.occurred_at}"
    if signed:
        return "not_needed", signed
    if when < day:
        return "overdue", None
    return ("due_today", None) if when == day else ("upcoming", None)


def sign_by(steps: list[Step], renewal: date, day: date) -> date:
    """Return the date to aim for the signature: Day -14 (or -7) when ahead, else the renewal.

    The contract goes out on Day -30; unsigned on Day -14 is the seed's cue for executive
    involvement, so that is the signature target.
    """
    for s in steps:
        if s.day in SIGN_STEPS and s.date >= day:
            return s.date
    return renewal


def value_review_date(steps: list[Step], day: date) -> date:
    """Return when to review value with the customer, the first still ahead and not done.

    The ROI presentation (Day -60), else the renewal discussion (Day -45), else the
    signature target.
    """
    for s in steps:
        if s.day in (-60, -45) and s.date >= day and s.status != "done":
            return s.date
    return sign_by(steps, steps[-1].date + timedelta(days=7), day)


def next_date(steps: list[Step], offset: int, day: date) -> date:
    """Return a step's date, or as-of when that date has passed (do it now)."""
    when = next(s.date for s in steps if s.day == offset)
    return max(when, day)


def step_at(steps: list[Step], offset: int) -> Step:
    """Return the step of one day offset (e.g. -45)."""
    return next(s for s in steps if s.day == offset)
