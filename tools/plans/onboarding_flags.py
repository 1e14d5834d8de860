"""TTFV against the segment's target, and the onboarding risk flags (see tools.plans.onboarding)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData
from tools.common import DECISION_ROLES, Gaps
from tools.plans.onboarding_steps import SEAT_TARGETS, StepContext, events_of
from tools.plans.onboarding_text import active_in, days_text, pct, person, say, wording
from tools.portfolio import TTFV_TARGET_DAYS, ttfv_days

FlagKind = Literal[
    "champion_left", "no_login_by_day_3", "kickoff_delayed", "low_activation_day_30",
    "no_exec_sponsor",
]  # fmt: skip
TARGET_DAYS: dict[str, int] = {**TTFV_TARGET_DAYS, "self-serve": 0}
"""TTFV target days by segment; self-serve: the seed's 10 minutes, i.e. the same day."""
KICKOFF_GRACE_DAYS = 7
SEVERITY: dict[str, str] = {
    "champion_left": "critical",
    "no_login_by_day_3": "high",
    "kickoff_delayed": "medium",
    "low_activation_day_30": "medium",
    "no_exec_sponsor": "medium",
}
"""Flag -> the seed's severity; also the order flags are listed in."""


class TtfvCheck(BaseModel):
    """Time to first value against the segment's target."""

    segment: str | None
    target_days: int | None
    target_date: date | None
    first_value_date: date | None = Field(description="None when not recorded by as-of")
    actual_days: int | None = Field(description="first_value_date - kickoff_date")
    days_elapsed: int | None = Field(description="as-of - kickoff, while first value is open")
    status: Literal[
        "met", "missed", "reached", "on_track", "late", "in_progress", "not_started", "unknown"
    ]
    summary: str


class RiskFlag(BaseModel):
    """An onboarding risk flag with its evidence and the seed's response."""

    kind: FlagKind
    severity: Literal["critical", "high", "medium"]
    evidence: str
    response: str


def ttfv_check(data: AccountData, day: date, target: int | None) -> TtfvCheck:
    """Compare TTFV (tools.portfolio.ttfv_days) with the target, or the days elapsed so far."""
    acc = data.account
    kickoff, fv = acc.kickoff_date, acc.first_value_date
    fv = fv if fv is not None and fv <= day else None
    target_date = kickoff + timedelta(days=target) if kickoff and target is not None else None
    values: dict[str, object] = dict(
        segment=acc.segment,
        target="same-day" if target == 0 else f"{target}-day",
        target_date=target_date,
        date=fv,
        kickoff=kickoff,
    )
    actual = next((d for _, d in ttfv_days([data], day)), None)
    elapsed = None
    if kickoff is None:
        status, key = "unknown", "no_kickoff"
    elif actual is not None and actual < 0:
        status, key = "unknown", "before_kickoff"
    elif actual is not None:
        status = "reached" if target is None else "met" if actual <= target else "missed"
        after = "the same day as" if actual == 0 else f"{days_text(actual)} after"
        values.update(after=after, over=days_text(actual - (target or 0)))
    elif kickoff > day:
        status, values["date"] = "not_started", kickoff
    else:
        elapsed = (day - kickoff).days
        values["elapsed"] = elapsed
        status = "in_progress" if target is None else "on_track" if elapsed <= target else "late"
    return TtfvCheck(
        segment=acc.segment,
        target_days=target,
        target_date=target_date,
        first_value_date=fv,
        actual_days=actual,
        days_elapsed=elapsed,
        status=status,
        summary=say("onboarding", "ttfv", key if status == "unknown" else status, **values),
    )


def risk_flags(ctx: StepContext, start: date | None, stage: str, gaps: Gaps) -> list[RiskFlag]:
    """Raise the onboarding risk flags, most severe first (first-90-days ones until day 90)."""
    flags: list[tuple[str, str]] = []
    if stage in ("upcoming", "in_progress", "undated"):
        flags += _no_login(ctx, gaps) + _kickoff_delay(ctx, start, gaps) + _activation(ctx)
    flags += _people(ctx, gaps)
    order = list(SEVERITY)
    return [
        RiskFlag(
            kind=kind,  # type: ignore[arg-type]
            severity=SEVERITY[kind],  # type: ignore[arg-type]
            evidence=evidence,
            response=wording("onboarding", f"flag {kind}")["response"],
        )
        for kind, evidence in sorted(flags, key=lambda f: order.index(f[0]))
    ]


def _flag_say(kind: str, key: str, **values: object) -> str:
    return say("onboarding", f"flag {kind}", key, **values)


def _no_login(ctx: StepContext, gaps: Gaps) -> list[tuple[str, str]]:
    lo, hi = ctx.at(0), ctx.at(3)
    if lo is None or hi is None or hi > ctx.as_of:
        return []
    rows = [u for u in ctx.usage if lo <= u.date <= hi]
    if not rows:
        gaps.add(
            "usage",
            "onboarding: no_login_by_day_3",
            account_id=ctx.data.account_id,
            detail=f"no usage rows from {lo} to {hi}",
        )
        return []
    if any((u.logins or 0) > 0 for u in rows):
        return []
    later = next((u for u in ctx.usage if u.date > hi and (u.logins or 0) > 0), None)
    after = (
        _flag_say("no_login_by_day_3", "after_login", date=later.date)
        if later
        else _flag_say("no_login_by_day_3", "after_none", date=ctx.as_of)
    )
    text = _flag_say("no_login_by_day_3", "evidence", start=lo, end=hi, rows=len(rows), after=after)
    return [("no_login_by_day_3", text)]


def _kickoff_delay(ctx: StepContext, start: date | None, gaps: Gaps) -> list[tuple[str, str]]:
    if start is None:
        gaps.add("contracts", "onboarding: kickoff_delayed", account_id=ctx.data.account_id)
        return []
    held = [e.occurred_at for e in events_of(ctx, "kickoff_held")]
    kickoff = ctx.data.account.kickoff_date or (held[0] if held else None)
    if kickoff is not None and kickoff <= ctx.as_of:
        days = (kickoff - start).days
        if days > KICKOFF_GRACE_DAYS:
            text = _flag_say("kickoff_delayed", "evidence", kickoff=kickoff, days=days, start=start)
            return [("kickoff_delayed", text)]
        return []
    days = (ctx.as_of - start).days
    if days > KICKOFF_GRACE_DAYS:
        return [
            (
                "kickoff_delayed",
                _flag_say("kickoff_delayed", "evidence_open", days=days, start=start),
            )
        ]
    return []


def _activation(ctx: StepContext) -> list[tuple[str, str]]:
    when, seats = ctx.at(30), ctx.data.account.licensed_seats
    if when is None or when > ctx.as_of or not seats:
        return []
    row = next((u for u in ctx.usage if u.date == when and u.users_30d is not None), None)
    if row is None or row.users_30d / seats >= SEAT_TARGETS["activation_30"][1]:
        return []
    share = pct(row.users_30d / seats)
    text = _flag_say(
        "low_activation_day_30",
        "evidence",
        users=row.users_30d,
        seats=seats,
        share=share,
        date=when,
    )
    return [("low_activation_day_30", text)]


def _people(ctx: StepContext, gaps: Gaps) -> list[tuple[str, str]]:
    contacts = ctx.data.contacts
    if not contacts:
        gaps.add(
            "contacts",
            "onboarding: risk flags (champion, exec sponsor)",
            account_id=ctx.data.account_id,
        )
        return []
    out: list[tuple[str, str]] = []
    for c in contacts:
        status = c.status_on(ctx.as_of)
        if c.role != "champion" or status == "active":
            continue
        changed = c.status_changed_at
        if changed is None:
            out.append(
                (
                    "champion_left",
                    _flag_say("champion_left", "evidence_undated", person=person(c), status=status),
                )
            )
        elif ctx.anchor is None or changed >= ctx.anchor:
            text = _flag_say(
                "champion_left", "evidence", person=person(c), status=status, date=changed
            )
            out.append(("champion_left", text))
    if not active_in(contacts, ctx.as_of, DECISION_ROLES):
        out.append(("no_exec_sponsor", _flag_say("no_exec_sponsor", "evidence")))
    return out
