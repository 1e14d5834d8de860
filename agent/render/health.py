"""Render health results for people: the score with every signal behind it, and the backtest."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.churn import single_account_gaps
from agent.render.common import (
    TIER_STYLE,
    gaps_section,
    gaps_summary,
    header,
    money,
    num,
    pct,
    stack,
    tier_text,
)
from tools.health import Dimension, HealthResult
from tools.health_backtest import BacktestResult

SIGNAL_WIDTH = 28
"""Widest the signal (or account) column gets; longer names wrap."""


def render_score(result: HealthResult) -> RenderableType:
    """Render a health score: headline, dimensions with their signals, trend, alerts, gaps."""
    return stack(
        header(f"Health: {result.name}", result.as_of),
        _headline(result),
        _dimensions(result.dimensions),
        _excluded(result.dimensions),
        _trend(result),
        _alerts(result),
        gaps_section(single_account_gaps(result.gaps)),
    )


def _headline(result: HealthResult) -> Text:
    score = "?" if result.score is None else str(result.score)
    line = Text.assemble(("Score ", "bold"), (score, "bold"), " /100  ")
    line.append_text(tier_text(result.tier))
    if result.tier == "unknown" and result.score is not None:
        line.append("  (provisional: not enough data to tier)", style="dim")
    line.append(
        f"\ncoverage {pct(result.coverage, 0)} of model weight had data"
        f" · profile {result.profile} · leading signals {pct(result.leading_share, 0)}"
    )
    return line


def _value(value: object, detail: str | None) -> Text:
    if value is None:
        shown = "unknown"
    elif isinstance(value, bool):
        shown = "yes" if value else "no"
    elif isinstance(value, float):
        shown = num(value, 2)
    else:
        shown = str(value)
    text = Text(shown)
    if detail:
        text.append(f"\n{detail}", style="dim")
    return text


def _dimensions(dimensions: list[Dimension]) -> Table:
    table = Table(title="How the score was built", title_justify="left")
    table.add_column("dimension / signal", max_width=SIGNAL_WIDTH, overflow="fold")
    table.add_column("value", overflow="fold")
    table.add_column("threshold met", overflow="fold")
    table.add_column("points", justify="right", no_wrap=True)
    for dim in dimensions:
        score = "no data" if dim.score is None else f"{num(dim.score, 1)} /10"
        table.add_row(
            Text.assemble((dim.name, "bold"), f"  weight {pct(dim.weight, 0)}"),
            "",
            "",
            Text(score, style="bold"),
        )
        for i, sig in enumerate(dim.signals):
            table.add_row(
                Text.assemble(f"  {sig.name}", (f"\n  {sig.kind}", "dim")),
                _value(sig.value, sig.detail),
                sig.threshold,
                "?" if sig.points is None else num(sig.points, 2),
                end_section=i == len(dim.signals) - 1,
            )
    return table


def _excluded(dimensions: list[Dimension]) -> Table | None:
    items = [(f"{e.name}\n({d.name})", e.reason) for d in dimensions for e in d.excluded]
    if not items:
        return None
    table = Table(
        title="Not scored by this model", title_justify="left", show_header=False, style="dim"
    )
    table.add_column("signal", style="dim", max_width=SIGNAL_WIDTH, overflow="fold")
    table.add_column("why", style="dim")
    for name, reason in items:
        table.add_row(name, reason)
    return table


def _trend(result: HealthResult) -> Text | None:
    if not result.trend:
        return None
    text = Text("Trend: ")
    for days, s in sorted(result.trend.items(), key=lambda kv: -int(kv[0])):
        text.append(f"{days} d ago {'?' if s is None else s}")
        tier = result.trend_tiers.get(days)
        if tier:
            text.append(f" {tier}", style=TIER_STYLE.get(tier, ""))
        text.append(" -> ")
    text.append(f"now {'?' if result.score is None else result.score} ")
    text.append(result.tier, style=TIER_STYLE.get(result.tier, ""))
    return text


def _alerts(result: HealthResult) -> Text | None:
    if not result.alerts:
        return None
    text = Text("Alerts", style="bold red")
    for a in result.alerts:
        text.append(f"\n  {a.kind}: {a.message} (notify {', '.join(a.notify)})")
    return text


def render_backtest(result: BacktestResult) -> RenderableType:
    """Render a backtest: flagged shares by lead time, the cases, false positives, gaps."""
    s = result.summary
    summary = Table(
        title=f"Churned accounts flagged orange/red ahead ({s.churned} churned, "
        f"{s.contracted} contracted)",
        title_justify="left",
    )
    for col in ("days ahead", "flagged", "of those with a tier", "no tier then", "contractions"):
        summary.add_column(col, justify="right")
    for lead in result.leads:
        k = str(lead)
        summary.add_row(
            k,
            pct(s.churn_flagged_share[k], 0),
            pct(s.churn_flagged_share_of_tiered[k], 0),
            str(s.churn_unknown_tier[k]),
            pct(s.contraction_flagged_share[k], 0),
        )
    fp = Text(
        f"Flagged orange/red 90 days ago: {s.flagged_90d}; did not churn since (false "
        f"positives): {s.false_positives} ({pct(s.false_positive_rate, 0)})"
    )
    return stack(
        header(f"Health model backtest: {result.profile}", result.as_of),
        summary,
        _cases(result),
        fp,
        _flagged(result),
        gaps_summary(result.gaps),
    )


def _cases(result: BacktestResult) -> Table | None:
    if not result.cases:
        return None
    leads = " / ".join(str(lead) for lead in result.leads)
    table = Table(title="Churns and contractions", title_justify="left")
    for col in ("account", "event", "date", "ARR before -> after", f"tier {leads} d before"):
        table.add_column(col)
    table.columns[0].max_width = SIGNAL_WIDTH
    for col in table.columns[1:]:
        col.no_wrap = True
    for c in result.cases:
        tiers = Text(" / ").join(
            Text(c.tiers[str(lead)], style=TIER_STYLE.get(c.tiers[str(lead)], ""))
            for lead in result.leads
        )
        table.add_row(
            c.name,
            c.event,
            str(c.event_date),
            f"{money(c.arr_before)} -> {money(c.arr_after)}",
            tiers,
        )
    return table


def _flagged(result: BacktestResult) -> Table | None:
    if not result.flagged:
        return None
    table = Table(title="Flagged orange/red 90 days ago, and what happened", title_justify="left")
    for col in ("account", "tier then", "score then", "since"):
        table.add_column(col, justify="right" if col == "score then" else "left")
    table.columns[0].max_width = SIGNAL_WIDTH
    for f in result.flagged:
        if f.churned:
            since = Text(f"churned {f.churned_at or ''}".strip(), style="bold red")
        elif f.contracted:
            since = Text("contracted (still paying)", style="yellow")
        else:
            since = Text("still paying (false positive)", style="dim")
        score = "?" if f.score is None else str(f.score)
        table.add_row(f.name, tier_text(f.tier), score, since)
    return table
