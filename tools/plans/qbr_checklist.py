"""The QBR prep checklist judged from the data, and the post-QBR recap e-mail.

The checklist is customer-success-engine's (phase 6), item by item: each is `done` when
the data shows it is, `open` with what is still missing (the open tickets by id, the goals
without a status, ...), or `n/a` when nothing applies (no expansion signal, no competitive
signal). Sending the pre-read cannot be seen in the data, so it is always open, with its
date. The recap e-mail follows the seed's post-QBR template with the goals achieved and
the objectives in progress; it is a draft to edit after the meeting.
"""

from __future__ import annotations

from datetime import timedelta

from tools.plans.qbr_models import ChecklistItem, CheckStatus, FollowUp
from tools.plans.qbr_text import (
    TIER_LABEL,
    Facts,
    basis,
    first_name,
    listing,
    missing_labels,
    money,
    num,
    open_ticket_list,
    person,
    plural,
    say,
    status_counts,
)

RECENT_OBJECTIVE_DAYS = 30
"""A goal set within this many days counts as next quarter's objective already drafted."""
QUARTER_DAYS = 91


def checklist(f: Facts) -> list[ChecklistItem]:
    """Judge each prep-checklist item from the data."""
    items = (
        ("usage", _usage),
        ("roi", _roi),
        ("health", _health),
        ("tickets", _tickets),
        ("goals", _goals),
        ("objectives", _objectives),
        ("expansion", _expansion),
        ("attendees", _attendees),
        ("pre-read", _pre_read),
        ("competitive", _competitive),
    )
    out = []
    for key, judge in items:
        status, detail = judge(f)
        detail = detail[:1].upper() + detail[1:]
        out.append(ChecklistItem(key=key, item=say(f"item: {key}"), status=status, detail=detail))
    return out


def _usage(f: Facts) -> tuple[CheckStatus, str]:
    if any(m.days_with_data == 0 for m in f.usage):
        return "open", say("check: usage open", missing=missing_labels(f.usage), ask=f.usage_ask)
    return "done", say("check: usage done")


def _roi(f: Facts) -> tuple[CheckStatus, str]:
    total = f.roi.total_annual_value_usd
    if total is not None:
        if f.roi.roi_multiple is None:
            return "done", say("check: roi done no arr", roi_total=money(total))
        return "done", say(
            "check: roi done", roi_total=money(total), roi_multiple=f"{f.roi.roi_multiple:.2f}"
        )
    if f.measured_only:
        return "open", say("check: roi measured", measured=listing(f.measured_only))
    track = next(c.track_next_quarter for c in f.roi.categories if c.track_next_quarter)
    return "open", say("check: roi none", track=track)


def _health(f: Facts) -> tuple[CheckStatus, str]:
    h = f.health
    if h.tier == "unknown":
        return "open", say("check: health open", coverage=f"{h.coverage:.0%}")
    history = listing(
        [
            f"{score if score is not None else 'unknown'} {days} days ago"
            for days, score in h.trend.items()
        ]
    )
    detail = say(
        "check: health done", score=h.score, tier_label=TIER_LABEL[h.tier], history=history
    )
    if h.alerts:
        detail += " " + say("check: health alerts", alerts="; ".join(h.alerts))
    return "done", detail


def _tickets(f: Facts) -> tuple[CheckStatus, str]:
    if not f.support.known:
        return "open", say("check: tickets unknown", ask=f.support_ask)
    if not f.support.open_now:
        return "done", say("check: tickets done")
    return "open", say("check: tickets open", tickets=open_ticket_list(f.support))


def _goals(f: Facts) -> tuple[CheckStatus, str]:
    if not f.goals:
        return "open", say("check: goals none")
    incomplete = [g for g in f.goals if g.status is None or g.current is None]
    if incomplete:
        return "open", say("check: goals incomplete", missing=plural(len(incomplete), "goal"))
    return "done", say(
        "check: goals done", count=plural(len(f.goals), "goal"), counts=status_counts(f.goals)
    )


def _objectives(f: Facts) -> tuple[CheckStatus, str]:
    since = f.as_of - timedelta(days=RECENT_OBJECTIVE_DAYS - 1)
    recent = [g for g in f.goals if g.set_at is not None and since <= g.set_at <= f.as_of]
    if recent:
        return "done", say("check: objectives done", since=since, count=len(recent))
    quarter_end = f.as_of + timedelta(days=QUARTER_DAYS)
    return "open", say("check: objectives open", quarter_end=quarter_end)


def _expansion(f: Facts) -> tuple[CheckStatus, str]:
    e = f.expansion
    if e.status == "held_back":
        return "n/a", say("check: expansion held", reason=e.reason)
    if e.status == "none" or not e.action:
        return "n/a", say("check: expansion none")
    action = say(f"action: {e.action}")
    if e.revenue_estimate is None:
        return "open", say("check: expansion unsized", action=action, basis=basis(e))
    return "done", say(
        "check: expansion done",
        action=action,
        revenue=money(e.revenue_estimate),
        basis=basis(e),
    )


def _attendees(f: Facts) -> tuple[CheckStatus, str]:
    sh = f.stakeholders
    theirs = [person(p) for p in ([sh.renewal_owner] if sh.renewal_owner else []) + sh.champions]
    missing = []
    if sh.renewal_owner is None:
        missing.append(say("attendee: no exec"))
    if not sh.champions:
        missing.append(say("attendee: no champion"))
    csm = f.data.account.csm
    ours = [say("attendee: csm", csm=csm) if csm else say("attendee: no csm")]
    if not csm:
        missing.append(say("attendee: no csm"))
    if f.risk.escalation == "executive":
        ours.append(say("attendee: our exec"))
    values = {"theirs": listing(theirs) or say("attendee: nobody"), "ours": listing(ours)}
    if missing:
        return "open", say("check: attendees open", missing=listing(missing), **values)
    return "done", say("check: attendees done", **values)


def _pre_read(f: Facts) -> tuple[CheckStatus, str]:
    t = f.timing
    if t.hold_by is not None and t.hold_by_reason != "cadence":
        return "open", say(
            "check: pre-read deadline",
            hold_by=t.hold_by,
            deadline=say(f"deadline: {t.hold_by_reason}"),
            pre_read_by=t.pre_read_by,
        )
    if t.due is None:
        return "open", say("check: pre-read undated")
    if t.overdue:
        return "open", say("check: pre-read overdue", due=t.due)
    return "open", say("check: pre-read", pre_read_by=t.pre_read_by, due=t.due)


def _competitive(f: Facts) -> tuple[CheckStatus, str]:
    hits = [s.evidence for s in f.risk.signals if s.kind == "competitive"]
    if hits:
        return "open", say("check: competitive open", evidence="; ".join(hits))
    return "n/a", say("check: competitive none")


# --- the recap e-mail ------------------------------------------------------------------------


def follow_up(f: Facts) -> FollowUp:
    """Draft the post-QBR recap e-mail to the champion (else the renewal owner)."""
    sh = f.stakeholders
    to = sh.champions[0] if sh.champions else sh.renewal_owner
    greeting = say("greeting: name", first=first_name(to)) if to else say("greeting: none")
    csm = f.data.account.csm
    signature = csm if csm and "@" not in csm else say("signature: none")
    parts = [greeting, say("follow-up: opening"), _achieved(f), _objectives_block(f)]
    if f.next_review is not None:
        parts.append(say("follow-up: next review", date=f.next_review))
    parts += [say("follow-up: closing"), signature]
    return FollowUp(
        to=person(to) if to else None,
        subject=say("follow-up: subject", company=f.company),
        body="\n\n".join(parts),
    )


def _achieved(f: Facts) -> str:
    done = [g for g in f.goals if g.status == "achieved"]
    if not done:
        return say("follow-up: nothing achieved")
    lines = [say("follow-up: achieved")]
    for g in done:
        if g.current is None or g.target is None:
            lines.append(say("follow-up: goal line achieved", objective=g.objective))
        else:
            unit = f" {g.unit}" if g.unit else ""
            lines.append(
                say(
                    "follow-up: goal line",
                    objective=g.objective,
                    current=f"{num(g.current)}{unit}",
                    target=f"{num(g.target)}{unit}",
                )
            )
    return "\n".join(lines)


def _objectives_block(f: Facts) -> str:
    active = [g for g in f.goals if g.status not in ("achieved", "missed")]
    if not active:
        return say("follow-up: no objectives")
    lines = [say("follow-up: objectives")]
    for g in sorted(active, key=lambda g: (g.due_date is None, g.due_date, g.goal_id)):
        if g.due_date is None:
            lines.append(say("follow-up: objective line undated", objective=g.objective))
        else:
            lines.append(say("follow-up: objective line", objective=g.objective, due=g.due_date))
    return "\n".join(lines)
