"""Onboarding plan (`csm onboarding`): the dated 90-day plan, TTFV against target, risk flags.

Day 0 is the anchor: the kickoff_date; the go_live_date when the kickoff is not recorded; the
start of the first contract when neither is (the plan says which). Day N is anchor + N days;
the phases are week 1 (days 0-7), days 8-30, 31-60 and 61-90 (openclaw 1.2), the steps the
seed's milestones (customer-success-engine-skill phase 2), worded in prompts/onboarding.md.
A step's status comes from data where the data records it: `done` (with when), `overdue`
(the data shows it had not happened by its date), else `due` (date ahead) or
`past_due_not_recorded`. Steps no system records (quick win, self-service resources, ...)
can only be due or past due, not recorded.

TTFV = first_value_date - kickoff_date (tools.portfolio.ttfv_days), against the segment's
target (tools.portfolio.TTFV_TARGET_DAYS: enterprise 30, mid-market 14, smb 1; self-serve 0,
the seed's "10 minutes" as a same-day target). Without a segment, the first-value step is
dated day 30 (openclaw: first value within 30 days) and the segment is a gap.

Risk flags (commands.md, with the seed's severities and responses):
- `no_login_by_day_3` (high): usage rows dated day 0 .. day 3 exist and none has logins > 0.
  No row in those days is a `usage` gap, not a flag (absent rows are unknown, not zero).
- `kickoff_delayed` (medium): the kickoff came more than 7 days after the start of the first
  contract (the signed deal), or none was held yet more than 7 days after it. The deal's
  start is the reference because the go-live follows the kickoff, not the other way round.
- `low_activation_day_30` (medium): users_30d / licensed_seats on day 30 below 50%.
  These three judge the first 90 days and are listed until day 90.
- `no_exec_sponsor` (medium): no active exec sponsor, decision-maker or economic buyer.
- `champion_left` (critical): a champion departed or changed role on or after day 0.
  These two are the account's state on as-of, listed whatever the day (not for a churned
  account, whose plan is history).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import PortfolioData
from tools.common import Gaps
from tools.plans.onboarding_flags import TARGET_DAYS, RiskFlag, TtfvCheck, risk_flags, ttfv_check
from tools.plans.onboarding_steps import (
    CHECKS,
    ORDER,
    STEPS,
    Owner,
    Step,
    StepContext,
    unrecorded,
)
from tools.plans.onboarding_text import defuse, first_contract_start, say, wording
from tools.types import Result

__all__ = ["OnboardingResult", "PhaseSpan", "PlanItem", "RiskFlag", "TtfvCheck", "build_onboarding"]

Status = Literal["done", "overdue", "past_due_not_recorded", "due"]
Anchor = Literal["kickoff_date", "go_live_date", "contract_start"]
PHASES: tuple[tuple[str, int, int], ...] = (
    ("Week 1", 0, 7),
    ("Days 8-30", 8, 30),
    ("Days 31-60", 31, 60),
    ("Days 61-90", 61, 90),
)
"""(phase, first day, last day): day 0 is the anchor."""
NO_TARGET_DAY = 30
"""The first-value step's day when the segment has no TTFV target (openclaw: 30 days)."""


class PlanItem(BaseModel):
    """One dated step of the plan."""

    key: str
    phase: str
    day: int = Field(description="days after day 0 (the anchor)")
    due: date | None = Field(description="anchor + day; None when no anchor is recorded")
    action: str
    owner: Owner
    done_when: str
    measure: str
    status: Status
    evidence: str | None = Field(None, description="what the data records about it")
    done_on: date | None = Field(None, description="when the data shows it happened")
    days_late: int | None = Field(None, description="done_on - due, when positive")


class PhaseSpan(BaseModel):
    """One phase of the plan and its calendar dates."""

    name: str
    first_day: int
    last_day: int
    start: date | None
    end: date | None


class OnboardingResult(Result):
    """The 90-day onboarding plan of one account."""

    command: Literal["onboarding"] = "onboarding"
    account_id: str
    name: str
    segment: str | None
    csm: str | None
    anchor: Anchor | None = Field(description="which date is day 0")
    anchor_date: date | None
    kickoff_date: date | None
    go_live_date: date | None
    contract_start: date | None
    day: int | None = Field(description="today's day number (as-of - anchor)")
    plan_end: date | None = Field(description="day 90")
    stage: Literal["upcoming", "in_progress", "historical", "churned", "undated"]
    notes: list[str]
    ttfv: TtfvCheck
    phases: list[PhaseSpan]
    items: list[PlanItem]
    risk_flags: list[RiskFlag]


def build_onboarding(
    portfolio: PortfolioData, account_id: str, as_of: date | None = None
) -> OnboardingResult:
    """Build the dated 90-day onboarding plan of one account.

    Args:
        portfolio: the loaded portfolio (usage from day 0 on, for the usage-based steps).
        account_id: the account.
        as_of: the point in time (default the portfolio's); later rows are ignored.

    Returns:
        The plan with each step's date and status, the TTFV check and the risk flags.
    """
    day = as_of or portfolio.as_of
    data = portfolio.get(account_id)
    acc = data.account
    gaps = Gaps(portfolio.workspace)
    kickoff, go_live = acc.kickoff_date, acc.go_live_date
    start = first_contract_start(data, day)
    anchor_kind, anchor = _anchor(kickoff, go_live, start)
    if kickoff is None:
        gaps.add("kickoff_date", "onboarding: day 0 and TTFV", account_id=account_id)
    usage = [u for u in data.usage if u.date <= day and (anchor is None or u.date >= anchor)]
    ctx = StepContext(data, day, anchor, usage, "roi" in portfolio.files_present or bool(data.roi))
    if anchor is not None and anchor < portfolio.usage_since <= day:
        gaps.add(
            "usage",
            "onboarding: usage-based steps",
            account_id=account_id,
            detail=f"usage before {portfolio.usage_since} was not loaded",
        )
    target = TARGET_DAYS.get(acc.segment or "")
    if target is None:
        gaps.add("segment", "onboarding: TTFV target", account_id=account_id)
    items = sorted(
        (_item(spec, ctx, target, gaps) for spec in STEPS),
        key=lambda i: (i.day, ORDER[i.key]),
    )
    churned = acc.is_churned_on(day)
    today = (day - anchor).days if anchor else None
    stage = _stage(today, churned)
    flags = [] if churned else risk_flags(ctx, start, stage, gaps)
    return OnboardingResult(
        as_of=day,
        gaps=gaps.list(),
        account_id=account_id,
        name=acc.name,
        segment=acc.segment,
        csm=acc.csm,
        anchor=anchor_kind,
        anchor_date=anchor,
        kickoff_date=kickoff,
        go_live_date=go_live,
        contract_start=start,
        day=today,
        plan_end=ctx.at(90),
        stage=stage,
        notes=_notes(anchor_kind, ctx, today, stage),
        ttfv=ttfv_check(data, day, target),
        phases=[
            PhaseSpan(name=n, first_day=lo, last_day=hi, start=ctx.at(lo), end=ctx.at(hi))
            for n, lo, hi in PHASES
        ],
        items=items,
        risk_flags=flags,
    )


def _anchor(
    kickoff: date | None, go_live: date | None, start: date | None
) -> tuple[Anchor | None, date | None]:
    for kind, value in (("kickoff_date", kickoff), ("go_live_date", go_live)):
        if value is not None:
            return kind, value  # type: ignore[return-value]
    return ("contract_start", start) if start else (None, None)


def _stage(today: int | None, churned: bool) -> str:
    if churned:
        return "churned"
    if today is None:
        return "undated"
    return "upcoming" if today < 0 else "in_progress" if today <= 90 else "historical"


def _notes(anchor: Anchor | None, ctx: StepContext, today: int | None, stage: str) -> list[str]:
    key = {"kickoff_date": "anchor_kickoff", "go_live_date": "anchor_go_live"}.get(
        anchor or "", "anchor_contract" if anchor else "anchor_none"
    )
    notes = [say("onboarding", "notes", key, date=ctx.anchor, end=ctx.at(90))]
    acc = ctx.data.account
    values = dict(company=defuse(acc.name), day=today, date=ctx.anchor, end=ctx.at(90))
    if stage == "churned":
        values["date"] = acc.churned_at
    if stage != "undated":
        notes.append(say("onboarding", "notes", stage, **values))
    return notes


def _item(spec: Step, ctx: StepContext, target: int | None, gaps: Gaps) -> PlanItem:
    step_day = spec.day
    if spec.key == "first_value":
        step_day = target if target is not None else NO_TARGET_DAY
    when = ctx.at(step_day)
    found = CHECKS.get(spec.key, unrecorded)(ctx, step_day)
    if found.done:
        status: Status = "done"
    elif when is None or when >= ctx.as_of:
        status = "due"
    elif found.done is False:
        status = "overdue"
    else:
        status = "past_due_not_recorded"
        if found.gap:
            gaps.add(
                found.gap[0],
                f"onboarding: {spec.key}",
                account_id=ctx.data.account_id,
                detail=found.gap[1],
            )
    words = wording("onboarding", f"item {spec.key}")
    late = (found.on - when).days if found.done and found.on and when else None
    return PlanItem(
        key=spec.key,
        phase=next(name for name, lo, hi in PHASES if lo <= step_day <= hi),
        day=step_day,
        due=when,
        action=words["action"],
        owner=spec.owner,
        done_when=words["done_when"],
        measure=words["measure"],
        status=status,
        evidence=found.evidence,
        done_on=found.on if found.done else None,
        days_late=late if late and late > 0 else None,
    )
