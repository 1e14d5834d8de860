"""Render an ROI result (`csm roi`): the value per category, the rows behind it, the benchmark.

Estimates are labelled in every cell that shows one; categories without a value say what to
track next quarter; the data gaps have their own section.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.churn import single_account_gaps
from agent.render.common import gaps_section, header, money, num, stack
from tools.roi import RoiCategory, RoiResult


def render_roi(result: RoiResult) -> RenderableType:
    """Render an account's ROI as a summary line and a table per list."""
    return stack(
        header(f"ROI for {result.name}", result.as_of),
        _summary(result),
        _categories(result.categories),
        _rows(result.categories),
        _benchmark(result),
        gaps_section(single_account_gaps(result.gaps)),
    )


def _value(value: float | None, estimate: bool) -> Text:
    if value is None:
        return Text("no value", style="dim")
    return Text(money(value) + (" (estimate)" if estimate else ""))


def _summary(result: RoiResult) -> Text:
    total = result.total_annual_value_usd
    if total is None:
        return Text("No category has a dollar value yet: ROI is not documented.", style="bold")
    multiple = f"{num(result.roi_multiple, 2)}x" if result.roi_multiple is not None else "unknown"
    return Text.assemble(
        ("Documented annual value ", "bold"),
        _value(total, result.estimate),
        f" against ARR {money(result.arr)}: ROI multiple {multiple}.",
    )


def _categories(categories: list[RoiCategory]) -> Table:
    table = Table(title="Value by category", title_justify="left")
    for col in ("category", "annual value", "rows", "note"):
        table.add_column(col, justify="right" if col in ("annual value", "rows") else "left")
    for c in categories:
        note = f"track next quarter: {c.track_next_quarter}" if c.track_next_quarter else ""
        if c.partial:
            note = "some rows lack an input (see data gaps)"
        if c.superseded:
            note = (note + "; " if note else "") + f"{c.superseded} older measurement(s) not added"
        table.add_row(c.category, _value(c.annual_value_usd, c.estimate), str(len(c.rows)), note)
    return table


def _rows(categories: list[RoiCategory]) -> Table | None:
    lines = [(c.category, r) for c in categories for r in c.rows]
    if not lines:
        return None
    table = Table(title="How each value was computed", title_justify="left")
    for col in ("category", "metric", "calculation", "source"):
        table.add_column(col, overflow="fold")
    for category, r in lines:
        source = Text("estimate", style="bold yellow") if r.estimate else Text(r.source or "?")
        source.append(f"\nrecorded {r.recorded_at or '?'}", style="dim")
        calculation = Text(r.calculation)
        if r.goal:
            target = f"{num(r.goal.target)} {r.goal.unit or ''}".strip()
            calculation.append(f"\nkickoff goal: {r.goal.objective}, target {target}", style="dim")
        table.add_row(category, r.metric, calculation, source)
    return table


def _benchmark(result: RoiResult) -> Table | None:
    if not result.benchmark:
        return None
    table = Table(title="Kickoff goals (the benchmark)", title_justify="left")
    for col in ("goal", "metric", "baseline", "target", "current", "status", "set"):
        table.add_column(col)
    for g in result.benchmark:
        table.add_row(
            g.objective,
            g.metric or "",
            num(g.baseline),
            num(g.target),
            num(g.current),
            g.status or "?",
            str(g.set_at or "?"),
        )
    return table
