"""QBR prep for one account (`csm qbr`): agenda, usage series, support, value, risks, people.

The document of commands.md ("QBR prep for [account]") on top of the analytics tools:
health (tools.health.score_account), churn signals (tools.churn.assess_account), renewal
outlook and monthly health trend (tools.renewals.renewal_row), expansion signals
(tools.expansion.expansion_account) and ROI (tools.roi.roi); their gaps are carried into
this result. What no tool computes is read from the account's rows here: the monthly usage
series and support history of the last two quarters (tools.plans.qbr_series), goals vs
outcomes and when the QBR is due (tools.plans.qbr_facts), the stakeholder map
(tools.plans.qbr_people). The wording comes from prompts/qbr.md (tools.plans.qbr_summary,
qbr_points, qbr_checklist).

The period is the six calendar months ending with as-of's month (the last one partial).
When no ROI is documented the value section says so as a renewal risk and usage is only
ever shown as adoption context, never as value (openclaw 3.1).
"""

from __future__ import annotations

from datetime import date

from memory.read import PortfolioData
from tools.churn import assess_account
from tools.common import Gaps, notice_deadline, renewal_date
from tools.expansion import expansion_account
from tools.health import score_account
from tools.plans.qbr_checklist import checklist, follow_up
from tools.plans.qbr_facts import (
    expansion_section,
    goal_outcomes,
    health_section,
    qbr_timing,
    risk_section,
    roi_values,
)
from tools.plans.qbr_models import QbrResult, RoiSection, UsageMonth
from tools.plans.qbr_people import stakeholder_map
from tools.plans.qbr_points import agenda, block_points, talking_points
from tools.plans.qbr_series import MONTHS, missing_months, monthly_usage, support_history
from tools.plans.qbr_summary import roi_statement, summary
from tools.plans.qbr_text import Facts
from tools.renewals import renewal_row
from tools.roi import roi as roi_tool
from tools.types import Gap

__all__ = ["MONTHS", "QbrResult", "UsageMonth", "build_qbr", "monthly_usage"]

USAGE_DAYS = 180 + 60 + 1
"""Days of usage the QBR reads, ending on as-of: the monthly health trend 6 months back
(tools.renewals) needs 60 days before its oldest point, which also covers the 6-month
usage series (at most 184 days) and the 90-vs-90-day login trend."""


def build_qbr(portfolio: PortfolioData, account_id: str, as_of: date | None = None) -> QbrResult:
    """Build the QBR prep document of one active account.

    Args:
        portfolio: the loaded portfolio (usage for USAGE_DAYS days before as-of).
        account_id: the account (KeyError if it was not loaded).
        as_of: the point in time (default: the portfolio's); later rows are ignored.

    Returns:
        The agenda with talking points, the monthly usage series, support history, goals
        vs outcomes, value (or its absence as a risk), risk and expansion signals, the
        stakeholder map, the prep checklist, the recap e-mail and every data gap.

    Raises:
        ValueError: when the account had churned by as-of (see `csm winback`).
    """
    day = as_of or portfolio.as_of
    data = portfolio.get(account_id)
    if data.account.is_churned_on(day):
        raise ValueError(
            f"{data.name} churned on {data.account.churned_at}; a QBR applies to active "
            "accounts (see csm winback)"
        )
    gaps = Gaps(portfolio.workspace)
    health = score_account(portfolio, account_id, day)
    risk = assess_account(portfolio, account_id, day)
    renewal = renewal_row(portfolio, account_id, day)
    expansion = expansion_account(portfolio, account_id, day)
    roi = roi_tool(portfolio, account_id, day)
    found = [*health.gaps, *risk.gaps, *renewal.gaps, *expansion.gaps, *roi.gaps]
    _merge(gaps, found, account_id)

    usage = monthly_usage([u for u in data.usage if u.date <= day], day)
    _usage_gaps(usage, portfolio.usage_since, account_id, gaps)
    tickets_known = "tickets" in portfolio.files_present or any(
        a.tickets for a in portfolio.accounts.values()
    )
    support = support_history(data.tickets, day, known=tickets_known)
    if not tickets_known:
        gaps.add(
            "tickets",
            "qbr: support history",
            account_id=account_id,
            detail="no tickets in the store",
        )
    rows, valued, measured_only = roi_values(roi)
    arr = roi.arr
    facts = Facts(
        data=data,
        as_of=day,
        arr=arr,
        renewal_date=renewal_date(data, day),
        notice_deadline=notice_deadline(data, day),
        usage=usage,
        usage_ask=portfolio.workspace.ask("analytics"),
        support_ask=portfolio.workspace.ask("support"),
        support=support,
        goals=goal_outcomes(roi, day, gaps),
        roi=roi,
        roi_rows=rows,
        roi_valued=valued,
        measured_only=measured_only,
        health=health_section(health, renewal),
        risk=risk_section(risk, renewal),
        expansion=expansion_section(expansion),
        stakeholders=stakeholder_map(data, renewal, day, support.period_start, gaps),
        timing=qbr_timing(data, day, gaps),
    )
    top = summary(facts)
    points = block_points(facts)
    return QbrResult(
        as_of=day,
        gaps=gaps.list(),
        account_id=account_id,
        name=data.name,
        segment=data.account.segment,
        csm=data.account.csm,
        arr=arr,
        renewal_date=facts.renewal_date,
        notice_deadline=facts.notice_deadline,
        days_to_renewal=facts.days_to_renewal,
        period_start=support.period_start,
        period_end=day,
        timing=facts.timing,
        summary=top,
        agenda=agenda(points),
        usage=usage,
        support=support,
        goals=facts.goals,
        roi=RoiSection(
            documented=rows > 0,
            rows=rows,
            arr=arr,
            total_annual_value_usd=roi.total_annual_value_usd,
            roi_multiple=roi.roi_multiple,
            estimate=roi.estimate,
            categories=valued,
            measured_only=measured_only,
            renewal_risk=roi.total_annual_value_usd is None,
            statement=roi_statement(facts),
        ),
        health=facts.health,
        risk=facts.risk,
        expansion=facts.expansion,
        stakeholders=facts.stakeholders,
        checklist=checklist(facts),
        follow_up=follow_up(facts),
        talking_points=talking_points(facts, points, top),
    )


def _merge(gaps: Gaps, found: list[Gap], account_id: str) -> None:
    """Carry the tools' gaps over one `needed_for` and one detail at a time (no repeats).

    This document is about one account, so a portfolio-wide gap of a signal the account
    also lacks (no events anywhere, no events here) is merged into the account's gap.
    """
    own = {g.signal for g in found if g.account_id == account_id}
    for g in found:
        if g.account_id is None and g.signal in own:
            g = g.model_copy(update={"account_id": account_id})
        needs = g.needed_for.split("; ")
        parts = g.detail.split("; ") if g.detail else [None]
        gaps.extend([g.model_copy(update={"needed_for": needs[0], "detail": parts[0]})])
        for need in needs:
            for part in parts:
                gaps.add(g.signal, need, account_id=g.account_id, detail=part)


def _usage_gaps(usage: list[UsageMonth], loaded_since: date, account_id: str, gaps: Gaps) -> None:
    """Record the months without usage rows (and those before the loaded window) as gaps."""
    unloaded = [m.label for m in usage if m.start < loaded_since and m.days_with_data == 0]
    missing = [m.label for m in missing_months(usage) if m.label not in unloaded]
    if missing:
        gaps.add(
            "usage",
            "qbr: monthly usage series",
            account_id=account_id,
            detail=f"no usage rows in {', '.join(missing)}",
        )
    if unloaded:
        gaps.add(
            "usage",
            "qbr: monthly usage series",
            account_id=account_id,
            detail=f"usage before {loaded_since} was not loaded ({', '.join(unloaded)})",
        )
