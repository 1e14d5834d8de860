"""Render health results for people: the score with every signal behind it, and the backtest."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.common import gaps_section, header, money, num, pct, stack, tier_text
from tools.health import Dimension, HealthResult
from tools.health_backtest import BacktestResult


def render_score(result: HealthResult) -> RenderableType:
    """Render a health score: headline, dimensions with their signals, trend, alerts, gaps."""
    return stack(
        header(f"Health: {result.name}", result.as_of),
        _headline(result),
        _dimensions(result.dimensions),
        _excluded(result.dimensions),
        _trend(result),
        _alerts(result),
        gaps_section(result.gaps, names={result.account_id: result.name}),
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
    for col in ("dimension", "weight", "score /10", "signal", "value", "threshold met", "points"):
        table.add_column(
            col, justify="right" if col in ("weight", "score /10", "points") else "left"
        )
    for dim in dimensions:
        for i, sig in enumerate(dim.signals):
            first = i == 0
            table.add_row(
                dim.name if first else "",
                pct(dim.weight, 0) if first else "",
                (num(dim.score, 1) if dim.score is not None else "no data") if first else "",
                f"{sig.name} ({sig.kind})",
                _value(sig.value, sig.detail),
                sig.threshold,
                "?" if sig.points is None else num(sig.points, 2),
                end_section=i == len(dim.signals) - 1,
            )
    return table


def _excluded(dimensions: list[Dimension]) -> Text | None:
    items = [(d.name, e.name, e.reason) for d in dimensions for e in d.excluded]
    if not items:
        return None
    text = Text("Not scored by this model:", style="dim")
    for dim, name, reason in items:
        text.append(f"\n  {dim}.{name}: {reason}", style="dim")
    return text


def _trend(result: HealthResult) -> Text | None:
    if not result.trend:
        return None
    parts = [
        f"{days} d ago {'?' if s is None else s}"
        for days, s in sorted(result.trend.items(), key=lambda kv: -int(kv[0]))
    ]
    now = "?" if result.score is None else str(result.score)
    return Text(f"Trend: {' -> '.join(parts)} -> now {now}")


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
    summary = Table(title=f"Churned accounts flagged orange/red ahead ({s.churned} churned)")
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
        gaps_section(result.gaps, names={c.account_id: c.name for c in result.cases}),
    )


def _cases(result: BacktestResult) -> Table | None:
    if not result.cases:
        return None
    table = Table(title="Churns and contractions")
    for col in ("account", "event", "date", "ARR before", "ARR after"):
        table.add_column(col)
    for lead in result.leads:
        table.add_column(f"tier {lead} d before")
    for c in result.cases:
        tiers = [tier_text(c.tiers[str(lead)]) for lead in result.leads]
        table.add_row(
            c.name, c.event, str(c.event_date), money(c.arr_before), money(c.arr_after), *tiers
        )
    return table
