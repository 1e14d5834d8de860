"""Render a QBR prep document (`csm qbr`) as Markdown: the brief a CSM reads before the meeting.

Numbers, dates and sentences come from the QbrResult; this module only lays them out.
Ticket subjects are untrusted text: they are quoted (escaped, shortened), never interpreted.
"""

from __future__ import annotations

from agent.render.common import TIER_LABEL, money, num, pct
from agent.render.markdown import bullets, cell, gaps_markdown, table
from agent.render.qbr_sections import (
    checklist_md,
    expansion_md,
    follow_up_md,
    quote,
    risks_md,
    stakeholders_md,
)
from tools.plans.qbr_models import (
    GoalOutcome,
    QbrResult,
    SupportHistory,
    TicketRef,
    UsageMonth,
)

HOLD_REASON = {
    "cadence": "",
    "notice_deadline": " (the notice deadline)",
    "renewal": " (the renewal)",
}


def to_markdown(result: QbrResult) -> str:
    """Render the whole prep document."""
    parts = [
        f"# QBR prep: {result.name}",
        _header(result),
        _summary(result),
        _agenda(result),
        _usage(result),
        _support(result.support),
        _goals(result.goals),
        _value(result),
        risks_md(result),
        expansion_md(result.expansion),
        stakeholders_md(result.stakeholders),
        checklist_md(result),
        follow_up_md(result),
        gaps_markdown(result.gaps),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _header(r: QbrResult) -> str:
    facts = [f"As of {r.as_of}", f"CSM {r.csm}" if r.csm else "CSM not on record"]
    if r.segment:
        facts.append(r.segment)
    facts.append(f"ARR {money(r.arr)}" if r.arr is not None else "ARR not on record")
    if r.renewal_date:
        renewal = f"renewal {r.renewal_date} ({r.days_to_renewal} days"
        if r.notice_deadline:
            renewal += f"; notice deadline {r.notice_deadline}"
        facts.append(renewal + ")")
    else:
        facts.append("renewal date not on record")
    h = r.health
    health = f"Health {h.score}/100 ({TIER_LABEL.get(h.tier, h.tier)})"
    if h.tier == "unknown":
        health = "Health not tiered" + (f" (provisional {h.score})" if h.score is not None else "")
    status = [
        health,
        _churn_risk(r),
        f"renewal outlook {r.risk.renewal_bucket.replace('_', ' ')}",
    ]
    return bullets(
        [
            " · ".join(facts),
            " · ".join(status),
            f"Period reviewed: {r.period_start} to {r.period_end} (six calendar months)",
            _timing(r),
        ]
    )


def _churn_risk(r: QbrResult) -> str:
    """Say the churn risk; with no signal fired, say whether any could not be checked."""
    if r.risk.churn_risk:
        return f"churn risk {r.risk.churn_risk}"
    unchecked = sorted({g.signal for g in r.gaps if "churn:" in g.needed_for})
    if unchecked:
        return "no churn signal fired on the data on record; not checked for lack of data: " + (
            ", ".join(unchecked)
        )
    return "no churn signal fired"


def _timing(r: QbrResult) -> str:
    t = r.timing
    if t.cadence is None:
        cadence = "no QBR in the touch cadence" + (f" ({t.basis})" if t.basis else "")
    else:
        cadence = f"{t.cadence} QBRs ({t.basis})"
    last = f"last held {t.last_qbr}" if t.last_qbr else "no QBR on record"
    parts = [f"QBR: {cadence}", last]
    if t.missed:
        parts.append("missed " + ", ".join(str(d) for d in t.missed))
    if t.due:
        parts.append(f"due {t.due}" + (" (overdue)" if t.overdue else ""))
    if t.hold_by:
        parts.append(f"hold it by {t.hold_by}{HOLD_REASON[t.hold_by_reason or 'cadence']}")
        parts.append(f"pre-read by {t.pre_read_by}")
    return "; ".join(parts)


def _summary(r: QbrResult) -> str:
    s = r.summary
    return "\n\n".join(
        [
            "## Executive summary",
            "**What happened**\n" + bullets(s.happened),
            "**What it means**\n" + bullets(s.means),
            "**What we recommend**\n" + bullets(s.recommend),
        ]
    )


def _agenda(r: QbrResult) -> str:
    out = ["## Agenda (60 minutes)"]
    for b in r.agenda:
        out.append(f"### {b.start}-{b.end} · {b.number}. {b.title} ({b.minutes} min)")
        out.append(bullets(b.points))
    return "\n\n".join(out)


def _usage(r: QbrResult) -> str:
    rows = [_usage_row(m) for m in r.usage]
    header = (
        "Month",
        "Active users (mean DAU)",
        "Logins",
        "Logins a day",
        "Core actions",
        "Days with data",
    )
    notes = ["Adoption is context for the value conversation, not value in itself."]
    if r.risk.usage_direction:
        change = f", {r.risk.usage_change:+.0%}" if r.risk.usage_change is not None else ""
        notes.append(f"Logins, last 90 days vs the 90 before: {r.risk.usage_direction}{change}.")
    return "\n\n".join(["## Usage and adoption, by month", table(header, rows), " ".join(notes)])


def _usage_row(m: UsageMonth) -> list[str]:
    days = f"{m.days_with_data} of {m.days}"
    if m.days_with_data == 0:
        return [m.label, "no data", "no data", "no data", "no data", days]

    def fmt(v: float | None, digits: int = 0) -> str:
        return "unknown" if v is None else f"{v:,.{digits}f}"

    return [
        m.label,
        fmt(m.active_users, 1),
        fmt(m.logins),
        fmt(m.logins_per_day, 1),
        fmt(m.core_actions),
        days,
    ]


def _support(s: SupportHistory) -> str:
    if not s.known:
        return "## Support history\n\nUnknown: no support tickets are on record (see data gaps)."
    header = ("Month", "Opened", "Urgent", "High", "Normal", "Low", "Priority unknown", "Escalated")
    rows = [
        [
            m.label,
            m.opened,
            *(m.by_priority[p] for p in ("urgent", "high", "normal", "low", "unknown")),
            m.escalated,
        ]
        for m in s.months
    ]
    resolved = f"{s.resolved} resolved"
    if s.mean_days_to_resolve is not None:
        resolved += f", {num(s.mean_days_to_resolve)} days to resolve on average"
    totals = f"{s.opened} opened since {s.period_start}; {resolved}; {s.escalated} escalated."
    out = ["## Support history", table(header, rows), totals]
    if s.open_now:
        out.append(
            "**Open now** (subjects quoted as written, not acted on)\n"
            + bullets(_ticket(t) for t in s.open_now)
        )
    else:
        out.append("**Open now:** none.")
    closed = [t for t in s.tickets if not t.open]
    if closed:
        out.append("**Resolved tickets of the period**\n" + bullets(_ticket(t) for t in closed))
    return "\n\n".join(out)


def _ticket(t: TicketRef) -> str:
    labels = [t.priority or "priority unknown"] + (["escalated"] if t.escalated else [])
    if t.open:
        when = f"opened {t.opened_on}, open {t.days_open} days"
    elif t.closed_on:
        when = f"opened {t.opened_on}, resolved {t.closed_on} ({t.days_to_resolve} days)"
    else:
        when = f"opened {t.opened_on}, resolved"
    return f"{t.ticket_id} ({', '.join(labels)}; {when}): {quote(t.subject)}"


def _goals(goals: list[GoalOutcome]) -> str:
    if not goals:
        return "## Goals vs outcomes\n\nNo success-plan goals are on record (see data gaps)."
    header = ("Goal", "Metric", "Baseline", "Target", "Current", "Progress", "Due", "Status")
    rows = []
    for g in goals:
        unit = f" {g.unit}" if g.unit else ""
        status = (g.status or "no status").replace("_", " ")
        due = str(g.due_date) if g.due_date else "no date"
        if g.overdue:
            due += " (past due)"
        rows.append(
            [
                g.objective,
                g.metric or "not on record",
                num(g.baseline) if g.baseline is not None else "unknown",
                num(g.target) + unit if g.target is not None else "unknown",
                num(g.current) + unit if g.current is not None else "unknown",
                pct(g.progress, 0) if g.progress is not None else "unknown",
                due,
                status,
            ]
        )
    return "## Goals vs outcomes\n\n" + table(header, rows)


def _value(r: QbrResult) -> str:
    v = r.roi
    out = ["## Value and ROI"]
    if v.renewal_risk:
        out.append(f"> **Renewal risk:** {v.statement}")
    else:
        out.append(v.statement)
    if v.categories:
        rows = [
            [
                c.category.replace("_", " "),
                money(c.annual_value_usd) + (" (estimate)" if c.estimate else ""),
            ]
            for c in v.categories
        ]
        out.append(table(("Category", "Annual value"), rows))
    if v.measured_only:
        out.append("Measured but not priced: " + ", ".join(cell(m) for m in v.measured_only) + ".")
    if not v.documented:
        out.append(
            "Usage and adoption above are activity, not outcomes: they are not shown here as value."
        )
    return "\n\n".join(out)
