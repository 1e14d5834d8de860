"""Weekly health scan: the 3 accounts to act on this week, the one pattern to escalate, tier moves.

Weekly triggers (commands.md), windows ending on as_of:

- `login_drop`: logins of the last 7 days < 70% of the weekly mean of the 56 days before
  (judged as in tools.churn: a missing day is unknown, so a partial window is a gap unless
  the missing days cannot change the outcome).
- `feature_decline`: a feature whose active users, summed over the portfolio, fell 10%+ in
  the last 28 days vs the 28 before (feature_usage rows by `week_start`). Only accounts with
  feature_usage rows in both windows are summed (an account whose feed stopped would fake a
  decline): one with rows in only one window is a `feature_usage` gap. An account gets the
  trigger for each such feature whose own active users fell 10%+.
- `ticket_backlog`: 3+ tickets unresolved on as_of, or one opened more than 5 days ago.
- `contact_change`: a contact departed or changed role in the last 7 days.
- `renewal_due`, `notice_deadline`, `price_increase`: the renewal date, the notice deadline,
  or the renewal carrying a `price_increase_pct`, falls in as_of .. as_of + 89.

Priority: an account qualifies with a churn signal or a trigger; ranked by churn risk (high,
medium, low, none), ARR on as_of (largest first), then name; the first three are shown. Its
action is the churn scan's 48-hour action when a churn signal fired, else the action of its
first trigger in TRIGGER_ORDER.

The single pattern: the candidates are each churn signal kind fired on 2+ accounts, each
problem trigger (login_drop, ticket_backlog, contact_change) on 2+ accounts, and each feature
in portfolio-wide decline. Calendar triggers (renewals, notices, price increases) are routine,
not patterns. The pattern escalated is the candidate with the most ARR on as_of behind it
(the accounts it names), then the most accounts, then by kind: the most revenue exposed to one
cause is what leadership can act on.

Tier moves compare the health tier on as_of with 7 days before (both known; `unknown` is not
a move). The reason is the dimension whose weighted score (weight x dimension score) moved
most in the direction of the move.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData, PortfolioData
from tools.churn import (
    CHAMPION,
    RISK_RANK,
    AccountRisk,
    ChurnSignal,
    Risk,
    churn_risks,
    coverage_detail,
    falls_below,
    gap_signal,
    logins_in,
    resolve_as_of,
    scan_context,
    whom_to_call,
)
from tools.common import (
    DECISION_ROLES,
    Gaps,
    active_contracts,
    notice_deadline,
    renewal_date,
    window,
    within,
)
from tools.health import HealthResult, score_portfolio
from tools.types import Result

TriggerKind = Literal[
    "contact_change",
    "login_drop",
    "ticket_backlog",
    "feature_decline",
    "notice_deadline",
    "price_increase",
    "renewal_due",
]
TRIGGER_ORDER: tuple[str, ...] = (
    "contact_change",
    "login_drop",
    "ticket_backlog",
    "feature_decline",
    "notice_deadline",
    "price_increase",
    "renewal_due",
)
"""Which trigger's action an account without a churn signal gets (first that fired)."""
PATTERN_TRIGGERS = ("login_drop", "ticket_backlog", "contact_change")
PRIORITY_LIMIT = 3
DUE_DAYS = 90
LOGIN_RATIO = 0.7
TIER_RANK = {"green": 0, "yellow": 1, "orange": 2, "red": 3}


class WeeklyTrigger(BaseModel):
    """A weekly-scan trigger that fired for an account, with its numbers and dates."""

    kind: TriggerKind
    evidence: str
    due: date | None = Field(None, description="the date due, for calendar triggers")
    feature: str | None = Field(None, description="for feature_decline")
    contact: str | None = Field(None, description="for contact_change: who changed")


class WeeklyAccount(BaseModel):
    """An account that qualifies for attention this week, with one specific action."""

    account_id: str
    name: str
    action: str
    churn_risk: Risk | None
    arr: float = Field(description="ARR on as_of")
    churn_signals: list[ChurnSignal] = Field(default_factory=list)
    triggers: list[WeeklyTrigger] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list, description="why it qualifies")


class TierMove(BaseModel):
    """A health tier move since 7 days ago and the dimension that moved most."""

    account_id: str
    name: str
    from_tier: str
    to_tier: str
    from_score: int | None
    to_score: int | None
    arr: float
    dimension: str | None
    reason: str


class FeatureTrend(BaseModel):
    """A feature's active users summed over the portfolio, last 28 days vs the 28 before."""

    feature: str
    current: int
    previous: int
    change: float
    accounts: list[str] = Field(description="accounts whose own active users fell 10%+")


class Pattern(BaseModel):
    """A portfolio pattern: one cause shared by several accounts, with the ARR behind it."""

    kind: str = Field(description="a churn signal kind, a trigger kind or feature_decline")
    summary: str
    account_ids: list[str]
    arr: float
    feature: str | None = None


class WeeklyScanResult(Result):
    """The weekly scan: at most 3 priority accounts, the pattern, and the tier moves."""

    command: str = "scan"
    priority: list[WeeklyAccount] = Field(default_factory=list)
    pattern: Pattern | None = None
    moved_down: list[TierMove] = Field(default_factory=list)
    moved_up: list[TierMove] = Field(default_factory=list)
    declining_features: list[FeatureTrend] = Field(default_factory=list)
    qualifying: int = Field(0, description="accounts that qualified for priority")
    show_all: bool = False
    all: list[WeeklyAccount] = Field(
        default_factory=list, description="every qualifying account, ranked (with --all)"
    )
    patterns: list[Pattern] = Field(
        default_factory=list, description="every pattern candidate, ranked (with --all)"
    )


# --- triggers -----------------------------------------------------------------------------


def _login_drop(
    data: AccountData, as_of: date, usage_since: date, gaps: Gaps
) -> list[WeeklyTrigger]:
    """Logins of the last 7 days below 70% of the weekly mean of the 8 weeks before."""
    week = logins_in(data.usage, *window(as_of, 7))
    before = logins_in(data.usage, *window(as_of, 56, 7))
    dropped = falls_below(week, before, LOGIN_RATIO / 8)
    if dropped is None:
        for count in (week, before):
            if not count.complete:
                gaps.add(
                    gap_signal(count, data.usage),
                    "scan: login_drop",
                    account_id=data.account_id,
                    detail=coverage_detail(count, data.usage, usage_since),
                )
        return []
    if not dropped:
        return []
    weekly = before.total / 8
    evidence = (
        f"logins {week.total} in {week.start}..{week.end} vs a weekly mean of "
        f"{round(weekly, 1):g} in {before.start}..{before.end} "
        f"(below 70% = {round(LOGIN_RATIO * weekly, 1):g})"
    )
    return [WeeklyTrigger(kind="login_drop", evidence=evidence)]


def _ticket_backlog(data: AccountData, as_of: date) -> list[WeeklyTrigger]:
    """3+ tickets unresolved on as_of, or an unresolved one opened more than 5 days ago."""
    open_now = [t for t in data.tickets if t.open_on(as_of)]
    old = [t for t in open_now if (as_of - t.opened_at.date()).days > 5]
    if len(open_now) < 3 and not old:
        return []
    parts = [f"open tickets: {len(open_now)} ({', '.join(t.ticket_id for t in open_now)})"]
    parts += [
        f"ticket {t.ticket_id} open since {t.opened_at.date()} "
        f"({(as_of - t.opened_at.date()).days} days)"
        for t in old
    ]
    return [WeeklyTrigger(kind="ticket_backlog", evidence="; ".join(parts))]


def _contact_changes(data: AccountData, as_of: date) -> list[WeeklyTrigger]:
    """Contacts who departed or changed role in the last 7 days."""
    start, end = window(as_of, 7)
    return [
        WeeklyTrigger(
            kind="contact_change",
            evidence=f"{c.name} ({c.role or 'role unknown'}) {c.status} on {c.status_changed_at}",
            due=c.status_changed_at,
            contact=c.name,
        )
        for c in data.contacts
        if c.status_on(as_of) != "active" and within(c.status_changed_at, start, end)
    ]


def _calendar(data: AccountData, as_of: date, gaps: Gaps) -> list[WeeklyTrigger]:
    """Renewal, notice deadline and price increase falling in as_of .. as_of + 89.

    For a renewal in the window, an empty `price_increase_pct` or `notice_days` is a gap.
    """
    end = as_of + timedelta(days=DUE_DAYS - 1)
    out: list[WeeklyTrigger] = []
    renewal = renewal_date(data, as_of)
    if within(renewal, as_of, end):
        out.append(WeeklyTrigger(kind="renewal_due", evidence=f"renewal on {renewal}", due=renewal))
        last = max(active_contracts(data, as_of), key=lambda c: c.end_date)
        for column, needed in (
            ("price_increase_pct", "price_increase"),
            ("notice_days", "notice_deadline"),
        ):
            if getattr(last, column) is None:
                gaps.add(
                    column,
                    f"scan: {needed}",
                    account_id=data.account_id,
                    detail=f"contract {last.contract_id} renews on {renewal}",
                )
        if last.price_increase_pct:
            out.append(
                WeeklyTrigger(
                    kind="price_increase",
                    evidence=f"price increase {last.price_increase_pct:g}% due at renewal on "
                    f"{renewal}",
                    due=renewal,
                )
            )
    notice = notice_deadline(data, as_of)
    if within(notice, as_of, end):
        out.append(
            WeeklyTrigger(kind="notice_deadline", evidence=f"notice deadline {notice}", due=notice)
        )
    return out


# --- features -------------------------------------------------------------------------------


def _feature_sums(
    accounts: list[AccountData], as_of: date, gaps: Gaps
) -> dict[str, dict[str, tuple[int, int]]]:
    """Return account -> feature -> (active users last 28 days, the 28 before).

    Only accounts with feature_usage rows in both windows are kept; the others are gaps
    (one gap for the portfolio when no account has any feature_usage row).
    """
    if not any(a.feature_usage for a in accounts):
        gaps.add("feature_usage", "scan: feature_decline", detail="no feature_usage rows loaded")
        return {}
    windows = (window(as_of, 28), window(as_of, 28, 28))
    out = {}
    for data in accounts:
        sums = _account_features(data, windows, gaps)
        if sums is not None:
            out[data.account_id] = sums
    return out


def _account_features(
    data: AccountData, windows: tuple[tuple[date, date], tuple[date, date]], gaps: Gaps
) -> dict[str, tuple[int, int]] | None:
    """Sum one account's active users per feature in both windows (None: a window is empty)."""
    sums: tuple[dict[str, int], dict[str, int]] = (defaultdict(int), defaultdict(int))
    seen = [False, False]
    unknown: set[str] = set()
    for w in data.feature_usage:
        for i, (start, end) in enumerate(windows):
            if start <= w.week_start <= end:
                seen[i] = True
                if w.active_users is None:
                    unknown.add(w.feature)
                else:
                    sums[i][w.feature] += w.active_users
    if not all(seen):
        (cur_s, cur_e), (prev_s, prev_e) = windows
        span = {(True, False): f"{prev_s}..{prev_e}", (False, True): f"{cur_s}..{cur_e}"}
        detail = f"no feature_usage rows in {span.get(tuple(seen), f'{prev_s}..{cur_e}')}"
        gaps.add(
            "feature_usage", "scan: feature_decline", account_id=data.account_id, detail=detail
        )
        return None
    for f in sorted(unknown):
        gaps.add(
            "active_users",
            "scan: feature_decline",
            account_id=data.account_id,
            detail=f"feature_usage of {f} has empty active_users",
        )
    cur, prev = sums
    return {f: (cur[f], prev[f]) for f in (cur.keys() | prev.keys()) - unknown}


def _fell(current: int, previous: int) -> bool:
    """Tell whether active users fell 10%+ (integer arithmetic, exact at the boundary)."""
    return previous > 0 and 10 * (current - previous) <= -previous


def _declining_features(sums: dict[str, dict[str, tuple[int, int]]]) -> list[FeatureTrend]:
    """Return the features whose portfolio-wide active users fell 10%+, steepest first."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for features in sums.values():
        for f, (c, p) in features.items():
            totals[f][0] += c
            totals[f][1] += p
    out = [
        FeatureTrend(
            feature=f,
            current=c,
            previous=p,
            change=(c - p) / p,
            accounts=sorted(a for a, fs in sums.items() if f in fs and _fell(*fs[f])),
        )
        for f, (c, p) in totals.items()
        if _fell(c, p)
    ]
    return sorted(out, key=lambda t: (t.change, t.feature))


def _feature_triggers(
    account_id: str, sums: dict[str, dict[str, tuple[int, int]]], declining: list[FeatureTrend]
) -> list[WeeklyTrigger]:
    """Trigger an account for each declining feature its own active users fell 10%+ on."""
    own = sums.get(account_id, {})
    return [
        WeeklyTrigger(
            kind="feature_decline",
            feature=t.feature,
            evidence=f"{t.feature}: active users {own[t.feature][0]} vs {own[t.feature][1]} "
            f"(last 28 days vs 28 before; portfolio {t.change:+.0%})",
        )
        for t in declining
        # the same test that put the account in t.accounts, without searching that list
        if t.feature in own and _fell(*own[t.feature])
    ]


# --- action, ranking, patterns ------------------------------------------------------------------


def _action(
    data: AccountData, risk: AccountRisk, triggers: list[WeeklyTrigger], as_of: date
) -> str:
    """Return the churn action when a signal fired, else the first trigger's action."""
    if risk.signals:
        return risk.action
    t = min(triggers, key=lambda x: TRIGGER_ORDER.index(x.kind))
    csm = f"CSM {data.account.csm}" if data.account.csm else "The CSM"
    champ = whom_to_call(data, as_of, CHAMPION, DECISION_ROLES)
    execs = whom_to_call(data, as_of, DECISION_ROLES, CHAMPION)
    text = {
        "contact_change": f"calls {execs} to learn who takes over from {t.contact}",
        "login_drop": f"calls {champ} about this week's login drop ({t.evidence})",
        "ticket_backlog": f"reviews the open tickets with the support lead and updates {champ} "
        f"({t.evidence})",
        "feature_decline": f"books a session with {champ} to bring {t.feature} back into use",
        "notice_deadline": f"confirms renewal intent with {execs} before the {t.evidence}",
        "price_increase": f"walks {execs} through the {t.evidence} with the value summary",
        "renewal_due": f"starts renewal prep with {execs} for the {t.evidence}",
    }[t.kind]
    return f"{csm} {text}."


def _rank(item: WeeklyAccount) -> tuple[int, float, str, str]:
    return (RISK_RANK[item.churn_risk], -item.arr, item.name.lower(), item.account_id)


def _patterns(
    items: list[WeeklyAccount], declining: list[FeatureTrend], arr: dict[str, float]
) -> list[Pattern]:
    """Return every pattern candidate, the most ARR behind it first."""
    by_kind: dict[str, list[WeeklyAccount]] = defaultdict(list)
    for item in items:
        kinds = {s.kind for s in item.churn_signals}
        kinds |= {t.kind for t in item.triggers if t.kind in PATTERN_TRIGGERS}
        for k in kinds:
            by_kind[k].append(item)
    out = []
    for kind, group in by_kind.items():
        if len(group) < 2:
            continue
        total = sum(i.arr for i in group)
        names = ", ".join(i.name for i in sorted(group, key=lambda i: -i.arr)[:5])
        more = f" and {len(group) - 5} more" if len(group) > 5 else ""
        out.append(
            Pattern(
                kind=kind,
                summary=f"{len(group)} accounts show {_PATTERN_LABEL.get(kind, kind)} "
                f"(${total:,.0f} ARR): {names}{more}",
                account_ids=sorted(i.account_id for i in group),
                arr=total,
            )
        )
    for t in declining:
        total = sum(arr.get(a, 0.0) for a in t.accounts)
        out.append(
            Pattern(
                kind="feature_decline",
                feature=t.feature,
                summary=f"{t.feature}: active users fell {-t.change:.0%} across the portfolio "
                f"({t.previous} -> {t.current}, last 28 days vs 28 before); "
                f"{len(t.accounts)} accounts fell 10%+ (${total:,.0f} ARR)",
                account_ids=t.accounts,
                arr=total,
            )
        )
    return sorted(out, key=lambda p: (-p.arr, -len(p.account_ids), p.kind, p.feature or ""))


_PATTERN_LABEL = {
    "contact_change": "contacts departing or changing role this week",
    "login_drop": "logins this week below 70% of their 8-week mean",
    "ticket_backlog": "a support backlog (3+ open tickets or one older than 5 days)",
}


# --- tier moves -------------------------------------------------------------------------------


def _moves(
    now: dict[str, HealthResult], then: dict[str, HealthResult], arr: dict[str, float]
) -> tuple[list[TierMove], list[TierMove]]:
    """Return the tier moves down and up since 7 days ago, ARR largest first."""
    down, up = [], []
    for aid, cur in now.items():
        old = then.get(aid)
        if old is None or cur.tier not in TIER_RANK or old.tier not in TIER_RANK:
            continue
        step = TIER_RANK[cur.tier] - TIER_RANK[old.tier]
        if step == 0:
            continue
        dim, reason = _moved_most(cur, old, worse=step > 0)
        move = TierMove(
            account_id=aid,
            name=cur.name,
            from_tier=old.tier,
            to_tier=cur.tier,
            from_score=old.score,
            to_score=cur.score,
            arr=arr.get(aid, 0.0),
            dimension=dim,
            reason=reason,
        )
        (down if step > 0 else up).append(move)
    key = lambda m: (-m.arr, m.name.lower(), m.account_id)  # noqa: E731
    return sorted(down, key=key), sorted(up, key=key)


def _moved_most(cur: HealthResult, old: HealthResult, *, worse: bool) -> tuple[str | None, str]:
    """Name the dimension whose weighted score moved most in the move's direction."""
    before = {d.name: d for d in old.dimensions}
    best: tuple[float, str, str] | None = None
    for d in cur.dimensions:
        b = before.get(d.name)
        if b is None or b.score is None or d.score is None:
            continue
        delta = d.weight * (d.score - b.score) * (-1 if worse else 1)
        if delta > 0 and (best is None or delta > best[0]):
            best = (delta, d.name, f"{d.name} {b.score:.1f} -> {d.score:.1f} (weight {d.weight:g})")
    if best is None:
        return None, "no dimension with data on both dates moved that way (see the gaps)"
    return best[1], best[2]


# --- public API ---------------------------------------------------------------------------------


def weekly_scan(
    portfolio: PortfolioData,
    as_of: date | None = None,
    show_all: bool = False,
    *,
    week_ago: Callable[[], Mapping[str, HealthResult]] | None = None,
) -> WeeklyScanResult:
    """Run the weekly health scan of commands.md over every active account.

    Args:
        portfolio: the loaded portfolio (the last 67 days of usage are needed).
        as_of: the point in time (default the portfolio's as_of).
        show_all: also return every qualifying account and every pattern candidate.
        week_ago: returns the health scores of 7 days before as_of, when the caller has them
            computed elsewhere (the CLI scores them in a second process while this runs);
            default: score them here.
    """
    day = resolve_as_of(portfolio, as_of)
    gaps = Gaps(portfolio.workspace)
    active = portfolio.active_accounts(day)
    risks = churn_risks(portfolio, day)
    for r in risks.values():
        gaps.extend(r.gaps)
    arr = {aid: r.arr for aid, r in risks.items()}
    sums = _feature_sums(active, day, gaps)
    declining = _declining_features(sums)
    tickets_known = scan_context(portfolio, day).tickets_known
    items = []
    for data in active:
        risk = risks[data.account_id]
        triggers = _login_drop(data, day, portfolio.usage_since, gaps)
        triggers += _feature_triggers(data.account_id, sums, declining)
        triggers += _ticket_backlog(data, day) if tickets_known else []
        triggers += _contact_changes(data, day) + _calendar(data, day, gaps)
        if risk.signals or triggers:
            items.append(_item(data, risk, triggers, day))
    items.sort(key=_rank)
    if not tickets_known:
        gaps.add("tickets", "scan: ticket_backlog", detail="no ticket rows in the portfolio")
    now = score_portfolio(portfolio, day)
    then = week_ago() if week_ago else score_portfolio(portfolio, day - timedelta(days=7))
    for h in now.values():
        if h.tier == "unknown":
            gaps.extend(h.gaps)
    moved_down, moved_up = _moves(now, then, arr)
    patterns = _patterns(items, declining, arr)
    return WeeklyScanResult(
        as_of=day,
        gaps=gaps.list(),
        priority=items[:PRIORITY_LIMIT],
        pattern=patterns[0] if patterns else None,
        moved_down=moved_down,
        moved_up=moved_up,
        declining_features=declining,
        qualifying=len(items),
        show_all=show_all,
        all=items if show_all else [],
        patterns=patterns if show_all else [],
    )


def _item(
    data: AccountData, risk: AccountRisk, triggers: list[WeeklyTrigger], as_of: date
) -> WeeklyAccount:
    return WeeklyAccount(
        account_id=data.account_id,
        name=data.name,
        action=_action(data, risk, triggers, as_of),
        churn_risk=risk.risk,
        arr=risk.arr,
        churn_signals=risk.signals,
        triggers=triggers,
        reasons=[f"{s.kind}: {s.evidence}" for s in risk.signals]
        + [f"{t.kind}: {t.evidence}" for t in triggers],
    )
