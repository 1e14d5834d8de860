"""The health model's signal kinds read from account records: billing, people, goals, surveys.

Like tools.health_signals (which holds the Reading/Context types and the product-usage
kinds), each kind is a pure function of (account data, context, profile params) that reads
only rows dated on or before `ctx.as_of` and never reads free text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from memory.read import AccountData
from tools.common import DECISION_ROLES, arr_on, round_half_up, window, within
from tools.health_signals import Context, Reading, active_on

GOOD_STAGES = frozenset({"qualified", "proposal"})
"""Opportunity stages that count as an expansion in the pipeline."""
NO_EXEC = "no active exec sponsor, decision maker or economic buyer on record"
ENGAGEMENT_EVENTS = frozenset({"qbr_held", "exec_meeting", "kickoff_held"})
"""Event kinds that show a contact named on them engaged with us that day."""


# --- financial and business health ---------------------------------------------------------


def _invoice_record(data: AccountData, ctx: Context, days: int) -> tuple[int, int, int, int]:
    """Count (invoices, unpaid problems now, paid late, paid with unknown date) in the window."""
    start, end = window(ctx.as_of, days)
    rows = [i for i in data.invoices if start <= i.due_date <= end and i.status != "void"]
    problems = sum(1 for i in rows if i.unpaid_problem_on(ctx.as_of))
    late = sum(1 for i in rows if i.paid_at is not None and i.due_date < i.paid_at <= ctx.as_of)
    unknown = sum(1 for i in rows if i.status == "paid" and i.paid_at is None)
    return len(rows), problems, late, unknown


def payment_status(data: AccountData, ctx: Context, days: int = 365) -> Reading:
    """Read 'delinquent' (failed/past due open now), 'late' (any paid late) or 'on_time'."""
    n, problems, late, unknown = _invoice_record(data, ctx, days)
    if n == 0:
        return Reading(None, "invoices", f"no invoices due in the last {days} days")
    detail = f"{n} invoices: {problems} unpaid past due, {late} paid late"
    if problems:
        return Reading("delinquent", detail=detail)
    if late:
        return Reading("late", detail=detail)
    if unknown:
        return Reading(None, "paid_at", f"{unknown} paid invoices without a paid_at date")
    return Reading("on_time", detail=detail)


def late_payments(data: AccountData, ctx: Context, days: int = 365, worst: int = 2) -> Reading:
    """Count invoices paid late or unpaid past due now in the last `days`."""
    n, problems, late, unknown = _invoice_record(data, ctx, days)
    if n == 0:
        return Reading(None, "invoices", f"no invoices due in the last {days} days")
    value = problems + late
    if unknown and value < worst:
        return Reading(None, "paid_at", f"{unknown} paid invoices without a paid_at date")
    return Reading(value, detail=f"{n} invoices: {late} paid late, {problems} unpaid past due")


def contract_status(data: AccountData, ctx: Context, approaching_days: int = 90) -> Reading:
    """Read 'active', 'approaching_renewal' (renewal within N days) or 'expired'."""
    rows = [c for c in data.contracts if c.start_date <= ctx.as_of]
    if not rows:
        return Reading(None, "contracts", "no contract rows on record")
    active = [c for c in rows if c.active_on(ctx.as_of)]
    if not active or data.account.is_churned_on(ctx.as_of):
        return Reading("expired", detail=f"no contract in force on {ctx.as_of}")
    renewal = max(c.end_date for c in active)
    left = (renewal - ctx.as_of).days
    value = "approaching_renewal" if left <= approaching_days else "active"
    return Reading(value, detail=f"renewal {renewal} in {left} days")


def arr_grew(data: AccountData, ctx: Context, days: int = 365) -> Reading:
    """Read whether ARR on as_of exceeds ARR `days` earlier."""
    if not any(c.start_date <= ctx.as_of for c in data.contracts):
        return Reading(None, "contracts", "no contract rows on record")
    then = ctx.as_of - timedelta(days=days)
    now, before = arr_on(data, ctx.as_of), arr_on(data, then)
    return Reading(now > before, detail=f"ARR {before:g} on {then} -> {now:g} on {ctx.as_of}")


def expansion_open(data: AccountData, ctx: Context) -> Reading:
    """Read whether a qualified/proposal non-renewal opportunity is open on as_of."""
    open_ = [
        o.opportunity_id
        for o in data.opportunities
        if o.stage in GOOD_STAGES
        and o.kind != "renewal"
        and o.created_at <= ctx.as_of
        and (o.closed_at is None or o.closed_at > ctx.as_of)
    ]
    detail = f"open: {', '.join(open_)}" if open_ else "no qualified/proposal expansion open"
    return Reading(bool(open_), detail=detail)


# --- relationship --------------------------------------------------------------------------


def champion_exec(data: AccountData, ctx: Context) -> Reading:
    """Read who is active: 'champion_and_exec', 'champion_only', 'exec_only' or 'none'."""
    if not data.contacts:
        return Reading(None, "contacts", "no contacts on record")
    active = active_on(data.contacts, ctx.as_of)
    champ = any(c.role == "champion" for c in active)
    exec_ = any(c.role in DECISION_ROLES for c in active)
    value = {
        (True, True): "champion_and_exec",
        (True, False): "champion_only",
        (False, True): "exec_only",
        (False, False): "none",
    }[(champ, exec_)]
    blank = [c.contact_id for c in active if c.role is None]
    if blank and value != "champion_and_exec":
        return Reading(value, "role", f"role empty for active contacts {', '.join(blank)}")
    if not exec_:
        # scored as recorded, but said: the CRM may simply not list the sponsor
        return Reading(value, "exec_sponsor", NO_EXEC)
    return Reading(value, detail=f"{len(active)} active contacts")


def active_contacts(data: AccountData, ctx: Context) -> Reading:
    """Count the contacts active on as_of."""
    if not data.contacts:
        return Reading(None, "contacts", "no contacts on record")
    return Reading(len(active_on(data.contacts, ctx.as_of)))


def _engaged(
    data: AccountData, ctx: Context, roles: Callable[[str | None], bool], days: int, meeting: str
) -> bool | None:
    """Tell whether an active contact of `roles` engaged in the last `days` (None = unknown)."""
    start, end = window(ctx.as_of, days)
    people = [c for c in active_on(data.contacts, ctx.as_of) if roles(c.role)]
    ids = {c.contact_id for c in people}
    for e in data.events:
        if start <= e.occurred_at <= end and e.kind in ENGAGEMENT_EVENTS:
            if e.contact_id in ids or (e.kind == meeting and e.contact_id is None):
                return True
    if any(within(c.last_engaged_at, start, end) for c in people):
        return True
    if any(c.last_engaged_at is None or c.last_engaged_at > ctx.as_of for c in people):
        return None
    return False


def _is_exec(role: str | None) -> bool:
    return role in DECISION_ROLES


def _is_champion(role: str | None) -> bool:
    return role == "champion"


def exec_engaged(data: AccountData, ctx: Context, days: int = 90) -> Reading:
    """Read whether an active exec sponsor/decision-maker engaged in the last `days`."""
    if not data.contacts:
        return Reading(None, "contacts", "no contacts on record")
    value = _engaged(data, ctx, _is_exec, days, "exec_meeting")
    if value is None:
        return Reading(None, "last_engaged_at", "an active exec's last engagement is unknown")
    return Reading(value, detail=f"within {days} days (last_engaged_at or meeting events)")


def stakeholder_engagement(
    data: AccountData, ctx: Context, champion_days: int = 30, exec_days: int = 90
) -> Reading:
    """Read 'both', 'one' or 'neither' of: champion engaged recently, exec engaged recently."""
    if not data.contacts:
        return Reading(None, "contacts", "no contacts on record")
    champ = _engaged(data, ctx, _is_champion, champion_days, "")
    exec_ = _engaged(data, ctx, _is_exec, exec_days, "exec_meeting")
    detail = f"champion within {champion_days} d: {champ}; exec within {exec_days} d: {exec_}"
    if champ is None or exec_ is None:
        return Reading(None, "last_engaged_at", detail)
    return Reading({2: "both", 1: "one", 0: "neither"}[champ + exec_], detail=detail)


def stakeholder_changes(data: AccountData, ctx: Context, days: int = 90, worst: int = 2) -> Reading:
    """Count contacts who departed or changed role in the last `days`."""
    if not data.contacts:
        return Reading(None, "contacts", "no contacts on record")
    start, end = window(ctx.as_of, days)
    moved = [c for c in data.contacts if c.status != "active"]
    value = sum(1 for c in moved if within(c.status_changed_at, start, end))
    undated = [c.contact_id for c in moved if c.status_changed_at is None]
    if undated and value < worst:
        return Reading(None, "status_changed_at", f"no change date for {', '.join(undated)}")
    return Reading(value, detail=f"{value} departures/role changes {start}..{end}")


# --- outcomes and sentiment ----------------------------------------------------------------


def goal_ratio(data: AccountData, ctx: Context) -> Reading:
    """Read goals achieved / goals defined (set on or before as_of)."""
    goals = [g for g in data.goals if g.set_at is None or g.set_at <= ctx.as_of]
    if not goals:
        return Reading(None, "goals", "no success-plan goals defined")
    blank = [g.goal_id for g in goals if g.status is None]
    if blank:
        return Reading(None, "status", f"goal status empty for {', '.join(blank)}")
    done = sum(1 for g in goals if g.status == "achieved")
    return Reading(done / len(goals), detail=f"{done} of {len(goals)} goals achieved")


def roi_documented(data: AccountData, ctx: Context) -> Reading:
    """Read whether an roi row was recorded on or before as_of."""
    dated = [r for r in data.roi if r.recorded_at is not None and r.recorded_at <= ctx.as_of]
    if dated:
        return Reading(True, detail=f"{len(dated)} roi rows, latest {dated[-1].recorded_at}")
    if any(r.recorded_at is None for r in data.roi):
        return Reading(None, "recorded_at", "roi rows without a recorded_at date")
    return Reading(False, detail="no roi row recorded")


def nps_latest(data: AccountData, ctx: Context, days: int = 180) -> Reading:
    """Read the latest NPS response of the last `days`."""
    start, end = window(ctx.as_of, days)
    rows = [s for s in data.surveys if s.kind == "nps" and start <= s.responded_at <= end]
    if not rows:
        return Reading(None, "nps", f"no NPS response {start}..{end}")
    latest = max(rows, key=lambda s: s.responded_at)
    return Reading(latest.score, detail=f"NPS {latest.score:g} on {latest.responded_at}")


def csat_mean(data: AccountData, ctx: Context, days: int = 90, rounded: bool = True) -> Reading:
    """Read the mean CSAT of the last `days` (rounded half up when `rounded`)."""
    start, end = window(ctx.as_of, days)
    rows = [s.score for s in data.surveys if s.kind == "csat" and start <= s.responded_at <= end]
    if not rows:
        return Reading(None, "csat", f"no CSAT response {start}..{end}")
    mean = sum(rows) / len(rows)
    value = round_half_up(mean) if rounded else mean
    return Reading(value, detail=f"mean CSAT {mean:.2f} of {len(rows)} responses")
