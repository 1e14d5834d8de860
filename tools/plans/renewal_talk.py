"""What to say at a renewal: the likely objections with give-get counteroffers, the talk track.

Objections come from structured signals only (the churn assessment, the renewal row's usage
trend and reasons, the value summary), never from free text:
- new stakeholder re-evaluating: champion_loss or stakeholder_churn, or no active champion;
- open product issues: support_escalation, else an open escalation of the pipeline;
- competitor: the competitive signal;
- "not using it": usage_collapse or silence, or a declining 90-day usage trend;
- unhappy with the service: negative_survey;
- "what are we getting for the money": no ROI in dollars, or value below the ARR;
- budget: a price increase due, or a billing signal; with no objection at all, the standard
  price question, said as such.
Every counteroffer is a give-get; a price concession is priced as a share of the renewal
price and named with the lowest rung of the discount ladder that may approve it. Wording
comes from prompts/renewal.md.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from memory.read import AccountData
from tools.churn import AccountRisk
from tools.common import window, within
from tools.plans.renewal_common import (
    Authority,
    Counteroffer,
    Objection,
    ValueSummary,
    approver,
    first_name,
    join,
    main_contact,
    percent,
    say,
    spoken,
    track_for,
    usd,
    value_fields,
    wording,
)
from tools.plans.renewal_sequence import Step, next_date, sign_by, value_review_date
from tools.renewals import RenewalRow
from tools.roi import RoiResult


class TalkLine(BaseModel):
    """One beat of the talk track."""

    label: str
    text: str


def likely_objections(
    data: AccountData,
    row: RenewalRow,
    churn: AccountRisk,
    value: ValueSummary,
    steps: list[Step],
    day: date,
    auth: Authority,
) -> list[Objection]:
    """Derive the likely objections from the account's signals, each with a give-get."""
    signals = {s.kind: s.evidence for s in churn.signals}
    fields = _fields(data, row, value, steps, day)
    found: list[tuple[str, list[str]]] = []

    def fire(kind: str, basis: list[str]) -> None:
        if basis:
            found.append((kind, basis))

    lost = [signals[k] for k in ("champion_loss", "stakeholder_churn") if k in signals]
    if row.champion_status == "lost" and not lost and row.champion:
        lost = [f"champion {row.champion.name} {row.champion.status}"]
    fire("new_stakeholder", lost)
    issues = [signals["support_escalation"]] if "support_escalation" in signals else []
    issues = issues or [r for r in row.reasons if r.startswith("open escalation")]
    fire("product_issues", issues)
    fire("competitor", [signals["competitive"]] if "competitive" in signals else [])
    usage = [signals[k] for k in ("usage_collapse", "silence") if k in signals]
    trend = row.usage_trend
    if trend is not None and trend.direction == "declining" and trend.change is not None:
        usage.append(
            f"logins {trend.current:,} vs {trend.previous:,} ({trend.change:+.0%}, "
            "last 90 days vs the 90 before)"
        )
    fire("not_using", usage)
    fire("unhappy", [signals["negative_survey"]] if "negative_survey" in signals else [])
    fire("no_value", [value.risk] if value.risk else [])
    budget = _budget_basis(row, signals)
    if budget or not found:
        found.append(("budget", budget))
    return [_objection(kind, basis, row, fields, auth) for kind, basis in found]


def _budget_basis(row: RenewalRow, signals: dict[str, str]) -> list[str]:
    """List what predicts a budget objection: a price increase due, a billing signal."""
    basis = []
    if row.price_increase_pct:
        increase = row.arr * row.price_increase_pct / 100
        basis.append(
            f"price increase of {percent(row.price_increase_pct)} due at renewal "
            f"({usd(increase)} on {usd(row.arr)})"
        )
    if "billing" in signals:
        basis.append(signals["billing"])
    return basis


def _objection(
    kind: str, basis: list[str], row: RenewalRow, fields: dict, auth: Authority
) -> Objection:
    """Fill an objection's wording and price its counteroffer."""
    heading = kind
    concession = None
    if kind == "no_value" and fields["dollarised"]:
        heading = "no_value_partial"
    if kind == "budget":
        if row.price_increase_pct and row.price_increase_pct > 0:
            concession = 100 * row.price_increase_pct / (100 + row.price_increase_pct)
        elif basis:
            heading = "budget_flat"
        else:
            heading = "budget_standard"
    text = wording("renewal")[f"objection {heading}"]

    def fill(key: str) -> str:
        return say("renewal", f"objection {heading}", key, **fields)

    if heading == "budget_standard":
        basis = [fill("basis")]
    first = auth.ladder[0] if auth.ladder else None
    first_rung = (
        f"{first.role}, up to {percent(first.max_discount_pct)}" if first else approver(auth, 0)
    )
    return Objection(
        kind=kind,  # type: ignore[arg-type]
        basis=basis,
        they_say=fill("they say"),
        response=fill("response"),
        counteroffer=Counteroffer(
            give=fill("give"),
            get=fill("get"),
            concession_pct=concession,
            approver=approver(auth, concession)
            if concession is not None
            else (first_rung if heading == "budget_standard" else None),
        ),
        acknowledge=fill("acknowledge") if "acknowledge" in text else "",
    )


def _fields(
    data: AccountData, row: RenewalRow, value: ValueSummary, steps: list[Step], day: date
) -> dict[str, object]:
    """Return the template fields objections and the talk track are filled with."""
    pct = row.price_increase_pct
    increase = row.arr * pct / 100 if pct else None
    return {
        "company": data.name,
        "arr": usd(row.arr),
        "new_arr": usd(row.arr + increase) if increase is not None else usd(row.arr),
        "increase_pct": percent(pct) if pct else "",
        "increase_usd": usd(increase) if increase is not None else "",
        "sign_by": sign_by(steps, row.renewal_date or day, day).isoformat(),
        "discussion_date": next_date(steps, -45, day).isoformat(),
        "roi_date": value_review_date(steps, day).isoformat(),
        "lost_contact": _lost_contact(data, row, day),
        "track": track_for(value.lines),
        "total_value": usd(value.total_annual_value_usd),
        "dollarised": value.dollarised,
    }


def _lost_contact(data: AccountData, row: RenewalRow, day: date) -> str:
    """Name who has gone: the lost champion, else the contacts departed within 90 days."""
    if row.champion_status == "lost" and row.champion is not None:
        return row.champion.name
    start, end = window(day, 90)
    gone = [
        c.name
        for c in data.contacts
        if c.status_on(day) == "departed" and within(c.status_changed_at, start, end)
    ]
    return ", ".join(gone) if gone else wording("renewal")["labels"]["no lost contact"]


# --- talk track ----------------------------------------------------------------------------


def talk_track(
    data: AccountData,
    row: RenewalRow,
    value: ValueSummary,
    value_roi: RoiResult,
    objections: list[Objection],
    decide_by: date,
) -> list[TalkLine]:
    """Write the renewal conversation: opening, what to acknowledge, value, the ask, close."""
    contact = main_contact(row)
    greeting = f"Hi {first_name(contact.name)}," if contact else "Hello,"
    fields = value_fields(value_roi, value.lines, data.name, decide_by)
    fields |= {
        "greeting": greeting,
        "renewal_date": str(row.renewal_date),
        "decide_by": decide_by.isoformat(),
        "achieved": join([spoken(o) for o in value.achieved_objectives]),
    }
    lines = [TalkLine(label="Opening", text=say("renewal", "talk opening", **fields))]
    named = [o for o in objections if o.kind not in ("budget", "no_value") and o.acknowledge]
    lines += [TalkLine(label="Acknowledge", text=o.acknowledge) for o in named[:2]]
    if value.dollarised and value.roi_multiple is not None and value.roi_multiple >= 1:
        heading = "talk value_estimate" if value.estimate else "talk value"
    elif value.dollarised:
        heading = "talk value_partial_goals" if value.achieved_goals else "talk value_partial"
    elif value.achieved_goals:
        heading = "talk value_goals"
    else:
        heading = "talk value_none"
    lines.append(TalkLine(label="Value", text=say("renewal", heading, **fields)))
    lines.append(TalkLine(label="The ask", text=say("renewal", "talk ask", **fields)))
    lines.append(TalkLine(label="Close", text=say("renewal", "talk close", **fields)))
    return lines
