"""Render a save plan (`csm save`) as Markdown: deadlines first, then the plan section by section.

Also holds the pieces the business case shares: an e-mail as a quote block, and the health
phrase (`tier_phrase`).
"""

from __future__ import annotations

from datetime import date

from agent.render.common import TIER_LABEL, money
from agent.render.markdown import blockquote, gaps_markdown, safe, table
from tools.plans.save_models import SaveResult, Step
from tools.roi import Benchmark


def email_markdown(title: str, subject: str, body: str) -> list[str]:
    """Render an e-mail under a bold title as a quote block."""
    quoted = blockquote(body).splitlines()
    return [f"**{title}**", "", f"> **Subject:** {subject}", ">", *quoted]


def tier_phrase(score: int | None, tier: str) -> str:
    """Return 'health 44 (orange, At-Risk)', or the tier alone when the score is unknown."""
    label = f"{tier}, {TIER_LABEL.get(tier, tier)}" if tier != "unknown" else "tier unknown"
    return f"health {score} ({label})" if score is not None else f"health {label}"


def to_markdown(result: SaveResult) -> str:
    """Render the save plan as Markdown."""
    parts = [
        _head(result),
        _why(result),
        _next_48(result),
        _fixes(result),
        _executive(result),
        _value(result),
        _play(result),
        _options(result),
        _calendar(result),
        _approvals(result),
        _past(result),
        [gaps_markdown(result.gaps, count=False)],
    ]
    return "\n".join("\n".join(p) + "\n" for p in parts if p).rstrip() + "\n"


def _head(r: SaveResult) -> list[str]:
    risk = f"churn risk **{r.risk}**" if r.risk else "no churn signal"
    if r.escalation:
        risk += f" ({r.escalation} escalation)"
    trend = [f"{r.health_trend[k]} {k} days ago" for k in ("30", "90") if r.health_trend.get(k)]
    health = tier_phrase(r.health_score, r.health_tier) + (f", {', '.join(trend)}" if trend else "")
    csm = f"CSM {safe(r.csm)}" if r.csm else "CSM not on record"
    lines = [
        f"# Save play: {safe(r.name)}",
        "",
        f"As of {r.as_of} · {csm} · ARR {money(r.arr)} · {risk} · {health}",
        "",
    ]
    if r.intro:
        lines += [r.intro, ""]
    d = r.drop_dead
    if d.date is not None:
        lines.append(f"**Drop-dead date: {d.date}** ({_days(d.days_left)}). {d.statement}")
    else:
        lines.append(f"**Drop-dead date: none.** {d.statement}")
    if d.renewal_date is not None:
        auto = {True: "auto-renews", False: "does not auto-renew", None: "auto-renew unknown"}
        notice = f"notice deadline {d.notice_deadline}" if d.notice_deadline else "notice unknown"
        lines += ["", f"Contract: renews {d.renewal_date}, {auto[d.auto_renew]}, {notice}."]
    return lines


def _days(n: int | None) -> str:
    if n is None:
        return "unknown"
    return "today" if n == 0 else f"in {n} day" + ("s" if n != 1 else "")


def _why(r: SaveResult) -> list[str]:
    lines = [
        "## Why the account is at risk",
        "",
        f"**Churn reason: {r.reason.reason or 'unknown'}.** ",
    ]
    lines[-1] += r.reason.statement
    if r.reason.also:
        beside = "; ".join(f"{a.reason} ({', '.join(a.signals)})" for a in r.reason.also)
        lines[-1] += f" The signals also point to: {beside}."
    if r.signals:
        lines += ["", table(("signal", "evidence"), ((s.kind, s.evidence) for s in r.signals))]
    if r.weak_dimensions:
        lines += ["", "Weak health dimensions (below 4 of 10), weakest first:", ""]
        for d in r.weak_dimensions:
            detail = f" — {safe(d.detail)}" if d.detail else ""
            lines.append(f"- {d.name}: {d.score:.1f} of 10 (weight {d.weight:.0%}){detail}")
    return lines


def _next_48(r: SaveResult) -> list[str]:
    step = r.immediate
    lines = [
        f"## Next 48 hours (by {step.due})",
        "",
        f"- {safe(step.action)} Owner: {safe(step.owner)}.",
    ]
    if r.message is not None:
        to = r.message.to
        who = "the contact named above"
        if to is not None:
            extra = ", ".join(x for x in (to.title, to.role) if x)
            who = safe(to.name) + (f" ({safe(extra)})" if extra else "")
        lines += ["", *email_markdown(f"E-mail to {who}", r.message.subject, safe(r.message.body))]
    return lines


def _fixes(r: SaveResult) -> list[str]:
    if not r.fixes:
        return [
            "## Two-week fixes",
            "",
            "No fix is called for: no signal fired and no dimension is weak.",
        ]
    lines = [f"## Two-week fixes (by {r.fixes[0].due})", ""]
    for i, step in enumerate(r.fixes, start=1):
        lines.append(f"{i}. {safe(step.action)} Owner: {safe(step.owner)}{_compressed(step)}.")
        if step.because:
            lines.append(f"   Because: {safe(step.because)}")
    return lines


def _compressed(step: Step) -> str:
    return f"; due {step.due}, pulled in to the drop-dead date" if step.compressed else ""


def _executive(r: SaveResult) -> list[str]:
    e = r.executive
    title = "Executive engagement" if e.level == "executive" else "Manager engagement"
    lines = [f"## {title} (by {e.by})", "", safe(e.agenda)]
    if e.customer_exec is not None:
        c = e.customer_exec
        lines.append(
            f"Their side: {safe(c.name)}" + (f", {safe(c.title)}" if c.title else "") + "."
        )
    if e.our_side:
        lines.append(f"Our side: {safe(' and '.join(e.our_side))}, with the CSM.")
    return lines


def _value(r: SaveResult) -> list[str]:
    v = r.value
    lines = ["## Value recovery", "", safe(v.statement)]
    if v.valued:
        label = " (includes estimates)" if v.estimate else ""
        lines += ["", f"Documented annual value by category{label}:", ""]
        lines += [f"- {k.replace('_', ' ')}: {money(x)}" for k, x in v.valued.items()]
    for title, goals in (
        ("Achieved", v.achieved),
        ("Missed or at risk", v.missed),
        ("Still open", v.open),
    ):
        if goals:
            lines += ["", f"{title}:", ""]
            lines += [f"- {_goal(g)}" for g in goals]
    if not (v.achieved or v.missed or v.open):
        lines += ["", "No success-plan goals are on record to recover value against."]
    return lines


def _goal(g: Benchmark) -> str:
    unit = f" {safe(g.unit)}" if g.unit else ""
    numbers = []
    if g.baseline is not None:
        numbers.append(f"baseline {_n(g.baseline)}{unit}")
    if g.target is not None:
        numbers.append(f"target {_n(g.target)}{unit}")
    if g.current is not None:
        numbers.append(f"now {_n(g.current)}{unit}")
    if g.due_date is not None:
        numbers.append(f"due {g.due_date}")
    tail = f" ({', '.join(numbers)})" if numbers else ""
    return f"{safe(g.objective)}{tail}"


def _n(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _play(r: SaveResult) -> list[str]:
    return [f"## The play: {r.play_title}", "", *(f"- {safe(s)}" for s in r.play)]


def _options(r: SaveResult) -> list[str]:
    lines = ["## Decision options", ""]
    for i, o in enumerate(r.options, start=1):
        flags = [
            x
            for x, on in (("recommended", o.recommended), ("needs approval", o.needs_approval))
            if on
        ]
        flag = f" ({', '.join(flags)})" if flags else ""
        lines.append(f"{i}. **{o.title}**{flag}: {safe(o.description)}")
    return lines


def _calendar(r: SaveResult) -> list[str]:
    events: dict[date, list[str]] = {}

    def add(day: date | None, what: str) -> None:
        if day is not None:
            events.setdefault(day, []).append(what)

    add(r.immediate.due, "48-hour action")
    add(r.executive.by, "executive call" if r.executive.level == "executive" else "manager call")
    for d in r.checkpoints:
        add(d, "weekly checkpoint")
    if r.fixes:
        add(r.fixes[0].due, "two-week fixes due")
    add(r.drop_dead.date, "drop-dead date: decide, or stop investing")
    rows = [(d, "; ".join(events[d])) for d in sorted(events)]
    return ["## Calendar", "", table(("date", "what"), rows)]


def _approvals(r: SaveResult) -> list[str]:
    lines = ["## Needs leadership approval", ""]
    for a in r.approvals:
        who = safe(a.approver) if a.approver else "not set (see data gaps)"
        lines.append(f"- {safe(a.item)} Approver: {who}.")
    return lines


def _past(r: SaveResult) -> list[str]:
    if not r.past_plays:
        return []
    lines = ["## Earlier save plays", ""]
    for p in r.past_plays:
        closed = f", closed {p.closed_at}" if p.closed_at else ""
        how = f", intervention {p.intervention}" if p.intervention else ""
        lines.append(
            f"- {p.play_id}: opened {p.opened_at}{closed}, outcome {p.outcome or 'unknown'}{how}"
        )
    return lines
