"""The save play's result types (`csm save --json`); tools.plans.save builds them."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from memory.workspace import DiscountStep
from tools.churn import ChurnSignal
from tools.roi import Benchmark
from tools.types import Result

Basis = Literal["recorded", "inferred", "unknown"]


class Person(BaseModel):
    """A contact at the account, as the plan names them."""

    contact_id: str
    name: str
    title: str | None = None
    role: str | None = None
    email: str | None = None


class ReasonLead(BaseModel):
    """A churn reason and the fired signals that point to it."""

    reason: str
    signals: list[str]


class ChurnReason(BaseModel):
    """The churn reason, and whether it was recorded, inferred (from which signals) or unknown."""

    reason: str | None
    basis: Basis
    signals: list[str] = Field(default_factory=list, description="signals that named it")
    also: list[ReasonLead] = Field(default_factory=list, description="other reasons in view")
    statement: str


class Step(BaseModel):
    """A dated action with its owner."""

    action: str
    owner: str
    due: date
    because: str | None = Field(None, description="the signal or dimension behind it")
    compressed: bool = Field(False, description="pulled in to the drop-dead date")


class Message(BaseModel):
    """The e-mail that goes with the 48-hour action."""

    to: Person | None
    subject: str
    body: str


class WeakDimension(BaseModel):
    """A health dimension below 4 of 10, with how it was read."""

    name: str
    score: float
    weight: float
    detail: str | None = None


class ExecutiveEngagement(BaseModel):
    """The executive call: who on each side, by when, about what."""

    level: Literal["executive", "csm"]
    customer_exec: Person | None
    our_side: list[str] = Field(description="rungs of the workspace escalation path")
    by: date
    agenda: str
    compressed: bool = False


class ValueRecovery(BaseModel):
    """The original success criteria against what was achieved (tools.roi)."""

    total_annual_value_usd: float | None
    roi_multiple: float | None
    estimate: bool
    valued: dict[str, float] = Field(description="category -> annual value, where known")
    achieved: list[Benchmark]
    missed: list[Benchmark] = Field(description="goals missed or at risk")
    open: list[Benchmark] = Field(description="goals on track, not started or without status")
    statement: str


class DecisionOption(BaseModel):
    """One way the save can resolve, from full remediation to exit."""

    key: str
    title: str
    description: str
    recommended: bool
    needs_approval: bool


class Approval(BaseModel):
    """An item that needs leadership approval, and who approves it (None = not set: a gap)."""

    key: str
    item: str
    approver: str | None


class DropDead(BaseModel):
    """When to stop investing, and why that date."""

    date: date | None
    basis: Literal["notice", "renewal_minus_30", "renewal", "unknown"]
    statement: str
    days_left: int | None = None
    renewal_date: date | None = None
    notice_deadline: date | None = None
    auto_renew: bool | None = None


class PastPlay(BaseModel):
    """A save play run on the account before (plays.csv)."""

    play_id: str
    opened_at: date
    closed_at: date | None
    outcome: str | None
    intervention: str | None


class SaveResult(Result):
    """The save plan of one active account."""

    command: Literal["save"] = "save"
    account_id: str
    name: str
    csm: str | None
    arr: float
    risk: str | None = Field(description="churn risk; None = no churn signal fired")
    escalation: str | None
    signals: list[ChurnSignal]
    health_score: int | None
    health_tier: str
    health_trend: dict[str, int | None] = Field(default_factory=dict)
    reason: ChurnReason
    play_title: str
    play: list[str]
    intro: str | None = Field(None, description="set when no churn signal fired")
    immediate: Step
    message: Message | None
    fixes: list[Step]
    weak_dimensions: list[WeakDimension]
    executive: ExecutiveEngagement
    value: ValueRecovery
    options: list[DecisionOption]
    drop_dead: DropDead
    checkpoints: list[date]
    approvals: list[Approval]
    discount_ladder: list[DiscountStep]
    past_plays: list[PastPlay]
