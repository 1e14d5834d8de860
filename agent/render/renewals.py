"""Render the renewal pipeline (`csm renewals`): buckets, contract terms, issues, gaps.

The pipeline table is sorted as the tool sorts it (strong, manage, unknown, at_risk, then
renewal date) and kept narrow; the reasons for each bucket, the people, the usage trend and
the open issues follow per account, then the contract terms. Gaps are summarised by signal.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.churn import ACCOUNT_WIDTH, Detail, details_table
from agent.render.common import (
    TIER_STYLE,
    gaps_summary,
    header,
    money,
    pct,
    risk_text,
    stack,
)
from tools.renewals import ContactRef, RenewalPipelineResult, RenewalRow, UsageTrend

BUCKET_STYLE = {
    "strong": "bold green",
    "manage": "bold yellow",
    "unknown": "bold white",
    "at_risk": "bold red",
}


def render_renewals(result: RenewalPipelineResult) -> RenderableType:
    """Render the renewal pipeline of the next `days` days."""
    title = f"Renewal pipeline, {result.window_start} .. {result.window_end}"
    return stack(
        header(title, result.as_of),
        _pipeline(result.renewals, result.days),
        _details(result.renewals),
        _terms(result.renewals),
        gaps_summary(result.gaps),
    )


def bucket_text(bucket: str) -> Text:
    """Return a renewal bucket as coloured text."""
    return Text(bucket, style=BUCKET_STYLE.get(bucket, ""))


def trend_text(row: RenewalRow) -> Text:
    """Return the monthly tier trajectory as coloured initials, oldest first, then the score."""
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
    return (
        f"{trend.direction} ({change}): {trend.metric} {trend.current:,} vs {trend.previous:,}"
        " (last 90 days vs 90 before)"
    )


def _pipeline(rows: list[RenewalRow], days: int) -> RenderableType:
    if not rows:
        return Text(f"No renewal due in the next {days} days.", style="dim")
    table = Table(title=f"Renewals ({len(rows)}), by likelihood to renew", title_justify="left")
    for col in ("account", "bucket", "renews", "ARR", "health (6 mo)", "churn risk"):
        table.add_column(col, justify="right" if col == "ARR" else "left")
    table.columns[0].max_width = ACCOUNT_WIDTH
    for r in rows:
        table.add_row(
            r.name,
            bucket_text(r.bucket),
            str(r.renewal_date or "?"),
            money(r.arr),
            trend_text(r),
            risk_text(r.churn_risk),
        )
    legend = Text(
        "health (6 mo): the tier at each month end, oldest first (G green, Y yellow, "
        "O orange, R red, U unknown), then today's score.",
        style="dim",
    )
    return Group(table, legend)


def _details(rows: list[RenewalRow]) -> RenderableType | None:
    groups = []
    for r in rows:
        people = (
            f"champion {_person(r.champion, r.champion_status.replace('_', ' '))}; "
            f"exec sponsor {_person(r.exec_sponsor)}"
        )
        details: list[Detail] = [
            (Text("why ").append_text(bucket_text(r.bucket)), "\n".join(r.reasons) or "-"),
            ("people", people),
            ("usage (90 days)", _usage(r.usage_trend)),
        ]
        if r.open_issues:
            details.append(("open issues", "\n".join(r.open_issues)))
        if r.competitive_risk:
            details.append(("competitive risk", r.competitive_evidence or "yes"))
        groups.append((r.name, details))
    return details_table("Why each bucket, the people and the usage", groups)


def _terms(rows: list[RenewalRow]) -> Table | None:
    if not rows:
        return None
    table = Table(title="Contract terms", title_justify="left")
    for col in ("account", "term", "started", "auto-renew", "notice by", "price increase"):
        table.add_column(col)
    table.columns[0].max_width = ACCOUNT_WIDTH
    for r in rows:
        term = f"{r.term_months} months" if r.term_months else f"{r.term_days or '?'} days"
        auto = "?" if r.auto_renew is None else ("yes" if r.auto_renew else "no")
        uplift = "?" if r.price_increase_pct is None else f"{r.price_increase_pct:g}%"
        table.add_row(
            r.name, term, str(r.start_date or "?"), auto, str(r.notice_deadline or "?"), uplift
        )
    return table
