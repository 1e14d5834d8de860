"""The facts of a QBR, taken from the analytics tools and the account's rows.

Each function turns one tool's result (health, churn, renewals, expansion, ROI) into its
QBR section without recomputing the metric, or reads the account's own rows for what no
tool computes (goals vs outcomes, when the QBR is due).

Resolutions of what the seeds leave open:
- The QBR cadence is the touch-cadence table of customer-success-engine (phase 3):
  enterprise quarterly, mid-market semi-annual, smb annual, self-serve none; the segment
  decides, else the table's ARR bands ($100K+, $25-100K, $5-25K, under $5K).
- The last QBR is the latest `qbr_held` event, or the latest completed `qbr` play; the next
  one is due a cadence after it (or after go-live, else kickoff, when none is on record).
  It is to be held by that date, or by the renewal's notice deadline (else the renewal
  date) when that comes first and is still ahead: a review after it is too late for the
  renewal. The pre-read goes out 5 days before (the prep checklist), or today if later.
"""

from __future__ import annotations

from datetime import date, timedelta

from memory.read import AccountData
from tools.churn import AccountRisk
from tools.common import (
    Gaps,
    arr_on,
    notice_deadline,
    renewal_date,
)
from tools.expansion import ExpansionResult
from tools.health import HealthResult
from tools.plans.qbr_models import (
    ExpansionSection,
    ExpansionSignalRef,
    GoalOutcome,
    HealthPoint,
    HealthSection,
    HoldReason,
    QbrTiming,
    RiskSection,
    RiskSignal,
    RoiValue,
)
from tools.plans.qbr_series import add_months
from tools.renewals import RenewalRow
from tools.roi import RoiResult

CADENCE: dict[str, tuple[str | None, int | None]] = {
    "enterprise": ("quarterly", 3),
    "mid-market": ("semi-annual", 6),
    "smb": ("annual", 12),
    "self-serve": (None, None),
}
"""Segment -> (QBR cadence, months between QBRs) of the touch-cadence table."""
ARR_BANDS: tuple[tuple[float, str], ...] = (
    (100_000, "enterprise"),
    (25_000, "mid-market"),
    (5_000, "smb"),
    (0, "self-serve"),
)
PRE_READ_DAYS = 5


# --- timing ---------------------------------------------------------------------------------


def qbr_timing(data: AccountData, day: date, gaps: Gaps) -> QbrTiming:
    """Work out the QBR cadence, the last QBR, and when the next one is due."""
    cadence, months, basis = _cadence(data, day, gaps)
    held = [e.occurred_at for e in data.events if e.kind == "qbr_held" and e.occurred_at <= day]
    held += [
        p.closed_at
        for p in data.plays
        if p.kind == "qbr" and p.outcome == "completed" and p.closed_at and p.closed_at <= day
    ]
    last = max(held) if held else None
    missed = sorted(
        e.occurred_at
        for e in data.events
        if e.kind == "qbr_missed"
        and e.occurred_at <= day
        and (last is None or e.occurred_at > last)
    )
    acc = data.account
    base = last or _on_or_before(acc.go_live_date, day) or _on_or_before(acc.kickoff_date, day)
    due = add_months(base, months) if base is not None and months is not None else None
    if last is None and months is not None and (due is None or due < day):
        # a QBR should have happened by now (or the due date cannot be worked out)
        gaps.add(
            "qbr_held",
            "qbr: last review and next due date",
            account_id=data.account_id,
            detail="no qbr_held event or completed qbr play on record",
        )
    overdue = due is not None and due < day
    hold_by, reason = (None, None)
    if months is not None:  # the touch cadence plans no QBR for self-serve accounts
        hold_by, reason = _hold_by(data, day, None if overdue else due)
    pre_read = max(day, hold_by - timedelta(days=PRE_READ_DAYS)) if hold_by else None
    return QbrTiming(
        cadence=cadence,
        cadence_months=months,
        basis=basis,
        last_qbr=last,
        missed=missed,
        due=due,
        overdue=overdue,
        hold_by=hold_by,
        hold_by_reason=reason,
        pre_read_by=pre_read,
        next_after=add_months(due, months) if due is not None and not overdue else None,
    )


def _hold_by(
    data: AccountData, day: date, due: date | None
) -> tuple[date | None, HoldReason | None]:
    """Return the date to hold the QBR by: the cadence date, or the renewal's deadline first.

    A review after the notice deadline (else the renewal date) comes too late to matter
    for the renewal, so a deadline still ahead that falls before the due date wins.
    """
    notice, renewal = notice_deadline(data, day), renewal_date(data, day)
    deadline: tuple[date, HoldReason] | None = None
    if notice is not None and notice >= day:
        deadline = (notice, "notice_deadline")
    elif renewal is not None and renewal >= day:
        deadline = (renewal, "renewal")
    if deadline is not None and (due is None or deadline[0] < due):
        return deadline
    return (due, "cadence") if due is not None else (None, None)


def _cadence(data: AccountData, day: date, gaps: Gaps) -> tuple[str | None, int | None, str | None]:
    segment = data.account.segment
    if segment in CADENCE:
        return (*CADENCE[segment], f"segment {segment}")
    arr = arr_on(data, day)
    if arr > 0:
        band = next(name for floor, name in ARR_BANDS if arr >= floor)
        return (*CADENCE[band], f"ARR band {band}")
    gaps.add("segment", "qbr: cadence", account_id=data.account_id, detail="no segment and no ARR")
    return None, None, None


def _on_or_before(day: date | None, as_of: date) -> date | None:
    return day if day is not None and day <= as_of else None


# --- goals ----------------------------------------------------------------------------------


def goal_outcomes(roi: RoiResult, day: date, gaps: Gaps) -> list[GoalOutcome]:
    """Score the success-plan goals (tools.roi's benchmark) against their targets."""
    out = []
    for g in roi.benchmark:
        progress = None
        if None not in (g.baseline, g.target, g.current) and g.target != g.baseline:
            progress = (g.current - g.baseline) / (g.target - g.baseline)
        missing = [c for c in ("status", "current") if getattr(g, c) is None]
        for column in missing:
            gaps.add(
                column,
                "qbr: goals vs outcomes",
                account_id=roi.account_id,
                detail=f"goal {g.goal_id} has no {column}",
                category="cs_platform",
            )
        out.append(
            GoalOutcome(
                goal_id=g.goal_id,
                objective=g.objective,
                metric=g.metric,
                unit=g.unit,
                baseline=g.baseline,
                target=g.target,
                current=g.current,
                status=g.status,
                due_date=g.due_date,
                set_at=g.set_at,
                progress=progress,
                overdue=g.due_date is not None and g.due_date < day and g.status != "achieved",
            )
        )
    if not out:
        gaps.add(
            "goals",
            "qbr: goals vs outcomes",
            account_id=roi.account_id,
            detail="no goals on record",
        )
    return out


# --- analytics sections ---------------------------------------------------------------------


def roi_values(roi: RoiResult) -> tuple[int, list[RoiValue], list[str]]:
    """Return the roi rows counted, the categories with a value, and metrics without one."""
    rows = sum(len(c.rows) + c.superseded for c in roi.categories)
    valued = [
        RoiValue(category=c.category, annual_value_usd=c.annual_value_usd, estimate=c.estimate)
        for c in roi.categories
        if c.annual_value_usd is not None
    ]
    measured_only = [r.metric for c in roi.categories for r in c.rows if r.annual_value_usd is None]
    return rows, valued, measured_only


def health_section(health: HealthResult, renewal: RenewalRow) -> HealthSection:
    """Copy the health score, tier, trend and alerts (and the monthly trend of renewals)."""
    return HealthSection(
        score=health.score,
        tier=health.tier,
        coverage=health.coverage,
        profile=health.profile,
        trend=dict(health.trend),
        monthly=[
            HealthPoint(as_of=p.as_of, score=p.score, tier=p.tier) for p in renewal.health_trend
        ],
        alerts=[a.message for a in health.alerts],
    )


def risk_section(risk: AccountRisk, renewal: RenewalRow) -> RiskSection:
    """Copy the churn signals, action and escalation, and the renewal outlook."""
    trend = renewal.usage_trend
    return RiskSection(
        churn_risk=risk.risk,
        escalation=risk.escalation,
        signals=[RiskSignal(kind=s.kind, evidence=s.evidence) for s in risk.signals],
        action=risk.action,
        renewal_bucket=renewal.bucket,
        renewal_reasons=list(renewal.reasons),
        usage_direction=trend.direction if trend else None,
        usage_change=trend.change if trend else None,
        open_issues=list(renewal.open_issues),
    )


def expansion_section(result: ExpansionResult) -> ExpansionSection:
    """Copy the account's expansion opportunity, or why it is held back."""
    if result.opportunities:
        o = result.opportunities[0]
        owner = None
        if o.budget_owner is not None:
            b = o.budget_owner
            owner = f"{b.name} ({b.title})" if b.title else b.name
        return ExpansionSection(
            status="opportunity",
            signals=[
                ExpansionSignalRef(kind=s.kind, strength=s.strength, evidence=s.evidence)
                for s in o.signals
            ],
            action=o.action,
            timing=o.timing,
            revenue_estimate=o.revenue_estimate,
            estimate_basis=o.estimate_basis,
            budget_owner=owner,
        )
    if result.held_back:
        h = result.held_back[0]
        return ExpansionSection(
            status="held_back",
            signals=[ExpansionSignalRef(kind=k) for k in h.signals],
            reason=h.reason,
        )
    return ExpansionSection(status="none")
