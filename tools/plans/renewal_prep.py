"""Renewal prep (`csm renewal`): dates, risk, value, objections, authority and a talk track.

Every number comes from the analytics tools: the renewal row (tools.renewals.renewal_row:
terms, bucket and reasons, health trend, champion, sponsor, usage trend), the churn
assessment (tools.churn.assess_account: signals, 48-hour action, escalation) and the ROI
calculator (tools.roi.roi). This module assembles them with the dated sequence
(renewal_sequence), the objections and talk track (renewal_talk) and the timing notes,
worded by prompts/renewal.md.

Resolutions of what the brief leaves open:
- The price increase applies `price_increase_pct` of the contract row that ends last to the
  ARR on as-of (all rows in force), as the renewal package does.
- Renewal risk by tier (sales-ai-customer-success-retention) is shown as the source's
  guidance, not a computed probability: green <5% churn risk (early renewal, expansion),
  yellow 10-15% (renewal planning at 120 days), orange 30-50% (intervention at 180 days),
  red >60% (executive escalation).
- A documented value below the ARR (ROI multiple under 1) is a renewal risk too, like no
  dollarised ROI at all: activity is never presented as value.
- "Aim to agree by" is the notice deadline when it is still ahead and comes before the
  signature target (Day -14), else that target.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData, PortfolioData
from tools.churn import AccountRisk, ChurnSignal, assess_account, resolve_as_of
from tools.common import Gaps, renewal_date
from tools.plans.renewal_common import (
    Authority,
    Objection,
    ValueSummary,
    authority,
    csm_name,
    main_contact,
    say,
    value_summary,
)
from tools.plans.renewal_sequence import Step, sequence, sign_by, value_review_date
from tools.plans.renewal_talk import TalkLine, likely_objections, talk_track
from tools.renewals import Bucket, ContactRef, HealthPoint, RenewalRow, UsageTrend, renewal_row
from tools.roi import roi
from tools.types import Result

TIER_GUIDANCE: dict[str, tuple[str, str, int | None]] = {
    "green": ("<5%", "early renewal and expansion", 90),
    "yellow": ("10-15%", "renewal planning at 120 days", 120),
    "orange": ("30-50%", "intervention at 180 days", 180),
    "red": (">60%", "executive escalation", None),
}
"""Tier -> (the source's churn-risk band, its motion, days before renewal the work starts)."""


class TierGuidance(BaseModel):
    """The renewal-risk-by-tier guidance of the source for the account's tier."""

    tier: str
    churn_risk_band: str = Field(description="the source's typical churn risk, not computed")
    motion: str
    start_days: int | None
    start_date: date | None


class RiskAssessment(BaseModel):
    """The renewal pipeline's bucket and reasons plus the churn signals, for one account."""

    bucket: Bucket
    reasons: list[str]
    tier: str
    score: int | None
    health_trend: list[HealthPoint]
    churn_risk: str | None
    churn_signals: list[ChurnSignal]
    action: str = Field(description="the churn scan's 48-hour action")
    escalation: str | None
    usage_trend: UsageTrend | None
    champion: ContactRef | None
    champion_status: str
    exec_sponsor: ContactRef | None
    open_issues: list[str]
    competitive_risk: bool
    guidance: TierGuidance | None


class RenewalPrepResult(Result):
    """Renewal prep for one account."""

    command: Literal["renewal"] = "renewal"
    account_id: str
    name: str
    csm: str | None
    contract_id: str | None
    arr: float = Field(description="ARR on as-of")
    renewal_date: date
    days_to_renewal: int
    term_months: int | None
    term_days: int | None
    auto_renew: bool | None
    notice_days: int | None
    notice_deadline: date | None
    price_increase_pct: float | None
    new_arr: float | None = Field(description="ARR with the price increase applied")
    contact: ContactRef | None = Field(
        description="whom the renewal is agreed with: the decision-maker, else the champion"
    )
    steps: list[Step]
    sign_by: date = Field(description="the next contract step on or after as-of")
    decide_by: date = Field(description="the notice deadline when ahead and sooner, else sign_by")
    notes: list[str] = Field(description="timing warnings")
    risk: RiskAssessment
    value: ValueSummary
    objections: list[Objection]
    authority: Authority
    talk_track: list[TalkLine]


def build_renewal_prep(
    portfolio: PortfolioData, account_id: str, as_of: date | None = None
) -> RenewalPrepResult:
    """Prepare the renewal of one active account with a contract in force.

    Args:
        portfolio: the loaded portfolio.
        account_id: the account (KeyError if it was not loaded).
        as_of: the point in time (default: the portfolio's); later rows are ignored.

    Returns:
        The dated renewal sequence, risk assessment, value summary, objections with
        counteroffers, discount authority, escalation path and talk track, with gaps.

    Raises:
        ValueError: when the account has churned or has no contract in force on as-of.
    """
    day = resolve_as_of(portfolio, as_of)
    data = portfolio.get(account_id)
    require_renewal(data, day)
    gaps = Gaps(portfolio.workspace)
    row = renewal_row(portfolio, account_id, day)
    churn = assess_account(portfolio, account_id, day)
    value_roi = roi(portfolio, account_id, day)
    for source in (row.gaps, churn.gaps, value_roi.gaps):
        gaps.extend(source)
    assert row.renewal_date is not None
    csm = csm_name(data, gaps, "renewal: step owners")
    auth = authority(portfolio, account_id, row.arr, gaps)
    steps = sequence(data, row, day, csm, auth)
    value = value_summary(value_roi, data, day, value_review_date(steps, day))
    if not value.dollarised:
        gaps.add(
            "roi",
            "renewal: value summary",
            account_id=account_id,
            detail="no ROI row with a dollar value recorded on or before " + day.isoformat(),
        )
    _term_gaps(row, gaps)
    new_arr = _new_arr(row)
    signing = sign_by(steps, row.renewal_date, day)
    decide = _decide_by(row.notice_deadline, signing, day)
    objections = likely_objections(data, row, churn, value, steps, day, auth)
    guidance = _guidance(row, day)
    return RenewalPrepResult(
        as_of=day,
        gaps=gaps.list(),
        account_id=account_id,
        name=data.name,
        csm=csm,
        contract_id=row.contract_id,
        arr=row.arr,
        renewal_date=row.renewal_date,
        days_to_renewal=(row.renewal_date - day).days,
        term_months=row.term_months,
        term_days=row.term_days,
        auto_renew=row.auto_renew,
        notice_days=row.notice_days,
        notice_deadline=row.notice_deadline,
        price_increase_pct=row.price_increase_pct,
        new_arr=new_arr,
        contact=main_contact(row),
        steps=steps,
        sign_by=signing,
        decide_by=decide,
        notes=_notes(row, steps, day, guidance, auth),
        risk=_risk(row, churn, guidance),
        value=value,
        objections=objections,
        authority=auth,
        talk_track=talk_track(data, row, value, value_roi, objections, decide),
    )


def _decide_by(deadline: date | None, signing: date, day: date) -> date:
    """Return the date to agree the renewal by: the notice deadline when ahead and sooner."""
    if deadline is not None and day <= deadline < signing:
        return deadline
    return signing


def require_renewal(data: AccountData, day: date) -> None:
    """Raise ValueError unless the account is active with a contract in force on `day`."""
    if data.account.is_churned_on(day):
        raise ValueError(
            f"{data.name} churned on {data.account.churned_at}: there is no renewal to "
            "prepare (see csm winback)"
        )
    if renewal_date(data, day) is None:
        raise ValueError(
            f"{data.name} has no contract in force on {day}: there is no renewal to prepare "
            "(import its contracts.csv rows)"
        )


def _new_arr(row: RenewalRow) -> float | None:
    """Apply the contract's price increase to the ARR on as-of."""
    if row.price_increase_pct is None:
        return None
    return row.arr * (1 + row.price_increase_pct / 100)


def _term_gaps(row: RenewalRow, gaps: Gaps) -> None:
    """Record the contract cells the renewal documents need and do not have."""
    detail = f"contract {row.contract_id}"
    if row.notice_days is None:
        gaps.add(
            "notice_days", "renewal: notice deadline", account_id=row.account_id, detail=detail
        )
    if row.price_increase_pct is None:
        gaps.add(
            "price_increase_pct",
            "renewal: price for the new term",
            account_id=row.account_id,
            detail=detail,
        )


def _guidance(row: RenewalRow, day: date) -> TierGuidance | None:
    """Return the renewal-risk-by-tier guidance for the account's tier (None when unknown)."""
    if row.tier not in TIER_GUIDANCE or row.renewal_date is None:
        return None
    band, motion, days = TIER_GUIDANCE[row.tier]
    start = None
    if days is not None:
        start = date.fromordinal(row.renewal_date.toordinal() - days)
    return TierGuidance(
        tier=row.tier, churn_risk_band=band, motion=motion, start_days=days, start_date=start
    )


def _risk(row: RenewalRow, churn: AccountRisk, guidance: TierGuidance | None) -> RiskAssessment:
    """Combine the pipeline's bucket and reasons with the churn signals."""
    return RiskAssessment(
        bucket=row.bucket,
        reasons=row.reasons,
        tier=row.tier,
        score=row.score,
        health_trend=row.health_trend,
        churn_risk=churn.risk,
        churn_signals=churn.signals,
        action=churn.action,
        escalation=churn.escalation,
        usage_trend=row.usage_trend,
        champion=row.champion,
        champion_status=row.champion_status,
        exec_sponsor=row.exec_sponsor,
        open_issues=row.open_issues,
        competitive_risk=row.competitive_risk,
        guidance=guidance,
    )


def _notes(
    row: RenewalRow, steps: list[Step], day: date, guidance: TierGuidance | None, auth: Authority
) -> list[str]:
    """Write the timing warnings: notice deadline, its clash with the discussion, late start."""
    notes = []
    deadline = row.notice_deadline
    discussion = next(s.date for s in steps if s.day == -45)
    if deadline is not None:
        auto = "auto" if row.auto_renew else "manual"
        fields = {
            "notice_deadline": deadline.isoformat(),
            "notice_in": (deadline - day).days,
            "renewal_date": str(row.renewal_date),
            "discussion_date": discussion.isoformat(),
        }
        key = f"notice_{auto}" if deadline >= day else f"notice_passed_{auto}"
        notes.append(say("renewal", f"note {key}", **fields))
        if day <= deadline < discussion:
            notes.append(say("renewal", "note notice_before_discussion", **fields))
    if guidance is not None:
        if guidance.start_date is None:
            lead = auth.escalation_path[0] if auth.escalation_path else "CS leadership"
            notes.append(say("renewal", "note planning_critical", lead=lead))
        elif guidance.start_days and guidance.start_days > 90:
            key = "planning_late" if guidance.start_date < day else "planning_ahead"
            notes.append(
                say(
                    "renewal",
                    f"note {key}",
                    tier=guidance.tier,
                    start_days=guidance.start_days,
                    start_date=guidance.start_date.isoformat(),
                    motion=guidance.motion,
                )
            )
    return notes
