"""A fake Salesforce REST API (v61.0) for respx: SOQL query/queryAll with locators, and writes.

Query answers follow the documented shape: {"totalSize", "done", "nextRecordsUrl"?,
"records": [{"attributes": {"type", "url"}, <the selected fields>}]}; errors are a JSON
array [{"message", "errorCode"}]. The fake understands the SOQL the connector sends: a field
list, one object, an optional WHERE on SystemModstamp (">= t", or the keyset form
"(SystemModstamp > t) OR (SystemModstamp = t AND Id > 'id')") and ORDER BY
SystemModstamp, Id; anything else (a filter on LastModifiedDate) is a MALFORMED_QUERY. Each
record has a LastModifiedDate and a SystemModstamp (the same unless a test sets it later, as
Salesforce does when only a Task's activity touched the record). `query` leaves out records with
IsDeleted = true, `queryAll` returns them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import httpx

BASE = "https://acme.my.salesforce.test"
TOKEN = "00D5g000004SECRET!AQ4AQFakeAccessToken.xyz"
API = "/services/data/v61.0"

_SOQL = re.compile(
    r"SELECT (?P<fields>[\w, ]+) FROM (?P<object>\w+)(?: WHERE (?P<where>.+?))?"
    r" ORDER BY SystemModstamp, Id"
)
_SINCE = re.compile(r"SystemModstamp >= (\S+)")
_AFTER = re.compile(r"\(SystemModstamp > (\S+)\) OR \(SystemModstamp = (\S+) AND Id > '(\w+)'\)")


def _when(text: str) -> datetime:
    """Parse a SOQL literal (…Z) or a Salesforce value (….000+0000)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def record(kind: str, rid: str, modified: str, **fields) -> dict:
    """A stored record; `modified` is its LastModifiedDate and SystemModstamp (unless set).

    `modified` reads like 2026-10-01T09:00:00.000+0000; `fields` may set a later
    SystemModstamp (a change only the system or a logged activity made).
    """
    return {
        "attributes": {"type": kind, "url": f"{API}/sobjects/{kind}/{rid}"},
        "Id": rid,
        "IsDeleted": False,
        "LastModifiedDate": modified,
        "SystemModstamp": modified,
        **fields,
    }


def account(rid, name, modified, industry=None, employees=None, **fields):
    return record(
        "Account",
        rid,
        modified,
        Name=name,
        Industry=industry,
        NumberOfEmployees=employees,
        MasterRecordId=None,
        **fields,
    )


def contact(rid, account_id, first, last, modified, **fields):
    return record(
        "Contact",
        rid,
        modified,
        AccountId=account_id,
        FirstName=first,
        LastName=last,
        MasterRecordId=None,
        **fields,
    )


def opportunity(rid, account_id, stage, amount, modified, **fields):
    return record(
        "Opportunity", rid, modified, AccountId=account_id, StageName=stage, Amount=amount, **fields
    )


def error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json=[{"message": message, "errorCode": code}])


class FakeSalesforce:
    """Serves SOQL pages of `page_size` records with query locators, and takes writes.

    `faults` maps a request key to responses or exceptions served (in turn) before the real
    answer. Keys: "queryAll Account" (a new query of an object), "next <locator>" (a
    nextRecordsUrl), "upsert Task", "PATCH Account". `drop_answer` counts, per key, writes
    to apply and then answer with a timeout (the answer is lost, the write is not).
    """

    def __init__(self, objects: dict[str, list[dict]], page_size: int = 2):
        self.objects = objects
        self.page_size = page_size
        self.locators: dict[str, tuple[str, list[dict], int]] = {}
        self.expired: set[str] = set()
        self.faults: dict[str, list] = {}
        self.drop_answer: Counter[str] = Counter()
        self.fault_hook: Callable[[str], object] | None = None
        self.hits: Counter[str] = Counter()
        self.queries: list[str] = []
        self.served: list[tuple[str, list[str]]] = []
        """(object, ids) of each page answered, in order."""
        self.tasks: dict[str, dict] = {}
        self.task_ids: dict[str, str] = {}
        self.account_fields: dict[str, dict] = {}
        self._queries_made = 0

    def expire_locators(self) -> None:
        """Forget every query locator issued so far (they live ~15 minutes in Salesforce)."""
        self.expired.update(self.locators)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        key = self._key(request)
        self.hits[key] += 1
        if self.faults.get(key):
            fault = self.faults[key].pop(0)
            if isinstance(fault, Exception):
                raise fault
            return fault
        if self.fault_hook is not None:
            fault = self.fault_hook(key)
            if isinstance(fault, Exception):
                raise fault
            if isinstance(fault, httpx.Response):
                return fault
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if key.startswith("next "):
            return self._more(key.split()[1])
        if key.split()[0] in ("query", "queryAll"):
            return self._query(request.url.params.get("q", ""), key.startswith("queryAll"))
        body = json.loads(request.content) if request.content else {}
        if key == "upsert Task":
            response = self._upsert(path.rsplit("/", 1)[1], body)
        elif key == "PATCH Account":
            response = self._patch(path.rsplit("/", 1)[1], body)
        else:
            return error(404, "NOT_FOUND", f"The requested resource does not exist: {path}")
        if self.drop_answer[key] > 0 and response.status_code < 300:
            self.drop_answer[key] -= 1
            raise httpx.ReadTimeout("the answer was lost")
        return response

    def _key(self, request: httpx.Request) -> str:
        rest = request.url.path.removeprefix(API).strip("/").split("/")
        if request.method == "GET" and rest[0] in ("query", "queryAll"):
            if len(rest) == 2:
                return f"next {rest[1]}"
            match = _SOQL.fullmatch(request.url.params.get("q", ""))
            return f"{rest[0]} {match['object'] if match else '?'}"
        if request.method == "PATCH" and rest[:3] == ["sobjects", "Task", "Csm_Key__c"]:
            return "upsert Task"
        if request.method == "PATCH" and rest[:2] == ["sobjects", "Account"]:
            return "PATCH Account"
        return f"{request.method} {'/'.join(rest)}"

    def _query(self, soql: str, include_deleted: bool) -> httpx.Response:
        self.queries.append(soql)
        match = _SOQL.fullmatch(soql)
        if match is None or match["object"] not in self.objects:
            return error(400, "MALFORMED_QUERY", "unexpected SOQL")
        rows = [r for r in self.objects[match["object"]] if include_deleted or not r["IsDeleted"]]
        where = match["where"]
        if where:
            since, after = _SINCE.fullmatch(where), _AFTER.fullmatch(where)
            if since:
                t = _when(since[1])
                rows = [r for r in rows if _when(r["SystemModstamp"]) >= t]
            elif after and after[1] == after[2]:
                t, last = _when(after[1]), after[3]
                rows = [
                    r
                    for r in rows
                    if _when(r["SystemModstamp"]) > t
                    or (_when(r["SystemModstamp"]) == t and r["Id"] > last)
                ]
            else:
                return error(400, "MALFORMED_QUERY", f"unexpected WHERE {where}")
        rows.sort(key=lambda r: (_when(r["SystemModstamp"]), r["Id"]))
        fields = [f.strip() for f in match["fields"].split(",")]
        selected = [{"attributes": r["attributes"], **{f: r.get(f) for f in fields}} for r in rows]
        self._queries_made += 1
        return self._page(f"01gD0000000Q{self._queries_made:03d}", match["object"], selected, 0)

    def _more(self, locator: str) -> httpx.Response:
        if locator not in self.locators or locator in self.expired:
            return error(404, "INVALID_QUERY_LOCATOR", "invalid query locator")
        query_id, rows, offset = self.locators[locator]
        kind = rows[0]["attributes"]["type"]
        return self._page(query_id, kind, rows, offset)

    def _page(self, query_id: str, kind: str, rows: list[dict], offset: int) -> httpx.Response:
        batch = rows[offset : offset + self.page_size]
        self.served.append((kind, [r["Id"] for r in batch]))
        body: dict = {"totalSize": len(rows), "done": offset + self.page_size >= len(rows)}
        if not body["done"]:
            locator = f"{query_id}-{offset + self.page_size}"
            self.locators[locator] = (query_id, rows, offset + self.page_size)
            body["nextRecordsUrl"] = f"{API}/query/{locator}"
        body["records"] = batch
        return httpx.Response(200, json=body)

    def _upsert(self, key: str, body: dict) -> httpx.Response:
        accounts = {r["Id"] for r in self.objects.get("Account", [])}
        if body.get("WhatId") not in accounts:
            return error(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                f"Related To ID: id value of incorrect type: {body.get('WhatId')}",
            )
        created = key not in self.tasks
        if created:
            self.task_ids[key] = f"00T5g00000{len(self.tasks) + 1:05d}"
        self.tasks[key] = body
        answer = {"id": self.task_ids[key], "success": True, "errors": [], "created": created}
        return httpx.Response(201 if created else 200, json=answer)

    def _patch(self, account_id: str, body: dict) -> httpx.Response:
        if account_id not in {r["Id"] for r in self.objects.get("Account", [])}:
            return error(404, "NOT_FOUND", "The requested resource does not exist")
        self.account_fields.setdefault(account_id, {}).update(body)
        return httpx.Response(204)
