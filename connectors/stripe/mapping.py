"""Stripe JSON -> data-format.md rows: invoices and subscriptions (contracts), as pure functions.

Each function takes one vendor object (as the API returns it, customer expanded) and returns
a row of cell text in the CSV vocabulary, None for an object that is not a row of the format
(a draft invoice, a trial), or raises `Unplaceable` with the problem to report.

Decisions (also in docs/zendesk-stripe.md):

- Money: Stripe amounts are integer minor units; they are divided by 100 (by 1 for
  zero-decimal currencies such as JPY) and kept in the object's currency.
- Invoice amount = `amount_due`. due_date = `due_date` (invoices sent for payment); an
  automatically charged invoice has none and is due when finalised (`status_transitions.
  finalized_at`, else `created`). paid_at = the date of `status_transitions.paid_at`.
- Invoice status: paid, void as they are; `uncollectible` (written off after failed
  payments) -> failed; `open` -> failed when a payment attempt was made and failed
  (`attempted` and `attempt_count` > 0), else past_due when its due date is before the
  sync's date (the day the sync runs, in UTC), else open; drafts are not bills yet: dropped.
- A subscription becomes one contract row per billing period, contract_id
  `{sub id}:{period start date}`: start_date = the period's start, end_date = the day before
  the period ends (Stripe periods are half-open, so consecutive periods do not overlap).
  The period is the subscription's `current_period_start/end`, or its items' (API versions
  from 2025-03-31 move them there). ARR = the sum over items of the price's unit amount x
  quantity, annualised by its interval (day x365, week x52, month x12, year x1, divided by
  `interval_count`); discounts, taxes and usage-based prices are not counted (a metered or
  tiered price, which has no unit amount, makes ARR unknown: the subscription is skipped).
- A period that starts before the stored row of an earlier period of the same subscription
  ends (a billing-cycle anchor reset: an upgrade billed from today) ends that row the day
  before: `superseded_rows` returns it with the earlier end_date, so the account's ARR on a
  day of the overlap counts the new period only.
- Subscription status: active, past_due, unpaid -> active; canceled -> churned (auto_renew
  false); trialing, incomplete, incomplete_expired are not contracts: dropped. `paused`
  (a trial ended without a payment method: Stripe bills nothing while paused) is no priced
  period: skipped and reported, no row written; it gets a row again once resumed. So is an
  active subscription whose `pause_collection` is set (collection paused: nothing billed).
  auto_renew = false when the subscription cancels at the period end or at a set time.
- Currency: nothing is converted. An invoice or subscription whose currency is not the
  account's `currency` (accounts.currency, USD by default) is skipped and reported
  (`check_currency`), so no amount is stored in the wrong currency.
- Customers placed by `email_domain` use the customer's metadata `account_id` first when it
  has one; a free-mail domain (gmail.com ...) places nothing (connectors.account_match).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.account_match import AccountDirectory, NoAccount, Unplaceable, email_domain

ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
"""Currencies Stripe counts in whole units (no minor unit)."""

ANNUAL = {"day": Decimal(365), "week": Decimal(52), "month": Decimal(12), "year": Decimal(1)}
"""Billing intervals per year."""

ACTIVE = {"active": "active", "past_due": "active", "unpaid": "active"}
NOT_CONTRACTS = {"trialing", "incomplete", "incomplete_expired"}
PAUSED = "paused"
EXPLICIT_KEY = "account_id"
"""The metadata key that places a customer even when `account_by` is `email_domain`."""
CENT = Decimal("0.01")


class StripeOptions(BaseModel):
    """Field mappings and limits of the Stripe source (`connectors.stripe` in the profile)."""

    model_config = ConfigDict(extra="forbid")
    account_by: str = Field(
        "metadata:account_id",
        description="how a customer finds its account: `metadata:KEY` (the customer's "
        "metadata KEY holds the account_id) or `email_domain` (the customer's e-mail domain "
        "is that of the account's contacts)",
    )
    rate_per_second: float = Field(
        10, gt=0, description="requests per second (Stripe allows 25 in test mode, 100 live)"
    )
    page_size: int = Field(100, ge=1, le=100, description="objects per list request")
    invoices: bool = Field(True, description="sync invoices")
    invoice_lookback_days: int = Field(
        90,
        ge=0,
        description="with `--since`, invoices created this many days before it are read too, "
        "so an invoice paid (or voided) since, but created earlier, is updated; set it to "
        "your longest payment terms",
    )
    subscriptions: bool = Field(True, description="sync subscriptions as contracts")

    @field_validator("account_by")
    @classmethod
    def _known_mapping(cls, value: str) -> str:
        if value == "email_domain" or (value.startswith("metadata:") and value[9:].strip()):
            return value
        raise ValueError("expected `metadata:KEY` or `email_domain`")


def place_customer(customer: object, directory: AccountDirectory, account_by: str) -> str:
    """Return the account_id of an (expanded) Stripe customer.

    Raises:
        Unplaceable: no customer, a deleted one, or it names no single account.
    """
    if not isinstance(customer, Mapping):
        raise Unplaceable(f"customer {customer!s:.40} was not expanded")
    label = f"customer {customer.get('id')}"
    if customer.get("deleted"):
        raise Unplaceable(f"{label} was deleted in Stripe")
    metadata = customer.get("metadata") or {}
    try:
        if account_by == "email_domain":
            if metadata.get(EXPLICIT_KEY):
                return directory.by_id(str(metadata[EXPLICIT_KEY]))
            domain = email_domain(customer.get("email"))
            try:
                return directory.by_domains([domain] if domain else [])
            except NoAccount as err:
                raise NoAccount(f"{err}; set metadata {EXPLICIT_KEY}") from None
        key = account_by.removeprefix("metadata:").strip()
        value = metadata.get(key)
        if not value:
            raise NoAccount(f"no metadata {key!r}")
        return directory.by_id(str(value))
    except NoAccount as err:
        raise NoAccount(f"{label}: {err}") from None


def check_currency(obj: Mapping[str, Any], account_id: str, directory: AccountDirectory) -> None:
    """Refuse an invoice or subscription billed in another currency than its account's.

    Amounts are never converted: a wrong-currency amount would be summed with the account's
    own as if it were the same money.

    Raises:
        Unplaceable: the object's currency is known and is not the account's.
    """
    currency = str(obj.get("currency") or "").strip().upper()
    expected = directory.currency(account_id)
    if currency and currency != expected:
        raise Unplaceable(
            f"billed in {currency} but account {account_id} is in {expected}: not stored "
            "(amounts are not converted); set the account's currency if it is wrong"
        )


def money(minor: object, currency: object, field: str) -> str:
    """Return integer minor units as a plain number of major units ('1234.5')."""
    if isinstance(minor, bool) or not isinstance(minor, int | str):
        raise Unplaceable(f"{field}: missing")
    try:
        amount = Decimal(str(minor))
    except InvalidOperation:
        raise Unplaceable(f"{field}: not an amount: {str(minor)[:40]!r}") from None
    if str(currency or "").lower() not in ZERO_DECIMAL:
        amount /= 100
    return _plain(amount)


def _plain(amount: Decimal) -> str:
    text = format(amount.normalize(), "f")
    return text if text != "-0" else "0"


def day_of(value: object, field: str) -> date:
    """Return a Unix time as its UTC date.

    Raises:
        Unplaceable: missing or not a Unix time.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unplaceable(f"{field}: not a Unix time: {str(value)[:40]!r}")
    try:
        return datetime.fromtimestamp(value, UTC).date()
    except (OverflowError, OSError, ValueError):
        raise Unplaceable(f"{field}: not a Unix time: {value!r}") from None


def invoice_row(invoice: Mapping[str, Any], today: date) -> dict[str, str | None] | None:
    """Map one invoice to an invoices.csv row (None: a draft); the caller adds account_id.

    Args:
        invoice: the Stripe invoice.
        today: the sync's date: an open invoice due before it is past_due.

    Raises:
        Unplaceable: an unknown status, a missing amount, a malformed date.
    """
    status = str(invoice.get("status") or "")
    if status == "draft":
        return None
    transitions = invoice.get("status_transitions") or {}
    if invoice.get("due_date") is not None:
        due = day_of(invoice["due_date"], "due_date")
    elif transitions.get("finalized_at") is not None:
        due = day_of(transitions["finalized_at"], "status_transitions.finalized_at")
    else:
        due = day_of(invoice.get("created"), "created")
    paid_at = None
    if status == "paid" and transitions.get("paid_at") is not None:
        paid_at = day_of(transitions["paid_at"], "status_transitions.paid_at").isoformat()
    if status in ("paid", "void"):
        mapped = status
    elif status == "uncollectible":
        mapped = "failed"
    elif status == "open":
        failed = bool(invoice.get("attempted")) and (invoice.get("attempt_count") or 0) > 0
        mapped = "failed" if failed else "past_due" if due < today else "open"
    else:
        raise Unplaceable(f"status: unknown value {status[:40]!r}")
    return {
        "invoice_id": str(invoice["id"]),
        "account_id": None,
        "amount": money(invoice.get("amount_due"), invoice.get("currency"), "amount_due"),
        "due_date": due.isoformat(),
        "paid_at": paid_at,
        "status": mapped,
    }


def subscription_row(subscription: Mapping[str, Any]) -> dict[str, str | None] | None:
    """Map one subscription's current period to a contracts.csv row (None: not a contract).

    The caller adds account_id.

    Raises:
        Unplaceable: an unknown status, a price without a unit amount, a malformed period.
    """
    status = str(subscription.get("status") or "")
    if status in NOT_CONTRACTS:
        return None
    if status == PAUSED:
        raise Unplaceable(
            "paused in Stripe: it bills nothing while paused, so no contract row is written "
            "(it gets one again when resumed)"
        )
    if status in ACTIVE and subscription.get("pause_collection"):
        behavior = (subscription.get("pause_collection") or {}).get("behavior") or "paused"
        raise Unplaceable(
            f"payment collection paused in Stripe ({str(behavior)[:30]}): it collects nothing "
            "meanwhile, so no contract row is written (it gets one again when collection resumes)"
        )
    if status == "canceled":
        mapped = "churned"
    elif status in ACTIVE:
        mapped = ACTIVE[status]
    else:
        raise Unplaceable(f"status: unknown value {status[:40]!r}")
    items = subscription.get("items") or {}
    if items.get("has_more"):
        raise Unplaceable("more items than one page lists: ARR would be incomplete")
    lines = [i for i in items.get("data") or [] if isinstance(i, Mapping)]
    if not lines:
        raise Unplaceable("no items: ARR unknown")
    start, end = _period(subscription, lines)
    if status == "canceled" and subscription.get("ended_at") is not None:
        end = min(end, day_of(subscription["ended_at"], "ended_at"))
    last_day = max(start, end - timedelta(days=1))
    renews = not (
        status == "canceled"
        or subscription.get("cancel_at_period_end")
        or subscription.get("cancel_at")
    )
    return {
        "contract_id": f"{subscription['id']}:{start.isoformat()}",
        "account_id": None,
        "arr": _plain(sum((_annual(line) for line in lines), Decimal(0)).quantize(CENT)),
        "start_date": start.isoformat(),
        "end_date": last_day.isoformat(),
        "auto_renew": "true" if renews else "false",
        "status": mapped,
    }


def superseded_rows(
    row: Mapping[str, str | None], stored: list[dict[str, str]]
) -> list[dict[str, str | None]]:
    """Return earlier period rows of the subscription that `row` overlaps, ended the day before.

    A billing-cycle anchor reset starts a new period before the current one ends; the stored
    row of the earlier period would otherwise count its ARR on the days both rows cover.

    Args:
        row: the new period's contracts row (contract_id, start_date, ...).
        stored: the subscription's rows in the store (contract_id, account_id, arr,
            start_date, end_date, as cell text).

    Returns:
        The overlapped rows with end_date the day before `row` starts (required columns only,
        so the other stored columns stay as they are).
    """
    start = date.fromisoformat(str(row["start_date"]))
    ended: list[dict[str, str | None]] = []
    for old in stored:
        if old["contract_id"] == row["contract_id"]:
            continue
        old_start, old_end = (
            date.fromisoformat(old["start_date"]),
            date.fromisoformat(old["end_date"]),
        )
        if old_start < start <= old_end:
            ended.append({**old, "end_date": (start - timedelta(days=1)).isoformat()})
    return ended


def _period(subscription: Mapping[str, Any], lines: list[Mapping[str, Any]]) -> tuple[date, date]:
    """Return the current period's first day and the day it ends (exclusive)."""
    start_raw = subscription.get("current_period_start")
    end_raw = subscription.get("current_period_end")
    if start_raw is None:
        starts = [i["current_period_start"] for i in lines if i.get("current_period_start")]
        start_raw = min(starts) if starts else subscription.get("start_date")
    if end_raw is None:
        ends = [i["current_period_end"] for i in lines if i.get("current_period_end")]
        end_raw = max(ends) if ends else None
    start = day_of(start_raw, "current_period_start")
    end = day_of(end_raw, "current_period_end")
    if end < start:
        raise Unplaceable(f"current_period_end {end} is before current_period_start {start}")
    return start, end


def _annual(line: Mapping[str, Any]) -> Decimal:
    """Return one subscription item's yearly amount in major units."""
    price = line.get("price") or line.get("plan") or {}
    label = f"price {price.get('id')}"
    recurring = price.get("recurring") or {}
    interval = recurring.get("interval") or price.get("interval")
    count = recurring.get("interval_count") or price.get("interval_count") or 1
    if recurring.get("usage_type") == "metered" or price.get("usage_type") == "metered":
        raise Unplaceable(f"{label} is metered: ARR unknown")
    unit = price.get("unit_amount_decimal") or price.get("unit_amount")
    if unit is None:
        unit = price.get("amount")  # a legacy plan
    if unit is None:
        raise Unplaceable(f"{label} has no unit amount (tiered): ARR unknown")
    if interval not in ANNUAL:
        raise Unplaceable(f"{label}: unknown interval {str(interval)[:20]!r}")
    quantity = line.get("quantity")
    quantity = 1 if quantity is None else quantity
    major = Decimal(money(unit, price.get("currency"), f"{label} unit_amount"))
    return major * Decimal(quantity) * ANNUAL[interval] / Decimal(count)
