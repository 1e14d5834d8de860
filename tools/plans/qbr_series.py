"""Monthly series of the QBR: product usage and support tickets per calendar month.

`monthly_usage` is the reusable piece (the Slack bot charts it): the N calendar months ending
with as-of's month, the last one partial and labelled so. Per month: mean daily active users
over the days that have a row, the sums of logins and core actions, logins per day with a
known value, and how many days have a row. A month with no usage rows has None everywhere
(a gap, never 0).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

from memory.read import Ticket, UsageDay
from tools.common import mean, total, usage_between
from tools.plans.qbr_models import SupportHistory, SupportMonth, TicketRef, UsageMonth

MONTHS = 6
"""The QBR period: the six calendar months ending with as-of's month (two quarters)."""
PRIORITIES = ("urgent", "high", "normal", "low", "unknown")
MONTH_NAMES = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def add_months(day: date, months: int) -> date:
    """Return the same day `months` calendar months later (earlier if negative), clamped."""
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(y, m + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def month_spans(as_of: date, months: int = MONTHS) -> list[tuple[date, date, bool]]:
    """Return (first day, last day counted, partial) of the months ending with as_of's month."""
    first = as_of.replace(day=1)
    spans = []
    for k in range(months - 1, -1, -1):
        start = add_months(first, -k)
        month_end = add_months(start, 1) - timedelta(days=1)
        end = min(month_end, as_of)
        spans.append((start, end, end < month_end))
    return spans


def month_label(start: date, end: date, partial: bool) -> str:
    """Label a month for people: 'Jun 2026', or 'Nov 2026 (1-23)' when counted to as-of."""
    label = f"{MONTH_NAMES[start.month - 1]} {start.year}"
    return f"{label} (1-{end.day})" if partial else label


def monthly_usage(
    usage: Sequence[UsageDay],
    as_of: date,
    months: int = MONTHS,
) -> list[UsageMonth]:
    """Summarise daily usage into calendar months ending with as_of's month.

    Args:
        usage: the account's daily rows, sorted by date (rows after as_of are ignored).
        as_of: the point in time; its month is the last, partial unless as_of is its last day.
        months: how many months.

    Returns:
        One UsageMonth per month, oldest first; a month without rows has None values.
    """
    out = []
    for start, end, partial in month_spans(as_of, months):
        rows = usage_between(usage, start, end)
        known_logins = [r.logins for r in rows if r.logins is not None]
        active = [r.active_users for r in rows if r.active_users is not None]
        out.append(
            UsageMonth(
                month=f"{start.year}-{start.month:02d}",
                label=month_label(start, end, partial),
                start=start,
                end=end,
                days=(end - start).days + 1,
                partial=partial,
                days_with_data=len(rows),
                active_users=mean(active),
                logins=total(rows, "logins"),
                logins_per_day=sum(known_logins) / len(known_logins) if known_logins else None,
                core_actions=total(rows, "core_actions"),
            )
        )
    return out


def missing_months(series: Sequence[UsageMonth]) -> list[UsageMonth]:
    """Return the months of a series that have no usage rows."""
    return [m for m in series if m.days_with_data == 0]


def support_history(
    tickets: Sequence[Ticket], as_of: date, months: int = MONTHS, *, known: bool = True
) -> SupportHistory:
    """Count the tickets opened in each month of the period, and list those open on as_of.

    Args:
        tickets: the account's tickets (those opened after as_of are ignored).
        as_of: the point in time.
        months: the period, in calendar months ending with as_of's month.
        known: False when no ticket feed exists at all: the counts are then unknown, not 0.
    """
    spans = month_spans(as_of, months)
    start, end = spans[0][0], as_of
    opened = [t for t in tickets if t.opened_at.date() <= as_of]
    in_period = [t for t in opened if start <= t.opened_at.date() <= end]
    refs = [ticket_ref(t, as_of) for t in in_period]
    resolved = [r for r in refs if r.days_to_resolve is not None]
    return SupportHistory(
        known=known,
        period_start=start,
        period_end=end,
        months=[_support_month(in_period, s, e, p) for s, e, p in spans],
        opened=len(in_period),
        by_priority=_by_priority(in_period),
        escalated=sum(bool(t.escalated) for t in in_period),
        resolved=len(resolved),
        mean_days_to_resolve=mean([r.days_to_resolve for r in resolved]),
        open_now=sorted(
            (ticket_ref(t, as_of) for t in opened if t.open_on(as_of)),
            key=lambda r: (r.opened_on, r.ticket_id),
        ),
        tickets=sorted(refs, key=lambda r: (r.opened_on, r.ticket_id), reverse=True),
    )


def ticket_ref(ticket: Ticket, as_of: date) -> TicketRef:
    """Describe a ticket as it stood on as_of."""
    opened = ticket.opened_at.date()
    is_open = ticket.open_on(as_of)
    closed = None
    if ticket.closed_at is not None and ticket.closed_at.date() <= as_of:
        closed = ticket.closed_at.date()
    return TicketRef(
        ticket_id=ticket.ticket_id,
        opened_on=opened,
        closed_on=closed,
        status=ticket.status if not is_open or ticket.status not in ("solved", "closed") else None,
        priority=ticket.priority,
        escalated=bool(ticket.escalated),
        open=is_open,
        days_open=(as_of - opened).days if is_open else None,
        days_to_resolve=(closed - opened).days if closed is not None else None,
        subject=ticket.subject,
    )


def _support_month(
    tickets: Sequence[Ticket], start: date, end: date, partial: bool
) -> SupportMonth:
    opened = [t for t in tickets if start <= t.opened_at.date() <= end]
    return SupportMonth(
        month=f"{start.year}-{start.month:02d}",
        label=month_label(start, end, partial),
        opened=len(opened),
        by_priority=_by_priority(opened),
        escalated=sum(bool(t.escalated) for t in opened),
    )


def _by_priority(tickets: Sequence[Ticket]) -> dict[str, int]:
    counts = Counter(t.priority if t.priority in PRIORITIES else "unknown" for t in tickets)
    return {p: counts.get(p, 0) for p in PRIORITIES}
