"""`SalesforceSource`: Account, Contact and Opportunity via SOQL, page by page.

Each object is read with `GET /services/data/v61.0/queryAll?q=SELECT ... ORDER BY
SystemModstamp, Id`, then each `nextRecordsUrl` until `done`. Accounts map to accounts,
contacts to contacts (role from a configurable field, last engaged from `LastActivityDate`),
opportunities to contracts (a stage mapped to `contract`) or opportunities. A won deal (a
stage mapped to `contract`) is also written as an opportunity at stage `won`, closed on its
CloseDate, so the opportunity row an earlier sync stored while it was open leaves the
pipeline.

Change field. Incremental reads filter and order on `SystemModstamp`, not `LastModifiedDate`:
logging a Task or an Event updates a Contact's or Account's `LastActivityDate` and its
`SystemModstamp`, but not its `LastModifiedDate`, so a `LastModifiedDate` filter would leave
`last_engaged_at` stale after the first sync. Salesforce recommends `SystemModstamp` for
sync; it is indexed and never earlier than `LastModifiedDate`.

Resume. A `nextRecordsUrl` names a server-side query locator that Salesforce expires after
about 15 minutes (and drops when a user holds too many), so it is used only within a run and
never stored. The cursor stored with each page records, for the object being read, the
(SystemModstamp, Id) of the last record of the pages stored so far; a resumed run queries
again with `WHERE (SystemModstamp > t) OR (SystemModstamp = t AND Id > 'id')` in the same
order and so starts at the first record not yet stored. A locator that expires during a run
(404 or 400 `INVALID_QUERY_LOCATOR`) is replaced the same way. Records changed while a pass
runs move to the end of the order: they are read again later in the pass or in the next one
(an upsert, never a duplicate). Timestamps are compared to the second, as Salesforce stores
them. The cursor is JSON: the change field (`order`), the object (`phase`), the position
(`after`), the pass's `since` and when it `started`; after the last page it is
`{"order": "SystemModstamp", "phase": "done", "since": <started>}` and the next run reads
what changed since that pass started, `WHERE SystemModstamp >= since`, in the same order.

Older cursors. A cursor without `"order": "SystemModstamp"` was written by the
LastModifiedDate reader: the passes that wrote it missed activity-only changes, so the next
run starts a new pass over everything (once; upserts, no duplicates) instead of resuming it.

Deleted records. `queryAll` (not `query`) is used so that records in the recycle bin come
back with `IsDeleted = true`: they are not imported and are reported as skipped ("deleted in
Salesforce", or "merged into ..." for a merged Account or Contact), so a deletion since the
last sync is visible in the report. The store keeps any row an earlier sync wrote for them:
a sync, like `csm import`, never deletes rows.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from connectors.http import ApiClient, ApiError
from connectors.salesforce.client import API, SalesforceOptions, make_client, options_of
from connectors.sync.base import Page, Skipped, SourceRecord

log = logging.getLogger(__name__)

PHASES = ("Account", "Contact", "Opportunity")
DONE = "done"
CHANGED = "SystemModstamp"
"""The field incremental reads filter and order on (set on any change, activity included)."""
FIELDS = {
    "Account": ["Id", "Name", "Industry", "NumberOfEmployees"],
    "Contact": [
        "Id",
        "AccountId",
        "FirstName",
        "LastName",
        "Title",
        "Email",
        "Department",
        "LastActivityDate",
    ],
    "Opportunity": ["Id", "AccountId", "Amount", "StageName", "Type", "CloseDate", "CreatedDate"],
}
"""The fields each object's mapping reads (the bookkeeping fields are added to each query)."""
BOOKKEEPING = {
    "Account": ["IsDeleted", "MasterRecordId", CHANGED],
    "Contact": ["IsDeleted", "MasterRecordId", CHANGED],
    "Opportunity": ["IsDeleted", CHANGED],
}
"""Deleted and merged flags, and the ordering field; Opportunity has no MasterRecordId."""
ENTITY = {"Account": "accounts", "Contact": "contacts", "Opportunity": "opportunities"}
EXPIRED_LOCATOR = (400, 404)
"""Statuses of a `nextRecordsUrl` Salesforce no longer holds (INVALID_QUERY_LOCATOR)."""

_ID = re.compile(r"[A-Za-z0-9]{1,18}")
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?")

Position = tuple[str, str]
"""(SystemModstamp as a SOQL literal, Id) of the last record read."""


class SalesforceSource:
    """Salesforce as a sync source."""

    name = "salesforce"

    def __init__(self, client: ApiClient, options: SalesforceOptions | None = None) -> None:
        self.client = client
        self.options = options or SalesforceOptions()

    @classmethod
    def from_settings(cls, settings: Any, profile: Any) -> SalesforceSource:  # noqa: ANN401
        """Build the source from CSM_SALESFORCE_URL / CSM_SALESFORCE_TOKEN and the profile.

        Raises:
            SourceNotConfigured: a setting is missing.
        """
        return cls(make_client(settings), options_of(profile))

    def pages(self, cursor: str | None, since: datetime | None) -> Iterator[Page]:
        """Yield pages of accounts, then contacts and opportunities, after `cursor`.

        Args:
            cursor: a cursor this source yielded earlier, or None.
            since: only records changed at or after this time (when there is no cursor).
        """
        state, after = _start(cursor, since)
        for phase in PHASES[PHASES.index(state["phase"]) :]:
            next_url: str | None = None
            while True:
                body = self._fetch(phase, state["since"], after, next_url)
                rows = body.get("records") or []
                records, skipped = self._map(phase, rows)
                after = (_position_of(rows[-1]) if rows else None) or after
                next_url = None if body.get("done", True) else body.get("nextRecordsUrl")
                if next_url:
                    nxt: dict[str, Any] = {**state, "phase": phase, "after": after}
                elif phase != PHASES[-1]:
                    nxt = {**state, "phase": PHASES[PHASES.index(phase) + 1], "after": None}
                else:
                    nxt = {"order": CHANGED, "phase": DONE, "since": state["started"]}
                yield Page(records=records, skipped=skipped, cursor=json.dumps(nxt))
                if not next_url:
                    break
            after = None

    def soql(self, phase: str, since: str | None = None, after: Position | None = None) -> str:
        """Return the SOQL query of one object, oldest change first.

        Args:
            phase: the object (Account, Contact, Opportunity).
            since: only records changed at or after this SOQL datetime literal.
            after: only records after this (SystemModstamp, Id) in the order; it implies
                `since`, which is then left out.
        """
        fields = list(FIELDS[phase])
        if phase == "Contact" and self.options.role_field:
            fields.append(self.options.role_field)
        if phase == "Opportunity":
            fields.append(self.options.contract_end_field)
        fields += BOOKKEEPING[phase]
        if after is not None:
            t, last_id = after
            where = f" WHERE ({CHANGED} > {t}) OR ({CHANGED} = {t} AND Id > '{last_id}')"
        elif since:
            where = f" WHERE {CHANGED} >= {since}"
        else:
            where = ""
        select = ", ".join(dict.fromkeys(fields))
        return f"SELECT {select} FROM {phase}{where} ORDER BY {CHANGED}, Id"

    def _fetch(
        self, phase: str, since: str | None, after: Position | None, next_url: str | None
    ) -> dict[str, Any]:
        """Return the next batch: by the locator within a run, else a query after `after`."""
        if next_url:
            try:
                return self.client.get(next_url)
            except ApiError as err:
                if err.status not in EXPIRED_LOCATOR or after is None:
                    raise
                log.warning(
                    "salesforce: the %s query locator is gone (%s); querying again after the "
                    "last record read",
                    phase,
                    err.message,
                )
        return self.client.get(f"{API}/queryAll", {"q": self.soql(phase, since, after)})

    def _map(
        self, phase: str, rows: list[dict[str, Any]]
    ) -> tuple[list[SourceRecord], list[Skipped]]:
        records: list[SourceRecord] = []
        skipped: list[Skipped] = []
        for obj in rows:
            if obj.get("IsDeleted"):
                skipped.append(_deleted(phase, obj))
                continue
            mapped = getattr(self, f"_{phase.lower()}")(obj)
            for one in mapped if isinstance(mapped, list) else [mapped]:
                (skipped if isinstance(one, Skipped) else records).append(one)
        return records, skipped

    def _account(self, obj: dict[str, Any]) -> SourceRecord:
        row = {
            "account_id": obj["Id"],
            "name": obj.get("Name"),
            "industry": obj.get("Industry"),
            "employees": _text(obj.get("NumberOfEmployees")),
        }
        return SourceRecord(entity="accounts", source_id=f"Account {obj['Id']}", row=row)

    def _contact(self, obj: dict[str, Any]) -> SourceRecord | Skipped:
        sid = f"Contact {obj['Id']}"
        if not obj.get("AccountId"):
            return Skipped(source_id=sid, entity="contacts", problem="no Account in Salesforce")
        name = " ".join(p for p in (obj.get("FirstName"), obj.get("LastName")) if p)
        row = {
            "contact_id": obj["Id"],
            "account_id": obj["AccountId"],
            "name": name or obj.get("Email"),
            "title": obj.get("Title"),
            "email": obj.get("Email"),
            "department": obj.get("Department"),
            "last_engaged_at": obj.get("LastActivityDate"),
        }
        if self.options.role_field:
            role = obj.get(self.options.role_field)
            row["role"] = role.strip().lower().replace(" ", "_") if role else None
        return SourceRecord(entity="contacts", source_id=sid, row=row)

    def _opportunity(self, obj: dict[str, Any]) -> list[SourceRecord] | Skipped:
        sid = f"Opportunity {obj['Id']}"
        stage_name = (obj.get("StageName") or "").strip()
        stage = self.options.stages().get(stage_name.lower())
        if not obj.get("AccountId"):
            return Skipped(source_id=sid, entity="opportunities", problem="no Account")
        if stage is None:
            return Skipped(
                source_id=sid,
                entity="opportunities",
                problem=f"stage {stage_name!r} is not mapped: add it to stage_map "
                "(connectors.salesforce in the workspace profile)",
            )
        records: list[SourceRecord] = []
        if stage == "contract":
            row = {
                "contract_id": obj["Id"],
                "account_id": obj["AccountId"],
                "arr": _text(obj.get("Amount")),
                "start_date": obj.get("CloseDate"),
                "end_date": obj.get(self.options.contract_end_field),
            }
            records.append(SourceRecord(entity="contracts", source_id=sid, row=row))
            stage = "won"  # the deal is also an opportunity that closed as won
        kind = "renewal" if (obj.get("Type") or "").lower() == "renewal" else None
        row = {
            "opportunity_id": obj["Id"],
            "account_id": obj["AccountId"],
            "kind": kind or self.options.default_kind,
            "amount": _text(obj.get("Amount")),
            "stage": stage,
            "created_at": (obj.get("CreatedDate") or "")[:10] or None,
            "closed_at": obj.get("CloseDate") if stage in ("won", "lost") else None,
        }
        records.append(SourceRecord(entity="opportunities", source_id=sid, row=row))
        return records


def _deleted(phase: str, obj: dict[str, Any]) -> Skipped:
    """Report a record from the recycle bin: deleted, or merged into another record."""
    merged = obj.get("MasterRecordId")
    what = f"merged into {phase} {merged}" if merged else "deleted"
    return Skipped(
        source_id=f"{phase} {obj['Id']}",
        entity=ENTITY[phase],
        problem=f"{what} in Salesforce: not imported (a row an earlier sync stored is kept)",
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def soql_datetime(value: str | datetime) -> str | None:
    """Return a SOQL datetime literal (UTC, to the second, unquoted ISO 8601 with Z).

    Accepts a datetime or Salesforce's own text (`2026-10-01T09:00:00.000+0000`); returns None
    for text that is not a timestamp, so nothing but a timestamp reaches a query. Fractions
    of a second are dropped (rounding down), so a record is never skipped.
    """
    if isinstance(value, str):
        match = _TIMESTAMP.fullmatch(value.strip())
        if match is None:
            return None
        zone = match.group(2) or "Z"
        try:
            value = datetime.fromisoformat(match.group(1) + ("+00:00" if zone == "Z" else zone))
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _position_of(obj: dict[str, Any]) -> Position | None:
    """Return a record's place in the order, or None if it lacks a usable one."""
    t = soql_datetime(str(obj.get(CHANGED) or ""))
    rid = str(obj.get("Id") or "")
    return (t, rid) if t and _ID.fullmatch(rid) else None


def _checked_position(value: object) -> Position | None:
    """Return a stored position if it is a (timestamp, Id) pair, else None (restart)."""
    if not (isinstance(value, list | tuple) and len(value) == 2):
        return None
    t, rid = soql_datetime(str(value[0])), str(value[1])
    return (t, rid) if t and _ID.fullmatch(rid) else None


def _start(cursor: str | None, since: datetime | None) -> tuple[dict[str, Any], Position | None]:
    """Return the pass to run and the position in its object, from `cursor` or new.

    A cursor of the LastModifiedDate reader (no `order`, or an older one holding a
    `nextRecordsUrl`) starts a new pass over everything: its passes missed activity-only
    changes, which only a full read repairs.
    """
    now = soql_datetime(datetime.now(UTC))
    fresh: dict[str, Any] = {"order": CHANGED, "phase": PHASES[0], "since": None, "started": now}
    if cursor:
        stored = json.loads(cursor)
        if stored.get("order") != CHANGED:
            log.warning(
                "salesforce: the stored cursor predates reading changes by %s (activity-only "
                "changes were missed); reading everything again once",
                CHANGED,
            )
            return fresh, None
        last = soql_datetime(str(stored.get("since") or ""))
        if stored.get("phase") in PHASES:
            started = soql_datetime(str(stored.get("started") or "")) or now
            state = {**fresh, "phase": stored["phase"], "since": last, "started": started}
            return state, _checked_position(stored.get("after"))
        return {**fresh, "since": last}, None
    return {**fresh, "since": soql_datetime(since) if since else None}, None
