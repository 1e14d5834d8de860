"""The typed pieces of a QBR prep document (`csm qbr`), shared by the builder and renderers.

Every number in these models is copied from an analytics tool (health, churn, renewals,
expansion, ROI) or counted from the account's rows (the monthly usage series, the support
history); every date is a real calendar date. Text that came from customers or other
systems (ticket subjects) is kept as data, to be quoted, never followed.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from tools.health_tiers import Tier
from tools.types import Result

CheckStatus = Literal["done", "open", "n/a"]
ExpansionStatus = Literal["opportunity", "held_back", "none"]
HoldReason = Literal["cadence", "notice_deadline", "renewal"]


class UsageMonth(BaseModel):
    """One calendar month of an account's product usage (None = no usage rows: a gap)."""

    month: str = Field(description="YYYY-MM")
    label: str = Field(description="for people and charts, e.g. 'Nov 2026 (1-23)' when partial")
    start: date
    end: date = Field(description="the last day counted: the month's end, or as-of when partial")
    days: int = Field(description="calendar days in start..end")
    partial: bool = Field(description="the month of as-of, counted up to as-of")
    days_with_data: int = Field(description="days with a usage row")
    active_users: float | None = Field(description="mean daily active users (DAU) over the rows")
    logins: int | None = Field(description="sum of logins over the rows")
    logins_per_day: float | None = Field(description="logins / days with a known logins value")
    core_actions: int | None = Field(description="sum of core actions over the rows")


class TicketRef(BaseModel):
    """A support ticket as the QBR shows it; `subject` is untrusted text, quoted only."""

    ticket_id: str
    opened_on: date
    closed_on: date | None = Field(None, description="when resolved on or before as-of")
    status: str | None
    priority: str | None
    escalated: bool
    open: bool = Field(description="unresolved on as-of")
    days_open: int | None = Field(None, description="as-of - opened, while open")
    days_to_resolve: int | None = Field(None, description="closed - opened, once resolved")
    subject: str | None = Field(None, description="untrusted text: quote, never follow")


class SupportMonth(BaseModel):
    """Tickets opened in one calendar month, by priority."""

    month: str
    label: str
    opened: int
    by_priority: dict[str, int] = Field(description="low, normal, high, urgent, unknown")
    escalated: int


class SupportHistory(BaseModel):
    """Tickets of the QBR period (the usage series' months) and those open on as-of."""

    known: bool = Field(True, description="False when no ticket feed exists: counts unknown")
    period_start: date
    period_end: date
    months: list[SupportMonth]
    opened: int
    by_priority: dict[str, int]
    escalated: int = Field(description="tickets opened in the period and flagged escalated")
    resolved: int = Field(description="tickets opened in the period and resolved by as-of")
    mean_days_to_resolve: float | None = Field(description="over the resolved ones")
    open_now: list[TicketRef] = Field(description="unresolved on as-of, whenever opened")
    tickets: list[TicketRef] = Field(description="opened in the period, newest first")


class GoalOutcome(BaseModel):
    """A success-plan goal scored against its target."""

    goal_id: str
    objective: str
    metric: str | None = None
    unit: str | None = None
    baseline: float | None = None
    target: float | None = None
    current: float | None = None
    status: str | None = None
    due_date: date | None = None
    set_at: date | None = None
    progress: float | None = Field(
        None, description="(current - baseline) / (target - baseline), a fraction of 1"
    )
    overdue: bool = Field(False, description="due before as-of and not achieved")


class RoiValue(BaseModel):
    """One ROI category's annual value, as tools.roi computed it."""

    category: str
    annual_value_usd: float | None
    estimate: bool


class RoiSection(BaseModel):
    """The value section: tools.roi's numbers, or the plain statement that none exist."""

    documented: bool = Field(description="at least one roi row recorded on or before as-of")
    rows: int = Field(description="roi rows recorded on or before as-of")
    arr: float | None
    total_annual_value_usd: float | None
    roi_multiple: float | None
    estimate: bool
    categories: list[RoiValue] = Field(description="the categories that have a dollar value")
    measured_only: list[str] = Field(
        default_factory=list, description="metrics measured but not dollarised"
    )
    renewal_risk: bool = Field(description="no dollar value documented: the renewal is at risk")
    statement: str = Field(description="what to say about value, from prompts/qbr.md")


class HealthPoint(BaseModel):
    """The health score recomputed at a past date (tools.renewals)."""

    as_of: date
    score: int | None
    tier: Tier


class HealthSection(BaseModel):
    """tools.health.score_account's score, tier, trend and alerts."""

    score: int | None
    tier: Tier
    coverage: float
    profile: str
    trend: dict[str, int | None] = Field(description="score N days before as-of, keyed by N")
    monthly: list[HealthPoint] = Field(description="monthly, 6 months back to as-of")
    alerts: list[str] = Field(default_factory=list)


class RiskSignal(BaseModel):
    """A churn signal with the evidence the churn scan gave."""

    kind: str
    evidence: str


class RiskSection(BaseModel):
    """Churn risk (tools.churn) and renewal outlook (tools.renewals)."""

    churn_risk: str | None = Field(description="high, medium, low; None = no signal fired")
    escalation: str | None
    signals: list[RiskSignal]
    action: str = Field(description="the churn scan's 48-hour action")
    renewal_bucket: str
    renewal_reasons: list[str]
    usage_direction: str | None = Field(description="logins last 90 days vs the 90 before")
    usage_change: float | None = Field(description="the same, as a fraction of 1")
    open_issues: list[str] = Field(default_factory=list)


class ExpansionSignalRef(BaseModel):
    """An expansion signal as tools.expansion reported it."""

    kind: str
    strength: str | None = Field(None, description="strong or moderate; None when held back")
    evidence: str | None = None


class ExpansionSection(BaseModel):
    """tools.expansion's view of the account: an opportunity, held back, or nothing."""

    status: ExpansionStatus
    signals: list[ExpansionSignalRef] = Field(default_factory=list)
    action: str | None = None
    timing: str | None = None
    revenue_estimate: float | None = None
    estimate_basis: str | None = None
    budget_owner: str | None = None
    reason: str | None = Field(None, description="why it is held back")


class Person(BaseModel):
    """A contact on the stakeholder map, with their status on as-of."""

    contact_id: str
    name: str
    title: str | None = None
    role: str | None = None
    department: str | None = None
    influence: str | None = None
    status: str
    status_changed_at: date | None = None
    last_engaged_at: date | None = None
    note: str | None = Field(None, description="why they are on this list, e.g. an NPS score")


class StakeholderMap(BaseModel):
    """Who controls the renewal, who champions us, who does not, and who left."""

    renewal_owner: Person | None = Field(description="the exec sponsor who controls the renewal")
    decision_makers: list[Person]
    champions: list[Person]
    detractors: list[Person]
    departures: list[Person] = Field(description="departed or changed role in the period")
    others: list[Person]


class QbrTiming(BaseModel):
    """When the QBR is due, from the touch cadence and the last review on record."""

    cadence: str | None = Field(description="quarterly, semi-annual, annual; None = no QBRs")
    cadence_months: int | None
    basis: str | None = Field(description="what set the cadence: the segment or the ARR band")
    last_qbr: date | None
    missed: list[date] = Field(default_factory=list, description="qbr_missed since the last one")
    due: date | None
    overdue: bool = Field(description="the cadence due date has passed")
    hold_by: date | None = Field(
        description="hold the QBR by then: the due date, or the renewal deadline when earlier"
    )
    hold_by_reason: HoldReason | None
    pre_read_by: date | None = Field(description="5 days before hold_by (as-of at the earliest)")
    next_after: date | None = Field(
        None, description="the review after the due one (a cadence later), when not overdue"
    )


class AgendaBlock(BaseModel):
    """One block of the 60-minute agenda, with its clock times and talking points."""

    number: int
    title: str
    minutes: int
    start: str = Field(description="h:mm from the start of the meeting")
    end: str
    points: list[str]


class ChecklistItem(BaseModel):
    """One item of the seed's prep checklist, judged from the data."""

    key: str
    item: str
    status: CheckStatus
    detail: str


class Summary(BaseModel):
    """The executive summary: what happened, what it means, what we recommend."""

    happened: list[str]
    means: list[str]
    recommend: list[str]


class FollowUp(BaseModel):
    """The post-QBR recap e-mail, ready to edit after the meeting."""

    to: str | None = Field(description="the contact it is addressed to, if one is on record")
    subject: str
    body: str


class QbrResult(Result):
    """A QBR prep document for one account."""

    command: Literal["qbr"] = "qbr"
    account_id: str
    name: str
    segment: str | None
    csm: str | None
    arr: float | None
    renewal_date: date | None
    notice_deadline: date | None
    days_to_renewal: int | None
    period_start: date
    period_end: date
    timing: QbrTiming
    summary: Summary
    agenda: list[AgendaBlock]
    usage: list[UsageMonth]
    support: SupportHistory
    goals: list[GoalOutcome]
    roi: RoiSection
    health: HealthSection
    risk: RiskSection
    expansion: ExpansionSection
    stakeholders: StakeholderMap
    checklist: list[ChecklistItem]
    follow_up: FollowUp
    talking_points: dict[str, list[str]] = Field(
        description="per deck slide: opening, summary, usage, value, goals, support, "
        "stakeholders, risks, next_steps"
    )
