"""Render a success plan (`csm success-plan`) as Markdown."""

from __future__ import annotations

from agent.render.common import TIER_LABEL, money, num, pct
from agent.render.markdown import gaps_markdown, join, table, title_block
from tools.plans.onboarding_text import defuse
from tools.plans.success_plan import Objective, Stakeholder, SuccessPlanResult

MILESTONE_STATUS = {
    "done": "done",
    "upcoming": "upcoming",
    "overdue": "**overdue**",
    "missed": "missed",
    "passed": "passed",
}


def to_markdown(result: SuccessPlanResult) -> str:
    """Render the plan: next review, stakeholders, objectives, milestones, risks, data gaps."""
    if result.tier != "unknown":
        health = f"health {result.score} ({result.tier}, {TIER_LABEL[result.tier]})"
    elif result.score is not None:
        health = f"health tier unknown (provisional score {result.score})"
    else:
        health = "health unknown"
    head = title_block(
        f"Success plan: {result.name}",
        [
            f"as of {result.as_of}",
            f"owner {result.owner}" if result.owner else "owner not recorded",
            result.segment,
            f"ARR {money(result.arr)}",
            health,
            f"churn risk {result.churn_risk}" if result.churn_risk else "no churn signal",
        ],
    )
    review = f"**Next review: {result.next_review}.** {result.next_review_basis}"
    return join(
        head,
        review,
        _stakeholders(result),
        _objectives(result),
        _milestones(result),
        _risks(result),
        gaps_markdown(result.gaps),
    )


def _stakeholders(result: SuccessPlanResult) -> str:
    if not result.stakeholders:
        return "## Stakeholders\n\nNo contacts on record (see data gaps)."
    rows = [
        (s.name, s.title, s.role, s.influence, _status(s), _engaged(s)) for s in result.stakeholders
    ]
    headers = ("Name", "Title", "Role", "Influence", "Status", "Last engaged")
    return "## Stakeholders\n\n" + table(headers, rows)


def _status(s: Stakeholder) -> str:
    if s.status == "active":
        return "active"
    label = s.status.replace("_", " ")
    return f"{label} on {s.status_changed_at}" if s.status_changed_at else label


def _engaged(s: Stakeholder) -> str | None:
    if s.last_engaged_at is None:
        return None
    return f"{s.last_engaged_at} ({s.days_since_engaged} days ago)"


def _objectives(result: SuccessPlanResult) -> str:
    if not result.objectives:
        return "## Objectives\n\n" + (result.goals_note or "")
    rows = [
        (
            o.objective,
            o.metric,
            _amount(o.baseline, o),
            _amount(o.target, o),
            _amount(o.current, o),
            pct(o.progress, 0) if o.progress is not None else None,
            o.due_date,
            _goal_status(o),
        )
        for o in result.objectives
    ]
    headers = ("Objective", "Metric", "Baseline", "Target", "Current", "Progress", "Due", "Status")
    return f"## Objectives\n\n{result.progress_note}\n\n" + table(headers, rows)


def _amount(value: float | None, o: Objective) -> str | None:
    if value is None:
        return None
    return f"{num(value)} {o.unit}" if o.unit else num(value)


def _goal_status(o: Objective) -> str | None:
    status = o.status.replace("_", " ") if o.status else None
    if o.past_due:
        return f"**past due** ({status or 'status not recorded'})"
    return status


def _milestones(result: SuccessPlanResult) -> str:
    if not result.milestones:
        return "## Milestones\n\nNo dated milestone on record (see data gaps)."
    rows = [(m.due, m.name, MILESTONE_STATUS[m.status]) for m in result.milestones]
    return "## Milestones\n\n" + table(("Date", "Milestone", "Status"), rows)


def _risks(result: SuccessPlanResult) -> str:
    parts = ["## Risks"]
    if result.action_48h:
        parts.append(f"**48-hour action:** {defuse(result.action_48h)}")
    if not result.risks:
        parts.append("No churn signal and no weak health dimension on record.")
        return "\n\n".join(parts)
    rows = [
        (
            f"{r.kind.replace('_', ' ')} ({'churn signal' if r.source == 'churn' else 'health'})",
            r.evidence,
            r.mitigation,
            r.owner,
        )
        for r in result.risks
    ]
    parts.append(table(("Risk", "Evidence", "Mitigation", "Owner"), rows))
    return "\n\n".join(parts)
