"""A fake HubSpot CRM v3 API for respx: companies, contacts, deals, notes, and writes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import httpx

BASE = "https://hubspot.test"
TOKEN = "pat-na1-11111111-SECRET-TOKEN"


MODIFIED = "2026-11-01T09:00:00.000Z"
"""The last-modified time of a fake object unless a test gives one."""

# HubSpot-defined association types to companies: (v3 type name, v4 typeId, v4 label)
PRIMARY = {"contact": ("contact_to_company", 1), "deal": ("deal_to_company", 5)}
UNLABELED = {
    "contact": ("contact_to_company_unlabeled", 279),
    "deal": ("deal_to_company_unlabeled", 341),
}
NOTE_TO_COMPANY = ("note_to_company", 190)
TYPE_IDS = {
    name: type_id for name, type_id in [*PRIMARY.values(), *UNLABELED.values(), NOTE_TO_COMPANY]
}


def company(cid, name, industry=None, employees=None, archived=False, modified=MODIFIED, **props):
    props = {
        "name": name,
        "industry": industry,
        "numberofemployees": employees,
        "hs_lastmodifieddate": modified,
        **props,
    }
    return {"id": cid, "properties": props, "archived": archived}


def with_company(obj, kind, company_id, others=()):
    """Associate `obj` with its primary company (as HubSpot lists it: the primary type and the
    unlabeled one) and with `others` (unlabeled only). `others` are listed first, so a reader
    taking the first association gets the wrong company."""
    results = []
    for other in others:
        results.append({"id": other, "type": _unlabeled(kind)})
    if company_id is not None:
        if kind == "note":
            results.append({"id": company_id, "type": NOTE_TO_COMPANY[0]})
        else:
            results.append({"id": company_id, "type": PRIMARY[kind][0]})
            results.append({"id": company_id, "type": _unlabeled(kind)})
    if results:
        obj["associations"] = {"companies": {"results": results}}
    return obj


def _unlabeled(kind):
    return NOTE_TO_COMPANY[0] if kind == "note" else UNLABELED[kind][0]


def contact(pid, company_id, first, last, email, others=(), modified=MODIFIED, **props):
    obj = {
        "id": pid,
        "archived": False,
        "properties": {
            "firstname": first,
            "lastname": last,
            "email": email,
            "lastmodifieddate": modified,
            **props,
        },
    }
    return with_company(obj, "contact", company_id, others)


def deal(did, company_id, stage, amount, others=(), modified=MODIFIED, **props):
    obj = {
        "id": did,
        "archived": False,
        "properties": {
            "dealstage": stage,
            "amount": amount,
            "pipeline": "default",
            "hs_lastmodifieddate": modified,
            **props,
        },
    }
    return with_company(obj, "deal", company_id, others)


def note(nid, company_id, body, timestamp, modified=MODIFIED):
    obj = {
        "id": nid,
        "archived": False,
        "properties": {
            "hs_note_body": body,
            "hs_timestamp": timestamp,
            "hs_lastmodifieddate": modified,
        },
    }
    return with_company(obj, "note", company_id)


def millis(value):
    """Epoch milliseconds of a property value (ISO text or digits), or None."""
    if value is None:
        return None
    text = str(value)
    if text.isdigit():
        return int(text)
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class FakeHubSpot:
    """Serves list pages keyed by `after`, records requests, and stores notes/tasks/companies.

    `faults` maps a request key (e.g. "GET companies c-2") to a list of responses or
    exceptions served before the real answer.

    Search (`POST .../search`) runs over every object of `lists` like HubSpot's: filter
    groups ORed, filters ANDed (EQ, GT, GTE, LT, LTE; dates compared as epoch ms), one sort
    rule only (two are a 400), ties in no particular order (here: highest id first), `limit`
    results from the offset `after`, and a 400 for an offset at or past `search_cap` (10,000
    in HubSpot). `on_search(objects, body)` runs after each search is answered (to edit a
    record mid-pass).
    """

    def __init__(self, lists=None, companies=(), search_cap=10_000):
        self.lists: dict[str, list[tuple[list, str | None]]] = lists or {}
        self.faults: dict[str, list] = {}
        self.requests: list[httpx.Request] = []
        self.hits: Counter[str] = Counter()
        self.records: dict[str, dict[str, dict]] = {"notes": {}, "tasks": {}}
        self.companies: dict[str, dict] = {c: {} for c in companies}
        self.search_bodies: list[dict] = []
        self.next_id = 5000
        self.fault_hook: Callable[[str, httpx.Request], object] | None = None
        self.after_apply: Callable[[str], None] | None = None
        self.search_cap = search_cap
        self.on_search: Callable[[str, dict], None] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        parts = path.strip("/").split("/")
        body = json.loads(request.content) if request.content else None
        if request.method == "GET" and len(parts) == 4 and parts[:3] == ["crm", "v3", "objects"]:
            key = f"GET {parts[3]} {request.url.params.get('after', '')}"
        else:
            key = f"{request.method} {'/'.join(parts[2:])}"
        self.hits[key] += 1
        if self.faults.get(key):
            fault = self.faults[key].pop(0)
            if isinstance(fault, Exception):
                raise fault
            return fault
        if self.fault_hook is not None:
            fault = self.fault_hook(key, request)
            if isinstance(fault, Exception):
                raise fault
            if isinstance(fault, httpx.Response):
                return fault
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return httpx.Response(
                401, json={"status": "error", "message": "Authentication credentials not found."}
            )
        if request.method == "GET" and len(parts) == 5 and parts[3] in self.records:
            return self._by_key(parts[3], parts[4], request.url.params.get("idProperty"))
        if key.startswith("GET "):
            return self._list(parts[3], request.url.params.get("after"))
        is_key = parts[-1] == "search" and "csm_idempotency_key" in json.dumps(body)
        if is_key and parts[3] in self.records:
            return self._search_key(parts[3], body)
        if parts[-1] == "search":
            self.search_bodies.append(body)
            response = self._search(parts[3], body)
            if self.on_search is not None:
                self.on_search(parts[3], body)
            return response
        if parts[:2] == ["crm", "v4"]:
            return self._associations(parts[3], body)
        if request.method == "POST" and len(parts) == 4:
            return self._create(parts[3], body)
        if request.method == "PATCH" and parts[3] == "companies":
            return self._patch(parts[4], body)
        return httpx.Response(404, json={"message": f"no route {path}"})

    def _list(self, objects, after):
        pages = self.lists.get(objects, [([], None)])
        index = int(after.split("-")[-1]) - 1 if after else 0
        results, nxt = pages[index]
        page = {
            "results": [
                {k: v for k, v in r.items() if k != "associations" or objects != "companies"}
                for r in results
            ]
        }
        if nxt:
            page["paging"] = {"next": {"after": nxt, "link": f"{BASE}/next"}}
        return httpx.Response(200, json=page)

    def every(self, objects):
        return [r for page in self.lists.get(objects, []) for r in page[0]]

    def _search(self, objects, body):
        sorts = body.get("sorts") or []
        if len(sorts) > 1:
            return httpx.Response(400, json={"message": "only one sort is allowed"})
        after = int(body.get("after") or 0)
        if after >= self.search_cap:
            return httpx.Response(
                400, json={"message": f"paging past {self.search_cap} results is not allowed"}
            )
        groups = body.get("filterGroups") or []
        found = [
            r
            for r in self.every(objects)
            if not groups or any(all(_matches(r, f) for f in g["filters"]) for g in groups)
        ]
        if sorts:
            prop = sorts[0]["propertyName"]
            found.sort(key=lambda r: -int(r["id"]))  # ties: highest id first
            found.sort(
                key=lambda r: _value(r, prop) or 0, reverse=sorts[0]["direction"] != "ASCENDING"
            )
        limit = int(body.get("limit") or 10)
        window = found[after : after + limit]
        page = {
            "total": len(found),
            "results": [{k: v for k, v in r.items() if k != "associations"} for r in window],
        }
        if after + limit < len(found):
            page["paging"] = {"next": {"after": str(after + limit)}}
        return httpx.Response(200, json=page)

    def _associations(self, objects, body):
        """v4 batch read: per company, its HubSpot-defined association types (and labels)."""
        out = []
        wanted = {i["id"] for i in body["inputs"]}
        for obj in self.every(objects):
            listed = (obj.get("associations") or {}).get("companies", {}).get("results", [])
            if obj["id"] not in wanted or not listed:
                continue
            targets: dict[str, list] = {}
            for assoc in listed:
                type_id = TYPE_IDS[assoc["type"]]
                label = "Primary" if type_id in (1, 5) else None
                targets.setdefault(assoc["id"], []).append(
                    {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": label}
                )
            out.append(
                {
                    "from": {"id": obj["id"]},
                    "to": [
                        {"toObjectId": int(cid), "associationTypes": types}
                        for cid, types in targets.items()
                    ],
                }
            )
        return httpx.Response(207 if out else 200, json={"status": "COMPLETE", "results": out})

    def _by_key(self, objects, value, id_property):
        if id_property != "csm_idempotency_key":
            return httpx.Response(400, json={"message": f"unknown idProperty {id_property}"})
        for rid, rec in self.records[objects].items():
            if rec["properties"].get("csm_idempotency_key") == value:
                return httpx.Response(200, json={"id": rid, "properties": rec["properties"]})
        return httpx.Response(404, json={"message": "resource not found"})

    def _search_key(self, objects, body):
        value = body["filterGroups"][0]["filters"][0]["value"]
        found = [
            {"id": rid, "properties": {"csm_idempotency_key": value}}
            for rid, rec in self.records[objects].items()
            if rec["properties"].get("csm_idempotency_key") == value
        ]
        return httpx.Response(200, json={"total": len(found), "results": found[:1]})

    def _create(self, objects, body):
        for assoc in body.get("associations", []):
            if assoc["to"]["id"] not in self.companies:
                return httpx.Response(404, json={"message": "company not found"})
        self.next_id += 1
        rid = str(self.next_id)
        self.records[objects][rid] = body
        if self.after_apply is not None:
            self.after_apply(f"POST {objects}")
        return httpx.Response(201, json={"id": rid, "properties": body["properties"]})

    def _patch(self, cid, body):
        if cid not in self.companies:
            return httpx.Response(404, json={"message": "resource not found"})
        self.companies[cid].update(body["properties"])
        if self.after_apply is not None:
            self.after_apply("PATCH companies")
        return httpx.Response(200, json={"id": cid, "properties": self.companies[cid]})


def _value(record, prop):
    if prop == "hs_object_id":
        return int(record["id"])
    return millis((record.get("properties") or {}).get(prop))


def _matches(record, flt):
    actual = _value(record, flt["propertyName"])
    if actual is None:
        return False
    wanted = int(flt["value"])
    return {
        "EQ": actual == wanted,
        "GT": actual > wanted,
        "GTE": actual >= wanted,
        "LT": actual < wanted,
        "LTE": actual <= wanted,
    }[flt["operator"]]
