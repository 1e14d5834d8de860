"""Markdown pieces of the QBR prep document: quoting, and the later sections.

Risk signals, expansion, stakeholder map, prep checklist and the recap e-mail. Untrusted
text (ticket subjects) goes through `quote`.
"""

from __future__ import annotations

from agent.render.common import TIER_LABEL, money, pct
from agent.render.markdown import blockquote, bullets, table
from tools.plans.qbr_models import ExpansionSection, Person, QbrResult, StakeholderMap

CHECK_MARK = {"done": "[x]", "open": "[ ]", "n/a": "(n/a)"}
MD_SPECIAL = "\\`*_[]<>|#"
QUOTE_LIMIT = 120


def quote(text: str | None) -> str:
    """Quote untrusted text: one line, shortened, Markdown characters escaped."""
    if not text:
        return "(no subject)"
    flat = " ".join(text.split())
    if len(flat) > QUOTE_LIMIT:
        flat = flat[: QUOTE_LIMIT - 3] + "..."
    escaped = "".join(f"\\{c}" if c in MD_SPECIAL else c for c in flat)
    return f"“{escaped}”"


def risks_md(r: QbrResult) -> str:
    """Render health, churn signals with evidence, the 48-hour action and renewal outlook."""
    h, k = r.health, r.risk
    lines = []
    if h.tier == "unknown":
        lines.append(f"Health: not tiered, {pct(h.coverage, 0)} of the {h.profile} model has data")
    else:
        lines.append(f"Health: {h.score}/100 ({TIER_LABEL.get(h.tier, h.tier)}), {h.profile} model")
    trend = ", ".join(
        f"{d} days ago {s if s is not None else 'unknown'}" for d, s in h.trend.items()
    )
    if trend:
        lines.append(f"Score {trend}")
    if h.monthly:
        lines.append(
            "Monthly: "
            + " → ".join(
                f"{p.as_of} {p.score if p.score is not None else '?'} ({p.tier})" for p in h.monthly
            )
        )
    lines += [f"Alert: {a}" for a in h.alerts]
    escalation = f", escalation: {k.escalation}" if k.escalation else ""
    lines.append(f"Churn risk: {k.churn_risk or 'none'}{escalation}")
    lines += [f"`{s.kind}`: {s.evidence}" for s in k.signals]
    if k.churn_risk:
        lines.append(f"48-hour action: {k.action}")
    reasons = "; ".join(k.renewal_reasons)
    lines.append(
        f"Renewal outlook: {k.renewal_bucket.replace('_', ' ')}"
        + (f" ({reasons})" if reasons else "")
    )
    lines += [f"Open issue: {i}" for i in k.open_issues]
    return "## Risk signals\n\n" + bullets(lines)


def expansion_md(e: ExpansionSection) -> str:
    """Render the expansion opportunity, why it is held back, or that none fired."""
    if e.status == "none":
        return "## Expansion signals\n\nNo expansion signal fired."
    if e.status == "held_back":
        kinds = ", ".join(f"`{s.kind}`" for s in e.signals)
        return f"## Expansion signals\n\nHeld back: {e.reason}. Signals seen: {kinds}."
    lines = [f"`{s.kind}` ({s.strength}): {s.evidence}" for s in e.signals]
    estimate = (
        money(e.revenue_estimate) + " a year" if e.revenue_estimate is not None else "not sized"
    )
    lines += [
        f"Action: {_words(e.action)}, timing: {_words(e.timing)}",
        f"Revenue estimate: {estimate} ({e.estimate_basis})",
        f"Budget owner: {e.budget_owner or 'none on record (see data gaps)'}",
    ]
    return "## Expansion signals\n\n" + bullets(lines)


def _words(value: str | None) -> str:
    return (value or "unknown").replace("_", " ")


def stakeholders_md(sh: StakeholderMap) -> str:
    """Render the stakeholder map, saying first which key roles are missing."""
    rows = []
    groups: list[tuple[str, list[Person]]] = [
        ("Renewal owner", [sh.renewal_owner] if sh.renewal_owner else []),
        ("Decision-maker", [p for p in sh.decision_makers if p != sh.renewal_owner]),
        ("Champion", sh.champions),
        ("Detractor", sh.detractors),
        ("Left or changed role", sh.departures),
        ("Other contact", sh.others),
    ]
    for label, people in groups:
        rows += [_person_row(label, p) for p in people]
    out = ["## Stakeholder map"]
    if sh.renewal_owner is None:
        out.append("**No exec sponsor who controls the renewal is on record** (see data gaps).")
    if not sh.champions:
        out.append("**No active champion.**")
    out.append(
        table(("Place", "Name", "Title", "Role", "Status", "Last engaged", "Note"), rows)
        if rows
        else "No contacts on record."
    )
    return "\n\n".join(out)


def _person_row(label: str, p: Person) -> list[str]:
    status = p.status.replace("_", " ")
    if p.status_changed_at:
        status += f" {p.status_changed_at}"
    return [
        label,
        p.name,
        p.title or "",
        (p.role or "").replace("_", " "),
        status,
        str(p.last_engaged_at or "never"),
        p.note or "",
    ]


def checklist_md(r: QbrResult) -> str:
    """Render the prep checklist: [x] done, [ ] open, (n/a), each with what the data says."""
    lines = [f"{CHECK_MARK[c.status]} **{c.item}**: {c.detail}" for c in r.checklist]
    still_open = sum(c.status == "open" for c in r.checklist)
    return f"## Prep checklist ({still_open} open)\n\n" + bullets(lines)


def follow_up_md(r: QbrResult) -> str:
    """Render the recap e-mail draft as a quote block with its recipient and subject."""
    f = r.follow_up
    to = f.to or "no contact on record (see data gaps)"
    head = bullets([f"**To:** {to}", f"**Subject:** {f.subject}"])
    return f"## After the QBR: recap e-mail (draft)\n\n{head}\n\n{blockquote(f.body)}"
