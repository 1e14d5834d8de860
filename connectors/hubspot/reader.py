"""`HubSpotSource`: companies, contacts, deals and notes from the CRM v3 API, page by page.

Objects are read in dependency order (companies before the contacts, deals and notes that
refer to them), 100 per page: `GET /crm/v3/objects/{type}?limit=100&after=...` with
`associations=companies` for a full read, and `POST /crm/v3/objects/{type}/search` filtering
`hs_lastmodifieddate GTE since` for an incremental one (the companies of searched objects
come from `POST /crm/v4/associations/{type}/companies/batch/read`). Archived objects are
reported as skipped and not stored.

The cursor is JSON: the object type being read, HubSpot's `after` token, the `since` of the
pass, and when the pass started. After the last page it says `done`: the next run reads
what changed since that pass started.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from connectors.http import ApiClient
from connectors.hubspot import mapping
from connectors.hubspot.client import HubSpotOptions, make_client, options_of
from connectors.sync.base import Page, Skipped, SourceRecord

PAGE_SIZE = 100
PHASES = ("companies", "contacts", "deals", "notes")
DONE = "done"
SINGULAR = {"companies": "company", "contacts": "contact", "deals": "deal", "notes": "note"}
ENTITY = {"companies": "accounts", "contacts": "contacts", "deals": "deals", "notes": "notes"}
"""The entity a skipped object would have been (a deal: a contract or an opportunity)."""


class HubSpotSource:
    """HubSpot CRM as a sync source."""

    name = "hubspot"

    def __init__(self, client: ApiClient, options: HubSpotOptions | None = None) -> None:
        self.client = client
        self.options = options or HubSpotOptions()

    @classmethod
    def from_settings(cls, settings: Any, profile: Any) -> HubSpotSource:  # noqa: ANN401
        """Build the source from CSM_HUBSPOT_TOKEN / CSM_HUBSPOT_URL and the profile's mappings.

        Raises:
            SourceNotConfigured: CSM_HUBSPOT_TOKEN is not set.
        """
        return cls(make_client(settings), options_of(profile))

    def pages(self, cursor: str | None, since: datetime | None) -> Iterator[Page]:
        """Yield pages of companies, then contacts, deals and notes, after `cursor`."""
        state = _start(cursor, since)
        phase_index = PHASES.index(state["phase"])
        after: str | None = state.get("after")
        for phase in PHASES[phase_index:]:
            while True:
                records, skipped, after = self._read(phase, after, state.get("since"))
                more = after is not None
                if more:
                    nxt = {**state, "phase": phase, "after": after}
                elif phase != PHASES[-1]:
                    nxt = {**state, "phase": PHASES[PHASES.index(phase) + 1], "after": None}
                else:
                    nxt = {"phase": DONE, "since": state["started"]}
                yield Page(records=records, skipped=skipped, cursor=json.dumps(nxt))
                if not more:
                    break

    def _read(
        self, phase: str, after: str | None, since: str | None
    ) -> tuple[list[SourceRecord], list[Skipped], str | None]:
        """Read one page of `phase` objects; return its records, skips and the next token."""
        properties = self._properties(phase)
        if since is None:
            params: dict[str, Any] = {
                "limit": PAGE_SIZE,
                "properties": ",".join(properties),
                "archived": "false",
            }
            if phase != "companies":
                params["associations"] = "companies"
            if after:
                params["after"] = after
            body = self.client.get(f"/crm/v3/objects/{phase}", params=params)
            results = body.get("results") or []
            companies = {str(o["id"]): mapping.first_company(o) for o in results}
        else:
            search = _search(since, _modified_property(phase), properties, after)
            body = self.client.post(f"/crm/v3/objects/{phase}/search", json=search)
            results = body.get("results") or []
            companies = self._companies(phase, [str(o["id"]) for o in results])
        records: list[SourceRecord] = []
        skipped: list[Skipped] = []
        for obj in results:
            mapped = self._map(phase, obj, companies.get(str(obj["id"])))
            (skipped if isinstance(mapped, Skipped) else records).append(mapped)  # type: ignore[arg-type]
        token = ((body.get("paging") or {}).get("next") or {}).get("after")
        return records, skipped, str(token) if token else None

    def _map(self, phase: str, obj: dict[str, Any], company_id: str | None) -> mapping.Mapped:
        if obj.get("archived"):
            return Skipped(
                source_id=f"{SINGULAR[phase]} {obj['id']}",
                entity=ENTITY[phase],
                problem="archived in HubSpot: not imported",
            )
        mappers: dict[str, Callable[[], mapping.Mapped]] = {
            "companies": lambda: mapping.company(obj, self.options),
            "contacts": lambda: mapping.contact(obj, company_id, self.options),
            "deals": lambda: mapping.deal(obj, company_id, self.options),
            "notes": lambda: mapping.note(obj, company_id),
        }
        return mappers[phase]()

    def _properties(self, phase: str) -> list[str]:
        if phase == "companies":
            return mapping.company_properties(self.options)
        if phase == "contacts":
            return mapping.contact_properties(self.options)
        if phase == "deals":
            return mapping.deal_properties(self.options)
        return list(mapping.NOTE_PROPERTIES)

    def _companies(self, phase: str, ids: list[str]) -> dict[str, str | None]:
        """Return the first associated company of each object (v4 batch association read)."""
        if phase == "companies" or not ids:
            return {}
        body = self.client.post(
            f"/crm/v4/associations/{phase}/companies/batch/read",
            json={"inputs": [{"id": i} for i in ids]},
        )
        found: dict[str, str | None] = {}
        for result in body.get("results") or []:
            targets = result.get("to") or []
            if targets:
                found[str(result["from"]["id"])] = str(targets[0]["toObjectId"])
        return found


def _start(cursor: str | None, since: datetime | None) -> dict[str, Any]:
    """Return the pass to run: resumed from `cursor`, or a new one (since `since`, or all)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if cursor:
        state = json.loads(cursor)
        if state.get("phase") != DONE:
            return state
        return {"phase": PHASES[0], "after": None, "since": state.get("since"), "started": now}
    start = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if since else None
    return {"phase": PHASES[0], "after": None, "since": start, "started": now}


def _modified_property(phase: str) -> str:
    """Return the last-modified property of an object type (contacts name it differently)."""
    return "lastmodifieddate" if phase == "contacts" else "hs_lastmodifieddate"


def _search(since: str, modified: str, properties: list[str], after: str | None) -> dict[str, Any]:
    """Build the search body: modified at or after `since`, oldest first."""
    millis = int(datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp() * 1000)
    body: dict[str, Any] = {
        "filterGroups": [
            {"filters": [{"propertyName": modified, "operator": "GTE", "value": millis}]}
        ],
        "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
        "properties": properties,
        "limit": PAGE_SIZE,
    }
    if after:
        body["after"] = after
    return body
