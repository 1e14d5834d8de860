"""Render the NRR report (`csm nrr`) and the cohort table (`csm cohorts`)."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from agent.render.common import gaps_section, header, money, pct, stack
from tools.retention import AccountMove, CohortResult, NrrResult

NOT_REACHED = "-"


def render_nrr(result: NrrResult) -> RenderableType:
    """Render NRR, GRR and logo retention with a table of accounts per bucket."""
    return stack(
        header(f"NRR report {result.period_start} to {result.period_end}", result.as_of),
        _nrr_summary(result),
        _moves("Expansion", result.expanded),
        _moves("Contraction", result.contracted),
        _moves("Churn", result.churned),
        _moves("New business (not in the cohort: context)", result.new),
        gaps_section(result.gaps),
    )


def _nrr_summary(result: NrrResult) -> Table:
    table = Table(title="Retention", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("start ARR (cohort paying on day one)", money(result.start_arr)),
        ("+ expansion", money(result.expansion)),
        ("- contraction", money(result.contraction)),
        ("- churn", money(result.churn)),
        ("NRR", pct(result.nrr)),
        ("GRR", pct(result.grr)),
        (
            "logo retention",
            f"{pct(result.logo_retention)} ({result.retained_logos} of {result.cohort_size})",
        ),
    ]
    for label, value in rows:
        table.add_row(label, value)
    return table


def _moves(title: str, moves: list[AccountMove]) -> Table | None:
    if not moves:
        return None
    table = Table(title=f"{title} ({len(moves)})", title_justify="left")
    table.add_column("account")
    for col in ("start ARR", "end ARR", "change"):
        table.add_column(col, justify="right")
    for m in moves:
        table.add_row(m.name, money(m.start_arr), money(m.end_arr), money(m.change))
    return table


def render_cohorts(result: CohortResult) -> RenderableType:
    """Render logo and revenue retention by first-contract month, one table each."""
    if not result.cohorts:
        body: RenderableType = Text("No account has a contract on record yet.", style="dim")
        return stack(header("Cohort analysis", result.as_of), body, gaps_section(result.gaps))
    return stack(
        header("Cohort analysis (by first-contract month)", result.as_of),
        _cohort_table(result, "Logo retention", "logo_retention"),
        _cohort_table(result, "Revenue retention", "revenue_retention"),
        Text(f"{NOT_REACHED} = month not reached yet by the as-of date.", style="dim"),
        gaps_section(result.gaps),
    )


def _cohort_table(result: CohortResult, title: str, field: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("cohort")
    table.add_column("accounts", justify="right")
    table.add_column("start ARR", justify="right")
    for k in result.months:
        table.add_column(f"month {k}", justify="right")
    for c in result.cohorts:
        cells = []
        for p in c.months:
            value = getattr(p, field)
            reached = p.accounts_paying is not None
            cells.append(pct(value, 0) if reached else NOT_REACHED)
        table.add_row(c.cohort, str(c.accounts), money(c.start_arr), *cells)
    return table
