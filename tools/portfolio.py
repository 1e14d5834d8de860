"""Portfolio review: the weekly CS dashboard (customer-success-engine-skill, Phase 8).

Every figure is computed by the tool that owns the metric, never by a second variant of it:
tiers and scores by tools.health `score_portfolio`, GRR/NRR/logo retention and the
month-to-date churn, contraction and expansion by tools.retention `nrr`, renewal buckets by
tools.renewals `renewal_pipeline`. This module adds the counts the dashboard needs on top
and the answers to the monthly review questions the data supports.

Resolutions of cases the spec leaves open:
- Who counts. Figures about the book now (totals, health, pipeline, active onboardings,
  renewals, multi-threading, at-risk ARR per CSM, accounts awaiting first value) cover the
  accounts active on as-of. Figures about what happened in a window (retention, NPS, CSAT,
  QBRs held, upsell conversations, TTFV, onboarding completion, churn reasons) cover every
  account, churned ones included, so customers who left still count against us.
- `avg_health_score` is the mean score of the accounts with a tier (unknown-tier accounts
  have only a provisional score and are left out; how many were averaged is reported).
  `health_score_trend` compares it with the same mean recomputed 30 days earlier: `flat`
  when the two are within +-2 points (inclusive), `up` / `down` beyond that, None when
  either mean is unknown.
- Trailing 12 months = the 365 days ending on as-of, the default period of `csm nrr`.
  Month to date = `nrr` from the last day of the previous month to as-of, so a contract
  ending on the last day of last month is last month's churn and one ending on the 1st of
  this month is this month's.
- Targets are the seed's, met only when strictly beyond them (GRR > 90%, NRR > 110%, logo >
  85%, expansion > 15%, avg health > 70, NPS > 50, CSAT > 4.5, onboarding completion > 90%);
  the average TTFV of a segment meets its commands.md target when within it (enterprise 30,
  mid-market 14, smb 1 days).
- `nps_score` is standard NPS on -100..100 (% promoters 9-10 minus % detractors 0-6) over
  each account's latest NPS response within 180 days; `csat_score` is the mean of every
  CSAT response of the last 90 days (1-5).
- `expansion_pipeline`: opportunities of kind other than renewal, at stage qualified or
  proposal, not closed on as-of. One with an empty amount is an `amount` gap, left out of
  the sum and counted.
- `upsell_conversations` counts expansion_discussed events in the last 30 days;
  `qbrs_completed` counts qbr_held events from the first day of as-of's calendar quarter.
- Onboarding: active = kickoff_date within the last 90 days. TTFV = first_value_date -
  kickoff_date for accounts with both on or before as-of; an account with a kickoff and no
  first value yet is counted as awaiting, never as zero, and is a `first_value_date` gap
  once its kickoff is more than 90 days old (not reached, or not recorded). Completion rate
  = plays of kind onboarding closed on or before as-of with outcome completed / those
  closed; a closed play without outcome is an `outcome` gap left out of both.
- Upcoming renewals are cumulative (the 60-day count includes the 30-day one), taken from
  the 90-day renewal pipeline's rows with its convention: "within N days" is as-of ..
  as-of + N - 1.
- Tier moves compare the tier now with the tier 30 days ago; unknown on either side is not
  a move. `moved_down` is green -> yellow, orange or red (the seed's question); `moved_up`
  is any rise among green, yellow, orange, red. The reason is the dimension whose weighted
  contribution moved most in the same direction.
- At-risk ARR = ARR of active accounts in tier orange or red; per CSM, with each CSM's share
  of the portfolio's at-risk ARR and of their own book. An account without a CSM is a `csm`
  gap and is grouped as unassigned.
- Churn reason: accounts that churned within the last 90 days, by recorded churn_reason
  (ranked by accounts, then ARR lost, then name); compared with the 90 days before for the
  trend. A churned account without a reason is a `churn_reason` gap.
- Multi-threaded = 3+ contacts active on as-of, for the 10 active accounts with the largest
  ARR (ARR > 0). An account with no contact rows is a `contacts` gap, not single-threaded.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData, PortfolioData
from tools.common import Gaps, arr_on, mean, window
from tools.health import HealthResult, score_portfolio
from tools.renewals import renewal_pipeline
from tools.retention import nrr
from tools.types import Result

Scores = dict[str, HealthResult]
Direction = Literal["above", "within"]

TIERS: tuple[str, ...] = ("green", "yellow", "orange", "red", "unknown")
TIER_RANK: dict[str, int] = {"red": 0, "orange": 1, "yellow": 2, "green": 3}
AT_RISK_TIERS = frozenset({"orange", "red"})
TREND_FLAT_POINTS = 2.0
"""avg health within +-this many points of 30 days ago is `flat`."""
TREND_DAYS = 30
NPS_DAYS = 180
CSAT_DAYS = 90
UPSELL_DAYS = 30
ONBOARDING_DAYS = 90
CHURN_REASON_DAYS = 90
RENEWAL_WINDOWS: tuple[int, ...] = (30, 60, 90)
TOP_ACCOUNTS = 10
MULTI_THREAD_CONTACTS = 3
RETENTION_DAYS = 365
PIPELINE_STAGES = frozenset({"qualified", "proposal"})
TTFV_TARGET_DAYS: dict[str, int] = {"enterprise": 30, "mid-market": 14, "smb": 1}
"""TTFV target by segment (commands.md, onboarding plan)."""
NOT_ANSWERED: dict[str, str] = {
    "Are QBRs driving measurable behavior change?": (
        "needs a before/after comparison per QBR that the review does not make; "
        "see `csm analysis` and `csm playbooks`"
    ),
    "What product feedback should we escalate to product team?": (
        "lives in free text (notes, tickets, survey comments), which never makes a number; "
        "search it with `csm notes`"
    ),
}


class TierBucket(BaseModel):
    """Accounts and their ARR in one health tier (or one renewal window)."""

    count: int = 0
    arr: float = 0.0


class TargetCheck(BaseModel):
    """A dashboard figure against its seed target."""

    metric: str = Field(description="section.field of the figure")
    value: float | None
    target: float
    direction: Direction = Field(
        description="above: met when value > target; within: met when value <= target"
    )
    met: bool | None = Field(description="None when the value is unknown")


class PortfolioSection(BaseModel):
    """Totals and the health distribution."""

    week: str = Field(description="ISO week of as-of, YYYY-Www")
    total_accounts: int = Field(description="accounts active on as-of")
    total_arr: float
    health_distribution: dict[str, TierBucket] = Field(
        description="green, yellow, orange, red and unknown, by count and ARR"
    )
    avg_health_score: float | None = Field(description="mean score of the tiered accounts")
    avg_health_score_accounts: int = Field(description="tiered accounts in the mean")
    avg_health_score_basis: str
    avg_health_score_30d_ago: float | None
    health_score_trend: Literal["up", "flat", "down"] | None = Field(
        description="avg now vs 30 days ago; flat within +-2 points"
    )


class RetentionSection(BaseModel):
    """Trailing-12-month retention and the month's losses."""

    period_start: date
    period_end: date
    start_arr: float
    gross_retention_rate: float | None
    net_retention_rate: float | None
    logo_retention_rate: float | None
    month_start: date
    arr_churned_mtd: float
    arr_contracted_mtd: float


class ExpansionSection(BaseModel):
    """Expansion this month, the open pipeline and the trailing-12-month rate."""

    arr_expanded_mtd: float
    expansion_pipeline: float = Field(description="sum of known amounts of open opportunities")
    pipeline_opportunities: int
    pipeline_amount_unknown: int = Field(description="open opportunities with no amount")
    upsell_conversations: int = Field(description="expansion_discussed events, last 30 days")
    arr_expanded_12m: float
    expansion_rate: float | None = Field(description="12-month expansion / start ARR")


class EngagementSection(BaseModel):
    """QBRs held this quarter, NPS and CSAT."""

    quarter: str
    quarter_start: date
    qbrs_completed: int
    nps_score: float | None = Field(description="-100..100 over latest responses, 180 days")
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    csat_score: float | None = Field(description="mean of CSAT responses, last 90 days")
    csat_responses: int


class SegmentTtfv(BaseModel):
    """Average time to first value of one segment, against its target."""

    segment: str | None
    accounts: int
    avg_ttfv_days: float
    target_days: int | None


class OnboardingSection(BaseModel):
    """Onboardings in flight, time to first value and completion."""

    active_onboardings: int = Field(description="kickoff within the last 90 days")
    avg_ttfv_days: float | None
    ttfv_accounts: int = Field(description="accounts with kickoff and first value dates")
    awaiting_first_value: int = Field(description="active accounts kicked off, no first value")
    ttfv_by_segment: list[SegmentTtfv]
    onboarding_completion_rate: float | None
    onboardings_completed: int
    onboardings_closed: int


class RenewalsSection(BaseModel):
    """Renewals due within 30, 60 and 90 days and their buckets."""

    upcoming_30d: TierBucket
    upcoming_60d: TierBucket
    upcoming_90d: TierBucket
    on_track: int = Field(description="strong + manage, within 90 days")
    at_risk: int
    unknown: int
    by_bucket: dict[str, TierBucket]


class TierMove(BaseModel):
    """An account whose tier changed over the last 30 days."""

    account_id: str
    name: str
    from_tier: str
    to_tier: str
    score_then: int | None
    score_now: int | None
    arr: float
    reason: str | None = Field(description="the dimension that moved most that way")


class ReasonCount(BaseModel):
    """Accounts churned for one recorded reason."""

    reason: str
    accounts: int
    arr: float = Field(description="ARR the day before they churned")
    previous_accounts: int = Field(description="same reason in the 90 days before")


class ChurnReasons(BaseModel):
    """Recorded churn reasons of the last 90 days, vs the 90 before."""

    window_start: date
    window_end: date
    top_reason: str | None
    trend: Literal["rising", "steady", "falling"] | None = Field(
        description="top reason's count vs the 90 days before"
    )
    reasons: list[ReasonCount]
    unrecorded: int = Field(description="churned in the window without a recorded reason")


class TopAccount(BaseModel):
    """One of the largest accounts and whether it is multi-threaded."""

    account_id: str
    name: str
    arr: float
    active_contacts: int | None = Field(description="None when no contact is on record")
    multi_threaded: bool | None


class CsmConcentration(BaseModel):
    """One CSM's book and its at-risk (orange or red) ARR."""

    csm: str | None
    accounts: int
    arr: float
    at_risk_accounts: int
    at_risk_arr: float
    unknown_tier_arr: float
    share_of_book: float | None = Field(description="at-risk ARR / the CSM's ARR")
    share_of_at_risk: float | None = Field(description="of the portfolio's at-risk ARR")


class MonthlyReview(BaseModel):
    """Answers to the seed's monthly review questions that the data supports."""

    moved_down: list[TierMove] = Field(description="green -> yellow or worse, last 30 days")
    moved_up: list[TierMove]
    churn_reasons: ChurnReasons
    top_accounts: list[TopAccount]
    top_accounts_multi_threaded: int
    at_risk_arr: float
    at_risk_by_csm: list[CsmConcentration]
    not_answered: dict[str, str] = Field(description="question -> why the data cannot answer")


class PortfolioReview(Result):
    """The weekly CS dashboard with the monthly review answers."""

    command: str = "portfolio"
    profile: str
    portfolio: PortfolioSection
    retention: RetentionSection
    expansion: ExpansionSection
    engagement: EngagementSection
    onboarding: OnboardingSection
    renewals: RenewalsSection
    review: MonthlyReview
    targets: list[TargetCheck]


def portfolio_review(
    portfolio: PortfolioData, as_of: date | None = None, profile: str = "engine"
) -> PortfolioReview:
    """Build the weekly CS dashboard of the portfolio as of one date.

    Args:
        portfolio: the loaded portfolio (with at least 30 + the health model's days of usage).
        as_of: the point in time (default the portfolio's as-of); later rows are ignored.
        profile: the health model used for tiers and scores.

    Returns:
        The dashboard sections, the monthly review answers, the targets and every gap.
    """
    day = as_of or portfolio.as_of
    if day > portfolio.as_of:
        raise ValueError(f"as_of ({day}) is after the data's as-of ({portfolio.as_of})")
    gaps = Gaps(portfolio.workspace)
    active = portfolio.active_accounts(day)
    every = list(portfolio.accounts.values())
    arr = {a.account_id: arr_on(a, day) for a in active}
    now = score_portfolio(portfolio, day, profile)
    then = score_portfolio(portfolio, day - timedelta(days=TREND_DAYS), profile)
    for res in now.values():
        gaps.extend(res.gaps)
    tiers = {a.account_id: _tier(now.get(a.account_id)) for a in active}
    retention, expansion = _retention_and_expansion(portfolio, day, active, gaps)
    sections = {
        "portfolio": _portfolio(day, arr, tiers, now, then),
        "retention": retention,
        "expansion": expansion,
        "engagement": _engagement(day, every, gaps),
        "onboarding": _onboarding(day, active, every, gaps),
        "renewals": _renewals(portfolio, day, gaps),
    }
    review = _review(day, active, every, arr, tiers, (then, now), gaps)
    return PortfolioReview(
        as_of=day,
        profile=profile,
        **sections,
        review=review,
        targets=_targets(sections),
        gaps=gaps.list(),
    )


# --- portfolio and health -----------------------------------------------------------------


def _tier(res: HealthResult | None) -> str:
    """Return a health result's tier, unknown when there is no result."""
    return res.tier if res is not None else "unknown"


def _score(res: HealthResult | None) -> int | None:
    return res.score if res is not None else None


def iso_week(day: date) -> str:
    """Return the ISO week of `day` as 'YYYY-Www'."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _tiered_mean(results: Scores, ids: Iterable[str]) -> tuple[float | None, int]:
    """Return the mean score of the accounts in `ids` that have a tier, and how many."""
    scores = [
        float(s)
        for i in ids
        if _tier(res := results.get(i)) != "unknown" and (s := _score(res)) is not None
    ]
    return mean(scores), len(scores)


def health_trend(now: float | None, then: float | None) -> Literal["up", "flat", "down"] | None:
    """Compare two average scores: flat within +-2 points, None when either is unknown."""
    if now is None or then is None:
        return None
    if abs(now - then) <= TREND_FLAT_POINTS:
        return "flat"
    return "up" if now > then else "down"


def _portfolio(
    day: date,
    arr: dict[str, float],
    tiers: dict[str, str],
    now: Scores,
    then: Scores,
) -> PortfolioSection:
    """Total the active accounts, place them in tiers, and average their scores."""
    dist = {t: TierBucket() for t in TIERS}
    for acc_id, tier in tiers.items():
        dist[tier].count += 1
        dist[tier].arr += arr[acc_id]
    avg_now, n_now = _tiered_mean(now, tiers)
    avg_then, _ = _tiered_mean(then, then)
    unknown = dist["unknown"].count
    return PortfolioSection(
        week=iso_week(day),
        total_accounts=len(tiers),
        total_arr=sum(arr.values()),
        health_distribution=dist,
        avg_health_score=avg_now,
        avg_health_score_accounts=n_now,
        avg_health_score_basis=(
            f"mean score of the {n_now} tiered accounts; the {unknown} unknown-tier "
            "accounts are left out"
        ),
        avg_health_score_30d_ago=avg_then,
        health_score_trend=health_trend(avg_now, avg_then),
    )


# --- retention and expansion --------------------------------------------------------------


def _retention_and_expansion(
    portfolio: PortfolioData, day: date, active: Sequence[AccountData], gaps: Gaps
) -> tuple[RetentionSection, ExpansionSection]:
    start = day - timedelta(days=RETENTION_DAYS)
    year = nrr(portfolio, start, day)
    month_start = day.replace(day=1)
    month = nrr(portfolio, month_start - timedelta(days=1), day)
    gaps.extend(year.gaps)
    if year.nrr is None:
        gaps.add(
            "contracts",
            "portfolio: retention, expansion_rate",
            detail=f"no account had ARR on {start}",
        )
    retention = RetentionSection(
        period_start=start,
        period_end=day,
        start_arr=year.start_arr,
        gross_retention_rate=year.grr,
        net_retention_rate=year.nrr,
        logo_retention_rate=year.logo_retention,
        month_start=month_start,
        arr_churned_mtd=month.churn,
        arr_contracted_mtd=month.contraction,
    )
    pipeline, n_open, n_unknown = expansion_pipeline(active, day, gaps)
    expansion = ExpansionSection(
        arr_expanded_mtd=month.expansion,
        expansion_pipeline=pipeline,
        pipeline_opportunities=n_open,
        pipeline_amount_unknown=n_unknown,
        upsell_conversations=_count_events(
            portfolio.accounts.values(), "expansion_discussed", *window(day, UPSELL_DAYS)
        ),
        arr_expanded_12m=year.expansion,
        expansion_rate=year.expansion / year.start_arr if year.start_arr else None,
    )
    return retention, expansion


def expansion_pipeline(
    accounts: Iterable[AccountData], day: date, gaps: Gaps
) -> tuple[float, int, int]:
    """Sum the open qualified/proposal expansion opportunities on `day`.

    Returns:
        The sum of known amounts, the open opportunities, and those without an amount
        (each recorded as an `amount` gap).
    """
    total, n_open, n_unknown = 0.0, 0, 0
    for a in accounts:
        for o in a.opportunities:
            if o.created_at > day or o.kind == "renewal" or o.stage not in PIPELINE_STAGES:
                continue
            if o.closed_at is not None and o.closed_at <= day:
                continue
            n_open += 1
            if o.amount is None:
                n_unknown += 1
                gaps.add(
                    "amount",
                    "portfolio: expansion_pipeline",
                    account_id=a.account_id,
                    detail=f"opportunity {o.opportunity_id} ({o.kind}, {o.stage})",
                )
            else:
                total += o.amount
    return total, n_open, n_unknown


def _count_events(accounts: Iterable[AccountData], kind: str, start: date, end: date) -> int:
    return sum(
        1 for a in accounts for e in a.events if e.kind == kind and start <= e.occurred_at <= end
    )


# --- engagement ---------------------------------------------------------------------------


def quarter_start(day: date) -> date:
    """Return the first day of `day`'s calendar quarter."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def nps_counts(accounts: Iterable[AccountData], day: date) -> tuple[int, int, int]:
    """Classify each account's latest NPS response within 180 days.

    Returns:
        (promoters 9-10, passives 7-8, detractors 0-6).
    """
    start, end = window(day, NPS_DAYS)
    counts = Counter()
    for a in accounts:
        latest = None
        for s in a.surveys:
            if s.kind == "nps" and start <= s.responded_at <= end:
                if latest is None or s.responded_at >= latest.responded_at:
                    latest = s
        if latest is not None:
            counts[_nps_class(latest.score)] += 1
    return counts["promoter"], counts["passive"], counts["detractor"]


def _nps_class(score: float) -> str:
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


def nps_score(promoters: int, passives: int, detractors: int) -> float | None:
    """Return standard NPS (-100..100), or None without responses."""
    n = promoters + passives + detractors
    return 100.0 * (promoters - detractors) / n if n else None


def _engagement(day: date, every: Sequence[AccountData], gaps: Gaps) -> EngagementSection:
    q_start = quarter_start(day)
    promoters, passives, detractors = nps_counts(every, day)
    score = nps_score(promoters, passives, detractors)
    if score is None:
        gaps.add(
            "nps", "portfolio: nps_score", detail=f"no NPS response in the last {NPS_DAYS} days"
        )
    c_start, c_end = window(day, CSAT_DAYS)
    csat = [
        s.score
        for a in every
        for s in a.surveys
        if s.kind == "csat" and c_start <= s.responded_at <= c_end
    ]
    if not csat:
        gaps.add(
            "csat", "portfolio: csat_score", detail=f"no CSAT response in the last {CSAT_DAYS} days"
        )
    return EngagementSection(
        quarter=f"{day.year}Q{(day.month - 1) // 3 + 1}",
        quarter_start=q_start,
        qbrs_completed=_count_events(every, "qbr_held", q_start, day),
        nps_score=score,
        nps_responses=promoters + passives + detractors,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        csat_score=mean(csat),
        csat_responses=len(csat),
    )


# --- onboarding ---------------------------------------------------------------------------


def _onboarding(
    day: date, active: Sequence[AccountData], every: Sequence[AccountData], gaps: Gaps
) -> OnboardingSection:
    recent_start, _ = window(day, ONBOARDING_DAYS)
    active_onboardings = sum(
        1
        for a in active
        if a.account.kickoff_date and recent_start <= a.account.kickoff_date <= day
    )
    ttfv = ttfv_days(every, day)
    awaiting = _awaiting_first_value(active, day, recent_start, gaps)
    if not ttfv:
        gaps.add(
            "first_value_date",
            "portfolio: avg_ttfv_days",
            detail="no account has both a kickoff_date and a first_value_date",
        )
    completed, closed = onboarding_plays(every, day, gaps)
    if not closed:
        gaps.add(
            "plays",
            "portfolio: onboarding_completion_rate",
            detail="no onboarding play closed with an outcome",
        )
    return OnboardingSection(
        active_onboardings=active_onboardings,
        avg_ttfv_days=mean([d for _, d in ttfv]),
        ttfv_accounts=len(ttfv),
        awaiting_first_value=awaiting,
        ttfv_by_segment=_ttfv_by_segment(ttfv),
        onboarding_completion_rate=completed / closed if closed else None,
        onboardings_completed=completed,
        onboardings_closed=closed,
    )


def ttfv_days(accounts: Iterable[AccountData], day: date) -> list[tuple[str | None, int]]:
    """Return (segment, TTFV days) of the accounts with kickoff and first value by `day`."""
    out = []
    for a in accounts:
        kickoff, first = a.account.kickoff_date, a.account.first_value_date
        if kickoff is not None and first is not None and first <= day:
            out.append((a.account.segment, (first - kickoff).days))
    return out


def _awaiting_first_value(
    active: Sequence[AccountData], day: date, recent_start: date, gaps: Gaps
) -> int:
    """Count active accounts kicked off with no first value yet; old ones are gaps."""
    awaiting = 0
    for a in active:
        kickoff, first = a.account.kickoff_date, a.account.first_value_date
        if kickoff is None:
            gaps.add("kickoff_date", "portfolio: avg_ttfv_days", account_id=a.account_id)
            continue
        if kickoff > day or (first is not None and first <= day):
            continue
        awaiting += 1
        if kickoff < recent_start:
            gaps.add(
                "first_value_date",
                "portfolio: avg_ttfv_days",
                account_id=a.account_id,
                detail=f"kickoff {kickoff}, no first value recorded (not reached, or not recorded)",
            )
    return awaiting


def _ttfv_by_segment(ttfv: Sequence[tuple[str | None, int]]) -> list[SegmentTtfv]:
    groups: dict[str | None, list[int]] = defaultdict(list)
    for segment, days in ttfv:
        groups[segment].append(days)
    return [
        SegmentTtfv(
            segment=segment,
            accounts=len(values),
            avg_ttfv_days=sum(values) / len(values),
            target_days=TTFV_TARGET_DAYS.get(segment or ""),
        )
        for segment, values in sorted(groups.items(), key=lambda kv: kv[0] or "~")
    ]


def onboarding_plays(accounts: Iterable[AccountData], day: date, gaps: Gaps) -> tuple[int, int]:
    """Count onboarding plays closed on or before `day`: (completed, closed with an outcome)."""
    completed = closed = 0
    for a in accounts:
        for p in a.plays:
            if p.kind != "onboarding" or p.closed_at is None or p.closed_at > day:
                continue
            if p.outcome is None:
                gaps.add(
                    "outcome",
                    "portfolio: onboarding_completion_rate",
                    account_id=a.account_id,
                    detail=f"play {p.play_id} closed {p.closed_at} without an outcome",
                    category="cs_platform",
                )
                continue
            closed += 1
            completed += p.outcome == "completed"
    return completed, closed


# --- renewals -----------------------------------------------------------------------------


def _renewals(portfolio: PortfolioData, day: date, gaps: Gaps) -> RenewalsSection:
    """Place the renewal pipeline's rows in the 30/60/90-day windows and count buckets."""
    pipeline = renewal_pipeline(portfolio, day, days=max(RENEWAL_WINDOWS))
    gaps.extend(pipeline.gaps)
    windows = {n: TierBucket() for n in RENEWAL_WINDOWS}
    buckets = {b: TierBucket() for b in ("strong", "manage", "at_risk", "unknown")}
    for r in pipeline.renewals:
        b = buckets.setdefault(r.bucket, TierBucket())
        b.count += 1
        b.arr += r.arr
        if r.renewal_date is None:
            continue
        for n, w in windows.items():
            if (r.renewal_date - day).days < n:
                w.count += 1
                w.arr += r.arr
    return RenewalsSection(
        upcoming_30d=windows[30],
        upcoming_60d=windows[60],
        upcoming_90d=windows[90],
        on_track=buckets["strong"].count + buckets["manage"].count,
        at_risk=buckets["at_risk"].count,
        unknown=buckets["unknown"].count,
        by_bucket=buckets,
    )


# --- monthly review -----------------------------------------------------------------------


def _review(
    day: date,
    active: Sequence[AccountData],
    every: Sequence[AccountData],
    arr: dict[str, float],
    tiers: dict[str, str],
    scores: tuple[Scores, Scores],
    gaps: Gaps,
) -> MonthlyReview:
    """Answer the monthly review questions the data supports."""
    down, up = tier_moves(active, arr, *scores)
    top = top_accounts(active, arr, day, gaps)
    by_csm = at_risk_by_csm(active, arr, tiers, gaps)
    return MonthlyReview(
        moved_down=down,
        moved_up=up,
        churn_reasons=churn_reasons(every, day, gaps),
        top_accounts=top,
        top_accounts_multi_threaded=sum(1 for t in top if t.multi_threaded),
        at_risk_arr=sum(c.at_risk_arr for c in by_csm),
        at_risk_by_csm=by_csm,
        not_answered=dict(NOT_ANSWERED),
    )


def tier_moves(
    active: Sequence[AccountData],
    arr: dict[str, float],
    then_scores: Scores,
    now_scores: Scores,
) -> tuple[list[TierMove], list[TierMove]]:
    """Return (green -> yellow or worse, any rise) between 30 days ago and now."""
    down: list[TierMove] = []
    up: list[TierMove] = []
    for a in active:
        now, then = now_scores.get(a.account_id), then_scores.get(a.account_id)
        t_now, t_then = _tier(now), _tier(then)
        if "unknown" in (t_now, t_then) or t_now == t_then:
            continue
        rising = TIER_RANK[t_now] > TIER_RANK[t_then]
        if not rising and t_then != "green":
            continue
        move = TierMove(
            account_id=a.account_id,
            name=a.name,
            from_tier=t_then,
            to_tier=t_now,
            score_then=_score(then),
            score_now=_score(now),
            arr=arr[a.account_id],
            reason=move_reason(then, now, rising),
        )
        (up if rising else down).append(move)
    key = lambda m: (-m.arr, m.name.lower())  # noqa: E731
    return sorted(down, key=key), sorted(up, key=key)


def move_reason(then: HealthResult | None, now: HealthResult | None, rising: bool) -> str | None:
    """Name the dimension whose weighted contribution moved most in the move's direction."""
    before = _dimension_points(then)
    after = _dimension_points(now)
    deltas = {d: after[d] - before[d] for d in before.keys() & after.keys()}
    if not deltas:
        return None
    sign = 1 if rising else -1
    name, delta = max(sorted(deltas.items()), key=lambda kv: sign * kv[1])
    return name if sign * delta > 0 else None


def _dimension_points(res: HealthResult | None) -> dict[str, float]:
    """Return dimension -> weight x score of the dimensions with data."""
    if res is None:
        return {}
    return {d.name: d.weight * d.score for d in res.dimensions if d.score is not None}


def churn_reasons(accounts: Iterable[AccountData], day: date, gaps: Gaps) -> ChurnReasons:
    """Rank the recorded churn reasons of the last 90 days against the 90 before."""
    start, end = window(day, CHURN_REASON_DAYS)
    p_start, p_end = window(day, CHURN_REASON_DAYS, CHURN_REASON_DAYS)
    now: dict[str, list[float]] = defaultdict(list)
    before: Counter[str] = Counter()
    unrecorded = 0
    for a in accounts:
        churned = a.account.churned_at if a.account.status == "churned" else None
        if churned is None:
            continue
        reason = a.account.churn_reason
        if start <= churned <= end:
            if reason is None:
                unrecorded += 1
                gaps.add("churn_reason", "portfolio: churn reasons", account_id=a.account_id)
            else:
                now[reason].append(arr_on(a, churned - timedelta(days=1)))
        elif p_start <= churned <= p_end and reason is not None:
            before[reason] += 1
    reasons = sorted(
        (
            ReasonCount(reason=r, accounts=len(v), arr=sum(v), previous_accounts=before[r])
            for r, v in now.items()
        ),
        key=lambda c: (-c.accounts, -c.arr, c.reason),
    )
    top = reasons[0] if reasons else None
    return ChurnReasons(
        window_start=start,
        window_end=end,
        top_reason=top.reason if top else None,
        trend=_trend(top.accounts, top.previous_accounts) if top else None,
        reasons=reasons,
        unrecorded=unrecorded,
    )


def _trend(now: int, before: int) -> Literal["rising", "steady", "falling"]:
    if now == before:
        return "steady"
    return "rising" if now > before else "falling"


def top_accounts(
    active: Sequence[AccountData], arr: dict[str, float], day: date, gaps: Gaps
) -> list[TopAccount]:
    """Return the 10 largest active accounts by ARR and whether each is multi-threaded."""
    paying = [a for a in active if arr[a.account_id] > 0]
    paying.sort(key=lambda a: (-arr[a.account_id], a.name.lower(), a.account_id))
    out = []
    for a in paying[:TOP_ACCOUNTS]:
        n: int | None = None
        if a.contacts:
            n = sum(1 for c in a.contacts if c.status_on(day) == "active")
        else:
            gaps.add(
                "contacts", "portfolio: multi-threading of the top 10", account_id=a.account_id
            )
        out.append(
            TopAccount(
                account_id=a.account_id,
                name=a.name,
                arr=arr[a.account_id],
                active_contacts=n,
                multi_threaded=None if n is None else n >= MULTI_THREAD_CONTACTS,
            )
        )
    return out


def at_risk_by_csm(
    active: Sequence[AccountData], arr: dict[str, float], tiers: dict[str, str], gaps: Gaps
) -> list[CsmConcentration]:
    """Return each CSM's book and at-risk ARR, the most at-risk ARR first."""
    rows: dict[str | None, CsmConcentration] = {}
    for a in active:
        csm = a.account.csm
        if csm is None:
            gaps.add("csm", "portfolio: at-risk ARR per CSM", account_id=a.account_id)
        row = rows.get(csm)
        if row is None:
            row = rows[csm] = CsmConcentration(
                csm=csm,
                accounts=0,
                arr=0.0,
                at_risk_accounts=0,
                at_risk_arr=0.0,
                unknown_tier_arr=0.0,
                share_of_book=None,
                share_of_at_risk=None,
            )
        value, tier = arr[a.account_id], tiers[a.account_id]
        row.accounts += 1
        row.arr += value
        if tier in AT_RISK_TIERS:
            row.at_risk_accounts += 1
            row.at_risk_arr += value
        elif tier == "unknown":
            row.unknown_tier_arr += value
    total_at_risk = sum(r.at_risk_arr for r in rows.values())
    for r in rows.values():
        r.share_of_book = r.at_risk_arr / r.arr if r.arr else None
        r.share_of_at_risk = r.at_risk_arr / total_at_risk if total_at_risk else None
    return sorted(rows.values(), key=lambda r: (-r.at_risk_arr, -r.arr, r.csm is None, r.csm or ""))


# --- targets ------------------------------------------------------------------------------


def _targets(sections: dict[str, BaseModel]) -> list[TargetCheck]:
    """Check the seed's dashboard targets."""
    specs: list[tuple[str, str, float, Direction]] = [
        ("retention", "gross_retention_rate", 0.90, "above"),
        ("retention", "net_retention_rate", 1.10, "above"),
        ("retention", "logo_retention_rate", 0.85, "above"),
        ("expansion", "expansion_rate", 0.15, "above"),
        ("portfolio", "avg_health_score", 70.0, "above"),
        ("engagement", "nps_score", 50.0, "above"),
        ("engagement", "csat_score", 4.5, "above"),
        ("onboarding", "onboarding_completion_rate", 0.90, "above"),
    ]
    checks = [
        _check(f"{sec}.{field}", getattr(sections[sec], field), target, direction)
        for sec, field, target, direction in specs
    ]
    onboarding = sections["onboarding"]
    assert isinstance(onboarding, OnboardingSection)
    for seg in onboarding.ttfv_by_segment:
        if seg.target_days is not None:
            checks.append(
                _check(
                    f"onboarding.avg_ttfv_days[{seg.segment}]",
                    seg.avg_ttfv_days,
                    seg.target_days,
                    "within",
                )
            )
    return checks


def _check(metric: str, value: float | None, target: float, direction: Direction) -> TargetCheck:
    """Compare a figure with its target (unknown value: met is None)."""
    met = None if value is None else (value > target if direction == "above" else value <= target)
    return TargetCheck(metric=metric, value=value, target=target, direction=direction, met=met)
