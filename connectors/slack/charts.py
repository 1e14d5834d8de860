"""The usage trend chart uploaded with score and QBR answers: PNG bytes, or None.

The same drawing as `csm qbr --chart` (agent.render.qbr_chart): monthly active users and
logins a day. A QBR result carries its monthly series; for a score the series is computed
from the account's daily usage (tools.plans.qbr.monthly_usage) over the QBR's window.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from agent.planning import ToolRun

if TYPE_CHECKING:
    from memory.store import Store

CHART_COMMANDS = frozenset({"score", "qbr"})


def chart_for(run: ToolRun, store: Store, as_of: date) -> tuple[str, bytes] | None:
    """Return (file name, PNG bytes) of the run's usage chart, or None for other commands."""
    if run.call.name not in CHART_COMMANDS:
        return None
    from agent.render.qbr_chart import chart_png
    from tools.plans.qbr import UsageMonth

    name = str(run.result.get("name") or run.result.get("account_id") or "account")
    if run.call.name == "qbr":
        months = [UsageMonth.model_validate(m) for m in run.result.get("usage") or []]
    else:
        months = _score_months(store, str(run.result["account_id"]), as_of)
    if not months:
        return None
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return f"{slug}-usage.png", chart_png(name, months)


def _score_months(store: Store, account_id: str, as_of: date) -> list:
    from memory.read import load_portfolio
    from tools.plans.qbr import USAGE_DAYS, monthly_usage

    skip = frozenset({"users", "notes", "plays", "feature_usage"})
    data = load_portfolio(
        store.engine, as_of, usage_days=USAGE_DAYS, account_ids=[account_id], skip=skip
    )
    return monthly_usage(data.get(account_id).usage, as_of)
