"""The signal kinds of the health model for product usage, support, training and meetings.

Each kind reads one raw value from an account's data: a pure function of (account data,
scoring context, the profile's params) that returns a `Reading`, the raw value or None with
the name of the missing input (a data gap). Every kind looks only at rows dated on or
before `ctx.as_of`, so a score can be recomputed for any past date. Free text (notes,
ticket text, survey comments, event detail) is never read here. Which kinds a profile uses,
and what their values are worth, is profile data. The kinds that read the account's
records (billing, contracts, people, goals, surveys) are in tools.health_signals_crm;
tools.health registers both sets by name.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from memory.read import AccountData, Contact, PortfolioData, UsageDay
from tools.common import feature_weeks, total, window


class Reading(NamedTuple):
    """A signal's raw value; `missing` names the unknown input (a gap) when there is one."""

    value: float | str | bool | None
    missing: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """What a signal may need beyond one account: the date, the catalogue, portfolio means."""

    as_of: date
    usage_since: date
    features: dict[str, str | None]
    tracked: frozenset[str] = frozenset()
    """Entities with rows in the store; empty = not known, every entity assumed tracked."""
    depth_mean: float | None = None
    """Portfolio mean of core actions per active user over the last 30 days."""
    training_tracked: bool = True
    """Whether any training_completed event exists in the portfolio up to as_of."""

    def tracks(self, entity: str) -> bool:
        """Tell whether the store has rows of `entity` (assumed when unknown)."""
        return not self.tracked or entity in self.tracked


def build_context(portfolio: PortfolioData, as_of: date, kinds: set[str]) -> Context:
    """Precompute, once per (portfolio, as_of), what the kinds in `kinds` need."""
    depth_mean = None
    if "usage_depth" in kinds:
        depths = [
            d
            for acc in portfolio.active_accounts(as_of)
            if (d := _depth(acc, as_of, portfolio.usage_since, 30)) is not None
        ]
        depth_mean = sum(depths) / len(depths) if depths else None
    training = True
    if "training_completion" in kinds:
        training = any(
            e.kind == "training_completed" and e.occurred_at <= as_of
            for acc in portfolio.accounts.values()
            for e in acc.events
        )
    return Context(
        as_of=as_of,
        usage_since=portfolio.usage_since,
        features=portfolio.features,
        tracked=portfolio.files_present,
        depth_mean=depth_mean,
        training_tracked=training,
    )


# --- usage ---------------------------------------------------------------------------------


def _rows(
    data: AccountData, ctx: Context, days: int, offset: int = 0
) -> tuple[Sequence[UsageDay] | None, str]:
    """Return the usage rows of a window (None when it was not loaded) and its description."""
    start, end = window(ctx.as_of, days, offset)
    label = f"{start}..{end}"
    if start < ctx.usage_since:
        return None, f"usage before {ctx.usage_since} was not loaded ({label})"
    lo = bisect_left(data.usage, start, key=lambda u: u.date)
    hi = bisect_right(data.usage, end, key=lambda u: u.date)
    return data.usage[lo:hi], label


def _no_rows(data: AccountData, ctx: Context, label: str) -> Reading:
    earlier = [u.date for u in data.usage if u.date <= ctx.as_of]
    stopped = f"; usage feed stopped on {earlier[-1]}" if earlier else ""
    return Reading(None, "usage", f"no usage rows in {label}{stopped}")


def dau_mau(data: AccountData, ctx: Context, days: int = 30) -> Reading:
    """Read DAU/MAU: mean daily active_users / users_30d on the latest day with a row."""
    rows, label = _rows(data, ctx, days)
    if not rows:
        return _no_rows(data, ctx, label) if rows is not None else Reading(None, "usage", label)
    dau = [r.active_users for r in rows if r.active_users is not None]
    if not dau:
        return Reading(None, "active_users", f"active_users empty on every row of {label}")
    latest = rows[-1]
    if latest.users_30d is None:
        return Reading(None, "users_30d", f"users_30d empty on {latest.date}")
    mean = sum(dau) / len(dau)
    value = 0.0 if latest.users_30d == 0 else mean / latest.users_30d
    detail = f"mean DAU {mean:.2f} over {len(dau)} days / MAU {latest.users_30d} on {latest.date}"
    return Reading(value, detail=detail)


def login_change(
    data: AccountData, ctx: Context, days: int = 30, column: str = "logins"
) -> Reading:
    """Read the change of `column` over the last `days` vs the `days` before (a fraction).

    A zero previous window gives 'growing_from_zero' when the current one has activity and
    'declining_at_zero' when it has none (commands.md's zero-denominator convention).
    """
    cur, cur_label = _rows(data, ctx, days)
    prev, prev_label = _rows(data, ctx, days, days)
    for rows, label in ((cur, cur_label), (prev, prev_label)):
        if not rows:
            return _no_rows(data, ctx, label) if rows is not None else Reading(None, "usage", label)
    now, before = total(cur, column), total(prev, column)
    if now is None or before is None:
        return Reading(None, column, f"{column} empty on every row of a window")
    detail = f"{column} {before} ({prev_label}) -> {now} ({cur_label})"
    if before == 0:
        return Reading("growing_from_zero" if now > 0 else "declining_at_zero", detail=detail)
    return Reading((now - before) / before, detail=detail)


def login_days(data: AccountData, ctx: Context, days: int = 30) -> Reading:
    """Count the days of the last `days` with logins > 0 (days without a row are a gap)."""
    rows, label = _rows(data, ctx, days)
    if not rows:
        return _no_rows(data, ctx, label) if rows is not None else Reading(None, "usage", label)
    known = [r for r in rows if r.logins is not None]
    if not known:
        return Reading(None, "logins", f"logins empty on every row of {label}")
    value = sum(1 for r in known if r.logins > 0)
    detail = f"{value} login days of {len(known)} days with data in {label}"
    if len(known) < days:
        return Reading(value, "usage", f"rows with logins for {len(known)} of {days} days")
    return Reading(value, detail=detail)


def _depth(data: AccountData, as_of: date, since: date, days: int) -> float | None:
    """Core actions per active user-day over the last `days` (None when unknown)."""
    start, end = window(as_of, days)
    if start < since:
        return None
    lo = bisect_left(data.usage, start, key=lambda u: u.date)
    hi = bisect_right(data.usage, end, key=lambda u: u.date)
    pairs = [
        (r.core_actions, r.active_users)
        for r in data.usage[lo:hi]
        if r.core_actions is not None and r.active_users is not None
    ]
    if not pairs:
        return None
    users = sum(u for _, u in pairs)
    return sum(a for a, _ in pairs) / users if users else 0.0


def usage_depth(data: AccountData, ctx: Context, days: int = 30) -> Reading:
    """Read core actions per active user as a multiple of the portfolio mean (1.0 = average)."""
    depth = _depth(data, ctx.as_of, ctx.usage_since, days)
    if depth is None:
        rows, label = _rows(data, ctx, days)
        if not rows:
            return _no_rows(data, ctx, label) if rows is not None else Reading(None, "usage", label)
        return Reading(None, "core_actions", f"core_actions or active_users empty in {label}")
    mean = ctx.depth_mean
    value = depth / mean if mean else 1.0
    detail = f"{depth:.2f} core actions per active user-day vs portfolio mean {mean or 0:.2f}"
    return Reading(value, detail=detail)


def feature_breadth(data: AccountData, ctx: Context, days: int = 30) -> Reading:
    """Read the share of the feature catalogue used (active_users > 0) in the last `days`.

    A weekly row is in the window when its week_start is (tools.common.feature_weeks).
    """
    if not ctx.features:
        return Reading(None, "features", "the feature catalogue (features.csv) is empty")
    start, end = window(ctx.as_of, days)
    if start < ctx.usage_since:
        return Reading(None, "feature_usage", f"feature usage before {ctx.usage_since} not loaded")
    rows = feature_weeks(data.feature_usage, start, end)
    known = [w for w in rows if w.active_users is not None]
    if not known:
        what = "no feature_usage rows" if not rows else "active_users empty on every row"
        return Reading(None, "feature_usage", f"{what} for weeks starting {start}..{end}")
    used = {w.feature for w in known if w.active_users > 0} & ctx.features.keys()
    value = len(used) / len(ctx.features)
    return Reading(value, detail=f"{len(used)} of {len(ctx.features)} catalogue features used")


# --- engagement ----------------------------------------------------------------------------


def active_on(contacts: Sequence[Contact], day: date) -> list[Contact]:
    """Return the contacts whose status on `day` is active."""
    return [c for c in contacts if c.status_on(day) == "active"]


def tickets_opened(data: AccountData, ctx: Context, days: int = 90) -> Reading:
    """Count the tickets opened in the last `days` (0 is data when tickets are tracked)."""
    if not ctx.tracks("tickets"):
        return Reading(None, "tickets", "no ticket data imported")
    start, end = window(ctx.as_of, days)
    value = sum(1 for t in data.tickets if start <= t.opened_at.date() <= end)
    return Reading(value, detail=f"{value} tickets opened {start}..{end}")


def training_completion(data: AccountData, ctx: Context) -> Reading:
    """Read the share of active contacts with a training_completed event by as_of."""
    if not ctx.training_tracked:
        return Reading(None, "events", "no training_completed events in the portfolio")
    active = active_on(data.contacts, ctx.as_of)
    if not data.contacts:
        return Reading(None, "contacts", "no contacts on record")
    if not active:
        return Reading(0.0, detail="no active contacts")
    trained = {
        e.contact_id
        for e in data.events
        if e.kind == "training_completed" and e.occurred_at <= ctx.as_of and e.contact_id
    }
    done = sum(1 for c in active if c.contact_id in trained)
    return Reading(done / len(active), detail=f"{done} of {len(active)} active contacts trained")


def meeting_attendance(data: AccountData, ctx: Context, days: int = 365) -> Reading:
    """Read qbr_held / (qbr_held + qbr_missed) events of the last `days`."""
    start, end = window(ctx.as_of, days)
    held = sum(1 for e in data.events if e.kind == "qbr_held" and start <= e.occurred_at <= end)
    missed = sum(1 for e in data.events if e.kind == "qbr_missed" and start <= e.occurred_at <= end)
    if held + missed == 0:
        return Reading(None, "events", f"no qbr_held or qbr_missed event {start}..{end}")
    return Reading(held / (held + missed), detail=f"{held} held, {missed} missed {start}..{end}")
