"""A fake HubSpot CRM v3 API for respx: companies, contacts, deals, notes, and writes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

import httpx

BASE = "https://hubspot.test"
TOKEN = "pat-na1-11111111-SECRET-TOKEN"


def company(cid, name, industry=None, employees=None, archived=False):
    props = {"name": name, "industry": industry, "numberofemployees": employees}
    return {"id": cid, "properties": props, "archived": archived}


def with_company(obj, company_id):
    if company_id is not None:
        obj["associations"] = {
            "companies": {"results": [{"id": company_id, "type": "contact_to_company"}]}
        }
    return obj


def contact(pid, company_id, first, last, email, **props):
    obj = {
        "id": pid,
        "archived": False,
        "properties": {"firstname": first, "lastname": last, "email": email, **props},
    }
    return with_company(obj, company_id)


def deal(did, company_id, stage, amount, **props):
    obj = {
        "id": did,
        "archived": False,
        "properties": {"dealstage": stage, "amount": amount, "pipeline": "default", **props},
    }
    return with_company(obj, company_id)


def note(nid, company_id, body, timestamp):
    obj = {
        "id": nid,
        "archived": False,
        "properties": {"hs_note_body": body, "hs_timestamp": timestamp},
    }
    return with_company(obj, company_id)


class FakeHubSpot:
    """Serves list pages keyed by `after`, records requests, and stores notes/tasks/companies.

    `faults` maps a request key (e.g. "GET companies c-2") to a list of responses or
    exceptions served before the real answer.
    """

    def __init__(self, lists=None, companies=()):
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
            return self._list(parts[3], body.get("after"))
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

    def _associations(self, objects, body):
        out = []
        every = [r for pages in self.lists.get(objects, []) for r in pages[0]]
        wanted = {i["id"] for i in body["inputs"]}
        for obj in every:
            companies = (obj.get("associations") or {}).get("companies", {}).get("results", [])
            if obj["id"] in wanted and companies:
                out.append(
                    {
                        "from": {"id": obj["id"]},
                        "to": [
                            {
                                "toObjectId": int(companies[0]["id"]),
                                "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 1}],
                            }
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
