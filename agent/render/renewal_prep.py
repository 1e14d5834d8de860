"""Render renewal prep (`csm renewal`) as Markdown: dates, risk, value, objections, talk track.

The sections the renewal package repeats (`authority_markdown`, `objections_markdown`, the
bucket labels) live here and its renderer imports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from agent.render.markdown import bullets, dollars, gaps_markdown, table
from tools.plans.renewal_common import Authority, Objection, ValueSummary
from tools.plans.renewal_prep import RenewalPrepResult, RiskAssessment
from tools.plans.renewal_sequence import Step
from tools.renewals import ContactRef

STATUS_LABEL = {
    "done": "done",
    "overdue": "**overdue**",
    "due_today": "**due today**",
    "upcoming": "upcoming",
    "not_needed": "not needed",
}
OBJECTION_TITLE = {
    "new_stakeholder": "New stakeholder re-evaluating",
    "not_using": '"We are not using it enough"',
    "competitor": "Evaluating a competitor",
    "product_issues": "Open product and support issues",
    "unhappy": "Unhappy with the service",
    "no_value": '"What are we getting for the money?"',
    "budget": "Budget and price",
}
BUCKET_LABEL = {
    "strong": "strong (likely to renew)",
    "manage": "manage (needs proactive executive engagement)",
    "unknown": "unknown (critical data missing: investigate this week)",
    "at_risk": "at risk (escalate now)",
}


def in_days(target: date, as_of: date) -> str:
    """Say how far a date is from as-of: 'in 15 days', 'today', '3 days ago'."""
    n = (target - as_of).days
    if n == 0:
        return "today"
    if n == 1:
        return "tomorrow"
    return f"in {n} days" if n > 0 else f"{-n} days ago"


# --- sections the renewal package shares too -----------------------------------------------


def authority_markdown(auth: Authority, heading: str = "##") -> str:
    """Render the discount ladder and the escalation path (or say they are not set)."""
    parts = [f"{heading} Discount authority and escalation path", f"_{auth.rule}_"]
    if auth.ladder:
        parts.append(
            table(
                ("who approves", "up to", "on this renewal"),
                (
                    (r.role, f"{r.max_discount_pct:g}%", dollars(r.max_discount_usd))
                    for r in auth.ladder
                ),
            )
        )
    else:
        parts.append(
            "Discount authority ladder: **not set** in the workspace profile. Until CS "
            "leadership sets it, offer no discount (see data gaps)."
        )
    if auth.escalation_path:
        parts.append("Escalation path: " + " → ".join(auth.escalation_path) + ".")
    else:
        parts.append(
            "Escalation path: **not set** in the workspace profile; ask CS leadership who "
            "steps in when the contract is not signed (see data gaps)."
        )
    return "\n\n".join(parts)


def objections_markdown(objections: Sequence[Objection], heading: str = "##") -> str:
    """Render each likely objection with its basis, answer and give-get counteroffer."""
    parts = [f"{heading} Likely objections"]
    for n, o in enumerate(objections, start=1):
        c = o.counteroffer
        lines = [
            f"**Why we expect it:** {'; '.join(o.basis)}",
            f'**They may say:** "{o.they_say}"',
            f'**Answer:** "{o.response}"',
            f"**Counteroffer:** give {c.give}; **in return for** {c.get}.",
        ]
        if c.concession_pct is not None:
            lines.append(
                f"**Concession:** {c.concession_pct:.1f}% of the renewal price; "
                f"approval: {c.approver}."
            )
        elif c.approver:
            lines.append(f"**Approval:** {c.approver}.")
        parts.append(f"{heading}# {n}. {OBJECTION_TITLE[o.kind]}\n\n" + bullets(lines))
    return "\n\n".join(parts)


def value_rows(value: ValueSummary) -> str | None:
    """Return the ROI categories with a dollar value as a table (None when there are none)."""
    if not value.lines:
        return None
    rows = [
        (
            ln.label,
            dollars(ln.annual_value_usd) + (" (estimate)" if ln.estimate else ""),
            "; ".join(ln.metrics),
        )
        for ln in value.lines
    ]
    total = dollars(value.total_annual_value_usd)
    total += " (incl. estimates)" if value.estimate else ""
    rows.append(("**total**", f"**{total}**", ""))
    return table(("value", "per year", "measured as"), rows)


# --- renewal prep --------------------------------------------------------------------------


def to_markdown(result: RenewalPrepResult) -> str:
    """Render the renewal prep document."""
    parts = [
        _head(result),
        _timeline(result),
        _risk(result.risk),
        _value(result.value),
        objections_markdown(result.objections),
        authority_markdown(result.authority),
        _talk(result),
        gaps_markdown(result.gaps),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _head(r: RenewalPrepResult) -> str:
    csm = f"CSM {r.csm}" if r.csm else "CSM not on record"
    price = "unknown (no price_increase_pct on record)"
    if r.price_increase_pct is not None and r.new_arr is not None:
        price = f"{dollars(r.new_arr)} ({r.price_increase_pct:+g}% on {dollars(r.arr)})"
    notice = "unknown (no notice_days on record)"
    if r.notice_deadline is not None:
        when = in_days(r.notice_deadline, r.as_of)
        notice = f"{r.notice_deadline} ({r.notice_days} days' notice; {when})"
    auto = {True: "yes", False: "no", None: "unknown"}[r.auto_renew]
    term = f"{r.term_months} months" if r.term_months else "not whole months"
    facts = table(
        ("", ""),
        (
            ("Renewal date", f"**{r.renewal_date}** ({in_days(r.renewal_date, r.as_of)})"),
            ("Notice deadline", notice),
            ("Auto-renew", auto),
            ("ARR today", dollars(r.arr)),
            ("Price at renewal", price),
            ("Term", f"{term} (contract {r.contract_id})"),
            ("Renewal bucket", BUCKET_LABEL[r.risk.bucket]),
            ("Aim to agree by", str(r.decide_by)),
        ),
    )
    out = f"# Renewal prep: {r.name}\n\nAs of {r.as_of} · {csm}\n\n{facts}"
    if r.notes:
        out += "\n\n" + bullets(f"**Timing:** {n}" for n in r.notes)
    return out


def _timeline(r: RenewalPrepResult) -> str:
    rows: list[tuple[date, int, Sequence[object]]] = [(s.date, 0, _step_row(s)) for s in r.steps]
    if r.notice_deadline is not None:
        rows.append(
            (r.notice_deadline, 1, ("notice", r.notice_deadline, "**Notice deadline**", "", "", ""))
        )
    rows.append((r.renewal_date, 2, ("day 0", r.renewal_date, "**Renewal date**", "", "", "")))
    rows.sort(key=lambda x: (x[0], x[1]))
    steps = table(("day", "date", "step", "owner", "with", "status"), (row for _, _, row in rows))
    return "## Renewal timeline\n\n" + steps


def _step_row(s: Step) -> tuple[object, ...]:
    status = STATUS_LABEL[s.status] + (f" ({s.evidence})" if s.evidence else "")
    return (
        f"{s.day}",
        s.date,
        f"**{s.action}**: {s.detail}",
        s.owner,
        s.with_whom or "internal",
        status,
    )


def _risk(risk: RiskAssessment) -> str:
    lines = [f"**Renewal bucket: {BUCKET_LABEL[risk.bucket]}**", bullets(risk.reasons)]
    trend = " → ".join(
        f"{p.score if p.score is not None else '?'}" + ("" if p.tier != "unknown" else "*")
        for p in risk.health_trend
    )
    facts = [
        f"**Health:** {_score(risk)}; "
        f"monthly over 6 months: {trend}" + (" (* = tier unknown)" if "*" in trend else ""),
    ]
    if risk.guidance is not None:
        g = risk.guidance
        facts.append(
            f"**Renewal risk for the {g.tier} tier** (source guidance): churn risk "
            f"{g.churn_risk_band}; {g.motion}"
        )
    facts.append(f"**Churn risk:** {risk.churn_risk or 'no churn signal'}")
    facts += [f"**Signal {s.kind}:** {s.evidence}" for s in risk.churn_signals]
    if risk.churn_signals:
        facts.append(f"**48-hour action:** {risk.action} Escalation: {risk.escalation}.")
    facts.append(f"**Champion:** {_contact(risk.champion, risk.champion_status)}")
    facts.append(f"**Exec sponsor / decision-maker:** {_contact(risk.exec_sponsor, None)}")
    if risk.usage_trend is not None:
        u = risk.usage_trend
        change = f" ({u.change:+.0%})" if u.change is not None else ""
        facts.append(
            f"**Usage trend:** {u.direction}: logins {u.current:,} in {u.current_period} vs "
            f"{u.previous:,} in {u.previous_period}{change}"
        )
    else:
        facts.append("**Usage trend:** unknown (see data gaps)")
    facts.append(
        "**Open issues:** " + ("; ".join(risk.open_issues) if risk.open_issues else "none")
    )
    return "## Risk assessment\n\n" + "\n\n".join(lines) + "\n\n" + bullets(facts)


def _score(risk: RiskAssessment) -> str:
    if risk.score is None:
        return f"{risk.tier} (no score)"
    if risk.tier == "unknown":
        return f"tier unknown (provisional score {risk.score})"
    return f"{risk.tier} ({risk.score})"


def _contact(ref: ContactRef | None, status: str | None) -> str:
    if ref is None:
        return "none on record (see data gaps)"
    text = ref.name + (f", {ref.title}" if ref.title else "")
    if status == "lost":
        when = f" on {ref.status_changed_at}" if ref.status_changed_at else ""
        text += f" — **{ref.status}**{when}"
    elif ref.last_engaged_at:
        text += f" (last engaged {ref.last_engaged_at})"
    return text


def _value(value: ValueSummary) -> str:
    parts = ["## Value summary", ("**Renewal risk:** " if value.risk else "") + value.statement]
    rows = value_rows(value)
    if rows:
        parts.append(rows)
    if value.achieved_goals:
        parts.append("Goals achieved:\n\n" + bullets(value.achieved_goals))
    if value.open_goals:
        parts.append(
            "Goals still open:\n\n"
            + bullets(
                g.text + (f" (due {g.due_date})" if g.due_date else "") for g in value.open_goals
            )
        )
    return "\n\n".join(parts)


def _talk(r: RenewalPrepResult) -> str:
    lines = [f"**{t.label}.** {t.text}" for t in r.talk_track]
    return "## Talk track\n\n" + "\n\n".join(lines)
