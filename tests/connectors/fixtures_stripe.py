"""Builders of Stripe API JSON, shaped as Stripe documents it (values chosen per test)."""

from __future__ import annotations

from typing import Any

BASE = "https://api.stripe.com"
INVOICES = f"{BASE}/v1/invoices"
SUBSCRIPTIONS = f"{BASE}/v1/subscriptions"

# Unix times (UTC) used below, worked out from 2026-01-01T00:00:00Z = 1767225600
JAN_1 = 1767225600
DAY = 86400


def at(day_of_2026: int, hour: int = 0) -> int:
    """Unix time of the `day_of_2026`-th day of 2026 (1 = Jan 1) at `hour` UTC."""
    return JAN_1 + (day_of_2026 - 1) * DAY + hour * 3600


def customer(
    cus_id: str, account_id: str | None = None, email: str | None = None
) -> dict[str, Any]:
    return {
        "id": cus_id,
        "object": "customer",
        "email": email,
        "name": "Acme Corp",
        "currency": "usd",
        "delinquent": False,
        "metadata": {"account_id": account_id} if account_id else {},
        "created": JAN_1 - 300 * DAY,
        "livemode": False,
    }


def deleted_customer(cus_id: str) -> dict[str, Any]:
    return {"id": cus_id, "object": "customer", "deleted": True}


def invoice(
    inv_id: str,
    cust: dict[str, Any] | str,
    *,
    status: str = "paid",
    amount_due: int = 1250000,
    amount_paid: int | None = None,
    currency: str = "usd",
    due_date: int | None = None,
    created: int = at(32),
    finalized_at: int | None = at(32, 1),
    paid_at: int | None = None,
    attempted: bool = False,
    attempt_count: int = 0,
    collection_method: str = "send_invoice",
) -> dict[str, Any]:
    if amount_paid is None:
        amount_paid = amount_due if status == "paid" else 0
    return {
        "id": inv_id,
        "object": "invoice",
        "customer": cust,
        "status": status,
        "currency": currency,
        "amount_due": amount_due,
        "amount_paid": amount_paid,
        "amount_remaining": amount_due - amount_paid,
        "total": amount_due,
        "collection_method": collection_method,
        "created": created,
        "due_date": due_date,
        "attempted": attempted,
        "attempt_count": attempt_count,
        "status_transitions": {
            "finalized_at": finalized_at,
            "paid_at": paid_at,
            "marked_uncollectible_at": None,
            "voided_at": None,
        },
        "livemode": False,
    }


def price(
    price_id: str,
    unit_amount: int | None,
    interval: str = "month",
    interval_count: int = 1,
    currency: str = "usd",
    usage_type: str = "licensed",
) -> dict[str, Any]:
    return {
        "id": price_id,
        "object": "price",
        "currency": currency,
        "unit_amount": unit_amount,
        "unit_amount_decimal": None if unit_amount is None else str(unit_amount),
        "billing_scheme": "per_unit" if unit_amount is not None else "tiered",
        "recurring": {
            "interval": interval,
            "interval_count": interval_count,
            "usage_type": usage_type,
        },
        "type": "recurring",
    }


def item(si_id: str, item_price: dict[str, Any], quantity: int | None = 1) -> dict[str, Any]:
    return {"id": si_id, "object": "subscription_item", "price": item_price, "quantity": quantity}


def subscription(
    sub_id: str,
    cust: dict[str, Any] | str,
    items: list[dict[str, Any]],
    *,
    status: str = "active",
    period_start: int | None = at(32),
    period_end: int | None = at(32 + 365),
    start_date: int = at(32),
    cancel_at_period_end: bool = False,
    ended_at: int | None = None,
) -> dict[str, Any]:
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": cust,
        "status": status,
        "items": {
            "object": "list",
            "data": items,
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "current_period_start": period_start,
        "current_period_end": period_end,
        "start_date": start_date,
        "cancel_at_period_end": cancel_at_period_end,
        "cancel_at": None,
        "canceled_at": ended_at,
        "ended_at": ended_at,
        "currency": "usd",
        "livemode": False,
    }


def page(data: list[dict[str, Any]], *, more: bool, path: str = "/v1/invoices") -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": more, "url": path}
