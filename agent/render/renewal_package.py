"""Render the renewal package (`csm renewal-package`) as Markdown.

`customer_markdown` renders the shareable document alone (what `--customer-only` prints);
`to_markdown` renders it, then a rule, then the internal negotiation notes and data gaps.
"""

from __future__ import annotations

from agent.render.markdown import bullets, dollars, gaps_markdown, table
from agent.render.renewal_prep import BUCKET_LABEL, authority_markdown, objections_markdown
from tools.plans.renewal_negotiation import InternalNotes
from tools.plans.renewal_package import RenewalPackageResult
from tools.plans.renewal_shareable import CustomerPackage, PriceOption

INTERNAL_BANNER = (
    "# Internal negotiation notes: do not share\n\n"
    "Everything below this line is for you and your team only. Send the customer only the "
    "part above (`csm renewal-package ACCOUNT --customer-only` prints it alone)."
)


def to_markdown(result: RenewalPackageResult) -> str:
    """Render the shareable package, then the internal notes and the data gaps."""
    parts = [
        customer_markdown(result).rstrip(),
        "---",
        INTERNAL_BANNER,
        _internal(result.internal),
        gaps_markdown(result.gaps),
    ]
    return "\n\n".join(parts) + "\n"


def customer_markdown(result: RenewalPackageResult) -> str:
    """Render only the shareable document (nothing internal, no data gaps)."""
    c = result.customer
    parts = [
        f"# {c.title}",
        f"**Prepared for:** {c.prepared_for}  \n**Prepared by:** {c.prepared_by}  \n"
        f"**Date:** {result.as_of}",
        c.intro,
        _value(c),
        "## What changes in the new term\n\n" + bullets(c.changes),
        "## Timeline\n\n" + table(("date", "step"), ((d.date, d.item) for d in c.timeline)),
        "## Next term's initiatives\n\n"
        + table(("date", "initiative"), ((d.date, d.item) for d in c.initiatives)),
        _options(c.options),
        c.closing,
        c.prepared_by,
    ]
    return "\n\n".join(parts) + "\n"


def _value(c: CustomerPackage) -> str:
    parts = ["## The value you achieved", c.value_statement]
    if c.value_items:
        rows = [
            (
                v.label,
                dollars(v.annual_value_usd) + (" (estimate)" if v.estimate else ""),
                v.measured_as,
            )
            for v in c.value_items
        ]
        total = dollars(c.value_total_usd)
        total += " (includes estimates)" if c.value_estimate else ""
        rows.append(("**total**", f"**{total}**", ""))
        parts.append(table(("value", "per year", "measured as"), rows))
    if c.goals_achieved:
        parts.append("Goals reached this term:\n\n" + bullets(c.goals_achieved))
    return "\n\n".join(parts)


def _options(options: list[PriceOption]) -> str:
    parts = ["## Your options"]
    for n, o in enumerate(options, start=1):
        lines = [o.description]
        lines.append(f"**Annual price:** {_price(o)}.")
        if o.in_return:
            lines.append(f"**In return for:** {o.in_return}.")
        parts.append(f"### {n}. {o.title}\n\n" + "\n\n".join(lines))
    return "\n\n".join(parts)


def _price(o: PriceOption) -> str:
    if o.amount_note:
        return o.amount_note
    return dollars(o.annual_price_usd)


def _internal(n: InternalNotes) -> str:
    parts = [
        "## Where this renewal stands",
        f"**Renewal bucket:** {BUCKET_LABEL[n.bucket]}; churn risk: {n.churn_risk or 'no signal'}",
        bullets(n.reasons + [f"Timing: {t}" for t in n.timing]),
    ]
    if n.blockers:
        parts += ["## Fix before sending", bullets(n.blockers)]
    parts += [
        "## The value conversation: what to say",
        *(f"> {line}" for line in n.value_conversation),
    ]
    parts.append(objections_markdown(n.objections))
    parts.append(authority_markdown(n.authority))
    parts.append(
        "## When to bring in the deal desk or AE\n\n"
        + table(("when", "who", "why"), ((b.when, b.who, b.why) for b in n.bring_in))
    )
    if n.expansion:
        parts.append(f"## Expansion\n\n{n.expansion}")
    return "\n\n".join(parts)
