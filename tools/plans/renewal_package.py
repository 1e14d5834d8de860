"""Renewal package (`csm renewal-package`): a shareable document and internal negotiation notes.

Built on renewal prep (tools.plans.renewal_prep: dates, risk, value from tools.roi,
objections, authority) plus the expansion scan (tools.expansion.expansion_account) for an
expansion bundled with the renewal. The two parts are separate fields: `customer` is what
the customer may read, `internal` what they must never see; `customer_view()` returns the
shareable part alone. Wording comes from prompts/renewal_package.md.

Resolutions of what the brief leaves open:
- The new term has the length of the current one (whole months when it is, else days) and
  starts the day after the renewal date; the multi-year option is 2 years.
- The multi-year option holds the new-term price for both years (a price lock, not a
  discount) in exchange for the 2-year commitment; no option carries a discount.
- The expansion option exists when the expansion scan finds an opportunity whose actions go
  beyond `multi_year` (that one is the multi-year option); its amount is the scan's revenue
  estimate, labelled. An account at high churn risk is held back: no expansion option.
- The price for the new term with no `price_increase_pct` on record is not guessed: the
  shareable document says it will be confirmed in writing, and the notes list it as a
  blocker to fix before sending.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

from memory.read import PortfolioData
from tools.common import Gaps
from tools.expansion import ExpansionOpportunity, ExpansionResult, expansion_account
from tools.plans.renewal_negotiation import InternalNotes, internal
from tools.plans.renewal_prep import build_renewal_prep
from tools.plans.renewal_shareable import BUNDLE_ACTIONS, CustomerPackage, customer, options, term
from tools.types import Gap, Result


class CustomerView(BaseModel):
    """The shareable part alone (what `--customer-only` prints)."""

    command: Literal["renewal-package"] = "renewal-package"
    as_of: date
    account_id: str
    name: str
    customer: CustomerPackage


class RenewalPackageResult(Result):
    """The renewal package of one account: shareable document plus internal notes."""

    command: Literal["renewal-package"] = "renewal-package"
    account_id: str
    name: str
    renewal_date: date
    arr: float
    new_arr: float | None
    customer: CustomerPackage
    internal: InternalNotes

    def customer_view(self) -> CustomerView:
        """Return only the shareable part."""
        return CustomerView(
            as_of=self.as_of, account_id=self.account_id, name=self.name, customer=self.customer
        )


def build_renewal_package(
    portfolio: PortfolioData, account_id: str, as_of: date | None = None
) -> RenewalPackageResult:
    """Build the renewal package of one active account with a contract in force.

    Args:
        portfolio: the loaded portfolio.
        account_id: the account (KeyError if it was not loaded).
        as_of: the point in time (default: the portfolio's); later rows are ignored.

    Returns:
        The shareable package and the internal negotiation notes, with gaps.

    Raises:
        ValueError: when the account has churned or has no contract in force on as-of.
    """
    prep = build_renewal_prep(portfolio, account_id, as_of)
    scan = expansion_account(portfolio, account_id, prep.as_of)
    opportunity = _bundle(scan)
    start, end = term(prep)
    offers = options(prep, opportunity, start, end)
    return RenewalPackageResult(
        as_of=prep.as_of,
        gaps=_gaps(portfolio, prep.gaps, scan.gaps),
        account_id=account_id,
        name=prep.name,
        renewal_date=prep.renewal_date,
        arr=prep.arr,
        new_arr=prep.new_arr,
        customer=customer(prep, offers, start, end),
        internal=internal(prep, scan, opportunity),
    )


def _gaps(portfolio: PortfolioData, *sources: list[Gap]) -> list[Gap]:
    """Merge the gaps of the tools used (same signal and account once)."""
    gaps = Gaps(portfolio.workspace)
    for source in sources:
        gaps.extend(source)
    return gaps.list()


def _bundle(scan: ExpansionResult) -> ExpansionOpportunity | None:
    """Return the expansion opportunity that can be bundled with the renewal, if any."""
    for o in scan.opportunities:
        if any(a in BUNDLE_ACTIONS for a in o.actions):
            return o
    return None
