"""The Stripe source: invoices, and subscriptions as contracts.

Both come from Stripe's list endpoints (`GET /v1/invoices`, `GET /v1/subscriptions?status=all`),
100 objects a page, newest first, paged with `starting_after` while `has_more`, the customer
expanded (`expand[]=data.customer`) so its metadata and e-mail come in the same call.

`since` ("changed since"): Stripe's lists filter by creation only, not by change. Invoices
are read from `invoice_lookback_days` (default 90, the longest usual payment terms) before
`since` (`created[gte]`), so an invoice created earlier but paid, voided or written off since
is read again and its row updated; an invoice still open longer than that is updated by the
next run without `--since`. Subscriptions are always read in full (`since` is ignored): a
subscription created long ago renews, upgrades and cancels, and there is no filter for it.

Rows of earlier periods: the source reads the subscription periods already in the store
(contract ids `sub_...:<start date>`) once per run, so a new period that starts before the
stored previous one ends (an anchor reset) also ends that row the day before (see mapping).

The cursor is JSON: the list being read and the last object id seen in it, so an interrupted
run resumes after the last page stored. A finished run leaves no cursor: Stripe objects
change after they are created (an invoice gets paid, a subscription renews) and the lists
have no "changed since" filter, so each run reads the lists again and updates the rows.
Requests are spaced at `rate_per_second` (default 10; Stripe allows 25 a second in test mode
and 100 live).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, select
from tenacity.wait import wait_base

from connectors.account_match import AccountDirectory, Unplaceable, store_accounts
from connectors.http import ApiClient
from connectors.stripe.mapping import (
    StripeOptions,
    check_currency,
    invoice_row,
    place_customer,
    subscription_row,
    superseded_rows,
)
from connectors.sync.base import Page, Skipped, SourceNotConfigured, SourceRecord
from memory import models as m
from memory.workspace import WorkspaceProfile

SECRET_SETTING = "CSM_STRIPE_KEY"
LISTS = ("invoices", "subscriptions")
"""The lists read, in order."""
ENTITY = {"invoices": "invoices", "subscriptions": "contracts"}
"""Stripe list -> the data-format entity its objects become."""

Periods = dict[str, list[dict[str, str]]]
"""Subscription id -> its contract rows in the store (contract_id, account_id, arr,
start_date, end_date as cell text)."""

_PERIOD_COLUMNS = ("contract_id", "account_id", "arr", "start_date", "end_date")
_PERIOD_ID = re.compile(r"(sub_[A-Za-z0-9]+):\d{4}-\d{2}-\d{2}")


def load_periods(engine: Engine) -> Periods:
    """Read the contract rows a Stripe sync wrote (`sub_...:<date>`), by subscription id."""
    periods: Periods = defaultdict(list)
    columns = (m.Contract.contract_id, m.Contract.account_id, m.Contract.arr)
    query = select(*columns, m.Contract.start_date, m.Contract.end_date).where(
        m.Contract.contract_id.like("sub%:%")
    )
    with engine.connect() as conn:
        for contract_id, account_id, arr, start, end in conn.execute(query):
            match = _PERIOD_ID.fullmatch(contract_id)
            if match is None or start is None or end is None:
                continue
            periods[match[1]].append(
                {
                    "contract_id": contract_id,
                    "account_id": account_id,
                    "arr": format(arr, "f") if isinstance(arr, float) else str(arr),
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                }
            )
    return dict(periods)


def store_periods(store_url: str) -> Callable[[], Periods]:
    """Return a loader of the stored Stripe subscription periods of the store at `store_url`."""

    def load() -> Periods:
        from memory.store import open_store

        store = open_store(store_url)
        try:
            return load_periods(store.engine)
        finally:
            store.dispose()

    return load


class _Cursor(BaseModel):
    """Where a Stripe sync stands: the list being read and the last id seen in it."""

    list: str = "invoices"
    after: str | None = None


class StripeSource:
    """Stripe invoices and subscriptions, as pages of invoices and contracts rows."""

    name = "stripe"

    def __init__(
        self,
        client: ApiClient,
        options: StripeOptions,
        accounts: Callable[[], AccountDirectory],
        today: Callable[[], date] | None = None,
        periods: Callable[[], Periods] | None = None,
    ) -> None:
        """Build the source from its client.

        Args:
            client: the Stripe API client.
            options: field mappings and limits.
            accounts: returns the store's accounts; called once per `pages()`.
            today: the sync's date (default: today in UTC); open invoices due before it are
                past_due.
            periods: returns the subscription periods already stored; called once per
                `pages()` (default: none stored).
        """
        self.client, self.options = client, options
        self._accounts = accounts
        self._today = today or (lambda: datetime.now(UTC).date())
        self._periods = periods or dict
        self._stored: Periods = {}
        """This run's stored periods, updated as rows are mapped."""

    @classmethod
    def from_settings(
        cls,
        settings: Any,  # noqa: ANN401 (agent.settings.Settings; connectors do not import agent)
        profile: WorkspaceProfile,
        *,
        accounts: Callable[[], AccountDirectory] | None = None,
        wait: wait_base | None = None,
        sleep: Callable[[float], None] | None = None,
        today: Callable[[], date] | None = None,
        periods: Callable[[], Periods] | None = None,
    ) -> StripeSource:
        """Build the source from CSM_STRIPE_KEY (and CSM_STRIPE_URL).

        Options come from the workspace profile's `connectors["stripe"]`.

        Args:
            settings: the process settings.
            profile: the workspace profile.
            accounts: the store's accounts (default: read from the configured store).
            wait: backoff between retries (tests pass `tenacity.wait_none()`).
            sleep: how retries wait (tests record it).
            today: the sync's date (default: today in UTC).
            periods: the stored subscription periods (default: read from the configured
                store, or none when `accounts` is given).

        Raises:
            SourceNotConfigured: the key is missing or an option is invalid.
        """
        key = settings.stripe_key.get_secret_value() if settings.stripe_key else ""
        if not key:
            raise SourceNotConfigured(
                "set CSM_STRIPE_KEY (a Stripe secret key sk_..., or a restricted key rk_... "
                "that can read customers, invoices and subscriptions)"
            )
        options = _options(profile)
        extra: dict[str, Any] = {"wait": wait}
        if sleep is not None:
            extra["sleep"] = sleep
        client = ApiClient(
            "stripe",
            settings.stripe_url or "https://api.stripe.com",
            {"Authorization": f"Bearer {key}"},
            rate=options.rate_per_second,
            secret_setting=SECRET_SETTING,
            **extra,
        )
        if accounts is None:
            accounts = store_accounts(settings.store_url)
            if periods is None:
                periods = store_periods(settings.store_url)
        return cls(client, options, accounts, today, periods)

    def pages(self, cursor: str | None, since: datetime | None) -> Iterator[Page]:
        """Yield invoice pages, then subscription pages, each with the cursor to resume after.

        Args:
            cursor: a cursor this source yielded, or None to read everything.
            since: read invoices created at or after `invoice_lookback_days` before this time
                (subscriptions are always read in full).
        """
        state = _Cursor.model_validate_json(cursor) if cursor else _Cursor()
        wanted = [name for name in LISTS if getattr(self.options, name)]
        if state.list in wanted:
            wanted = wanted[wanted.index(state.list) :]
        directory = self._accounts()
        self._stored = {k: list(v) for k, v in self._periods().items()}
        today = self._today()
        created_from = None
        if since is not None:
            created_from = since - timedelta(days=self.options.invoice_lookback_days)
        for position, name in enumerate(wanted):
            after = state.after if name == state.list else None
            following = wanted[position + 1] if position + 1 < len(wanted) else None
            from_ = created_from if name == "invoices" else None
            yield from self._list_pages(name, after, following, from_, directory, today)

    def _list_pages(
        self,
        name: str,
        after: str | None,
        following: str | None,
        created_from: datetime | None,
        directory: AccountDirectory,
        today: date,
    ) -> Iterator[Page]:
        while True:
            params: dict[str, Any] = {"limit": self.options.page_size, "expand[]": "data.customer"}
            if name == "subscriptions":
                params["status"] = "all"
            if created_from is not None:
                params["created[gte]"] = int(created_from.timestamp())
            if after:
                params["starting_after"] = after
            body = self.client.get(f"/v1/{name}", params)
            objects = [o for o in body.get("data") or [] if isinstance(o, Mapping)]
            page = self._page(name, objects, directory, today)
            last = str(objects[-1].get("id")) if objects else None
            more = bool(body.get("has_more")) and last is not None and last != after
            if more:
                page.cursor = _Cursor(list=name, after=last).model_dump_json()
            elif following is not None:
                page.cursor = _Cursor(list=following).model_dump_json()
            yield page
            if not more:
                return
            after = last

    def _page(
        self,
        name: str,
        objects: list[Mapping[str, Any]],
        directory: AccountDirectory,
        today: date,
    ) -> Page:
        entity = ENTITY[name]
        records: list[SourceRecord] = []
        skipped: list[Skipped] = []
        for obj in objects:
            source_id = str(obj.get("id"))
            try:
                if name == "invoices":
                    row = invoice_row(obj, today)
                else:
                    row = subscription_row(obj)
                if row is None:
                    continue
                account_id = place_customer(obj.get("customer"), directory, self.options.account_by)
                check_currency(obj, account_id, directory)
                row["account_id"] = account_id
            except Unplaceable as err:
                skipped.append(Skipped(source_id=source_id, entity=entity, problem=str(err)))
                continue
            if name == "subscriptions":
                stored = self._stored.setdefault(source_id, [])
                for ended in superseded_rows(row, stored):
                    records.append(SourceRecord(entity=entity, source_id=source_id, row=ended))
                    old = next(s for s in stored if s["contract_id"] == ended["contract_id"])
                    old["end_date"] = str(ended["end_date"])
                if all(s["contract_id"] != row["contract_id"] for s in stored):
                    stored.append({k: str(v) for k, v in row.items() if k in _PERIOD_COLUMNS})
            records.append(SourceRecord(entity=entity, source_id=source_id, row=row))
        return Page(records=records, skipped=skipped, cursor=None)


def _options(profile: WorkspaceProfile) -> StripeOptions:
    raw = (getattr(profile, "connectors", None) or {}).get("stripe", {}) or {}
    try:
        return StripeOptions.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}" for e in err.errors()
        )
        raise SourceNotConfigured(
            f"fix the stripe options in the workspace profile: {problems}"
        ) from None
