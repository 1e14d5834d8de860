"""The QBR slide deck (python-pptx): one slide per part of the review, talking points in notes.

Slides, in order: title, executive summary, agenda, usage trend (the chart as a picture),
value and ROI (or the honest "not yet documented" slide), goals, support, stakeholders,
risks and expansion, next steps. Every slide's speaker notes hold its talking points from
the QbrResult (prompts/qbr.md), so the presenter's script travels with the deck. Slides
show a bounded number of lines; the Markdown prep document has everything.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from agent.render.common import TIER_LABEL, money, num
from agent.render.qbr_chart import chart_png
from tools.plans.qbr_models import QbrResult

MAX_LINES = 7
MAX_ROWS = 7
LINE_LIMIT = 160
TITLES = (
    "Quarterly business review",
    "Executive summary",
    "Agenda (60 minutes)",
    "Usage and adoption",
    "Value and ROI",
    "Goals and outcomes",
    "Support",
    "Stakeholders",
    "Risks and expansion",
    "Next steps",
)
"""The slide titles in order (the value slide adds ': not yet documented' when it is not)."""


def write_deck(result: QbrResult, path: Path, chart: bytes | None = None) -> Path:
    """Write the QBR deck of `result` to `path` (.pptx) and return the path.

    Args:
        result: the QBR prep result.
        path: where to write the deck.
        chart: the usage chart PNG, when already drawn (drawn here otherwise).
    """
    from pptx import Presentation

    prs = Presentation()
    notes = result.talking_points
    png = chart if chart is not None else chart_png(result.name, result.usage)
    _title_slide(prs, result, notes["opening"])
    _bullets_slide(
        prs, TITLES[1], [*result.summary.happened, *result.summary.means], notes["summary"]
    )
    agenda = [f"{b.start}-{b.end} · {b.title} ({b.minutes} min)" for b in result.agenda]
    _bullets_slide(prs, TITLES[2], agenda, notes["agenda"])
    _picture_slide(prs, TITLES[3], png, notes["usage"])
    _value_slide(prs, result, notes["value"])
    _goals_slide(prs, result, notes["goals"])
    _bullets_slide(prs, TITLES[6], _support_lines(result), notes["support"])
    _stakeholder_slide(prs, result, notes["stakeholders"])
    _bullets_slide(prs, TITLES[8], _risk_lines(result), notes["risks"])
    _bullets_slide(prs, TITLES[9], _next_lines(result), notes["next_steps"])
    prs.save(str(path))
    return path


# --- slide builders ---------------------------------------------------------------------------


def _notes(slide: object, points: Sequence[str]) -> None:
    slide.notes_slide.notes_text_frame.text = "\n".join(points)


def _title_slide(prs: object, r: QbrResult, points: Sequence[str]) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    slide.shapes.title.text = f"{TITLES[0]}: {r.name}"
    who = f"CSM {r.csm}" if r.csm else "Customer success"
    slide.placeholders[1].text = f"{r.period_start} to {r.period_end} · {who}"
    _notes(slide, points)


def _bullets_slide(prs: object, title: str, lines: Sequence[str], points: Sequence[str]) -> None:
    from pptx.util import Pt

    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = title
    frame = slide.placeholders[1].text_frame
    frame.word_wrap = True
    shown = [_short(x) for x in lines[:MAX_LINES]] or ["Nothing on record."]
    if len(lines) > MAX_LINES:
        shown.append(f"... and {len(lines) - MAX_LINES} more in the prep document")
    for i, line in enumerate(shown):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.text = line
        para.font.size = Pt(16 if len(shown) <= 5 else 14)
    _notes(slide, points)


def _picture_slide(prs: object, title: str, png: bytes, points: Sequence[str]) -> None:
    from pptx.util import Inches

    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = title
    slide.shapes.add_picture(io.BytesIO(png), Inches(0.5), Inches(1.7), width=Inches(9))
    _notes(slide, points)


def _table_slide(
    prs: object,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    points: Sequence[str],
) -> None:
    from pptx.util import Inches, Pt

    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = title
    shown = list(rows[:MAX_ROWS])
    shape = slide.shapes.add_table(
        len(shown) + 1, len(header), Inches(0.4), Inches(1.6), Inches(9.2), Inches(0.4)
    )
    grid = shape.table
    for r, row in enumerate([list(header), *shown]):
        for c, value in enumerate(row):
            cell = grid.cell(r, c)
            cell.text = _short(str(value), 70)
            for para in cell.text_frame.paragraphs:
                para.font.size = Pt(12)
    _notes(slide, points)


def _value_slide(prs: object, r: QbrResult, points: Sequence[str]) -> None:
    v = r.roi
    if v.total_annual_value_usd is None:
        title = f"{TITLES[4]}: not yet documented"
        lines = [v.statement]
        if v.measured_only:
            lines.append("Measured, not yet priced: " + ", ".join(v.measured_only))
    else:
        title = TITLES[4]
        lines = [v.statement] + [
            f"{c.category.replace('_', ' ')}: {money(c.annual_value_usd)} a year"
            + (" (estimate)" if c.estimate else "")
            for c in v.categories
        ]
        if v.measured_only:
            lines.append("Measured, not yet priced: " + ", ".join(v.measured_only))
    if r.goals:
        achieved = sum(g.status == "achieved" for g in r.goals)
        lines.append(f"Goals achieved: {achieved} of {len(r.goals)}")
    _bullets_slide(prs, title, lines, points)


def _goals_slide(prs: object, r: QbrResult, points: Sequence[str]) -> None:
    if not r.goals:
        _bullets_slide(prs, TITLES[5], [points[0]], points)
        return
    rows = []
    for g in r.goals:
        unit = f" {g.unit}" if g.unit else ""
        rows.append(
            [
                g.objective,
                num(g.target) + unit if g.target is not None else "unknown",
                num(g.current) + unit if g.current is not None else "unknown",
                str(g.due_date or "no date"),
                (g.status or "no status").replace("_", " "),
            ]
        )
    _table_slide(prs, TITLES[5], ("Goal", "Target", "Current", "Due", "Status"), rows, points)


def _stakeholder_slide(prs: object, r: QbrResult, points: Sequence[str]) -> None:
    sh = r.stakeholders
    rows = []
    groups = [
        ("Renewal owner", [sh.renewal_owner] if sh.renewal_owner else []),
        ("Champion", sh.champions),
        ("Detractor", sh.detractors),
        ("Left / changed role", sh.departures),
    ]
    if sh.renewal_owner is None:
        rows.append(["Renewal owner", "none on record", "", "find the executive who decides"])
    if not sh.champions:
        rows.append(["Champion", "none active", "", ""])
    for label, people in groups:
        for p in people:
            status = p.status.replace("_", " ")
            if p.status_changed_at:
                status += f" {p.status_changed_at}"
            rows.append([label, p.name, p.title or "", status])
    _table_slide(prs, TITLES[7], ("Place", "Name", "Title", "Status"), rows, points)


# --- slide text -------------------------------------------------------------------------------


def _support_lines(r: QbrResult) -> list[str]:
    s = r.support
    if not s.known:
        return r.talking_points["support"]
    lines = [
        f"{s.opened} tickets opened since {s.period_start}, {s.resolved} resolved, "
        f"{s.escalated} escalated"
    ]
    if s.mean_days_to_resolve is not None:
        lines.append(f"{num(s.mean_days_to_resolve)} days to resolve on average")
    lines += [
        f"Open: {t.ticket_id} ({t.priority or 'priority unknown'}, {t.days_open} days): "
        f"“{' '.join((t.subject or 'no subject').split())}”"
        for t in s.open_now
    ]
    if not s.open_now:
        lines.append("No ticket open")
    return lines


def _risk_lines(r: QbrResult) -> list[str]:
    h, k, e = r.health, r.risk, r.expansion
    if h.tier == "unknown":
        lines = ["Health: not tiered yet (data gaps)"]
    else:
        lines = [f"Health {h.score}/100 ({TIER_LABEL.get(h.tier, h.tier)})"]
    lines.append(f"Churn risk: {k.churn_risk or 'none'}")
    lines += [f"{s.kind.replace('_', ' ')}: {s.evidence}" for s in k.signals]
    lines.append(f"Renewal outlook: {k.renewal_bucket.replace('_', ' ')}")
    if e.status == "opportunity":
        size = (
            f", about {money(e.revenue_estimate)} a year (estimate)" if e.revenue_estimate else ""
        )
        lines.append(f"Expansion: {(e.action or '').replace('_', ' ')}{size}")
    elif e.status == "held_back":
        lines.append(f"Expansion held back: {e.reason}")
    return lines


def _next_lines(r: QbrResult) -> list[str]:
    lines = [
        f"{g.objective}: due {g.due_date}" if g.due_date else g.objective
        for g in r.goals
        if g.status not in ("achieved", "missed")
    ]
    lines += [
        f"Resolve {t.ticket_id} ({t.priority or 'priority unknown'})" for t in r.support.open_now
    ]
    if r.timing.next_after:
        lines.append(f"Next review by {r.timing.next_after}")
    return lines or r.talking_points["goals"][-1:]


def _short(text: str, limit: int = LINE_LIMIT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
