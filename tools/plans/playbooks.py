"""Playbook review: keep, change, drop or test next, from the plays and the backtest (openclaw 7.2).

The record of each playbook comes from plays.csv (kind, intervention, outcome); the health
model's record from tools.health_backtest `backtest`; onboarding speed from the same TTFV
reading as `csm analysis` (tools.plans.analysis, over tools.portfolio `ttfv_days`). Nothing
here scores an account or recomputes a metric those tools own.

The verdict rule (shown in the document):
- A play is closed when its closed_at is on or before as-of; it succeeded when its outcome
  is saved, won or completed, and failed otherwise (churned, lost). A closed play with an
  empty outcome (or still `open`) is an `outcome` gap, left out of the counts. Every play
  closed by as-of counts (a quarter's plays are too few to judge on their own).
- success rate = succeeded / closed. With fewer than 5 closed plays the playbook is labelled
  too few to judge and its verdict is `test_next` (run it more before judging).
- `keep` when the success rate is >= 60%; `drop` when it is < 25%; `change` in between.
- `test_next` also for the save interventions of the catalogue (executive_call,
  product_remediation, pricing_adjustment, re_onboarding) never tried in a save play, and
  for play kinds with no play on record.
- Rows are per play kind (every play of the kind) and per kind and intervention (plays that
  name one).

The health model's verdict, from the backtest's churned and contracted accounts (cases):
- catch rate = cases flagged orange or red 30 days before the event / cases the model could
  tier then. A case it could not tier (too little data) is shown, but judges the data, not
  the model, so it is left out of the rate.
- `test_next` with fewer than 5 tiered cases; else `drop` (replace the model, try another
  profile) when the catch rate is < 25%; `keep` when it is >= 60% and at most half of the
  accounts flagged 90 days before as-of were false positives (did not churn); else `change`.

Onboarding: TTFV this quarter (to date) vs the previous quarter, over the accounts whose
first value fell in each, with the mean days of each stage: signed (earliest contract
start) -> kickoff, kickoff -> go-live, kickoff -> first value (go-live and first value come
in either order, so each is measured from kickoff). Delays: a kickoff more than 7 days
after signing (the onboarding plan's risk flag) and a TTFV over the segment's target
(enterprise 30, mid-market 14, smb 1 days); the stage with more delayed accounts causes
the most delays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData, Play, PortfolioData
from tools.common import Gaps
from tools.health_backtest import LEADS, BacktestResult, backtest
from tools.plans.analysis import (
    Quarter,
    gap_names,
    play_tally,
    previous_quarter,
    quarter_of,
    quarter_window,
    ttfv_in,
    ttfv_reading,
)
from tools.portfolio import TTFV_TARGET_DAYS
from tools.types import Result

MIN_CLOSED = 5
"""Fewer closed plays (or backtest cases) than this are too few to judge."""
KEEP_AT = 0.60
"""Success (or catch) rate at or above which a playbook is kept."""
DROP_BELOW = 0.25
"""Success (or catch) rate below which a playbook is dropped."""
MAX_FALSE_POSITIVE_RATE = 0.5
"""A model flagging more false positives than this share is changed even when it catches."""
JUDGED_LEAD = 30
"""Days before a churn or contraction at which the model's flag is judged."""
KINDS: tuple[str, ...] = ("save", "onboarding", "qbr", "expansion", "win_back")
"""Play kinds of data-format.md."""
SAVE_INTERVENTIONS: tuple[str, ...] = (
    "executive_call",
    "product_remediation",
    "pricing_adjustment",
    "re_onboarding",
)
"""Save interventions of data-format.md (without `other`) that a team can test."""
STAGES: tuple[str, ...] = ("signed_to_kickoff", "kickoff_to_go_live", "kickoff_to_first_value")
KICKOFF_DELAY_DAYS = 7
"""A kickoff more than this many days after signing is delayed."""

Verdict = Literal["keep", "change", "drop", "test_next"]
Reason = Literal[
    "keep_rate", "change_rate", "drop_rate", "too_few", "never_tried", "false_positives"
]


class PlaybookRow(BaseModel):
    """One playbook (a play kind, or a kind with one intervention) and its verdict."""

    kind: str
    intervention: str | None = Field(description="None: every play of the kind")
    plays: int = Field(description="plays opened on or before as-of")
    open: int = Field(description="not closed on as-of")
    closed: int = Field(description="closed with an outcome")
    succeeded: int = Field(description="closed saved, won or completed")
    success_rate: float | None
    too_few: bool = Field(description="fewer than 5 closed: too few to judge")
    verdict: Verdict
    reason: Reason
    failed_accounts: list[str] = Field(
        default_factory=list, description="names of the accounts whose play failed"
    )


class LeadCount(BaseModel):
    """The backtest's cases flagged orange/red N days before their event."""

    lead: int
    churned_flagged: int
    contracted_flagged: int
    flagged: int = Field(description="churned + contracted flagged")
    unknown_tier: int = Field(description="cases the model could not tier then")
    tiered: int = Field(description="cases with a tier then")
    share: float | None = Field(description="flagged / tiered cases")


class AccountRef(BaseModel):
    """An account named as evidence, with its tier at the time when it matters."""

    account_id: str
    name: str
    tier: str | None = None


class DelayedAccount(BaseModel):
    """An onboarding that took longer than its limit."""

    account_id: str
    name: str
    quarter: str = Field(description="the quarter its first value fell in")
    segment: str | None
    days: int
    limit_days: int = Field(description="7 days for a kickoff; the segment's TTFV target")


class ModelReview(BaseModel):
    """The health model's backtest and its verdict."""

    profile: str
    churned: int
    contracted: int
    cases: int
    leads: list[LeadCount]
    catch_rate: float | None = Field(description="share of tiered cases flagged 30 days before")
    missed: list[AccountRef] = Field(description="tiered cases not flagged 30 days before")
    untiered: list[AccountRef] = Field(description="cases the model could not tier 30 days before")
    flagged_90d: int
    false_positives: int
    false_positive_rate: float | None
    false_positive_accounts: list[AccountRef]
    verdict: Verdict
    reason: Reason


class OnboardingTtfv(BaseModel):
    """TTFV of one quarter and the mean days of each onboarding stage."""

    quarter: str
    to_date: bool
    accounts: int = Field(description="accounts whose first value fell in the quarter")
    ttfv_days: float | None
    stage_days: dict[str, float | None] = Field(description="stage -> mean days")
    stage_accounts: dict[str, int] = Field(description="stage -> accounts with both dates")


class OnboardingReview(BaseModel):
    """Are customers reaching first value faster, and which stage causes the most delays."""

    current: OnboardingTtfv
    previous: OnboardingTtfv
    trend: Literal["faster", "slower", "same"] | None = Field(
        description="TTFV this quarter against the previous one (None: either is unknown)"
    )
    late_kickoff: list[DelayedAccount] = Field(description="kickoff > 7 days after signing")
    late_first_value: list[DelayedAccount] = Field(description="TTFV over the segment's target")
    most_delays: Literal["kickoff", "first_value"] | None = Field(
        description="the stage with more delayed accounts (None: a tie, or no delay)"
    )


class PlaybookReview(Result):
    """The playbook review (command 'playbooks')."""

    command: Literal["playbooks"] = "playbooks"
    rules: dict[str, float | int] = Field(description="the verdict thresholds")
    playbooks: list[PlaybookRow]
    model: ModelReview
    onboarding: OnboardingReview
    not_answered: list[str] = Field(
        description="review areas the data cannot answer (keys of the prompt's wording)"
    )
    names: dict[str, str] = Field(
        default_factory=dict, description="account id -> name of the accounts in the gaps"
    )


NOT_ANSWERED: tuple[str, ...] = ("qbr_sections", "renewal_stalls")
"""Areas of openclaw 7.2 with no data behind them (QBR sections, renewal stage dates)."""


def build_playbooks(
    portfolio: PortfolioData, as_of: date | None = None, profile: str = "engine"
) -> PlaybookReview:
    """Review the playbooks and the health model: keep, change, drop or test next.

    Args:
        portfolio: the portfolio, with usage covering the backtest (a year and 150 days).
        as_of: the point in time (default the portfolio's).
        profile: the health model to backtest.

    Returns:
        A verdict per playbook with its record, the model's backtest and verdict, the
        onboarding speed, and the gaps.

    Raises:
        ValueError: as_of after the portfolio's as-of, or an unknown profile.
    """
    day = as_of or portfolio.as_of
    if day > portfolio.as_of:
        raise ValueError(f"as_of ({day}) is after the data's as-of ({portfolio.as_of})")
    gaps = Gaps(portfolio.workspace)
    every = sorted(portfolio.accounts.values(), key=lambda a: (a.name.lower(), a.account_id))
    plays = [(a, p) for a in every for p in a.plays if p.opened_at <= day]
    if not plays:
        gaps.add("plays", "playbooks: every playbook", detail="no play on record")
    bt = backtest(portfolio, day, profile)
    for g in bt.gaps:
        gaps.add(
            g.signal, "playbooks: health model backtest", account_id=g.account_id, detail=g.detail
        )
    rows = playbook_rows(plays, day, gaps)
    onboarding = onboarding_review(every, day, gaps)
    return PlaybookReview(
        as_of=day,
        gaps=gaps.list(),
        names=gap_names(portfolio, gaps.list()),
        rules={
            "min_closed": MIN_CLOSED,
            "keep_at": KEEP_AT,
            "drop_below": DROP_BELOW,
            "max_false_positive_rate": MAX_FALSE_POSITIVE_RATE,
            "judged_lead_days": JUDGED_LEAD,
        },
        playbooks=rows,
        model=model_review(bt),
        onboarding=onboarding,
        not_answered=list(NOT_ANSWERED),
    )


# --- plays --------------------------------------------------------------------------------


def verdict(closed: int, rate: float | None) -> tuple[Verdict, Reason]:
    """Apply the rule: too few -> test next; >= 60% keep; < 25% drop; else change."""
    if closed < MIN_CLOSED or rate is None:
        return "test_next", "too_few"
    if rate >= KEEP_AT:
        return "keep", "keep_rate"
    if rate < DROP_BELOW:
        return "drop", "drop_rate"
    return "change", "change_rate"


def playbook_rows(
    plays: Sequence[tuple[AccountData, Play]], day: date, gaps: Gaps
) -> list[PlaybookRow]:
    """Return a row per play kind, then per kind and intervention, then the untried."""
    rows: list[PlaybookRow] = []
    for kind in _ordered({p.kind for _, p in plays}, KINDS):
        of_kind = [(a, p) for a, p in plays if p.kind == kind]
        rows.append(_row(kind, None, of_kind, day, gaps))
        tried = {p.intervention for _, p in of_kind if p.intervention}
        for intervention in _ordered(tried, SAVE_INTERVENTIONS):
            chosen = [(a, p) for a, p in of_kind if p.intervention == intervention]
            rows.append(_row(kind, intervention, chosen, day, gaps))
        if kind == "save":
            rows.extend(_untried("save", i) for i in SAVE_INTERVENTIONS if i not in tried)
    present = {p.kind for _, p in plays}
    for kind in KINDS:
        if kind not in present:
            rows.append(_untried(kind, None))
            if kind == "save":
                rows.extend(_untried("save", i) for i in SAVE_INTERVENTIONS)
    return rows


def _ordered(present: Iterable[str], canonical: Sequence[str]) -> list[str]:
    """Return `present` in canonical order first, then the others alphabetically."""
    present = set(present)
    return [k for k in canonical if k in present] + sorted(present - set(canonical))


def _row(
    kind: str,
    intervention: str | None,
    plays: Sequence[tuple[AccountData, Play]],
    day: date,
    gaps: Gaps,
) -> PlaybookRow:
    label = f"playbooks: {kind}" + (f" / {intervention}" if intervention else "")
    won, lost = play_tally(plays, None, day, gaps, label)
    closed = len(won) + len(lost)
    rate = len(won) / closed if closed else None
    v, reason = verdict(closed, rate)
    return PlaybookRow(
        kind=kind,
        intervention=intervention,
        plays=len(plays),
        open=sum(1 for _, p in plays if p.closed_at is None or p.closed_at > day),
        closed=closed,
        succeeded=len(won),
        success_rate=rate,
        too_few=closed < MIN_CLOSED,
        verdict=v,
        reason=reason,
        failed_accounts=sorted({a.name for a, _ in lost}, key=str.lower),
    )


def _untried(kind: str, intervention: str | None) -> PlaybookRow:
    return PlaybookRow(
        kind=kind,
        intervention=intervention,
        plays=0,
        open=0,
        closed=0,
        succeeded=0,
        success_rate=None,
        too_few=True,
        verdict="test_next",
        reason="never_tried",
    )


# --- the health model ---------------------------------------------------------------------


def model_review(bt: BacktestResult) -> ModelReview:
    """Summarise the backtest per lead and judge the model (see the module docstring)."""
    leads = [_lead(bt, lead) for lead in LEADS]
    judged = next(lc for lc in leads if lc.lead == JUDGED_LEAD)
    fp_rate = bt.summary.false_positive_rate
    v, reason = verdict(judged.tiered, judged.share)
    if v == "keep" and fp_rate is not None and fp_rate > MAX_FALSE_POSITIVE_RATE:
        v, reason = "change", "false_positives"
    key = str(JUDGED_LEAD)
    return ModelReview(
        profile=bt.profile,
        churned=bt.summary.churned,
        contracted=bt.summary.contracted,
        cases=len(bt.cases),
        leads=leads,
        catch_rate=judged.share,
        missed=[
            AccountRef(account_id=c.account_id, name=c.name, tier=c.tiers[key])
            for c in bt.cases
            if not c.flagged[key] and c.tiers[key] != "unknown"
        ],
        untiered=[
            AccountRef(account_id=c.account_id, name=c.name, tier="unknown")
            for c in bt.cases
            if c.tiers[key] == "unknown"
        ],
        flagged_90d=bt.summary.flagged_90d,
        false_positives=bt.summary.false_positives,
        false_positive_rate=fp_rate,
        false_positive_accounts=[
            AccountRef(account_id=f.account_id, name=f.name, tier=f.tier)
            for f in bt.flagged
            if f.false_positive
        ],
        verdict=v,
        reason=reason,
    )


def _lead(bt: BacktestResult, lead: int) -> LeadCount:
    """Count the cases flagged `lead` days before their event, by event."""
    key = str(lead)
    churned = sum(1 for c in bt.cases if c.event == "churn" and c.flagged[key])
    contracted = sum(1 for c in bt.cases if c.event == "contraction" and c.flagged[key])
    tiered = sum(1 for c in bt.cases if c.tiers[key] != "unknown")
    return LeadCount(
        lead=lead,
        churned_flagged=churned,
        contracted_flagged=contracted,
        flagged=churned + contracted,
        unknown_tier=len(bt.cases) - tiered,
        tiered=tiered,
        share=(churned + contracted) / tiered if tiered else None,
    )


# --- onboarding ---------------------------------------------------------------------------


def onboarding_review(accounts: Sequence[AccountData], day: date, gaps: Gaps) -> OnboardingReview:
    """Compare TTFV this quarter (to date) with the previous one, and name the delays."""
    cur = quarter_window(quarter_of(day), day)
    prev = previous_quarter(cur)
    rows = {q.label: ttfv_in(accounts, q, gaps, "playbooks: onboarding ttfv") for q in (cur, prev)}
    readings = [_ttfv(q, rows[q.label], gaps) for q in (cur, prev)]
    late_kickoff: list[DelayedAccount] = []
    late_value: list[DelayedAccount] = []
    for q in (cur, prev):
        for a, days in rows[q.label]:
            signed, kickoff = _signed(a), a.account.kickoff_date
            if signed is not None and kickoff is not None:
                waited = (kickoff - signed).days
                if waited > KICKOFF_DELAY_DAYS:
                    late_kickoff.append(_delayed(a, q, waited, KICKOFF_DELAY_DAYS))
            target = TTFV_TARGET_DAYS.get(a.account.segment or "")
            if target is not None and days > target:
                late_value.append(_delayed(a, q, days, target))
    now, before = readings[0].ttfv_days, readings[1].ttfv_days
    most: Literal["kickoff", "first_value"] | None = None
    if len(late_kickoff) != len(late_value):
        most = "kickoff" if len(late_kickoff) > len(late_value) else "first_value"
    return OnboardingReview(
        current=readings[0],
        previous=readings[1],
        trend=_trend(now, before),
        late_kickoff=late_kickoff,
        late_first_value=late_value,
        most_delays=most,
    )


def _trend(now: float | None, before: float | None) -> Literal["faster", "slower", "same"] | None:
    """Compare two mean TTFVs (fewer days is faster)."""
    if now is None or before is None:
        return None
    if now == before:
        return "same"
    return "faster" if now < before else "slower"


def _delayed(a: AccountData, q: Quarter, days: int, limit: int) -> DelayedAccount:
    return DelayedAccount(
        account_id=a.account_id,
        name=a.name,
        quarter=q.label,
        segment=a.account.segment,
        days=days,
        limit_days=limit,
    )


def _signed(a: AccountData) -> date | None:
    """Return the start of the account's earliest contract row (None without one)."""
    return min((c.start_date for c in a.contracts), default=None)


def _ttfv(q: Quarter, rows: Sequence[tuple[AccountData, int]], gaps: Gaps) -> OnboardingTtfv:
    """TTFV of the accounts whose first value fell in the quarter, and their stage days."""
    if not rows:
        gaps.add(
            "first_value_date",
            f"playbooks: onboarding ttfv {q.label}",
            detail=f"no account's first_value_date falls in {q.label}",
        )
    stages: dict[str, list[int]] = {s: [] for s in STAGES}
    for a, days in rows:
        kickoff, live, signed = a.account.kickoff_date, a.account.go_live_date, _signed(a)
        assert kickoff is not None  # ttfv_in keeps only accounts with a kickoff
        stages["kickoff_to_first_value"].append(days)
        if signed is not None:
            stages["signed_to_kickoff"].append((kickoff - signed).days)
        if live is None:
            gaps.add(
                "go_live_date",
                "playbooks: onboarding stages",
                account_id=a.account_id,
                detail=f"kickoff {kickoff}, first value {a.account.first_value_date}, no go-live",
            )
        else:
            stages["kickoff_to_go_live"].append((live - kickoff).days)
    return OnboardingTtfv(
        quarter=q.label,
        to_date=q.to_date,
        accounts=len(rows),
        ttfv_days=ttfv_reading(rows).value,
        stage_days={s: sum(v) / len(v) if v else None for s, v in stages.items()},
        stage_accounts={s: len(v) for s, v in stages.items()},
    )
