"""`HubSpotSource`: companies, contacts, deals and notes from the CRM v3 API, page by page.

Objects are read in dependency order (companies before the contacts, deals and notes that
refer to them), 100 per page. A full read lists them: `GET /crm/v3/objects/{type}?limit=100
&after=...&associations=companies` (the list's `after` is a cursor token, not an offset). An
incremental one searches `POST /crm/v3/objects/{type}/search` on the last-modified property
(`hs_lastmodifieddate`, `lastmodifieddate` for contacts); the companies of searched objects
come from `POST /crm/v4/associations/{type}/companies/batch/read`, the primary one chosen by
its association type (connectors.hubspot.mapping). Archived objects are reported as skipped
and not stored.

Keyset search. The search's `after` is an offset into a result set that moves while it is
read (an object edited mid-pass jumps to the end and the next one would slide back unread),
and HubSpot refuses offsets past 10,000 with a 400. So `after` is never sent: each query
starts again after the last object read, by its (modified time t, id). The search takes one
sort rule only, so ties at one millisecond are read in their own query: `modified EQ t AND
hs_object_id GT id` sorted by `hs_object_id`, then `modified GT t` sorted by the modified
time; after a page of the latter its last time t' is read again from id 0 as ties (the
records at t' in the page come back once more: upserts, never duplicates). Objects edited
during the pass move to the end and are read again later in the pass or the next one.

The cursor is JSON: the object type being read (`phase`), the position in it (`after`: the
list's token on a full read, `[t in epoch ms, id or null]` on a search), the `since` of the
pass, and when it `started`. After the last page it is `{"phase": "done", "since":
<started>}`; the next run reads what changed since `OVERLAP` (5 minutes) before that pass
started, because HubSpot's search index lags writes by seconds and an edit just before the
pass started may not have been searchable yet (the overlap is re-read: upserts). A stored
cursor of an older version (an offset as `after`) restarts that object from the pass's
`since`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.http import ApiClient, ApiError
from connectors.hubspot import mapping
from connectors.hubspot.client import HubSpotOptions, make_client, options_of
from connectors.sync.base import Page, Skipped, SourceRecord

PAGE_SIZE = 100
PHASES = ("companies", "contacts", "deals", "notes")
DONE = "done"
OVERLAP = timedelta(minutes=5)
"""A pass reads what changed since this long before the previous pass started."""
SINGULAR = {"companies": "company", "contacts": "contact", "deals": "deal", "notes": "note"}
ENTITY = {"companies": "accounts", "contacts": "contacts", "deals": "deals", "notes": "notes"}
"""The entity a skipped object would have been (a deal: a contract or an opportunity)."""
ID_PROPERTY = "hs_object_id"

Position = tuple[int, str | None]
"""(modified time in epoch ms, id of the last object read at that time, or None: none yet)."""
Placement = tuple[str | None, str | None]
"""(the company an object is on, or None; why it cannot be placed, or None)."""


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
        """Yield pages of companies, then contacts, deals and notes, after `cursor`.

        Args:
            cursor: a cursor this source yielded earlier, or None.
            since: only objects changed at or after this time (when there is no cursor).
        """
        state = _start(cursor, since)
        first = PHASES.index(state["phase"])
        for phase in PHASES[first:]:
            after = state.get("after") if phase == PHASES[first] else None
            if state.get("since") is None:
                batches = self._listed(phase, after if isinstance(after, str) else None)
            else:
                batches = self._searched(phase, state["since"], _position(after))
            for records, skipped, position in batches:
                if position is not None:
                    nxt: dict[str, Any] = {**state, "phase": phase, "after": position}
                elif phase != PHASES[-1]:
                    nxt = {**state, "phase": PHASES[PHASES.index(phase) + 1], "after": None}
                else:
                    nxt = {"phase": DONE, "since": state["started"]}
                yield Page(records=records, skipped=skipped, cursor=json.dumps(nxt))

    # --- full read: the list endpoint ---------------------------------------------------------

    def _listed(
        self, phase: str, after: str | None
    ) -> Iterator[tuple[list[SourceRecord], list[Skipped], str | None]]:
        """Yield each listed page's records, skips and the list's next token (None: the end)."""
        while True:
            params: dict[str, Any] = {
                "limit": PAGE_SIZE,
                "properties": ",".join(self._properties(phase)),
                "archived": "false",
            }
            if phase != "companies":
                params["associations"] = "companies"
            if after:
                params["after"] = after
            body = self.client.get(f"/crm/v3/objects/{phase}", params=params)
            results = body.get("results") or []
            companies = {
                str(o["id"]): mapping.choose_company(mapping.listed_links(o, phase), phase)
                for o in results
            }
            token = ((body.get("paging") or {}).get("next") or {}).get("after")
            after = str(token) if token else None
            yield (*self._map_all(phase, results, companies), after)
            if after is None:
                return

    # --- incremental read: keyset search ------------------------------------------------------

    def _searched(
        self, phase: str, since: str, position: Position | None
    ) -> Iterator[tuple[list[SourceRecord], list[Skipped], list[Any] | None]]:
        """Yield each searched page's records, skips and the position after it (None: the end).

        From `position` (ties at its time first), else from `since` inclusive.
        """
        modified = _modified_property(phase)
        properties = self._properties(phase)
        if position is None:
            t, last_id, ties = _millis(since), None, False
            later = {"operator": "GTE", "value": str(t)}
        else:
            (t, last_id), ties = position, True
            later = {"operator": "GT", "value": str(t)}
        while True:
            if ties:
                filters = [{"propertyName": modified, "operator": "EQ", "value": str(t)}]
                if last_id is not None:
                    filters.append(
                        {"propertyName": ID_PROPERTY, "operator": "GT", "value": last_id}
                    )
                body = self._search(phase, filters, ID_PROPERTY, properties)
                results = body.get("results") or []
                if results:
                    newest = str(results[-1]["id"])
                    if last_id is not None and _id_order(newest) <= _id_order(last_id):
                        raise ApiError(None, f"HubSpot {phase} search did not advance by id")
                    last_id = newest
                ties = _has_next(body)
                later = {"operator": "GT", "value": str(t)}
                if results:
                    yield (*self._searched_page(phase, results), [t, last_id])
                continue
            body = self._search(phase, [{"propertyName": modified, **later}], modified, properties)
            results = body.get("results") or []
            if not _has_next(body):
                yield (*self._searched_page(phase, results), None)
                return
            newest_t = max(
                (m for m in (_modified_millis(o, modified) for o in results) if m), default=None
            )
            if newest_t is None or newest_t < t or (newest_t == t and later["operator"] == "GT"):
                raise ApiError(
                    None, f"HubSpot {phase} search results lack a usable {modified}: cannot page"
                )
            t, last_id, ties = newest_t, None, True
            yield (*self._searched_page(phase, results), [t, None])

    def _search(
        self, phase: str, filters: list[dict[str, str]], sort: str, properties: list[str]
    ) -> dict[str, Any]:
        """Run one search from offset 0 (never `after`), sorted ascending by `sort`."""
        body = {
            "filterGroups": [{"filters": filters}],
            "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
            "properties": list(dict.fromkeys([*properties, ID_PROPERTY])),
            "limit": PAGE_SIZE,
        }
        return self.client.post(f"/crm/v3/objects/{phase}/search", json=body)

    def _searched_page(
        self, phase: str, results: list[dict[str, Any]]
    ) -> tuple[list[SourceRecord], list[Skipped]]:
        companies = self._companies(phase, [str(o["id"]) for o in results])
        return self._map_all(phase, results, companies)

    def _companies(self, phase: str, ids: list[str]) -> dict[str, Placement]:
        """Return the company of each object (v4 batch association read, primary first)."""
        if phase == "companies" or not ids:
            return {}
        body = self.client.post(
            f"/crm/v4/associations/{phase}/companies/batch/read",
            json={"inputs": [{"id": i} for i in ids]},
        )
        found: dict[str, Placement] = {}
        for result in body.get("results") or []:
            links = mapping.batch_links(result.get("to") or [], phase)
            found[str(result["from"]["id"])] = mapping.choose_company(links, phase)
        return found

    # --- mapping ------------------------------------------------------------------------------

    def _map_all(
        self, phase: str, results: list[dict[str, Any]], companies: dict[str, Placement]
    ) -> tuple[list[SourceRecord], list[Skipped]]:
        records: list[SourceRecord] = []
        skipped: list[Skipped] = []
        for obj in results:
            for mapped in self._map(phase, obj, companies.get(str(obj["id"]), (None, None))):
                (skipped if isinstance(mapped, Skipped) else records).append(mapped)  # type: ignore[arg-type]
        return records, skipped

    def _map(self, phase: str, obj: dict[str, Any], placement: Placement) -> list[mapping.Mapped]:
        source_id = f"{SINGULAR[phase]} {obj['id']}"
        if obj.get("archived"):
            problem = "archived in HubSpot: not imported"
            return [Skipped(source_id=source_id, entity=ENTITY[phase], problem=problem)]
        company_id, problem = placement
        if problem is not None:
            return [Skipped(source_id=source_id, entity=ENTITY[phase], problem=problem)]
        mappers: dict[str, Callable[[], list[mapping.Mapped]]] = {
            "companies": lambda: [mapping.company(obj, self.options)],
            "contacts": lambda: [mapping.contact(obj, company_id, self.options)],
            "deals": lambda: mapping.deal(obj, company_id, self.options),
            "notes": lambda: [mapping.note(obj, company_id)],
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


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _start(cursor: str | None, since: datetime | None) -> dict[str, Any]:
    """Return the pass to run: resumed from `cursor`, or a new one (since `since`, or all)."""
    now = _iso(_now())
    if cursor:
        state = json.loads(cursor)
        if state.get("phase") in PHASES:
            return {**state, "started": state.get("started") or now}
        last = state.get("since")
        if last:  # the previous pass started then: overlap it by the search index's lag
            last = _iso(datetime.fromisoformat(last.replace("Z", "+00:00")) - OVERLAP)
        return {"phase": PHASES[0], "after": None, "since": last, "started": now}
    start = _iso(since) if since else None
    return {"phase": PHASES[0], "after": None, "since": start, "started": now}


def _position(value: object) -> Position | None:
    """Return a stored search position, or None (an older cursor's offset: restart the object)."""
    if not (isinstance(value, list | tuple) and len(value) == 2 and isinstance(value[0], int)):
        return None
    last_id = value[1]
    return value[0], (str(last_id) if last_id is not None else None)


def _has_next(body: dict[str, Any]) -> bool:
    return bool(((body.get("paging") or {}).get("next") or {}).get("after"))


def _id_order(object_id: str) -> tuple[int, str]:
    return (len(object_id), object_id)  # numeric ids in numeric order


def _millis(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _modified_millis(obj: dict[str, Any], modified: str) -> int | None:
    """Return an object's last-modified time in epoch ms (None when missing or unreadable)."""
    value = str((obj.get("properties") or {}).get(modified) or "").strip()
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def _modified_property(phase: str) -> str:
    """Return the last-modified property of an object type (contacts name it differently)."""
    return "lastmodifieddate" if phase == "contacts" else "hs_lastmodifieddate"
