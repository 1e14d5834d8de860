"""Renewal pipeline: the renewals due in a window, each bucketed strong/manage/unknown/at_risk.

Bucket rules (commands.md, first match wins):

- `at_risk`: health tier orange or red; usage declining (logins of the last 90 days vs the
  90 before <= -10%); or known dissatisfaction: the churn scan's `negative_survey` signal
  (a detractor NPS within 180 days, or mean CSAT of 90 days below the workspace threshold)
  or an open escalation (a ticket unresolved on as_of that is escalated or urgent).
- `unknown`: the tier is unknown, the champion status is missing (no contacts on record, or
  no contact with the role champion), no active exec sponsor / decision-maker / economic
  buyer is on record, or the usage trend is unknown.
- `manage`: tier yellow, or a champion changed within 180 days (a champion departed or
  changed role, or a champion_promoted event), or green without an active champion (all
  champions gone earlier) or without documented value.
- `strong`: green, an active champion and documented value (an roi row recorded on or before
  as_of, or a goal with status achieved).

The usage trend needs a known `logins` value for each of the 180 days: a missing day is
unknown, not zero, so a partial window is a `usage` (or `logins`) gap and the trend unknown.
"Within N days" is the N days starting on as_of: as_of .. as_of + N - 1, mirroring "the last
N days" of commands.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData, Contact, Contract, PortfolioData
from tools.churn import (
    AccountRisk,
    Risk,
    churn_risks,
    coverage_detail,
    gap_signal,
    logins_in,
    resolve_as_of,
)
from tools.common import (
    DECISION_ROLES,
    Gaps,
    active_contracts,
    arr_on,
    notice_deadline,
    renewal_date,
    window,
    within,
)
from tools.health import HealthResult, Tier, score_account
from tools.types import Gap, Result

Bucket = Literal["strong", "manage", "at_risk", "unknown"]
BUCKET_ORDER: dict[str, int] = {"strong": 0, "manage": 1, "unknown": 2, "at_risk": 3}
"""Sort order of commands.md: strong, manage, unknown, at_risk (then by renewal date)."""
TREND_MONTHS = 6
CHAMPION_CHANGE_DAYS = 180
USAGE_DAYS = 90
EXEC_ROLE_ORDER = ("exec_sponsor", "economic_buyer", "decision_maker")


class ContactRef(BaseModel):
    """A contact as the pipeline shows it, with their status on as_of."""

    contact_id: str
    name: str
    title: str | None = None
    role: str | None = None
    status: str = Field(description="status on as_of: active, departed, role_changed")
    status_changed_at: date | None = None
    last_engaged_at: date | None = None


class HealthPoint(BaseModel):
    """The health score and tier recomputed at one past date."""

    as_of: date
    score: int | None
    tier: Tier


class UsageTrend(BaseModel):
    """Logins of the last 90 days vs the 90 before."""

    metric: str = "logins"
    current: int
    previous: int
    current_period: str
    previous_period: str
    change: float | None = Field(description="(current - previous) / previous; None if 0 before")
    direction: Literal["increasing", "flat", "declining"]


class RenewalRow(BaseModel):
    """One renewal: contract terms, health, people, usage, issues and its bucket with reasons."""

    account_id: str
    name: str
    bucket: Bucket
    renewal_date: date | None
    arr: float = Field(description="ARR on as_of")
    reasons: list[str] = Field(description="why the account is in its bucket")
    contract_id: str | None = None
    start_date: date | None = Field(None, description="start of the row that ends last")
    end_date: date | None = None
    term_days: int | None = None
    term_months: int | None = Field(None, description="when the term is whole calendar months")
    auto_renew: bool | None = None
    notice_days: int | None = None
    notice_deadline: date | None = None
    price_increase_pct: float | None = None
    tier: Tier = "unknown"
    score: int | None = None
    health_trend: list[HealthPoint] = Field(
        default_factory=list, description="monthly, oldest first, 6 months back to as_of"
    )
    champion: ContactRef | None = None
    champion_status: Literal["active", "lost", "none_on_record", "unknown"] = "unknown"
    exec_sponsor: ContactRef | None = None
    usage_trend: UsageTrend | None = None
    open_issues: list[str] = Field(default_factory=list)
    competitive_risk: bool = False
    competitive_evidence: str | None = None
    churn_risk: Risk | None = None
    documented_value: list[str] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)


class RenewalPipelineResult(Result):
    """Renewals due within `days` days of as_of, sorted by likelihood to renew."""

    command: str = "renewals"
    days: int
    window_start: date
    window_end: date
    renewals: list[RenewalRow] = Field(default_factory=list)


# --- facts -----------------------------------------------------------------------------------


def months_back(day: date, months: int) -> date:
    """Return the same day `months` calendar months earlier (clamped to the month's end)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(y, m, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _term_months(c: Contract) -> int | None:
    """Return the term in whole calendar months when start + n months - 1 day is the end."""
    after = c.end_date + timedelta(days=1)
    n = (after.year - c.start_date.year) * 12 + after.month - c.start_date.month
    return n if n > 0 and months_back(after, n) == c.start_date else None


def _ref(c: Contact, as_of: date) -> ContactRef:
    return ContactRef(
        contact_id=c.contact_id,
        name=c.name,
        title=c.title,
        role=c.role,
        status=c.status_on(as_of),
        status_changed_at=c.status_changed_at,
        last_engaged_at=c.last_engaged_at,
    )


def _by_engagement(contacts: Iterable[Contact]) -> list[Contact]:
    """Most recently engaged first, then by name."""
    return sorted(contacts, key=lambda c: (-(c.last_engaged_at or date.min).toordinal(), c.name))


def _champion(data: AccountData, as_of: date, gaps: Gaps) -> tuple[Contact | None, str]:
    """Return the champion to show and the champion status on as_of."""
    if not data.contacts:
        gaps.add("contacts", "renewals: champion status", account_id=data.account_id)
        return None, "unknown"
    champions = [c for c in data.contacts if c.role == "champion"]
    if not champions:
        gaps.add(
            "champion",
            "renewals: champion status",
            account_id=data.account_id,
            detail="no contact with role champion on record",
        )
        return None, "none_on_record"
    active = [c for c in champions if c.status_on(as_of) == "active"]
    if active:
        return _by_engagement(active)[0], "active"
    latest = max(champions, key=lambda c: c.status_changed_at or date.min)
    return latest, "lost"


def _exec_sponsor(data: AccountData, as_of: date, gaps: Gaps) -> Contact | None:
    """Return the active contact who controls the renewal decision, or record a gap."""
    active = [
        c for c in data.contacts if c.role in DECISION_ROLES and c.status_on(as_of) == "active"
    ]
    if not active:
        if data.contacts:
            gaps.add(
                "exec_sponsor",
                "renewals: exec sponsor",
                account_id=data.account_id,
                detail="no active exec_sponsor, economic_buyer or decision_maker on record",
            )
        else:
            gaps.add("contacts", "renewals: exec sponsor", account_id=data.account_id)
        return None
    ranked = _by_engagement(active)
    return min(ranked, key=lambda c: EXEC_ROLE_ORDER.index(c.role or "exec_sponsor"))


def _champion_changes(data: AccountData, as_of: date) -> list[str]:
    """List the champion changes within 180 days (departures, role changes, promotions)."""
    start, end = window(as_of, CHAMPION_CHANGE_DAYS)
    out = [
        f"champion {c.name} {c.status} on {c.status_changed_at}"
        for c in data.contacts
        if c.role == "champion"
        and c.status_on(as_of) != "active"
        and within(c.status_changed_at, start, end)
    ]
    out += [
        f"champion_promoted on {e.occurred_at}"
        for e in data.events
        if e.kind == "champion_promoted" and within(e.occurred_at, start, end)
    ]
    return out


def _usage_trend(
    data: AccountData, as_of: date, usage_since: date, gaps: Gaps
) -> UsageTrend | None:
    """Compare logins of the last 90 days with the 90 before (both fully covered)."""
    cur = logins_in(data.usage, *window(as_of, USAGE_DAYS))
    prev = logins_in(data.usage, *window(as_of, USAGE_DAYS, USAGE_DAYS))
    missing = [c for c in (cur, prev) if not c.complete]
    for c in missing:
        gaps.add(
            gap_signal(c, data.usage),
            "renewals: usage trend",
            account_id=data.account_id,
            detail=coverage_detail(c, data.usage, usage_since),
        )
    if missing:
        return None
    delta = cur.total - prev.total
    if prev.total == 0:
        direction = "increasing" if cur.total > 0 else "flat"
    elif 10 * delta <= -prev.total:
        direction = "declining"
    elif 10 * delta >= prev.total:
        direction = "increasing"
    else:
        direction = "flat"
    return UsageTrend(
        current=cur.total,
        previous=prev.total,
        current_period=f"{cur.start}..{cur.end}",
        previous_period=f"{prev.start}..{prev.end}",
        change=delta / prev.total if prev.total else None,
        direction=direction,
    )


def _open_escalations(data: AccountData, as_of: date) -> list[str]:
    """List the tickets unresolved on as_of that are escalated or urgent."""
    return [
        f"open escalation: ticket {t.ticket_id} ({_ticket_labels(t.priority, t.escalated)}, "
        f"opened {t.opened_at.date()})"
        for t in data.tickets
        if t.open_on(as_of) and (t.escalated or t.priority == "urgent")
    ]


def _ticket_labels(priority: str | None, escalated: bool | None) -> str:
    labels = [priority or "priority unknown"]
    if escalated:
        labels.append("escalated")
    return ", ".join(labels)


def _open_issues(data: AccountData, as_of: date) -> list[str]:
    """List what is unresolved on as_of: open tickets, unpaid invoices, downgrade requests."""
    issues = [
        f"ticket {t.ticket_id} open since {t.opened_at.date()} "
        f"({_ticket_labels(t.priority, t.escalated)})"
        for t in data.tickets
        if t.open_on(as_of)
    ]
    issues += [
        f"invoice {i.invoice_id} (${i.amount:,.0f} due {i.due_date}) {i.status}, unpaid"
        for i in data.invoices
        if i.unpaid_problem_on(as_of)
    ]
    start, end = window(as_of, 90)
    issues += [
        f"downgrade_request on {e.occurred_at}"
        for e in data.events
        if e.kind == "downgrade_request" and within(e.occurred_at, start, end)
    ]
    return issues


def _documented_value(data: AccountData, as_of: date) -> list[str]:
    """List the documented value: roi rows recorded by as_of and achieved goals."""
    roi = [r for r in data.roi if r.recorded_at is None or r.recorded_at <= as_of]
    out = [f"{len(roi)} ROI row(s) documented"] if roi else []
    out += [
        f"goal achieved: {g.objective}"
        for g in data.goals
        if g.status == "achieved" and (g.set_at is None or g.set_at <= as_of)
    ]
    return out


# --- bucket ----------------------------------------------------------------------------------


def _bucket(
    row: RenewalRow, changes: list[str], dissatisfied: list[str]
) -> tuple[Bucket, list[str]]:
    """Apply the bucket rules of commands.md in order; return the bucket and its reasons."""
    tier = f"health tier {row.tier} (score {row.score})"
    trend = row.usage_trend
    at_risk = [tier] if row.tier in ("orange", "red") else []
    if trend is not None and trend.direction == "declining":
        at_risk.append(
            f"usage declining: logins {trend.current:,} vs {trend.previous:,} "
            f"({trend.change:+.0%}, last 90 days vs 90 before)"
        )
    at_risk += dissatisfied
    if at_risk:
        return "at_risk", at_risk
    missing = []
    if row.tier == "unknown":
        provisional = f" (provisional score {row.score})" if row.score is not None else ""
        missing.append(f"health tier unknown{provisional}")
    if row.champion_status == "unknown":
        missing.append("champion status unknown: no contacts on record")
    elif row.champion_status == "none_on_record":
        missing.append("no champion on record")
    if row.exec_sponsor is None:
        missing.append("no active exec sponsor or decision-maker on record")
    if trend is None:
        missing.append("usage trend unknown (logins missing for some of the 180 days)")
    if missing:
        return "unknown", missing
    manage = [tier] if row.tier == "yellow" else []
    manage += [f"champion changed within 180 days: {c}" for c in changes]
    if row.tier == "green" and row.champion_status == "lost":
        manage.append("no active champion remains")
    if row.tier == "green" and not row.documented_value:
        manage.append("green without documented value (no ROI rows, no achieved goal)")
    if manage:
        return "manage", manage
    champion = row.champion.name if row.champion else "?"
    return "strong", [tier, f"active champion {champion}", *row.documented_value]


def _row(portfolio: PortfolioData, data: AccountData, as_of: date, risk: AccountRisk) -> RenewalRow:
    """Build one renewal row with its facts, bucket, reasons and gaps."""
    gaps = Gaps(portfolio.workspace)
    health = score_account(portfolio, data.account_id, as_of, with_trend=False)
    gaps.extend(health.gaps)
    gaps.extend(risk.gaps)
    champion, champion_status = _champion(data, as_of, gaps)
    sponsor = _exec_sponsor(data, as_of, gaps)
    competitive = next((s for s in risk.signals if s.kind == "competitive"), None)
    survey = next((s for s in risk.signals if s.kind == "negative_survey"), None)
    dissatisfied = [f"negative survey: {survey.evidence}"] if survey else []
    dissatisfied += _open_escalations(data, as_of)
    row = RenewalRow(
        account_id=data.account_id,
        name=data.name,
        bucket="unknown",
        renewal_date=renewal_date(data, as_of),
        arr=arr_on(data, as_of),
        reasons=[],
        tier=health.tier,
        score=health.score,
        health_trend=_health_trend(portfolio, data.account_id, as_of, health),
        champion=_ref(champion, as_of) if champion else None,
        champion_status=champion_status,
        exec_sponsor=_ref(sponsor, as_of) if sponsor else None,
        usage_trend=_usage_trend(data, as_of, portfolio.usage_since, gaps),
        open_issues=_open_issues(data, as_of),
        competitive_risk=competitive is not None,
        competitive_evidence=competitive.evidence if competitive else None,
        churn_risk=risk.risk,
        documented_value=_documented_value(data, as_of),
        **_contract_terms(data, as_of, gaps),
    )
    row.bucket, row.reasons = _bucket(row, _champion_changes(data, as_of), dissatisfied)
    row.gaps = gaps.list()
    return row


def _contract_terms(data: AccountData, as_of: date, gaps: Gaps) -> dict[str, object]:
    """Return the terms of the contract row that ends last; empty cells become gaps."""
    rows = active_contracts(data, as_of)
    if not rows:
        gaps.add(
            "contracts",
            "renewals: renewal date",
            account_id=data.account_id,
            detail=f"no contract row in force on {as_of}",
        )
        return {}
    last = max(rows, key=lambda c: c.end_date)
    for column in ("auto_renew", "notice_days", "price_increase_pct"):
        if getattr(last, column) is None:
            gaps.add(
                column,
                "renewals: contract terms",
                account_id=data.account_id,
                detail=f"contract {last.contract_id}",
            )
    return {
        "contract_id": last.contract_id,
        "start_date": last.start_date,
        "end_date": last.end_date,
        "term_days": (last.end_date - last.start_date).days + 1,
        "term_months": _term_months(last),
        "auto_renew": last.auto_renew,
        "notice_days": last.notice_days,
        "notice_deadline": notice_deadline(data, as_of),
        "price_increase_pct": last.price_increase_pct,
    }


def _health_trend(
    portfolio: PortfolioData, account_id: str, as_of: date, now: HealthResult
) -> list[HealthPoint]:
    """Recompute the health score monthly, 6 months back to as_of (oldest first)."""
    points = []
    for k in range(TREND_MONTHS, 0, -1):
        day = months_back(as_of, k)
        past = score_account(portfolio, account_id, day, with_trend=False)
        points.append(HealthPoint(as_of=day, score=past.score, tier=past.tier))
    points.append(HealthPoint(as_of=as_of, score=now.score, tier=now.tier))
    return points


# --- public API -------------------------------------------------------------------------------


def sort_key(row: RenewalRow) -> tuple[int, date, str, str]:
    """Sort key: strong, manage, unknown, at_risk; then renewal date; then name."""
    return (
        BUCKET_ORDER[row.bucket],
        row.renewal_date or date.max,
        row.name.lower(),
        row.account_id,
    )


def renewal_pipeline(
    portfolio: PortfolioData, as_of: date | None = None, days: int = 90
) -> RenewalPipelineResult:
    """Map the renewals due within `days` days (as_of .. as_of + days - 1), bucketed.

    Active accounts with no contract row in force have an unknown renewal date: each is a
    `contracts` gap of the result.
    """
    day = resolve_as_of(portfolio, as_of)
    start, end = day, day + timedelta(days=days - 1)
    gaps = Gaps(portfolio.workspace)
    due: list[AccountData] = []
    for data in portfolio.active_accounts(day):
        rd = renewal_date(data, day)
        if rd is None:
            gaps.add(
                "contracts",
                "renewals: renewal date",
                account_id=data.account_id,
                detail=f"no contract row in force on {day}",
            )
        elif start <= rd <= end:
            due.append(data)
    risks = churn_risks(portfolio, day, account_ids=[d.account_id for d in due])
    rows = sorted((_row(portfolio, d, day, risks[d.account_id]) for d in due), key=sort_key)
    for r in rows:
        gaps.extend(r.gaps)
    return RenewalPipelineResult(
        as_of=day, days=days, window_start=start, window_end=end, renewals=rows, gaps=gaps.list()
    )


def renewal_row(portfolio: PortfolioData, account_id: str, as_of: date | None = None) -> RenewalRow:
    """Return one account's renewal row, whatever its renewal date (KeyError if unknown)."""
    day = resolve_as_of(portfolio, as_of)
    risk = churn_risks(portfolio, day, account_ids=[account_id])[account_id]
    return _row(portfolio, portfolio.get(account_id), day, risk)
