"""The seven expansion signals of commands.md, one function each (tools.expansion ranks them).

Each signal reads one account's data in the scan's windows and returns a fired signal (with
its action and, when it can size one, its revenue estimate) or None; a signal it cannot
evaluate adds a gap instead. The rules are in tools.expansion's docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from memory.read import AccountData, PortfolioData, UsageDay
from tools.common import Gaps, arr_on, feature_weeks, renewal_date, usage_between, window, within
from tools.expansion_models import (
    EXPANSION_KINDS,
    INTEREST_EVENTS,
    NOTE_CUES,
    Action,
    ExpansionSignal,
    Quote,
)
from tools.health import score_account


@dataclass(frozen=True, slots=True)
class _Ctx:
    """What a scan computes once."""

    as_of: date
    portfolio: PortfolioData
    events_known: bool


class _Fired(NamedTuple):
    """A fired signal with its action and, when it can size one, its revenue estimate."""

    signal: ExpansionSignal
    action: Action
    estimate: float | None = None
    basis: str | None = None


# --- the seven signals ---------------------------------------------------------------------


def _signals(data: AccountData, ctx: _Ctx, gaps: Gaps) -> list[_Fired]:
    """Evaluate the seven signals of one account; unknown inputs become gaps."""
    arr = arr_on(data, ctx.as_of)
    detectors = (
        _usage_growth,
        _department_spread,
        _feature_ceiling,
        _promoter,
        _organic_mention,
        _contract_anniversary,
        _seat_capacity,
    )
    return [f for detect in detectors if (f := detect(data, ctx, arr, gaps)) is not None]


def _mean_active(rows: Sequence[UsageDay]) -> tuple[int, int]:
    """Return (sum, count) of the known active_users values of the rows."""
    known = [u.active_users for u in rows if u.active_users is not None]
    return sum(known), len(known)


def _usage_growth(data: AccountData, ctx: _Ctx, arr: float, gaps: Gaps) -> _Fired | None:
    now_span, then_span = window(ctx.as_of, 30), window(ctx.as_of, 30, 90)
    need = "expansion: usage_growth"
    if then_span[0] < ctx.portfolio.usage_since:
        gaps.add("usage", need, account_id=data.account_id, detail=f"{_span(then_span)} not loaded")
        return None
    measured = []
    for span in (now_span, then_span):
        rows = usage_between(data.usage, *span)
        total, days = _mean_active(rows)
        if not days:
            signal = "active_users" if rows else "usage"
            gaps.add(signal, need, account_id=data.account_id, detail=f"none in {_span(span)}")
            return None
        measured.append((total, days))
    (now_sum, now_n), (then_sum, then_n) = measured
    # now_mean >= 1.2 x then_mean, compared exactly in integers: 5 x now x n' >= 6 x then x n
    if now_sum == 0 or 5 * now_sum * then_n < 6 * then_sum * now_n:
        return None
    if _arr_rose(data, then_span[1], ctx.as_of):
        return None
    now_mean, then_mean = now_sum / now_n, then_sum / then_n
    growth = now_mean / then_mean if then_mean else None
    signal = ExpansionSignal(
        kind="usage_growth",
        strength="strong" if growth is None or growth >= 1.5 else "moderate",
        value=growth,
        threshold=">= 1.2x the same 30 days 90 days earlier, no ARR increase since",
        evidence=(
            f"mean daily active users {now_mean:.1f} in {_span(now_span)} vs {then_mean:.1f} "
            f"in {_span(then_span)}; ARR not increased since {then_span[1]}"
        ),
    )
    if growth is None:
        return _Fired(signal, "upsell", None, "growth from zero active users cannot scale ARR")
    if not arr:
        gaps.add("contracts", "expansion: revenue estimate", account_id=data.account_id)
        return _Fired(signal, "upsell", None, "no ARR on record to scale by the growth")
    estimate = arr * (growth - 1)
    return _Fired(signal, "upsell", estimate, f"ARR ${arr:,.0f} x usage growth {growth - 1:.0%}")


def _arr_rose(data: AccountData, since: date, day: date) -> bool:
    """Tell whether ARR was ever above its level on `since` between then and `day`."""
    base = arr_on(data, since)
    changes = {c.start_date for c in data.contracts if since < c.start_date <= day} | {day}
    return any(arr_on(data, d) > base for d in changes)


def _department_spread(data: AccountData, ctx: _Ctx, arr: float, gaps: Gaps) -> _Fired | None:
    need = "expansion: department_spread"
    start, end = window(ctx.as_of, 90)
    users = [u for u in data.users if u.created_at is None or u.created_at <= ctx.as_of]
    if not users:
        gaps.add("users", need, account_id=data.account_id)
        return None
    licensed = data.account.departments_licensed
    if licensed is None:
        gaps.add("departments_licensed", need, account_id=data.account_id)
        return None
    covered = {d.strip().lower() for d in licensed}
    active = [u for u in users if within(u.last_active_at, start, end)]
    outside: dict[str, list[str]] = {}
    for u in active:
        if u.department and u.department.strip().lower() not in covered:
            outside.setdefault(u.department.strip().lower(), []).append(u.department.strip())
    if len(outside) < 2:
        _spread_gaps(data, users, active, len(outside), ctx.as_of, gaps)
        return None
    n_users = sum(len(v) for v in outside.values())
    listed = ", ".join(f"{v[0]} ({len(v)})" for v in outside.values())
    signal = ExpansionSignal(
        kind="department_spread",
        strength="strong",
        value=len(outside),
        threshold="2+ unlicensed departments with users active within 90 days",
        evidence=(
            f"{n_users} users active in {_span((start, end))} in unlicensed departments "
            f"{listed}; licensed: {'; '.join(licensed) or 'none'}"
        ),
    )
    seats = data.account.licensed_seats
    if not arr or not seats:
        missing = "licensed_seats" if not seats else "contracts"
        gaps.add(missing, "expansion: revenue estimate", account_id=data.account_id)
        return _Fired(signal, "seat_expansion", None, f"no {missing} to price a seat")
    per_seat = arr / seats
    return _Fired(
        signal,
        "seat_expansion",
        per_seat * n_users,
        f"ARR per seat ${per_seat:,.2f} x {n_users} seats for the unlicensed departments' users",
    )


def _spread_gaps(
    data: AccountData, users: list, active: list, outside: int, day: date, gaps: Gaps
) -> None:
    """Record the unknown cells that could have made department_spread fire."""
    need = "expansion: department_spread"
    no_dept = sum(1 for u in active if not u.department)
    undated = sum(1 for u in users if u.last_active_at is None or u.last_active_at > day)
    if no_dept and outside + no_dept >= 2:
        detail = f"{no_dept} active users without a department"
        gaps.add(
            "department", need, account_id=data.account_id, detail=detail, category="analytics"
        )
    if undated and outside + undated >= 2:
        detail = f"{undated} users without a last_active_at known on {day}"
        gaps.add(
            "last_active_at", need, account_id=data.account_id, detail=detail, category="analytics"
        )


def _feature_ceiling(data: AccountData, ctx: _Ctx, arr: float, gaps: Gaps) -> _Fired | None:
    need = "expansion: feature_ceiling"
    catalogue = ctx.portfolio.features
    core = {f for f, tier in catalogue.items() if tier == "core"}
    premium = {f for f, tier in catalogue.items() if tier == "premium"}
    if not core:
        if catalogue:
            gaps.add("features", need, detail="the catalogue lists no core feature")
        return None
    s30, s90 = window(ctx.as_of, 30), window(ctx.as_of, 90)
    if s90[0] < ctx.portfolio.usage_since:
        gaps.add(
            "feature_usage", need, account_id=data.account_id, detail=f"{_span(s90)} not loaded"
        )
        return None
    used30, unknown30, rows30 = _features_used(data, *s30)
    if not rows30:
        gaps.add("feature_usage", need, account_id=data.account_id, detail=f"none in {_span(s30)}")
        return None
    n_core = len(core & used30)
    if 5 * n_core < 4 * len(core):  # below 80% of core features
        if 5 * (n_core + len(core & unknown30)) >= 4 * len(core):
            detail = f"empty active_users for core features in {_span(s30)}"
            gaps.add("active_users", need, account_id=data.account_id, detail=detail)
        return None
    used90, unknown90, _ = _features_used(data, *s90)
    if premium & used90:
        return None
    if premium & unknown90:
        detail = f"empty active_users for premium features in {_span(s90)}"
        gaps.add("active_users", need, account_id=data.account_id, detail=detail)
        return None
    signal = ExpansionSignal(
        kind="feature_ceiling",
        strength="moderate",
        value=n_core / len(core),
        threshold="80%+ of core features used in 30 days, no premium feature in 90",
        evidence=(
            f"{n_core} of {len(core)} core features used in {_span(s30)}; "
            f"no premium feature used in {_span(s90)}"
            + ("" if premium else " (the catalogue lists none)")
        ),
    )
    return _Fired(signal, "upsell", None, "the catalogue has no premium prices")


def _features_used(data: AccountData, start: date, end: date) -> tuple[set, set, list]:
    """Return (features used, features only with empty cells, rows) of weeks starting in range."""
    rows = feature_weeks(data.feature_usage, start, end)
    used = {w.feature for w in rows if (w.active_users or 0) > 0}
    unknown = {w.feature for w in rows if w.active_users is None} - used
    return used, unknown, rows


def _promoter(data: AccountData, ctx: _Ctx, arr: float, gaps: Gaps) -> _Fired | None:
    need = "expansion: promoter"
    start, end = window(ctx.as_of, 180)
    nps = [s for s in data.surveys if s.kind == "nps" and within(s.responded_at, start, end)]
    if not nps:
        gaps.add("nps", need, account_id=data.account_id, detail=f"none in {_span((start, end))}")
        return None
    latest = max(nps, key=lambda s: s.responded_at)
    if not 9 <= latest.score <= 10:
        return None
    asked = [e for e in data.events if e.kind == "expansion_discussed"]
    asked_dates = [e.occurred_at for e in asked] + [
        o.created_at for o in data.opportunities if o.kind in EXPANSION_KINDS
    ]
    if any(within(d, start, end) for d in asked_dates):
        return None
    if not ctx.events_known:
        return None  # "never asked" cannot be confirmed without an events feed (a gap)
    quotes = []
    if latest.comment:
        quotes.append(
            Quote(
                source="survey", id=latest.survey_id, date=latest.responded_at, text=latest.comment
            )
        )
    signal = ExpansionSignal(
        kind="promoter",
        strength="moderate",
        value=latest.score,
        threshold="latest NPS within 180 days 9-10, not asked to expand within 180 days",
        evidence=(
            f"NPS {latest.score:g} on {latest.responded_at}; no expansion_discussed event or "
            f"expansion opportunity in {_span((start, end))}"
        ),
        quotes=quotes,
    )
    return _Fired(signal, "upsell", None, "an NPS score does not size a deal")


def _organic_mention(data: AccountData, ctx: _Ctx, arr: float, gaps: Gaps) -> _Fired | None:
    start, end = window(ctx.as_of, 90)
    hits = [
        e for e in data.events if e.kind in INTEREST_EVENTS and within(e.occurred_at, start, end)
    ]
    if not hits:
        return None
    department = any(e.kind == "new_department_interest" for e in hits)
    quotes = [
        Quote(source="event", id=e.event_id, date=e.occurred_at, text=e.detail)
        for e in hits
        if e.detail
    ]
    quotes += _note_quotes(data, start, end)
    signal = ExpansionSignal(
        kind="organic_mention",
        strength="strong" if department else "moderate",
        value=len(hits),
        threshold="new_use_case_interest / new_department_interest event within 90 days",
        evidence="; ".join(f"{e.kind} on {e.occurred_at}" for e in hits),
        quotes=quotes,
    )
    action: Action = "seat_expansion" if department else "cross_sell"
    return _Fired(signal, action, None, "an expressed interest does not size a deal")


def _note_quotes(data: AccountData, start: date, end: date, limit: int = 3) -> list[Quote]:
    """Quote the newest notes of the window that speak of new teams or use cases."""
    picked = [
        n
        for n in reversed(data.notes)
        if within(n.created_at.date(), start, end)
        and any(cue in n.text.lower() for cue in NOTE_CUES)
    ]
    return [
        Quote(source="note", id=n.note_id, date=n.created_at.date(), text=_clip(n.text))
        for n in picked[:limit]
    ]


def _contract_anniversary(data: AccountData, ctx: _Ctx, arr: float, gaps: Gaps) -> _Fired | None:
    need = "expansion: contract_anniversary"
    renews = renewal_date(data, ctx.as_of)
    if renews is None:
        gaps.add("contracts", need, account_id=data.account_id, detail="no contract in force")
        return None
    days = (renews - ctx.as_of).days
    if days > 120:
        return None
    health = score_account(ctx.portfolio, data.account_id, ctx.as_of, with_trend=False)
    if health.tier == "unknown":
        for g in health.gaps:
            gaps.add(g.signal, need, account_id=g.account_id or data.account_id, detail=g.detail)
        return None
    if health.tier not in ("green", "yellow"):
        return None
    signal = ExpansionSignal(
        kind="contract_anniversary",
        strength="moderate",
        value=days,
        threshold="renewal within 120 days and health tier green or yellow",
        evidence=f"renews on {renews} (in {days} days); health {health.tier} ({health.score})",
    )
    return _Fired(signal, "multi_year", None, "a multi-year term does not change ARR")


def _seat_capacity(data: AccountData, ctx: _Ctx, arr: float, gaps: Gaps) -> _Fired | None:
    need = "expansion: seat_capacity"
    seats = data.account.licensed_seats
    if seats is None:
        gaps.add("licensed_seats", need, account_id=data.account_id)
        return None
    span = window(ctx.as_of, 30)
    rows = usage_between(data.usage, *span)
    known = [u for u in rows if u.users_30d is not None]
    if not known:
        signal = "users_30d" if rows else "usage"
        gaps.add(signal, need, account_id=data.account_id, detail=f"none in {_span(span)}")
        return None
    latest = known[-1]
    users = latest.users_30d
    if 5 * users <= 4 * seats:  # not above 80%
        return None
    signal = ExpansionSignal(
        kind="seat_capacity",
        strength="strong",
        value=users / seats if seats else None,
        threshold="users_30d > 80% of licensed_seats",
        evidence=f"users_30d {users} on {latest.date} vs {seats} licensed seats",
    )
    add = -(-5 * users // 4) - seats  # seats that bring utilisation back to 80%
    if not seats:
        return _Fired(signal, "seat_expansion", None, "0 licensed seats: no ARR per seat")
    if not arr:
        gaps.add("contracts", "expansion: revenue estimate", account_id=data.account_id)
        return _Fired(signal, "seat_expansion", None, "no ARR on record to price seats")
    per_seat = arr / seats
    return _Fired(
        signal,
        "seat_expansion",
        per_seat * add,
        f"ARR per seat ${per_seat:,.2f} x {add} seats to bring utilisation back to 80%",
    )


def _span(span: tuple[date, date]) -> str:
    return f"{span[0]}..{span[1]}"


def _clip(text: str, limit: int = 200) -> str:
    """Shorten free text for quoting (it is never interpreted)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
