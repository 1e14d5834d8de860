"""The executive summary of the QBR: what happened, what it means, what we recommend.

The one-page summary of openclaw 3.1, worded from prompts/qbr.md with the facts' numbers
and dates. The value line is tools.roi's total and multiple, or the plain statement that no
ROI is documented, which puts the renewal at risk.
"""

from __future__ import annotations

from tools.plans.qbr_models import Summary
from tools.plans.qbr_text import (
    TIER_LABEL,
    Facts,
    basis,
    kinds,
    listing,
    missing_labels,
    money,
    plural,
    say,
    whole,
    with_data,
)


def summary(f: Facts) -> Summary:
    """Write the executive summary: what happened, what it means, what we recommend."""
    return Summary(happened=_happened(f), means=_means(f), recommend=_recommend(f))


def _happened(f: Facts) -> list[str]:
    h = f.health
    out = []
    if h.tier == "unknown":
        out.append(say("summary: health unknown", coverage=f"{h.coverage:.0%}"))
    elif h.trend.get("90") is not None:
        out.append(
            say(
                "summary: health",
                score=h.score,
                tier_label=TIER_LABEL[h.tier],
                as_of=f.as_of,
                score_then=h.trend["90"],
                days=90,
            )
        )
    else:
        out.append(
            say("summary: health now", score=h.score, tier_label=TIER_LABEL[h.tier], as_of=f.as_of)
        )
    known = with_data(f.usage)
    if not known:
        out.append(say("summary: usage none"))
    else:
        if len(known) >= 2:
            out.append(
                say(
                    "summary: usage",
                    au_last=whole(known[-1].active_users),
                    last_month=known[-1].label,
                    au_first=whole(known[0].active_users),
                    first_month=known[0].label,
                )
            )
        if any(m.days_with_data == 0 for m in f.usage):
            out.append(say("summary: usage gaps", missing=missing_labels(f.usage)))
    s = f.support
    if not s.known:
        out.append(say("summary: support unknown"))
    elif s.opened and not s.open_now:
        out.append(
            say(
                "summary: support closed",
                period_start=s.period_start,
                company=f.company,
                opened=plural(s.opened, "ticket"),
            )
        )
    elif s.opened or s.open_now:
        out.append(
            say(
                "summary: support",
                period_start=s.period_start,
                company=f.company,
                opened=plural(s.opened, "ticket"),
                open_now=len(s.open_now),
            )
        )
    else:
        out.append(say("summary: support quiet", period_start=s.period_start))
    return out


def roi_statement(f: Facts) -> str:
    """Say what the documented value is, or that its absence puts the renewal at risk."""
    total = f.roi.total_annual_value_usd
    if total is not None:
        if f.roi.roi_multiple is None:
            return say("means: roi valued no arr", roi_total=money(total))
        key = "means: roi valued estimate" if f.roi.estimate else "means: roi valued"
        return say(
            key,
            roi_total=money(total),
            arr=money(f.arr or 0),
            roi_multiple=f"{f.roi.roi_multiple:.2f}",
        )
    if f.measured_only:
        return say("means: roi measured", measured=listing(f.measured_only))
    if f.renewal_date is not None:
        return say("means: roi none", company=f.company, renewal_date=f.renewal_date)
    return say("means: roi none undated", company=f.company)


def _means(f: Facts) -> list[str]:
    out = [roi_statement(f)]
    r = f.risk
    if r.churn_risk:
        out.append(
            say("means: churn", risk=r.churn_risk, signals=kinds([s.kind for s in r.signals]))
        )
    else:
        out.append(say("means: no churn", as_of=f.as_of))
    if f.renewal_date is not None:
        out.append(
            say(
                "means: renewal",
                renewal_date=f.renewal_date,
                days=f.days_to_renewal,
                bucket=r.renewal_bucket.replace("_", " "),
            )
        )
    else:
        out.append(say("means: renewal undated", bucket=r.renewal_bucket.replace("_", " ")))
    return out


def _recommend(f: Facts) -> list[str]:
    out = []
    if f.risk.churn_risk:
        out.append(say("recommend: action", action=f.risk.action))
    if f.roi.total_annual_value_usd is None:
        out.append(say("recommend: roi", company=f.company))
    if f.stakeholders.renewal_owner is None:
        out.append(say("recommend: exec"))
    e = f.expansion
    if e.status == "opportunity" and e.action:
        action = say(f"action: {e.action}")
        if e.revenue_estimate is not None:
            out.append(
                say(
                    "recommend: expansion",
                    action=action,
                    revenue=money(e.revenue_estimate),
                    basis=basis(e),
                )
            )
        else:
            out.append(say("recommend: expansion unsized", action=action, basis=basis(e)))
    elif e.status == "held_back":
        out.append(say("recommend: held back", reason=e.reason))
    t = f.timing
    if t.due is not None and t.overdue:
        out.append(say("recommend: book", due=t.due, cadence=t.cadence))
    if t.hold_by is not None and t.hold_by_reason != "cadence":
        out.append(
            say(
                "recommend: before deadline",
                hold_by=t.hold_by,
                deadline=say(f"deadline: {t.hold_by_reason}"),
                pre_read_by=t.pre_read_by,
            )
        )
    elif t.hold_by is not None:
        out.append(say("recommend: pre-read", pre_read_by=t.pre_read_by, due=t.due))
    return out
