"""The expansion scanner's result types and vocabulary (tools.expansion computes them)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from tools.types import Result

SignalKind = Literal[
    "usage_growth",
    "department_spread",
    "feature_ceiling",
    "promoter",
    "organic_mention",
    "contract_anniversary",
    "seat_capacity",
]
Action = Literal["upsell", "cross_sell", "seat_expansion", "multi_year"]
Strength = Literal["strong", "moderate"]
Timing = Literal["now", "renewal", "next_qbr"]

SIGNAL_ORDER: tuple[str, ...] = (
    "seat_capacity",
    "department_spread",
    "organic_mention",
    "feature_ceiling",
    "usage_growth",
    "contract_anniversary",
    "promoter",
)
"""Tie-break between signals of equal strength when choosing the action."""
INTEREST_EVENTS = ("new_use_case_interest", "new_department_interest")
NOTE_CUES = ("use case", "department", "team", "interest", "expand", "roll out", "rollout")
"""Words that make a note worth quoting beside an organic_mention (evidence only)."""
BUDGET_ROLES = ("exec_sponsor", "economic_buyer")
INFLUENCE_RANK = {"high": 0, "medium": 1, "low": 2}
EXPANSION_KINDS = frozenset({"upsell", "cross_sell", "seats", "multi_year"})


class Quote(BaseModel):
    """Free text quoted as evidence beside a signal (never a signal by itself)."""

    source: Literal["note", "event", "survey"]
    id: str | None
    date: date
    text: str


class ExpansionSignal(BaseModel):
    """One expansion signal that fired."""

    kind: SignalKind
    strength: Strength = Field(description="strong or moderate (see the module docstring)")
    value: float | None = Field(None, description="the measured value the threshold was met by")
    threshold: str
    evidence: str = Field(description="the structured data that fired it, with dates")
    quotes: list[Quote] = Field(default_factory=list)


class BudgetOwner(BaseModel):
    """The exec sponsor or economic buyer to engage."""

    contact_id: str
    name: str
    title: str | None = None
    role: str


class OpenOpportunity(BaseModel):
    """An open CRM opportunity: context, not a signal."""

    opportunity_id: str
    kind: str
    stage: str | None
    amount: float | None
    created_at: date


class ExpansionOpportunity(BaseModel):
    """An account with at least one expansion signal, and what to do about it."""

    account_id: str
    name: str
    arr: float = Field(description="ARR on as-of")
    signals: list[ExpansionSignal]
    action: Action
    actions: list[Action] = Field(description="every action the signals point to")
    timing: Timing
    renewal_date: date | None = None
    revenue_estimate: float | None = Field(description="an estimate, never a booked number")
    estimate: bool = Field(True, description="always true: the revenue figure is an estimate")
    estimate_basis: str = Field(description="how the estimate was computed")
    budget_owner: BudgetOwner | None
    open_opportunities: list[OpenOpportunity] = Field(default_factory=list)


class HeldBack(BaseModel):
    """An account with expansion signals held back because its churn risk is high."""

    account_id: str
    name: str
    arr: float
    risk: str
    reason: str
    signals: list[SignalKind]
    churn_signals: list[str]


class ExpansionResult(Result):
    """Expansion opportunities (ranked by revenue estimate) and the accounts held back."""

    command: Literal["expansion"] = "expansion"
    account_id: str | None = Field(None, description="set for a single-account answer")
    name: str | None = Field(None, description="the account's name, for a single-account answer")
    opportunities: list[ExpansionOpportunity] = Field(default_factory=list)
    held_back: list[HeldBack] = Field(default_factory=list)
    scanned: int = 0
