"""Render the renewal pipeline (`csm renewals`): buckets, contract terms, issues, gaps.

The pipeline table is sorted as the tool sorts it (strong, manage, unknown, at_risk, then
renewal date) with the reasons for each bucket; contract terms and open issues get their
own tables. A long gap list is summarised by signal.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.common import (
    TIER_STYLE,
    gaps_section,
    gaps_summary,
    header,
    money,
    pct,
    risk_text,
    stack,
)
from tools.renewals import ContactRef, RenewalPipelineResult, RenewalRow, UsageTrend

MAX_LISTED_GAPS = 20
BUCKET_STYLE = {
    "strong": "bold green",
    "manage": "bold yellow",
    "unknown": "bold white",
    "at_risk": "bold red",
}


def render_renewals(result: RenewalPipelineResult) -> RenderableType:
    """Render the renewal pipeline of the next `days` days."""
    names = {r.account_id: r.name for r in result.renewals}
    many = len(result.gaps) > MAX_LISTED_GAPS
    title = f"Renewal pipeline, {result.window_start} .. {result.window_end}"
    return stack(
        header(title, result.as_of),
        _pipeline(result.renewals, result.days),
        _terms(result.renewals),
        _issues(result.renewals),
        gaps_summary(result.gaps) if many else gaps_section(result.gaps, names=names),
    )


def bucket_text(bucket: str) -> Text:
    """Return a renewal bucket as coloured text."""
    return Text(bucket, style=BUCKET_STYLE.get(bucket, ""))


def trend_text(row: RenewalRow) -> Text:
    """Return the monthly tier trajectory as coloured initials, oldest first."""
    text = Text()
    for point in row.health_trend:
        text.append(point.tier[0].upper(), style=TIER_STYLE.get(point.tier, ""))
    text.append(f" {row.score if row.score is not None else '?'}")
    return text


def _person(ref: ContactRef | None, status: str | None = None) -> str:
    if ref is None:
        return status or "none"
    label = ref.name + (f", {ref.title}" if ref.title else "")
    return label if ref.status == "active" else f"{label} ({ref.status})"


def _usage(trend: UsageTrend | None) -> str:
    if trend is None:
        return "unknown"
    change = pct(trend.change, 0) if trend.change is not None else "n/a"
    return f"{trend.direction} ({change})"


def _pipeline(rows: list[RenewalRow], days: int) -> RenderableType:
    if not rows:
        return Text(f"No renewal due in the next {days} days.", style="dim")
    table = Table(title=f"Renewals ({len(rows)}), by likelihood to renew", title_justify="left")
    columns = ("account", "bucket", "renews", "ARR", "health (6 mo)", "champion", "exec sponsor")
    for col in (*columns, "usage 90d", "churn risk", "why"):
        table.add_column(col, justify="right" if col == "ARR" else "left")
    for r in rows:
        table.add_row(
            r.name,
            bucket_text(r.bucket),
            str(r.renewal_date),
            money(r.arr),
            trend_text(r),
            _person(r.champion, r.champion_status.replace("_", " ")),
            _person(r.exec_sponsor),
            _usage(r.usage_trend),
            risk_text(r.churn_risk),
            "; ".join(r.reasons),
        )
    return table


def _terms(rows: list[RenewalRow]) -> Table | None:
    if not rows:
        return None
    table = Table(title="Contract terms", title_justify="left")
    for col in ("account", "term", "dates", "auto-renew", "notice deadline", "price increase"):
        table.add_column(col)
    for r in rows:
        term = f"{r.term_months} months" if r.term_months else f"{r.term_days or '?'} days"
        auto = "?" if r.auto_renew is None else ("yes" if r.auto_renew else "no")
        uplift = "?" if r.price_increase_pct is None else f"{r.price_increase_pct:g}%"
        table.add_row(
            r.name,
            term,
            f"{r.start_date} .. {r.end_date}",
            auto,
            str(r.notice_deadline or "?"),
            uplift,
        )
    return table


def _issues(rows: list[RenewalRow]) -> Table | None:
    flagged = [r for r in rows if r.open_issues or r.competitive_risk]
    if not flagged:
        return None
    table = Table(title="Open issues and competitive risk", title_justify="left")
    for col in ("account", "open issues", "competitive risk"):
        table.add_column(col)
    for r in flagged:
        table.add_row(r.name, "; ".join(r.open_issues) or "-", r.competitive_evidence or "-")
    return table
