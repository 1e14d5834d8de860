"""Render an onboarding plan (`csm onboarding`) as Markdown; the shared Markdown pieces.

The pieces every plan document uses (tables, the data-gaps section, a title block) live here
too, and the success plan and handoff renderers import them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tools.plans.onboarding import OnboardingResult, PlanItem, RiskFlag
from tools.plans.onboarding_text import defuse
from tools.types import Gap

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


# --- shared Markdown pieces ----------------------------------------------------------------


def cell(value: object) -> str:
    """Make a value safe for one Markdown table cell (no pipes, no line breaks)."""
    if value is None:
        return "not recorded"
    return defuse(" ".join(str(value).split()).replace("|", "/"))


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Return a Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def gaps_markdown(gaps: Sequence[Gap]) -> str:
    """Return the "Data gaps" section: one bullet per gap, naming the system and who to ask."""
    if not gaps:
        return "## Data gaps\n\nNone: every input this document needs is on record."
    lines = [f"## Data gaps ({len(gaps)})", ""]
    for g in gaps:
        what = f"**{g.signal}**" + (f": {cell(g.detail)}" if g.detail else "")
        lines.append(f"- {what} — needed for {g.needed_for}; lives in {g.source}; ask {g.ask}")
    return "\n".join(lines)


def title_block(title: str, facts: Iterable[str | None]) -> str:
    """Return a `# title` line and one line of facts joined by middle dots."""
    shown = [defuse(f) for f in facts if f]
    return f"# {defuse(title)}\n\n" + " · ".join(shown)


def join(*sections: str | None) -> str:
    """Join the non-empty sections with blank lines, ending with one newline."""
    return "\n\n".join(s.strip() for s in sections if s and s.strip()) + "\n"


# --- the onboarding plan ---------------------------------------------------------------------


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
