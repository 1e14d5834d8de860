"""The internal negotiation notes of the renewal package: never shown to the customer.

Where the renewal stands (the pipeline's bucket and reasons, churn risk, timing), what to
fix before sending the shareable part, the exact words for the value conversation, the
likely objections with their give-get counteroffers, the discount ladder and escalation
path, when to bring in the deal desk, the account executive or the escalation path, and the
expansion opportunity or why it is held back. Wording comes from prompts/renewal_package.md.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from tools.expansion import ExpansionOpportunity, ExpansionResult
from tools.plans.renewal_common import (
    Authority,
    Objection,
    join,
    spoken,
    usd,
    value_phrases,
    wording,
)
from tools.plans.renewal_prep import RenewalPrepResult
from tools.plans.renewal_sequence import next_date, step_at
from tools.plans.renewal_shareable import say


class BringIn(BaseModel):
    """When to bring someone into the deal, and why."""

    who: str
    when: date
    why: str


class InternalNotes(BaseModel):
    """The negotiation notes: never shown to the customer."""

    bucket: str
    reasons: list[str]
    churn_risk: str | None
    timing: list[str]
    objections: list[Objection]
    authority: Authority
    bring_in: list[BringIn]
    value_conversation: list[str]
    expansion: str | None = Field(description="the expansion opportunity or why it is held back")
    blockers: list[str] = Field(description="what to fix before sending the shareable part")


def internal(
    prep: RenewalPrepResult,
    scan: ExpansionResult,
    opportunity: ExpansionOpportunity | None,
) -> InternalNotes:
    """Write the negotiation notes: risk, objections, authority, who to bring in, wording."""
    return InternalNotes(
        bucket=prep.risk.bucket,
        reasons=prep.risk.reasons,
        churn_risk=prep.risk.churn_risk,
        timing=prep.notes,
        objections=prep.objections,
        authority=prep.authority,
        bring_in=_bring_in(prep, opportunity),
        value_conversation=_value_conversation(prep),
        expansion=_expansion_note(scan, opportunity),
        blockers=_blockers(prep),
    )


def _bring_in(prep: RenewalPrepResult, opportunity: ExpansionOpportunity | None) -> list[BringIn]:
    """Say when to bring in the deal desk, the AE and the escalation path."""
    auth = prep.authority
    discussion = next_date(prep.steps, -45, prep.as_of)
    first = auth.ladder[0] if auth.ladder else None
    deal_desk = _bring("deal_desk", discussion)
    if first is not None:
        rung = f"{first.max_discount_pct:g}% ({first.role}'s limit)"
        deal_desk.why += " " + say("bring deal_desk", "ladder", first_rung=rung)
    else:
        deal_desk.why += " " + say("bring deal_desk", "no ladder")
    out = [deal_desk]
    if opportunity is not None:
        estimate = usd(opportunity.revenue_estimate)
        out.append(_bring("ae_expansion", discussion, estimate=estimate))
    competitive = next((s for s in prep.risk.churn_signals if s.kind == "competitive"), None)
    if competitive is not None:
        out.append(_bring("ae_competitive", prep.as_of, evidence=competitive.evidence))
    lead = auth.escalation_path[0] if auth.escalation_path else "CS leadership"
    contract = step_at(prep.steps, -30)
    final = step_at(prep.steps, -14)
    out.append(
        _bring(
            "escalation",
            max(contract.date, prep.as_of),
            lead=lead,
            contract_date=contract.date,
            final_date=final.date,
        )
    )
    return sorted(out, key=lambda b: b.when)


def _bring(key: str, when: date, **fields: object) -> BringIn:
    heading = f"bring {key}"
    return BringIn(who=say(heading, "who", **fields), when=when, why=say(heading, "why", **fields))


def _value_conversation(prep: RenewalPrepResult) -> list[str]:
    """Give the exact words for the value conversation, then for a push on price."""
    value = prep.value
    fields = {
        "company": prep.name,
        "arr": usd(prep.arr),
        "total_value": usd(value.total_annual_value_usd),
        "value_lines": value_phrases(value.lines),
        "multiple": f"{value.roi_multiple:.1f}" if value.roi_multiple is not None else "",
        "achieved": join([spoken(o) for o in value.achieved_objectives]),
    }
    if value.dollarised and value.roi_multiple is not None and value.roi_multiple >= 1:
        key = "estimate" if value.estimate else "documented"
    elif value.dollarised:
        key = "partial"
    else:
        key = "goals" if value.achieved_goals else "none"
    return [
        say("value conversation", key, **fields),
        say("value conversation", "price pushback", **fields),
    ]


def _expansion_note(scan: ExpansionResult, opportunity: ExpansionOpportunity | None) -> str | None:
    """Describe the expansion the package bundles, or why it is held back."""
    if opportunity is not None:
        kinds = ", ".join(f"{s.kind} ({s.strength})" for s in opportunity.signals)
        return (
            f"{kinds}; action {opportunity.action}; revenue {usd(opportunity.revenue_estimate)} "
            f"({opportunity.estimate_basis})"
        )
    if scan.held_back:
        return scan.held_back[0].reason
    return None


def _blockers(prep: RenewalPrepResult) -> list[str]:
    """List what to fix before the shareable part goes out."""
    text = wording("renewal_package")["blockers"]
    out = []
    if prep.price_increase_pct is None:
        out.append(text["price"])
    if prep.contact is None:
        out.append(text["addressee"])
    if not prep.value.dollarised:
        out.append(text["value"])
    return out
