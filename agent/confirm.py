"""The confirmation of a staged CRM change: the question, the reading of the reply, the result.

Only an explicit yes executes a write. The reply is read as a whole, after trimming case and
punctuation: "yes", "y", "yes please", "confirm", "go ahead" are a yes; "no", "cancel", "stop"
are a no; anything else ("maybe", "yes and push health too", a new request) is unclear and
asked again, at most MAX_ASKS times in all, then the change is cancelled.
"""

from __future__ import annotations

import re
from typing import Any

from agent.state import Decision

MAX_ASKS = 3
"""Times the question is asked in all (the first and two re-asks) before cancelling."""

YES = frozenset(
    {"yes", "y", "yep", "yeah", "yes please", "confirm", "confirmed", "go ahead", "do it",
     "yes do it", "yes go ahead", "yes write it", "write it", "yes confirm", "approved",
     "approve", "yes log it", "log it", "yes create it", "yes push it"}
)  # fmt: skip
NO = frozenset(
    {"no", "n", "nope", "nah", "cancel", "stop", "abort", "don't", "do not", "no thanks",
     "no thank you", "never mind", "nevermind", "don't write it", "no don't", "cancel it",
     "skip", "skip it"}
)  # fmt: skip


def classify(reply: Any) -> Decision:  # noqa: ANN401  (whatever a resume carried)
    """Read a reply to the confirmation question as yes, no or unclear."""
    if not isinstance(reply, str):
        return "unclear"
    words = " ".join(re.sub(r"[^a-z' ]+", " ", reply.lower().replace("’", "'")).split())
    if words in YES:
        return "yes"
    if words in NO:
        return "no"
    return "unclear"


def question(summary: str, asks: int) -> str:
    """Return the confirmation question: exactly what will be written, then yes or no."""
    again = "Please answer yes or no. " if asks else ""
    return f"{summary}\n\n{again}Write this to the CRM? (yes / no)"


def result_text(decision: Decision | None, outcome: dict[str, Any] | None) -> str:
    """Return what happened to the staged change, in one or two sentences."""
    if decision == "no":
        return "Cancelled: nothing was written to the CRM."
    if decision != "yes":
        return "No clear yes or no, so nothing was written to the CRM. Ask again when ready."
    if outcome is None:
        return "Nothing was written: the change could not be executed."
    what = f"{outcome['kind'].replace('_', ' ')} on {outcome['account_name']}"
    if outcome["result"] == "ok":
        return (
            f"Written to the CRM ({outcome['backend']}): {what}, record {outcome['record_id']}. "
            "It is in the audit log (`csm audit`)."
        )
    if outcome["result"] == "not_repeated":
        return (
            f"Already written earlier ({what}, record {outcome['record_id']}): not repeated. "
            "The audit log says so."
        )
    return f"Not written: {what} failed ({outcome.get('error') or 'unknown error'})."
