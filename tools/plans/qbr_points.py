"""The QBR's talking points: the five agenda blocks on the clock and the deck's speaker notes.

Each block's points are chosen from prompts/qbr.md by the facts (a departure, a missed
review, open tickets, an expansion opportunity or a held-back one, a missing executive) and
filled with their numbers, dates and names. Without documented ROI the value block says so
as a renewal risk; adoption is only ever shown as context, never as value.
"""

from __future__ import annotations

from datetime import timedelta

from tools.plans.qbr_models import AgendaBlock, Summary
from tools.plans.qbr_text import (
    BLOCKS,
    EXEC_QUIET_DAYS,
    Facts,
    basis,
    change,
    detractor_list,
    kinds,
    listing,
    main_contact,
    missing_labels,
    money,
    num,
    open_ticket_list,
    person,
    plural,
    say,
    status_counts,
    whole,
    with_data,
)


def adoption_points(f: Facts) -> list[str]:
    """Talk about adoption as context (never as value), and about missing months."""
    known = with_data(f.usage)
    points = []
    if len(known) >= 2:
        first, last = known[0], known[-1]
        points.append(
            say(
                "value: adoption",
                au_first=whole(first.active_users),
                first_month=first.label,
                au_last=whole(last.active_users),
                last_month=last.label,
                lpd_first=whole(first.logins_per_day),
                lpd_last=whole(last.logins_per_day),
            )
        )
    if any(m.days_with_data == 0 for m in f.usage):
        points.append(say("value: adoption gaps", missing=missing_labels(f.usage)))
    return points


def agenda(points: dict[str, list[str]]) -> list[AgendaBlock]:
    """Lay the five blocks on the clock (0:00-0:10, ...) with their talking points."""
    blocks, minute = [], 0
    for number, (key, minutes) in enumerate(BLOCKS, start=1):
        blocks.append(
            AgendaBlock(
                number=number,
                title=say(f"block: {key}"),
                minutes=minutes,
                start=_clock(minute),
                end=_clock(minute + minutes),
                points=points[key],
            )
        )
        minute += minutes
    return blocks


def _clock(minute: int) -> str:
    return f"{minute // 60}:{minute % 60:02d}"


def block_points(f: Facts) -> dict[str, list[str]]:
    """Write the talking points of each agenda block."""
    return {
        "context": _context(f),
        "value": value_points(f) + adoption_points(f),
        "roadmap": _roadmap(f),
        "goals": goal_points(f),
        "strategic": _strategic(f),
    }


def _context(f: Facts) -> list[str]:
    sh, t = f.stakeholders, f.timing
    lead = sh.renewal_owner or (sh.champions[0] if sh.champions else None)
    if t.last_qbr is not None:
        since = say("since: last qbr", date=t.last_qbr)
    elif f.data.account.go_live_date and f.data.account.go_live_date <= f.as_of:
        since = say("since: go-live", date=f.data.account.go_live_date)
    else:
        since = say("since: none")
    out = [
        say(
            "context: lead",
            lead=person(lead) if lead else say("lead: unknown", company=f.company),
            company=f.company,
            since=since,
        ),
        say("context: priorities"),
    ]
    if sh.departures:
        out.append(
            say("context: departures", departures=listing([change(p) for p in sh.departures]))
        )
    if t.missed:
        out.append(say("context: missed", dates=listing([str(d) for d in t.missed])))
    return out


def value_points(f: Facts) -> list[str]:
    """Say what value is documented (tools.roi), or plainly that none is."""
    total = f.roi.total_annual_value_usd
    if total is not None:
        breakdown = listing(
            [
                f"{v.category.replace('_', ' ')} {money(v.annual_value_usd or 0)}"
                for v in f.roi_valued
            ]
        )
        if f.roi.roi_multiple is None:
            out = [say("value: roi valued no arr", roi_total=money(total), breakdown=breakdown)]
        else:
            key = "value: roi valued estimate" if f.roi.estimate else "value: roi valued"
            out = [
                say(
                    key,
                    roi_total=money(total),
                    breakdown=breakdown,
                    arr=money(f.arr or 0),
                    roi_multiple=f"{f.roi.roi_multiple:.2f}",
                )
            ]
    elif f.measured_only:
        out = [say("value: roi measured", measured=listing(f.measured_only), company=f.company)]
    else:
        out = [say("value: roi none", company=f.company)]
    if total is not None and f.measured_only:
        out.append(
            say("value: also measured", measured=listing(f.measured_only), company=f.company)
        )
    if f.goals:
        achieved = sum(g.status == "achieved" for g in f.goals)
        out.append(say("value: goals achieved", achieved=achieved, total=len(f.goals)))
    return out


def _roadmap(f: Facts) -> list[str]:
    out = [say("roadmap: priorities", company=f.company)]
    if any(s.kind == "feature_ceiling" for s in f.expansion.signals):
        out.append(say("roadmap: ceiling"))
    if f.support.open_now:
        out.append(say("roadmap: fixes", tickets=open_ticket_list(f.support)))
    return out


def goal_points(f: Facts) -> list[str]:
    """Write the success-plan review points: score, overdue goals, blockers, next quarter."""
    out = []
    if f.goals:
        out.append(say("goals: score", counts=status_counts(f.goals)))
        overdue = sum(g.overdue for g in f.goals)
        if overdue:
            out.append(say("goals: overdue", overdue=plural(overdue, "goal")))
    else:
        out.append(say("goals: none", company=f.company))
    if f.support.open_now:
        escalated = sum(t.escalated for t in f.support.open_now)
        out.append(
            say(
                "goals: blockers",
                open_tickets=plural(len(f.support.open_now), "support ticket"),
                escalated=escalated,
            )
        )
    if f.next_review is not None:
        out.append(say("goals: next", next_due=f.next_review))
    else:
        out.append(say("goals: next undated"))
    return out


def expansion_point(f: Facts) -> str:
    """Say whether and how to raise expansion (tools.expansion), or why not."""
    e = f.expansion
    if e.status == "held_back":
        return say("strategic: held back", reason=e.reason)
    if e.status == "none" or not e.action:
        return say("strategic: no expansion")
    values = {
        "action": say(f"action: {e.action}"),
        "signals": kinds([s.kind for s in e.signals]),
        "basis": basis(e),
        "owner": e.budget_owner or say("attendee: no exec"),
    }
    if e.revenue_estimate is None:
        return say("strategic: expansion unsized", **values)
    return say("strategic: expansion", revenue=money(e.revenue_estimate), **values)


def _strategic(f: Facts) -> list[str]:
    sh = f.stakeholders
    out = [say("strategic: questions"), expansion_point(f)]
    owner = sh.renewal_owner
    if owner is None:
        out.append(say("strategic: no exec", who=main_contact(f)))
    elif owner.last_engaged_at is None:
        out.append(say("strategic: exec never", exec=person(owner)))
    elif owner.last_engaged_at < f.as_of - timedelta(days=EXEC_QUIET_DAYS):
        out.append(say("strategic: exec quiet", exec=person(owner), date=owner.last_engaged_at))
    if sh.detractors:
        out.append(say("strategic: detractors", detractors=detractor_list(sh)))
    if f.renewal_date is not None:
        if f.notice_deadline is not None:
            out.append(
                say("strategic: renewal", renewal_date=f.renewal_date, notice=f.notice_deadline)
            )
        else:
            out.append(say("strategic: renewal no notice", renewal_date=f.renewal_date))
    return out


def talking_points(f: Facts, blocks: dict[str, list[str]], top: Summary) -> dict[str, list[str]]:
    """Write the speaker notes of each deck slide."""
    usage = adoption_points(f) or [say("summary: usage none")]
    return {
        "opening": [say("notes: title"), *blocks["context"]],
        "summary": [*top.happened, *top.means, *top.recommend],
        "agenda": [say("notes: agenda")],
        "usage": usage,
        "value": value_points(f),
        "goals": goal_points(f),
        "support": support_points(f),
        "stakeholders": stakeholder_points(f),
        "risks": [*risk_points(f), expansion_point(f)],
        "next_steps": [say("notes: next steps"), *top.recommend],
    }


def support_points(f: Facts) -> list[str]:
    """Summarise the support history and the open tickets."""
    s = f.support
    if not s.known:
        return [say("support: unknown", ask=f.support_ask)]
    if not s.opened and not s.open_now:
        return [say("support: quiet", period_start=s.period_start)]
    out = []
    if s.mean_days_to_resolve is not None:
        out.append(
            say(
                "support: summary",
                period_start=s.period_start,
                opened=plural(s.opened, "ticket"),
                resolved=s.resolved,
                mean_days=num(s.mean_days_to_resolve),
            )
        )
    else:
        out.append(
            say(
                "support: summary unresolved",
                period_start=s.period_start,
                opened=plural(s.opened, "ticket"),
            )
        )
    if s.open_now:
        out.append(say("support: open", tickets=open_ticket_list(s)))
    return out


def stakeholder_points(f: Facts) -> list[str]:
    """Say who controls the renewal, who champions us, who does not, and who left."""
    sh = f.stakeholders
    out = []
    if sh.renewal_owner:
        out.append(say("stakeholders: owner", owner=person(sh.renewal_owner)))
    else:
        out.append(say("stakeholders: no owner"))
    if sh.champions:
        out.append(
            say("stakeholders: champion", champion=listing([person(p) for p in sh.champions]))
        )
    else:
        out.append(say("stakeholders: no champion", who=main_contact(f)))
    if sh.detractors:
        out.append(say("stakeholders: detractors", detractors=detractor_list(sh)))
    if sh.departures:
        out.append(
            say("stakeholders: departures", departures=listing([change(p) for p in sh.departures]))
        )
    return out


def risk_points(f: Facts) -> list[str]:
    """Be direct about the churn risk and the renewal outlook."""
    r = f.risk
    if r.churn_risk:
        out = [say("risks: churn", risk=r.churn_risk, signals=kinds([s.kind for s in r.signals]))]
    else:
        out = [say("risks: none", as_of=f.as_of)]
    out.append(say("risks: renewal", bucket=r.renewal_bucket.replace("_", " ")))
    return out
