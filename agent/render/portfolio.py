"""Render the weekly CS dashboard (`csm portfolio`) for people: compact tables per section.

Figures with a seed target are marked met or missed; data gaps are summarised by signal
(how many accounts lack each) instead of one row per account.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.churn import ACCOUNT_WIDTH
from agent.render.common import gaps_summary, header, money, num, pct, stack, tier_text
from agent.render.weekly import tier_move
from tools.portfolio import PortfolioReview, TargetCheck, TierMove

Row = tuple[str, str, str | None]
"""(label, formatted value, target metric key or None)."""


def render_portfolio(result: PortfolioReview) -> RenderableType:
    """Render a portfolio review as a stack of compact section tables."""
    targets = {t.metric: t for t in result.targets}
    return stack(
        header(f"Portfolio review, week {result.portfolio.week}", result.as_of),
        _summary(result),
        _health(result),
        _metrics(
            "Retention (trailing 12 months; losses month to date)", _retention(result), targets
        ),
        _metrics("Expansion", _expansion(result), targets),
        _metrics("Engagement", _engagement(result), targets),
        _metrics("Onboarding", _onboarding(result), targets),
        _renewals(result),
        _moves("Moved green -> yellow or worse (30 days)", result.review.moved_down),
        _moves("Moved up (30 days)", result.review.moved_up),
        _churn_reason(result),
        _top_accounts(result),
        _at_risk_by_csm(result),
        _not_answered(result),
        gaps_summary(result.gaps),
    )


def _summary(result: PortfolioReview) -> Text:
    p = result.portfolio
    trend = p.health_score_trend or "unknown"
    then = num(p.avg_health_score_30d_ago)
    return Text.assemble(
        (f"{p.total_accounts:,} active accounts", "bold"),
        f", {money(p.total_arr)} ARR. Average health {num(p.avg_health_score)} ",
        (f"({p.avg_health_score_basis})", "dim"),
        f"; trend {trend} (30 days ago {then}; flat = within +-2 points).",
    )


def _health(result: PortfolioReview) -> Table:
    p = result.portfolio
    table = Table(title="Health distribution", title_justify="left")
    for col in ("tier", "accounts", "ARR", "share of ARR"):
        table.add_column(col, justify="left" if col == "tier" else "right")
    for tier, bucket in p.health_distribution.items():
        share = bucket.arr / p.total_arr if p.total_arr else None
        table.add_row(tier_text(tier), f"{bucket.count:,}", money(bucket.arr), pct(share))
    return table


def _mark(check: TargetCheck | None) -> Text:
    """Return the target column: '> 90.0% met' (green) / 'missed' (red) / unknown."""
    if check is None:
        return Text("")
    if check.metric.startswith(("retention.", "expansion.", "onboarding.onboarding")):
        goal = pct(check.target, 0)
    else:
        goal = num(check.target)
    sign = ">" if check.direction == "above" else "<="
    if check.met is None:
        return Text(f"{sign} {goal}  unknown", style="dim")
    word, style = ("met", "green") if check.met else ("missed", "bold red")
    return Text.assemble(f"{sign} {goal}  ", (word, style))


def _metrics(title: str, rows: Sequence[Row], targets: dict[str, TargetCheck]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target")
    for label, value, key in rows:
        table.add_row(label, value, _mark(targets.get(key or "")))
    return table


def _retention(result: PortfolioReview) -> list[Row]:
    r = result.retention
    return [
        (
            f"Gross retention ({r.period_start} to {r.period_end})",
            pct(r.gross_retention_rate),
            "retention.gross_retention_rate",
        ),
        ("Net retention", pct(r.net_retention_rate), "retention.net_retention_rate"),
        ("Logo retention", pct(r.logo_retention_rate), "retention.logo_retention_rate"),
        ("ARR at period start", money(r.start_arr), None),
        (f"ARR churned since {r.month_start}", money(r.arr_churned_mtd), None),
        (f"ARR contracted since {r.month_start}", money(r.arr_contracted_mtd), None),
    ]


def _expansion(result: PortfolioReview) -> list[Row]:
    e = result.expansion
    unknown = f" ({e.pipeline_amount_unknown} without amount)" if e.pipeline_amount_unknown else ""
    return [
        ("ARR expanded month to date", money(e.arr_expanded_mtd), None),
        (
            f"Open pipeline, {e.pipeline_opportunities} qualified/proposal{unknown}",
            money(e.expansion_pipeline),
            None,
        ),
        ("Upsell conversations (30 days)", f"{e.upsell_conversations:,}", None),
        ("Expansion rate (12 months)", pct(e.expansion_rate), "expansion.expansion_rate"),
    ]


def _engagement(result: PortfolioReview) -> list[Row]:
    g = result.engagement
    p = result.portfolio
    nps_mix = f"{g.promoters} promoters, {g.passives} passives, {g.detractors} detractors"
    return [
        (
            "Average health score (tiered accounts)",
            num(p.avg_health_score),
            "portfolio.avg_health_score",
        ),
        (f"QBRs held in {g.quarter}", f"{g.qbrs_completed:,}", None),
        (f"NPS ({nps_mix})", num(g.nps_score), "engagement.nps_score"),
        (
            f"CSAT, 90 days ({g.csat_responses} responses)",
            num(g.csat_score, 2),
            "engagement.csat_score",
        ),
    ]


def _onboarding(result: PortfolioReview) -> list[Row]:
    o = result.onboarding
    rows: list[Row] = [
        ("Active onboardings (kickoff within 90 days)", f"{o.active_onboardings:,}", None),
        (f"Average TTFV, days ({o.ttfv_accounts} accounts)", num(o.avg_ttfv_days), None),
    ]
    for seg in o.ttfv_by_segment:
        key = f"onboarding.avg_ttfv_days[{seg.segment}]"
        rows.append(
            (f"  {seg.segment or 'no segment'} ({seg.accounts})", num(seg.avg_ttfv_days), key)
        )
    rows += [
        ("Awaiting first value (not counted as zero)", f"{o.awaiting_first_value:,}", None),
        (
            f"Onboarding completion ({o.onboardings_completed} of {o.onboardings_closed} closed)",
            pct(o.onboarding_completion_rate),
            "onboarding.onboarding_completion_rate",
        ),
    ]
    return rows


def _renewals(result: PortfolioReview) -> RenderableType:
    r = result.renewals
    table = Table(title="Renewals", title_justify="left")
    for col in ("due within", "renewals", "ARR"):
        table.add_column(col, justify="left" if col == "due within" else "right")
    for label, bucket in (
        ("30 days", r.upcoming_30d),
        ("60 days", r.upcoming_60d),
        ("90 days", r.upcoming_90d),
    ):
        table.add_row(label, f"{bucket.count:,}", money(bucket.arr))
    line = Text.assemble(
        "Within 90 days: ",
        (f"{r.on_track} on track", "green"),
        " (strong + manage), ",
        (f"{r.at_risk} at risk", "bold red"),
        f", {r.unknown} unknown.",
    )
    return stack(table, line)


def _moves(title: str, moves: Sequence[TierMove]) -> RenderableType:
    if not moves:
        return Text(f"{title}: none.", style="dim")
    table = Table(title=title, title_justify="left")
    for col in ("account", "ARR", "tier", "score", "moved most"):
        table.add_column(col, justify="right" if col == "ARR" else "left")
    table.columns[0].max_width = ACCOUNT_WIDTH
    for m in moves:
        score = f"{num(m.score_then)} -> {num(m.score_now)}"
        table.add_row(
            m.name, money(m.arr), tier_move(m.from_tier, m.to_tier), score, m.reason or "?"
        )
    return table


def _churn_reason(result: PortfolioReview) -> Text:
    c = result.review.churn_reasons
    span = f"{c.window_start} to {c.window_end}"
    unrecorded = f"; {c.unrecorded} churned without a recorded reason" if c.unrecorded else ""
    if c.top_reason is None:
        return Text(f"Top churn reason ({span}): none recorded{unrecorded}.")
    top = c.reasons[0]
    return Text.assemble(
        f"Top churn reason ({span}): ",
        (top.reason, "bold"),
        f", {_accounts(top.accounts)}, {money(top.arr)} ARR; {c.trend} vs "
        f"{top.previous_accounts} in the 90 days before{unrecorded}.",
    )


def _accounts(n: int) -> str:
    return f"{n} account" if n == 1 else f"{n} accounts"


def _top_accounts(result: PortfolioReview) -> RenderableType:
    rv = result.review
    if not rv.top_accounts:
        return Text("Top accounts by ARR: none with ARR.", style="dim")
    title = (
        f"Top {len(rv.top_accounts)} accounts by ARR: "
        f"{rv.top_accounts_multi_threaded} multi-threaded (3+ active contacts)"
    )
    table = Table(title=title, title_justify="left", min_width=len(title))
    for col in ("account", "ARR", "active contacts", "multi-threaded"):
        table.add_column(col)
    for t in rv.top_accounts:
        mt = "?" if t.multi_threaded is None else ("yes" if t.multi_threaded else "no")
        style = "" if t.multi_threaded is not False else "bold red"
        table.add_row(t.name, money(t.arr), num(t.active_contacts), Text(mt, style=style))
    return table


def _at_risk_by_csm(result: PortfolioReview) -> RenderableType:
    rv = result.review
    table = Table(
        title=f"At-risk ARR (orange + red) by CSM: {money(rv.at_risk_arr)}", title_justify="left"
    )
    columns = ("CSM", "accts", "ARR", "at risk", "at-risk ARR", "% book", "% at-risk", "unknown")
    for col in columns:
        table.add_column(col, justify="left" if col == "CSM" else "right", no_wrap=col != "CSM")
    for c in rv.at_risk_by_csm:
        table.add_row(
            c.csm or "(unassigned)",
            f"{c.accounts:,}",
            money(c.arr),
            f"{c.at_risk_accounts:,}",
            money(c.at_risk_arr),
            pct(c.share_of_book),
            pct(c.share_of_at_risk),
            money(c.unknown_tier_arr),
        )
    note = Text(
        "accts / at risk: accounts in the book / orange or red; % book: at-risk ARR / the "
        "CSM's ARR; % at-risk: the CSM's share of all at-risk ARR; unknown: ARR not tiered.",
        style="dim",
    )
    return Group(table, note)


def _not_answered(result: PortfolioReview) -> Table | None:
    items = result.review.not_answered
    if not items:
        return None
    table = Table(title="Not answered from data", title_justify="left", show_header=False)
    table.add_column("question", style="dim", max_width=ACCOUNT_WIDTH + 10)
    table.add_column("why", style="dim")
    for question, why in items.items():
        table.add_row(question, f"It {why}.")
    return table
