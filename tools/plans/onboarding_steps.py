"""The steps of the 90-day onboarding plan and what the data records about each.

Each step has a day (after day 0, the anchor) and an owner; its check reads the account's
data up to as-of and returns a Finding: done (with the day it happened), not done (the data
shows it had not happened), or unknown, with the gap to report when the step's date passed
unrecorded. Steps no system records (the quick win, self-service resources, the optimisation
session) have no check: they can only be due, or past due and not recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, NamedTuple

from memory.read import AccountData, UsageDay
from tools.plans.onboarding_text import pct, say

Owner = Literal["us", "customer"]
TOUCH_EVENTS = ("qbr_held", "exec_meeting")
TOUCH_NOTES = ("call", "meeting", "qbr")


class Step(NamedTuple):
    """A step of the plan: its key (prompts/onboarding.md `## item <key>`), day and owner."""

    key: str
    day: int
    owner: Owner


STEPS: tuple[Step, ...] = (
    Step("kickoff", 0, "us"),
    Step("first_login", 3, "customer"),
    Step("admin_training", 7, "us"),
    Step("success_plan", 7, "us"),
    Step("first_value", -1, "customer"),  # day: the segment's TTFV target
    Step("core_workflow", 21, "customer"),
    Step("check_in_30", 30, "us"),
    Step("activation_30", 30, "customer"),
    Step("second_use_case", 45, "customer"),
    Step("self_service", 45, "us"),
    Step("activation_60", 60, "customer"),
    Step("optimization", 75, "us"),
    Step("roi_draft", 85, "us"),
    Step("review_90", 90, "us"),
)
ORDER = {spec.key: n for n, spec in enumerate(STEPS)}
REVIEW_LAST_DAY = 120
SEAT_TARGETS = {"activation_30": (30, 0.5), "activation_60": (60, 0.8)}
"""Step -> (day measured, share of licensed seats active)."""


class Finding(NamedTuple):
    """What the data says about a step: done True/False, or None when it cannot tell."""

    done: bool | None
    evidence: str | None = None
    gap: tuple[str, str] | None = None
    """(signal, detail) to report when the step is past due and not recorded."""
    on: date | None = None
    """The day it happened, when the data says."""


@dataclass(frozen=True)
class StepContext:
    """What every check reads: the account, as-of, day 0 and the usage since day 0."""

    data: AccountData
    as_of: date
    anchor: date | None
    usage: list[UsageDay]
    tracks_roi: bool

    def at(self, day: int) -> date | None:
        """Return the date of day `day` (None without an anchor)."""
        return self.anchor + timedelta(days=day) if self.anchor else None


def _ev(key: str, **values: object) -> str:
    return say("onboarding", "evidence", key, **values)


def unrecorded(ctx: StepContext, day: int) -> Finding:
    """Say nothing about a step no system records."""
    return Finding(None)


def events_of(
    ctx: StepContext, *kinds: str, since: date | None = None, until: date | None = None
) -> list:
    """Return the account's events of `kinds` dated in [since, until], never after as-of."""
    last = min(until or ctx.as_of, ctx.as_of)
    return [
        e
        for e in ctx.data.events
        if e.kind in kinds and (since is None or since <= e.occurred_at) and e.occurred_at <= last
    ]


def _kickoff(ctx: StepContext, day: int) -> Finding:
    held = events_of(ctx, "kickoff_held")
    if held:
        return Finding(True, _ev("kickoff_event", date=held[0].occurred_at), on=held[0].occurred_at)
    kickoff = ctx.data.account.kickoff_date
    if kickoff is not None and kickoff <= ctx.as_of:
        return Finding(True, _ev("kickoff_field", date=kickoff), on=kickoff)
    return Finding(None, gap=("kickoff_date", "no kickoff date or kickoff_held event"))


def _first_use(column: str, done_key: str, none_key: str) -> Callable[[StepContext, int], Finding]:
    """Check the first day with `column` > 0 since day 0 (unknown when the feed starts later)."""

    def check(ctx: StepContext, day: int) -> Finding:
        first = next((u for u in ctx.usage if (getattr(u, column) or 0) > 0), None)
        if first is not None:
            if ctx.usage[0].date > (ctx.anchor or first.date):
                return Finding(
                    True, _ev("feed_start", date=ctx.usage[0].date, what=column.replace("_", " "))
                )
            value = {"logins": "logins", "core_actions": "actions"}[column]
            text = _ev(done_key, date=first.date, **{value: getattr(first, column)})
            return Finding(True, text, on=first.date)
        known = [u for u in ctx.usage if getattr(u, column) is not None]
        if known:
            span = dict(rows=len(known), start=known[0].date, end=known[-1].date)
            return Finding(False, _ev(none_key, **span))
        return Finding(None, gap=("usage", f"no usage rows with {column} since {ctx.anchor}"))

    return check


def _training(ctx: StepContext, day: int) -> Finding:
    done = events_of(ctx, "training_completed")
    if done:
        return Finding(True, _ev("training", date=done[0].occurred_at), on=done[0].occurred_at)
    return Finding(None, gap=("training_completed", "no training_completed event on record"))


def _success_plan(ctx: StepContext, day: int) -> Finding:
    goals = [g for g in ctx.data.goals if g.set_at is None or g.set_at <= ctx.as_of]
    if not goals:
        return Finding(None, gap=("goals", "no success-plan goals on record"))
    first = min((g.set_at for g in goals if g.set_at), default=None)
    if first is None:
        return Finding(True, _ev("goals_undated", count=len(goals)))
    return Finding(True, _ev("goals", count=len(goals), date=first), on=first)


def _first_value(ctx: StepContext, day: int) -> Finding:
    fv = ctx.data.account.first_value_date
    if fv is not None and fv <= ctx.as_of:
        return Finding(True, _ev("first_value", date=fv), on=fv)
    return Finding(None, gap=("first_value_date", "not reached, or not recorded"))


def _check_in(ctx: StepContext, day: int) -> Finding:
    lo, hi = ctx.at(8), ctx.at(45)
    if lo is None or hi is None:
        return Finding(None)
    touches = [(e.occurred_at, e.kind) for e in events_of(ctx, *TOUCH_EVENTS, since=lo, until=hi)]
    touches += [
        (n.created_at.date(), f"{n.kind} note {n.note_id}")
        for n in ctx.data.notes
        if n.kind in TOUCH_NOTES and lo <= n.created_at.date() <= min(hi, ctx.as_of)
    ]
    if not touches:
        return Finding(None)
    when, kind = min(touches)
    return Finding(True, _ev("touch", kind=kind, date=when), on=when)


def _seats(ctx: StepContext, day: int) -> Finding:
    """Check users_30d / licensed_seats on `day` against the step's share (progress before)."""
    share_needed = next(share for d, share in SEAT_TARGETS.values() if d == day)
    seats = ctx.data.account.licensed_seats
    if not seats:
        return Finding(None, gap=("licensed_seats", "licensed seats not recorded"))
    when = ctx.at(day)
    rows = [u for u in ctx.usage if u.users_30d is not None and (when is None or u.date <= when)]
    if not rows:
        return Finding(None, gap=("usage", f"no users_30d on record by day {day} ({when})"))
    last = rows[-1]
    share = last.users_30d / seats
    values = dict(users=last.users_30d, seats=seats, share=pct(share), date=last.date)
    if when is not None and when > ctx.as_of:
        return Finding(None, _ev("seats_so_far", **values))
    if last.date != when:
        return Finding(None, gap=("usage", f"no users_30d on day {day} ({when})"))
    met = share >= share_needed
    return Finding(met, _ev("seats_met" if met else "seats_missed", **values), on=when)


def _roi(ctx: StepContext, day: int) -> Finding:
    rows = [r for r in ctx.data.roi if r.recorded_at is None or r.recorded_at <= ctx.as_of]
    if rows:
        first = min((r.recorded_at for r in rows if r.recorded_at), default=None)
        if first is None:
            return Finding(True, _ev("roi_undated", count=len(rows)))
        return Finding(True, _ev("roi", count=len(rows), date=first), on=first)
    if ctx.tracks_roi:
        return Finding(False, _ev("no_roi"))
    return Finding(None, gap=("roi", "no ROI inputs tracked for this portfolio"))


def _review(ctx: StepContext, day: int) -> Finding:
    """Check for a QBR held from day 61 to day 120 (the 90-day review, a month's grace)."""
    since, until = ctx.at(61), ctx.at(REVIEW_LAST_DAY)
    held = events_of(ctx, "qbr_held", since=since, until=until)
    if held:
        return Finding(True, _ev("qbr_held", date=held[0].occurred_at), on=held[0].occurred_at)
    missed = events_of(ctx, "qbr_missed", since=since, until=until)
    if missed:
        return Finding(False, _ev("qbr_missed", date=missed[0].occurred_at))
    return Finding(None, gap=("qbr_held", f"no QBR recorded from day 61 to {REVIEW_LAST_DAY}"))


CHECKS: dict[str, Callable[[StepContext, int], Finding]] = {
    "kickoff": _kickoff,
    "first_login": _first_use("logins", "first_login", "no_login"),
    "admin_training": _training,
    "success_plan": _success_plan,
    "first_value": _first_value,
    "core_workflow": _first_use("core_actions", "first_core", "no_core"),
    "check_in_30": _check_in,
    "activation_30": _seats,
    "activation_60": _seats,
    "roi_draft": _roi,
    "review_90": _review,
}
