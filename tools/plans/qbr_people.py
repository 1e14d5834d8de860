"""The stakeholder map of a QBR: who controls the renewal, champions, detractors, departures.

Names come only from contacts; a missing role is a gap, never an invented name. The renewal
owner is the one tools.renewals names as the exec sponsor (exec sponsor, economic buyer or
decision-maker, active on as-of). Detractors are active contacts with the role `detractor`
and active contacts whose latest NPS within 180 days is 0-6; departures are contacts who
departed or changed role in the QBR period.
"""

from __future__ import annotations

from datetime import date

from memory.read import AccountData, Contact
from tools.common import DECISION_ROLES, Gaps, window, within
from tools.plans.qbr_models import Person, StakeholderMap
from tools.renewals import RenewalRow

DETRACTOR_NPS_DAYS = 180


def stakeholder_map(
    data: AccountData, renewal: RenewalRow, day: date, period_start: date, gaps: Gaps
) -> StakeholderMap:
    """Map the renewal owner, champions, detractors, departures and everyone else."""
    if not data.contacts:
        gaps.add("contacts", "qbr: stakeholder map", account_id=data.account_id)
    active = [c for c in data.contacts if c.status_on(day) == "active"]
    owner_id = renewal.exec_sponsor.contact_id if renewal.exec_sponsor else None
    deciders = sorted(
        (c for c in active if c.role in DECISION_ROLES),
        key=lambda c: (c.contact_id != owner_id, _engaged_key(c)),
    )
    if data.contacts and not deciders:
        gaps.add(
            "exec_sponsor",
            "qbr: stakeholder map",
            account_id=data.account_id,
            detail="no active exec_sponsor, economic_buyer or decision_maker on record",
        )
    champions = sorted((c for c in active if c.role == "champion"), key=_engaged_key)
    if data.contacts and not champions:
        gaps.add(
            "champion",
            "qbr: stakeholder map",
            account_id=data.account_id,
            detail="no active contact with role champion",
        )
    detractors = _detractors(data, active, day)
    departed = sorted(
        (
            c
            for c in data.contacts
            if c.status_on(day) != "active" and within(c.status_changed_at, period_start, day)
        ),
        key=lambda c: (c.status_changed_at, c.name),
        reverse=True,
    )
    listed = {c.contact_id for c in (*deciders, *champions)} | set(detractors)
    others = sorted((c for c in active if c.contact_id not in listed), key=_engaged_key)
    return StakeholderMap(
        renewal_owner=_person(deciders[0], day) if deciders else None,
        decision_makers=[_person(c, day) for c in deciders],
        champions=[_person(c, day) for c in champions],
        detractors=[_person(c, day, note) for c, note in detractors.values()],
        departures=[_person(c, day) for c in departed],
        others=[_person(c, day) for c in others],
    )


def _detractors(
    data: AccountData, active: list[Contact], day: date
) -> dict[str, tuple[Contact, str]]:
    """Return active detractors by contact id: by role, or by an NPS of 0-6 within 180 days."""
    out = {c.contact_id: (c, "role: detractor") for c in active if c.role == "detractor"}
    start, _ = window(day, DETRACTOR_NPS_DAYS)
    latest: dict[str, tuple[date, float]] = {}
    for s in data.surveys:
        if s.kind == "nps" and s.contact_id and within(s.responded_at, start, day):
            if s.contact_id not in latest or s.responded_at >= latest[s.contact_id][0]:
                latest[s.contact_id] = (s.responded_at, s.score)
    by_id = {c.contact_id: c for c in active}
    for cid, (when, score) in sorted(latest.items()):
        if score <= 6 and cid in by_id:
            role_note = f"{out[cid][1]}; " if cid in out else ""
            out[cid] = (by_id[cid], f"{role_note}NPS {score:g} on {when}")
    return out


def _engaged_key(c: Contact) -> tuple[int, str]:
    return -(c.last_engaged_at or date.min).toordinal(), c.name


def _person(c: Contact, day: date, note: str | None = None) -> Person:
    return Person(
        contact_id=c.contact_id,
        name=c.name,
        title=c.title,
        role=c.role,
        department=c.department,
        influence=c.influence,
        status=c.status_on(day),
        status_changed_at=c.status_changed_at if c.status_on(day) != "active" else None,
        last_engaged_at=c.last_engaged_at
        if c.last_engaged_at and c.last_engaged_at <= day
        else None,
        note=note,
    )
