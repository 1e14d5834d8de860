"""Render an expansion business case (`csm business-case`) as Markdown.

A case reads top-down the way a budget owner and a CS leader review one: the opportunity,
the customer's current state, the value case, competition, pricing, risks, people,
objections, dated next steps, then the e-mail and talking points. A held-back account gets
"save first, expand later"; an account with no signal gets what would have to change.
"""

from __future__ import annotations

from agent.render.common import money
from agent.render.markdown import gaps_markdown, safe, table
from agent.render.save import email_markdown, tier_phrase
from tools.churn import ChurnSignal
from tools.plans.business_case import BusinessCaseResult
from tools.plans.save_models import Step


def to_markdown(result: BusinessCaseResult) -> str:
    """Render the business case (or the reason there is none) as Markdown."""
    if result.status == "held_back":
        parts = [_head(result), _held(result), _steps(result.next_steps)]
    elif result.status == "no_signal":
        parts = [_head(result), _no_signal(result)]
    else:
        parts = [
            _head(result),
            _opportunity(result),
            _current(result),
            _value(result),
            _competition(result),
            _pricing(result),
            _risks(result),
            _people(result),
            _objections(result),
            _steps(result.next_steps),
            _email(result),
            _talking_points(result),
        ]
    parts.append([gaps_markdown(result.gaps, count=False)])
    return "\n".join("\n".join(p) + "\n" for p in parts if p).rstrip() + "\n"


def _head(r: BusinessCaseResult) -> list[str]:
    csm = f"CSM {safe(r.csm)}" if r.csm else "CSM not on record"
    renews = f"renews {r.renewal_date}" if r.renewal_date else "no contract in force"
    lines = [
        f"# Expansion business case: {safe(r.name)}",
        "",
        f"As of {r.as_of} · {csm} · ARR {money(r.arr)} · {renews}",
        "",
    ]
    if r.status == "held_back":
        return [*lines, f"**{safe(r.summary)}**"]
    return [*lines, safe(r.summary)]


def _signals_table(signals: list[ChurnSignal]) -> list[str]:
    return [table(("signal", "evidence"), ((s.kind, s.evidence) for s in signals))]


def _held(r: BusinessCaseResult) -> list[str]:
    held = r.held_back
    lines = ["## Why the expansion is on hold", ""]
    lines.append(f"Churn risk: **{r.churn_risk or 'unknown'}**.")
    if r.churn_signals:
        lines += ["", *_signals_table(r.churn_signals)]
    if held is not None:
        lines += ["", f"Expansion signals on hold: {', '.join(held.signals)}."]
    return lines


def _no_signal(r: BusinessCaseResult) -> list[str]:
    lines = []
    if r.churn_risk in ("high", "medium"):
        kinds = ", ".join(s.kind for s in r.churn_signals)
        lines += [
            f"Churn risk is {r.churn_risk} ({kinds}): the save play (`csm save`) comes first.",
            "",
        ]
    rows = []
    for c in r.conditions:
        today = f"not checked: {', '.join(c.unchecked)} missing" if c.unchecked else "not met"
        rows.append((c.kind, c.condition, today))
    lines += ["## What would have to change", "", table(("signal", "condition", "today"), rows)]
    return lines


def _opportunity(r: BusinessCaseResult) -> list[str]:
    o = r.opportunity
    if o is None:
        return []
    also = [a for a in o.actions if a != o.action]
    action = o.action + (f" (also {', '.join(also)})" if also else "")
    estimate = (
        f"{money(r.revenue_estimate)} a year ({safe(r.estimate_basis)})"
        if r.revenue_estimate is not None
        else f"unknown ({safe(r.estimate_basis)})"
    )
    lines = [
        "## The opportunity",
        "",
        f"- Action: {action}; timing: {o.timing.replace('_', ' ')}",
        f"- Revenue estimate: {estimate}",
        "",
        "Trigger signals:",
        "",
        table(
            ("signal", "strength", "evidence"),
            ((s.kind, s.strength, s.evidence) for s in o.signals),
        ),
    ]
    quotes = [q for s in o.signals for q in s.quotes]
    if quotes:
        lines += ["", "In their words (quoted from the record as evidence):", ""]
        lines += [f'- "{safe(q.text)}" ({q.source} {q.id or ""}, {q.date})' for q in quotes]
    if r.needs:
        lines += ["", "What they need:", "", *(f"- {n}" for n in dict.fromkeys(r.needs))]
    return lines


def _current(r: BusinessCaseResult) -> list[str]:
    facts = [f"ARR {money(r.arr)}"]
    if r.plan:
        facts.append(f"plan {safe(r.plan)}")
    if r.licensed_seats is not None:
        facts.append(f"{r.licensed_seats:,} licensed seats")
    if r.departments_licensed:
        facts.append("licensed for " + ", ".join(safe(d) for d in r.departments_licensed))
    lines = ["## Current state", "", "- " + "; ".join(facts) + "."]
    o = r.opportunity
    if o is not None and o.open_opportunities:
        for x in o.open_opportunities:
            amount = money(x.amount) if x.amount is not None else "no amount"
            lines.append(
                f"- Open in the CRM: {x.opportunity_id} ({x.kind}, {x.stage or 'no stage'}, "
                f"{amount}, created {x.created_at})"
            )
    return lines


def _value(r: BusinessCaseResult) -> list[str]:
    v = r.value
    if v is None:
        return []
    lines = ["## Value case", ""]
    if v.total_annual_value_usd is not None:
        multiple = f" ({v.roi_multiple:.2f}x ARR)" if v.roi_multiple is not None else ""
        label = ", includes estimates" if v.estimate else ""
        lines.append(
            f"- Documented value today: {money(v.total_annual_value_usd)} a year{multiple}{label}"
        )
        lines += [f"  - {k.replace('_', ' ')}: {money(x)}" for k, x in v.valued.items()]
    else:
        lines.append("- Documented value today: none. Measure it before pricing the expansion.")
    if v.adoption:
        lines.append("- Adoption (health score readings):")
        lines += [f"  - {safe(a)}" for a in v.adoption]
    return lines


def _competition(r: BusinessCaseResult) -> list[str]:
    lines = ["## Competitive context", "", safe(r.competitive_context)]
    if r.competitive:
        lines += ["", *_signals_table(r.competitive)]
    return lines


def _pricing(r: BusinessCaseResult) -> list[str]:
    return ["## Pricing recommendation", "", safe(r.pricing), "", safe(r.discount)]


def _risks(r: BusinessCaseResult) -> list[str]:
    health = tier_phrase(r.health_score, r.health_tier or "unknown")
    risk = f"churn risk {r.churn_risk}" if r.churn_risk else "no churn signal"
    lines = ["## Risks", "", f"- {health[0].upper()}{health[1:]}; {risk}."]
    if r.churn_signals:
        lines += ["", *_signals_table(r.churn_signals)]
    return lines


def _people(r: BusinessCaseResult) -> list[str]:
    lines = ["## Stakeholders", ""]
    if r.budget_owner is None:
        lines.append("- Budget owner: none on record (see data gaps).")
    for p in r.stakeholders:
        owner = r.budget_owner is not None and p.contact_id == r.budget_owner.contact_id
        role = "budget owner, " + (p.role or "") if owner else p.role or "no role"
        title = f", {safe(p.title)}" if p.title else ""
        lines.append(f"- {safe(p.name)}{title} ({role.rstrip(', ')})")
    return lines


def _objections(r: BusinessCaseResult) -> list[str]:
    lines = ["## Likely objections", ""]
    lines += [f"- **{safe(o.objection)}** {safe(o.answer)}" for o in r.objections]
    return lines


def _steps(steps: list[Step]) -> list[str]:
    if not steps:
        return []
    rows = [(s.due, s.action, s.owner) for s in steps]
    return ["## Next steps", "", table(("by", "step", "owner"), rows)]


def _email(r: BusinessCaseResult) -> list[str]:
    if r.email is None:
        return []
    to = r.email.to
    who = "the budget owner"
    if to is not None:
        who = safe(to.name) + (f" ({safe(to.title)})" if to.title else "")
    return ["## E-mail", "", *email_markdown(f"To {who}", r.email.subject, safe(r.email.body))]


def _talking_points(r: BusinessCaseResult) -> list[str]:
    return ["## Talking points", "", *(f"- {safe(t)}" for t in r.talking_points)]
