"""Render an onboarding plan (`csm onboarding`) as Markdown."""

from __future__ import annotations

from collections.abc import Sequence

from agent.render.markdown import gaps_markdown, join, table, title_block
from tools.plans.onboarding import OnboardingResult, PlanItem, RiskFlag

FLAG_TITLE = {
    "champion_left": "Champion left",
    "no_login_by_day_3": "No login by day 3",
    "kickoff_delayed": "Kickoff delayed",
    "low_activation_day_30": "Under half of the seats active by day 30",
    "no_exec_sponsor": "No exec sponsor",
}
STATUS_TEXT = {
    "done": "done",
    "overdue": "**overdue**",
    "past_due_not_recorded": "past due, not recorded",
    "due": "due",
}


def to_markdown(result: OnboardingResult) -> str:
    """Render the plan: dating notes, TTFV, risk flags, the steps by phase, the data gaps."""
    today = f"day {result.day} of 90" if result.stage == "in_progress" else None
    head = title_block(
        f"Onboarding plan: {result.name}",
        [
            f"as of {result.as_of}",
            result.segment,
            f"CSM {result.csm}" if result.csm else None,
            today,
        ],
    )
    return join(
        head,
        "\n\n".join(result.notes),
        "## Time to first value\n\n" + result.ttfv.summary,
        _flags(result.risk_flags, result),
        _plan(result),
        gaps_markdown(result.gaps),
    )


def _flags(flags: Sequence[RiskFlag], result: OnboardingResult) -> str | None:
    if result.stage == "churned":
        return None
    if not flags:
        return f"## Risk flags\n\nNo onboarding risk flag on {result.as_of}."
    lines = ["## Risk flags", ""]
    for f in flags:
        title = FLAG_TITLE.get(f.kind, f.kind)
        lines.append(f"- **{title}** ({f.severity}): {f.evidence} Response: {f.response}")
    return "\n".join(lines)


def _plan(result: OnboardingResult) -> str:
    parts = ["## The plan"]
    for phase in result.phases:
        steps = [i for i in result.items if phase.first_day <= i.day <= phase.last_day]
        dates = f": {phase.start} to {phase.end}" if phase.start else ""
        span = "" if phase.name.startswith("Days") else f" (days 0-{phase.last_day})"
        heading = f"### {phase.name}{span}{dates}"
        rows = [(_when(i), i.action, i.owner, i.done_when, i.measure, _status(i)) for i in steps]
        headers = ("Date", "Step", "Owner", "Done when", "Measure", "Status")
        parts.append(heading + "\n\n" + table(headers, rows))
    return "\n\n".join(parts)


def _when(item: PlanItem) -> str:
    return f"{item.due} (day {item.day})" if item.due else f"day {item.day}"


def _status(item: PlanItem) -> str:
    text = STATUS_TEXT[item.status]
    if item.evidence:
        text += f": {item.evidence}"
    if item.days_late:
        text += f", {item.days_late} day{'s' if item.days_late != 1 else ''} late"
    return text
