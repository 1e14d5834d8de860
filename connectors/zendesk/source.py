"""The Zendesk source: tickets from the incremental export, satisfaction ratings as CSAT.

Tickets come from the cursor-based incremental export
(`GET /api/v2/incremental/tickets/cursor.json`, first with `start_time`, then with the
`after_cursor` of each page until `end_of_stream`), with organisations and ticket metric sets
side-loaded (`include=organizations,metric_sets`); an organisation not side-loaded is fetched
with `organizations/show_many.json`. Ratings come from `GET /api/v2/satisfaction_ratings.json`
(`score=received`, cursor pagination `page[size]`/`page[after]`, `meta.has_more`); a rating's
account is its ticket's, fetched with `tickets/show_many.json` when this run did not export
that ticket.

The cursor is JSON: the phase (`tickets` or `ratings`), the export's after_cursor, the ratings
page cursor and the start time of the ratings read. A finished run leaves the export cursor
(the next run reads only tickets changed since) and a ratings start time
`ratings_lookback_days` before the newest rating seen. The export is rate limited to
`export_rate_per_minute` (Zendesk allows 10 a minute), other calls to `api_rate_per_minute`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from tenacity.wait import wait_base

from connectors.account_match import AccountDirectory, Unplaceable, store_accounts
from connectors.http import ApiClient
from connectors.sync.base import Page, Skipped, SourceNotConfigured, SourceRecord
from connectors.zendesk.mapping import (
    ZendeskOptions,
    place_organisation,
    rating_created,
    rating_row,
    ticket_row,
)
from memory.workspace import WorkspaceProfile

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
RATINGS_PATH = "/api/v2/satisfaction_ratings.json"
ORGS_PATH = "/api/v2/organizations/show_many.json"
TICKETS_PATH = "/api/v2/tickets/show_many.json"
SHOW_MANY_LIMIT = 100
"""Ids per show_many request (Zendesk's maximum)."""
RATINGS_PAGE_SIZE = 100
SECRET_SETTING = "CSM_ZENDESK_TOKEN"
HINTS = {
    "CSM_ZENDESK_URL": "the account URL, e.g. https://acme.zendesk.com",
    "CSM_ZENDESK_EMAIL": "the agent e-mail the token belongs to",
    "CSM_ZENDESK_TOKEN": "an API token: Admin Center > Apps and integrations > Zendesk API",
}
"""What each Zendesk setting holds, for the message naming the missing ones."""


class _Cursor(BaseModel):
    """Where a Zendesk sync stands: the phase and each stream's position."""

    phase: str = "tickets"
    tickets: str | None = None
    """The incremental export's after_cursor (resume, or tickets changed since)."""
    ratings_after: str | None = None
    """The ratings list's page cursor, mid-read."""
    ratings_from: int | None = None
    """Unix start time of the ratings read."""
    ratings_newest: int | None = None
    """Newest rating created_at seen by this read."""

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)


class ZendeskSource:
    """Zendesk tickets and satisfaction ratings, as pages of tickets and surveys rows."""

    name = "zendesk"

    def __init__(
        self,
        api: ApiClient,
        export: ApiClient,
        options: ZendeskOptions,
        accounts: Callable[[], AccountDirectory],
    ) -> None:
        """Build the source from its clients.

        Args:
            api: the client for ordinary API calls (ratings, show_many).
            export: the client for the incremental export (its own, slower rate).
            options: field mappings and limits.
            accounts: returns the store's accounts; called once per `pages()`.
        """
        self.api, self.export, self.options = api, export, options
        self._accounts = accounts
        self._directory = AccountDirectory(())
        self._orgs: dict[Any, Mapping[str, Any] | None] = {}
        self._ticket_accounts: dict[Any, str | None] = {}

    @classmethod
    def from_settings(
        cls,
        settings: Any,  # noqa: ANN401 (agent.settings.Settings; connectors do not import agent)
        profile: WorkspaceProfile,
        *,
        accounts: Callable[[], AccountDirectory] | None = None,
        wait: wait_base | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> ZendeskSource:
        """Build the source from CSM_ZENDESK_URL, CSM_ZENDESK_EMAIL and CSM_ZENDESK_TOKEN.

        Options come from the workspace profile's `connectors["zendesk"]`.

        Args:
            settings: the process settings.
            profile: the workspace profile.
            accounts: the store's accounts (default: read from the configured store).
            wait: backoff between retries (tests pass `tenacity.wait_none()`).
            sleep: how retries wait (tests record it).

        Raises:
            SourceNotConfigured: a setting is missing or an option is invalid.
        """
        token = settings.zendesk_token.get_secret_value() if settings.zendesk_token else ""
        given = {
            "CSM_ZENDESK_URL": settings.zendesk_url,
            "CSM_ZENDESK_EMAIL": settings.zendesk_email,
            "CSM_ZENDESK_TOKEN": token,
        }
        missing = [f"{name} ({HINTS[name]})" for name, value in given.items() if not value]
        if missing:
            raise SourceNotConfigured(f"set {'; '.join(missing)}")
        options = _options(profile)
        credentials = base64.b64encode(f"{settings.zendesk_email}/token:{token}".encode()).decode()
        headers = {"Authorization": f"Basic {credentials}", "Accept": "application/json"}
        url = _account_url(settings.zendesk_url)
        extra: dict[str, Any] = {"wait": wait}
        if sleep is not None:
            extra["sleep"] = sleep

        def client(per_minute: float) -> ApiClient:
            return ApiClient(
                "zendesk",
                url,
                headers,
                rate=per_minute / 60,
                secret_setting=SECRET_SETTING,
                **extra,
            )

        if accounts is None:
            accounts = store_accounts(settings.store_url)
        return cls(
            client(options.api_rate_per_minute),
            client(options.export_rate_per_minute),
            options,
            accounts,
        )

    def pages(self, cursor: str | None, since: datetime | None) -> Iterator[Page]:
        """Yield ticket pages, then rating pages, each with the cursor to resume after it.

        Args:
            cursor: a cursor this source yielded, or None for a first sync.
            since: without a cursor, read tickets and ratings changed at or after this time.
        """
        state = _Cursor.model_validate_json(cursor) if cursor else _Cursor()
        if not cursor and since is not None:
            state.ratings_from = int(since.timestamp())
        self._directory = self._accounts()
        if state.phase == "tickets":
            yield from self._ticket_pages(state, since)
        if self.options.satisfaction:
            yield from self._rating_pages(state)

    # --- tickets ------------------------------------------------------------------------------

    def _ticket_pages(self, state: _Cursor, since: datetime | None) -> Iterator[Page]:
        params: dict[str, Any] = {
            "include": "organizations,metric_sets",
            "per_page": self.options.page_size,
        }
        if state.tickets:
            params["cursor"] = state.tickets
        else:
            params["start_time"] = int(since.timestamp()) if since is not None else 0
        while True:
            body = self.export.get(EXPORT_PATH, params)
            tickets = [t for t in body.get("tickets") or [] if isinstance(t, dict)]
            for org in body.get("organizations") or []:
                self._orgs[org.get("id")] = org
            metrics = {m.get("ticket_id"): m for m in body.get("metric_sets") or []}
            self._fetch_orgs(t.get("organization_id") for t in tickets)
            page = self._ticket_page(tickets, metrics)
            after = body.get("after_cursor") or state.tickets
            done = bool(body.get("end_of_stream", True)) or not after or after == state.tickets
            state.tickets = after
            if done:
                state.phase = "ratings" if self.options.satisfaction else "tickets"
            page.cursor = state.dump()
            yield page
            if done:
                return
            params = {k: v for k, v in params.items() if k != "start_time"} | {"cursor": after}

    def _ticket_page(
        self, tickets: list[dict[str, Any]], metrics: Mapping[Any, Mapping[str, Any]]
    ) -> Page:
        records: dict[str, SourceRecord] = {}
        skipped: list[Skipped] = []
        for ticket in tickets:
            source_id = f"zd-{ticket.get('id')}"
            try:
                row = ticket_row(ticket, self.options, metrics.get(ticket.get("id")))
                row["account_id"] = self._place_ticket(ticket)
            except Unplaceable as err:
                skipped.append(Skipped(source_id=source_id, entity="tickets", problem=str(err)))
                records.pop(source_id, None)
                continue
            # the export may list one ticket twice; the later state wins
            records.pop(source_id, None)
            records[source_id] = SourceRecord(entity="tickets", source_id=source_id, row=row)
        return Page(records=list(records.values()), skipped=skipped, cursor=None)

    def _place_ticket(self, ticket: Mapping[str, Any]) -> str:
        ticket_id = ticket.get("id")
        self._ticket_accounts[ticket_id] = None
        org_id = ticket.get("organization_id")
        if org_id is not None and self._orgs.get(org_id) is None:
            raise Unplaceable(f"organisation {org_id} not found in Zendesk")
        account_id = place_organisation(
            self._orgs.get(org_id) if org_id is not None else None,
            self._directory,
            self.options.account_by,
        )
        self._ticket_accounts[ticket_id] = account_id
        return account_id

    def _fetch_orgs(self, org_ids: Iterator[Any]) -> None:
        wanted = sorted({i for i in org_ids if i is not None and i not in self._orgs})
        for chunk in _chunks(wanted):
            body = self.api.get(ORGS_PATH, {"ids": ",".join(str(i) for i in chunk)})
            for org in body.get("organizations") or []:
                self._orgs[org.get("id")] = org
            for org_id in chunk:
                self._orgs.setdefault(org_id, None)

    # --- satisfaction ratings -----------------------------------------------------------------

    def _rating_pages(self, state: _Cursor) -> Iterator[Page]:
        state.phase = "ratings"
        while True:
            params: dict[str, Any] = {"score": "received", "page[size]": RATINGS_PAGE_SIZE}
            if state.ratings_from is not None:
                params["start_time"] = state.ratings_from
            if state.ratings_after:
                params["page[after]"] = state.ratings_after
            body = self.api.get(RATINGS_PATH, params)
            ratings = [r for r in body.get("satisfaction_ratings") or [] if isinstance(r, dict)]
            self._fetch_tickets(r.get("ticket_id") for r in ratings)
            page = self._rating_page(ratings)
            for rating in ratings:
                created = rating_created(rating)
                if created is not None:
                    state.ratings_newest = max(created, state.ratings_newest or created)
            meta = body.get("meta") or {}
            after = meta.get("after_cursor")
            more = bool(meta.get("has_more")) and bool(after) and after != state.ratings_after
            if more:
                state.ratings_after = after
            else:
                lookback = self.options.ratings_lookback_days * 86_400
                newest = state.ratings_newest
                done = _Cursor(
                    tickets=state.tickets,
                    ratings_from=newest - lookback if newest is not None else state.ratings_from,
                )
                state = done
            page.cursor = state.dump()
            yield page
            if not more:
                return

    def _rating_page(self, ratings: list[dict[str, Any]]) -> Page:
        records: dict[str, SourceRecord] = {}
        skipped: list[Skipped] = []
        for rating in ratings:
            source_id = f"zd-sat-{rating.get('id')}"
            ticket_id = rating.get("ticket_id")
            try:
                account_id = self._ticket_accounts.get(ticket_id)
                if account_id is None:
                    raise Unplaceable(f"ticket zd-{ticket_id} is not placed on an account")
                row = rating_row(rating, account_id, self.options)
            except Unplaceable as err:
                skipped.append(Skipped(source_id=source_id, entity="surveys", problem=str(err)))
                continue
            if row is not None:
                records[source_id] = SourceRecord(entity="surveys", source_id=source_id, row=row)
        return Page(records=list(records.values()), skipped=skipped, cursor=None)

    def _fetch_tickets(self, ticket_ids: Iterator[Any]) -> None:
        wanted = sorted({i for i in ticket_ids if i is not None and i not in self._ticket_accounts})
        for chunk in _chunks(wanted):
            body = self.api.get(
                TICKETS_PATH,
                {"ids": ",".join(str(i) for i in chunk), "include": "organizations"},
            )
            for org in body.get("organizations") or []:
                self._orgs[org.get("id")] = org
            tickets = [t for t in body.get("tickets") or [] if isinstance(t, dict)]
            self._fetch_orgs(t.get("organization_id") for t in tickets)
            for ticket in tickets:
                try:
                    self._place_ticket(ticket)
                except Unplaceable:
                    pass  # the rating is reported as unplaced
            for ticket_id in chunk:
                self._ticket_accounts.setdefault(ticket_id, None)


def _chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(ids), SHOW_MANY_LIMIT):
        yield ids[start : start + SHOW_MANY_LIMIT]


def _options(profile: WorkspaceProfile) -> ZendeskOptions:
    raw = (getattr(profile, "connectors", None) or {}).get("zendesk", {}) or {}
    try:
        return ZendeskOptions.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}" for e in err.errors()
        )
        raise SourceNotConfigured(
            f"fix the zendesk options in the workspace profile: {problems}"
        ) from None


def _account_url(url: str) -> str:
    url = url.strip().rstrip("/")
    return url if "://" in url else f"https://{url}"
