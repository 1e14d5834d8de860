"""Success plan (`csm success-plan`): stakeholders, objectives, milestones, risks, next review.

The seed's success plan template (customer-success-engine-skill), filled from data:

- Stakeholders: every contact, champion and decision-makers first, with role, influence,
  status on as-of and when last engaged.
- Objectives: goals.csv, with metric, baseline, target, current, due date and status.
  Progress = (current - baseline) / (target - baseline), from the goal's own numbers only;
  a goal whose due date passed without `achieved` or `missed` is marked past due.
- Milestones, dated: first value (reached, or kickoff + the segment's TTFV target), each
  goal's due date, the next QBR (the last qbr_held event + 90 days; none held is a gap),
  the notice deadline and the renewal date.
- Risks: the churn tool's fired signals (tools.churn.assess_account, with its 48-hour
  action) and the health tool's weak dimensions (tools.health.score_account, engine profile:
  a dimension scoring under 6 of 10, below the Healthy band), each with a mitigation from
  prompts/success_plan.md and the CSM as owner.
- Next review: the next QBR when it is still ahead; otherwise (overdue, or no QBR on record)
  30 days after as-of, the seed's monthly check; but no later than the notice deadline for
  non-renewal when that comes first. The basis says which.

No goals is a `goals` gap whose ask names the customer's champion beside the CSM. A churned
account has no success plan (ValueError: see the win-back plan instead).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

import prompts
from memory.read import AccountData, Contact, Goal, PortfolioData
from tools.churn import assess_account
from tools.common import DECISION_ROLES, Gaps, arr_on, notice_deadline, renewal_date
from tools.health import Dimension, score_account
from tools.plans.onboarding_flags import TARGET_DAYS
from tools.plans.onboarding_text import active_in, say, wording
from tools.types import Result

QBR_INTERVAL_DAYS = 90
REVIEW_FALLBACK_DAYS = 30
WEAK_DIMENSION = 6.0
"""A health dimension scoring under this (of 10) is a risk: below the Healthy band (60)."""
ROLE_ORDER = (
    "champion", "exec_sponsor", "economic_buyer", "decision_maker", "technical_lead", "admin",
    "user", "detractor",
)  # fmt: skip
GOAL_COLUMNS = ("metric", "baseline", "target", "current", "due_date", "status")
OPEN_GOAL = ("not_started", "on_track", "at_risk", None)
MilestoneStatus = Literal["done", "upcoming", "overdue", "missed", "passed"]


class Stakeholder(BaseModel):
    """A contact at the account, as the plan's stakeholder map shows them."""

    contact_id: str
    name: str
    title: str | None
    role: str | None
    influence: str | None
    status: str = Field(description="status on as-of: active, departed, role_changed")
    status_changed_at: date | None
    last_engaged_at: date | None = Field(description="None when unknown or after as-of")
    days_since_engaged: int | None


class Objective(BaseModel):
    """A goal of goals.csv with its progress from its own numbers."""

    goal_id: str
    objective: str
    metric: str | None
    unit: str | None
    baseline: float | None
    target: float | None
    current: float | None
    due_date: date | None
    status: str | None
    set_at: date | None
    progress: float | None = Field(description="(current - baseline) / (target - baseline)")
    past_due: bool = Field(description="due date passed, status neither achieved nor missed")


class Milestone(BaseModel):
    """A dated milestone of the plan."""

    kind: Literal["first_value", "goal", "qbr", "notice_deadline", "renewal"]
    name: str
    due: date
    status: MilestoneStatus
    goal_id: str | None = None


class PlanRisk(BaseModel):
    """A risk to the plan, where it comes from, its mitigation and owner."""

    source: Literal["churn", "health"]
    kind: str = Field(description="churn signal kind or health dimension name")
    evidence: str
    mitigation: str
    owner: str


class SuccessPlanResult(Result):
    """The success plan of one active account."""

    command: Literal["success-plan"] = "success-plan"
    account_id: str
    name: str
    owner: str | None = Field(description="the account's CSM")
    segment: str | None
    arr: float = Field(description="ARR on as-of")
    score: int | None
    tier: str
    churn_risk: str | None
    action_48h: str | None = Field(description="the churn tool's action when a signal fired")
    stakeholders: list[Stakeholder]
    objectives: list[Objective]
    progress_note: str
    goals_note: str | None
    milestones: list[Milestone]
    risks: list[PlanRisk]
    last_qbr: date | None
    next_qbr: date | None
    next_review: date
    next_review_basis: str


def build_success_plan(
    portfolio: PortfolioData, account_id: str, as_of: date | None = None
) -> SuccessPlanResult:
    """Build the success plan of one active account.

    Args:
        portfolio: the loaded portfolio (60 days of usage for health and churn).
        account_id: the account.
        as_of: the point in time (default the portfolio's); later rows are ignored.

    Returns:
        Stakeholders, objectives, milestones, risks and the next review date, with gaps.

    Raises:
        ValueError: the account had churned by as-of.
    """
    day = as_of or portfolio.as_of
    data = portfolio.get(account_id)
    acc = data.account
    if acc.is_churned_on(day):
        raise ValueError(
            f"{acc.name} churned on {acc.churned_at}: a success plan is for active accounts "
            "(see `csm winback`)"
        )
    gaps = Gaps(portfolio.workspace)
    health = score_account(portfolio, account_id, day, with_trend=False)
    churn = assess_account(portfolio, account_id, day)
    gaps.extend(health.gaps)
    gaps.extend(churn.gaps)
    goals = [g for g in data.goals if g.set_at is None or g.set_at <= day]
    objectives = [_objective(g, day) for g in goals]
    _goal_gaps(data, goals, day, gaps)
    stakeholders = _stakeholders(data, day, gaps)
    last_qbr = max((e.occurred_at for e in _events(data, day, "qbr_held")), default=None)
    next_qbr = last_qbr + timedelta(days=QBR_INTERVAL_DAYS) if last_qbr else None
    if last_qbr is None:
        gaps.add(
            "qbr_held",
            "success-plan: next QBR and review",
            account_id=account_id,
            detail="no QBR on record",
        )
    review, basis = _next_review(day, last_qbr, next_qbr, notice_deadline(data, day))
    owner = acc.csm or "the CSM"
    if not acc.csm:
        gaps.add("csm", "success-plan: owner", account_id=account_id)
    risks = [
        PlanRisk(
            source="churn",
            kind=s.kind,
            evidence=s.evidence,
            mitigation=wording("success_plan", "mitigation signal")[s.kind],
            owner=owner,
        )
        for s in churn.signals
    ]
    risks += [
        PlanRisk(
            source="health",
            kind=d.name,
            evidence=_weak(d),
            mitigation=wording("success_plan", "mitigation dimension").get(d.name, ""),
            owner=owner,
        )
        for d in health.dimensions
        if d.score is not None and d.score < WEAK_DIMENSION
    ]
    return SuccessPlanResult(
        as_of=day,
        gaps=gaps.list(),
        account_id=account_id,
        name=acc.name,
        owner=acc.csm,
        segment=acc.segment,
        arr=arr_on(data, day),
        score=health.score,
        tier=health.tier,
        churn_risk=churn.risk,
        action_48h=churn.action if churn.risk else None,
        stakeholders=stakeholders,
        objectives=objectives,
        progress_note=say("success_plan", "notes", "progress"),
        goals_note=None if goals else say("success_plan", "notes", "no_goals"),
        milestones=_milestones(data, day, objectives, next_qbr, last_qbr, gaps),
        risks=risks,
        last_qbr=last_qbr,
        next_qbr=next_qbr,
        next_review=review,
        next_review_basis=basis,
    )


def _weak(dim: Dimension) -> str:
    """Say how weak a dimension is, with the reading of the signal that scored it."""
    values = dict(name=dim.name, score=f"{dim.score:.1f}", threshold=f"{WEAK_DIMENSION:.0f}")
    scored = [s for s in dim.signals if s.detail and not s.threshold.startswith("n/a")]
    if not scored:
        return say("success_plan", "risks", "dimension", **values)
    return say("success_plan", "risks", "dimension_detail", detail=scored[0].detail, **values)


def _events(data: AccountData, day: date, kind: str) -> list:
    return [e for e in data.events if e.kind == kind and e.occurred_at <= day]


def _objective(goal: Goal, day: date) -> Objective:
    progress = None
    if None not in (goal.baseline, goal.target, goal.current) and goal.target != goal.baseline:
        progress = (goal.current - goal.baseline) / (goal.target - goal.baseline)
    past_due = goal.due_date is not None and goal.due_date < day and goal.status in OPEN_GOAL
    return Objective(
        goal_id=goal.goal_id,
        objective=goal.objective,
        metric=goal.metric,
        unit=goal.unit,
        baseline=goal.baseline,
        target=goal.target,
        current=goal.current,
        due_date=goal.due_date,
        status=goal.status,
        set_at=goal.set_at,
        progress=progress,
        past_due=past_due,
    )


def _goal_gaps(data: AccountData, goals: list[Goal], day: date, gaps: Gaps) -> None:
    """Record no goals (ask the champion too), or each column the goals leave empty."""
    if not goals:
        gap = gaps.add(
            "goals",
            "success-plan: objectives",
            account_id=data.account_id,
        )
        champions = active_in(data.contacts, day, ("champion",))
        who = f"the champion {champions[0].name}" if champions else "the customer's champion"
        if who not in gap.ask:
            gap.ask = f"{gap.ask}, with {who}"
        return
    for column in GOAL_COLUMNS:
        missing = [g.goal_id for g in goals if getattr(g, column) is None]
        if missing:
            gaps.add(
                column,
                "success-plan: objectives",
                account_id=data.account_id,
                detail=f"empty for goal {', '.join(missing)}",
                category="cs_platform",
            )


def _stakeholders(data: AccountData, day: date, gaps: Gaps) -> list[Stakeholder]:
    if not data.contacts:
        gaps.add("contacts", "success-plan: stakeholders", account_id=data.account_id)
        return []
    if not any(c.role == "champion" for c in data.contacts):
        gaps.add(
            "champion",
            "success-plan: stakeholders",
            account_id=data.account_id,
            detail="no contact with role champion on record",
        )
    if not active_in(data.contacts, day, DECISION_ROLES):
        gaps.add(
            "exec_sponsor",
            "success-plan: stakeholders",
            account_id=data.account_id,
            detail="no active exec sponsor, decision maker or economic buyer on record",
        )

    def rank(c: Contact) -> tuple[int, int, int, str]:
        role = ROLE_ORDER.index(c.role) if c.role in ROLE_ORDER else len(ROLE_ORDER)
        influence = {"high": 0, "medium": 1, "low": 2}.get(c.influence or "", 3)
        return (c.status_on(day) != "active", role, influence, c.name)

    return [_stakeholder(c, day) for c in sorted(data.contacts, key=rank)]


def _stakeholder(c: Contact, day: date) -> Stakeholder:
    engaged = c.last_engaged_at if c.last_engaged_at and c.last_engaged_at <= day else None
    changed = c.status_changed_at if c.status_on(day) != "active" else None
    return Stakeholder(
        contact_id=c.contact_id,
        name=c.name,
        title=c.title,
        role=c.role,
        influence=c.influence,
        status=c.status_on(day),
        status_changed_at=changed,
        last_engaged_at=engaged,
        days_since_engaged=(day - engaged).days if engaged else None,
    )


def _next_review(
    day: date, last_qbr: date | None, next_qbr: date | None, notice: date | None
) -> tuple[date, str]:
    """Pick the next review: the next QBR, else within 30 days; before the notice deadline."""
    if next_qbr is not None and next_qbr >= day:
        review = next_qbr
        basis = say("success_plan", "notes", "review_qbr", date=next_qbr, last=last_qbr)
    else:
        review = day + timedelta(days=REVIEW_FALLBACK_DAYS)
        key = "review_overdue" if next_qbr is not None else "review_no_qbr"
        basis = say("success_plan", "notes", key, date=review, due=next_qbr, last=last_qbr)
    if notice is not None and day <= notice < review:
        basis = say("success_plan", "notes", "review_notice", date=notice, later=review)
        review = notice
    return review, basis


def _milestones(
    data: AccountData,
    day: date,
    objectives: list[Objective],
    next_qbr: date | None,
    last_qbr: date | None,
    gaps: Gaps,
) -> list[Milestone]:
    words = wording("success_plan", "milestones")
    out = _first_value(data, day, words)
    for o in objectives:
        if o.due_date is None:
            continue
        status: MilestoneStatus = "upcoming" if o.due_date >= day else "overdue"
        if o.status in ("achieved", "missed"):
            status = "done" if o.status == "achieved" else "missed"
        out.append(
            Milestone(
                kind="goal", name=o.objective, due=o.due_date, status=status, goal_id=o.goal_id
            )
        )
    if next_qbr is not None:
        status = "upcoming" if next_qbr >= day else "overdue"
        name = prompts.fill(words["qbr"], last=last_qbr)
        out.append(Milestone(kind="qbr", name=name, due=next_qbr, status=status))
    renewal = renewal_date(data, day)
    if renewal is None:
        gaps.add(
            "contracts",
            "success-plan: renewal milestone",
            account_id=data.account_id,
            detail=f"no contract row in force on {day}",
        )
    else:
        notice = notice_deadline(data, day)
        if notice is not None:
            name = prompts.fill(words["notice"], days=(renewal - notice).days)
            status = "upcoming" if notice >= day else "passed"
            out.append(Milestone(kind="notice_deadline", name=name, due=notice, status=status))
        out.append(Milestone(kind="renewal", name=words["renewal"], due=renewal, status="upcoming"))
    return sorted(out, key=lambda m: m.due)


def _first_value(data: AccountData, day: date, words: dict[str, str]) -> list[Milestone]:
    acc = data.account
    if acc.first_value_date is not None and acc.first_value_date <= day:
        return [
            Milestone(
                kind="first_value",
                name=words["first_value_done"],
                due=acc.first_value_date,
                status="done",
            )
        ]
    target = TARGET_DAYS.get(acc.segment or "")
    if acc.kickoff_date is None or target is None:
        return []
    due = acc.kickoff_date + timedelta(days=target)
    label = "same-day" if target == 0 else f"{target}-day"
    name = prompts.fill(words["first_value_due"], target=label, segment=acc.segment)
    status: MilestoneStatus = "upcoming" if due >= day else "overdue"
    return [Milestone(kind="first_value", name=name, due=due, status=status)]
