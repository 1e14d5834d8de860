"""Fault test of CRM writes: 1,000 confirmed writes against a HubSpot that fails 30% of requests.

Run: `.venv/bin/python -m evals.fault_crm [--writes N] [--seed S]`. Notes, tasks and health
pushes go through `memory.writes.execute` (outbox, retries, audit) and `HubSpotCrm` to a
respx-mocked HubSpot (tests/connectors/hubspot_fake.py) that fails 30% of requests at random:
429, 500, or a timeout AFTER the server applied the write (the response is lost). It then
checks that every write landed exactly once, none was lost, and the audit log matches the
server's final state, and prints the figures. Exit code 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import httpx
import respx
from tenacity import wait_none

from connectors.http import ApiClient
from connectors.hubspot import HubSpotCrm
from memory.store import open_store
from memory.writes import RetryPolicy, audit_entries, execute
from tests.connectors.hubspot_fake import BASE, TOKEN, FakeHubSpot
from tools.crm import HealthFieldsPayload, NotePayload, StagedChange, TaskPayload, describe
from tools.crm import idempotency_key as key_of

DAY = date(2026, 11, 23)
TIERS = ("green", "yellow", "orange", "red")


def changes(n: int, companies: list[str], rng: random.Random) -> list[StagedChange]:
    """Return n distinct staged changes: 40% notes, 30% tasks, 30% health pushes."""
    out = []
    for i in range(n):
        account = companies[i % len(companies)]
        roll = i % 10
        if roll < 4:
            payload = NotePayload(text=f"Call {i}: renewal discussed", note_date=DAY)
        elif roll < 7:
            payload = TaskPayload(text=f"Follow up {i}", due=DAY + timedelta(days=7))
        else:
            payload = HealthFieldsPayload(
                health_score=rng.randint(0, 100),
                health_tier=rng.choice(TIERS),
                last_scored=DAY - timedelta(days=i),
            )
        out.append(
            StagedChange(
                kind=payload.kind,
                account_id=account,
                account_name=f"Company {account}",
                payload=payload,
                summary=describe(account, f"Company {account}", payload),
                idempotency_key=key_of(payload.kind, account, payload),
                staged_at=DAY - timedelta(days=i) if payload.kind == "health_fields" else DAY,
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the fault test and print its figures; return 0 when every check holds."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--writes", type=int, default=1000)
    args.add_argument("--seed", type=int, default=8)
    args.add_argument("--failure-rate", type=float, default=0.3)
    opts = args.parse_args(argv)
    rng = random.Random(opts.seed)
    companies = [str(1001 + i) for i in range(50)]
    fake = FakeHubSpot(companies=companies)
    injected: Counter[str] = Counter()

    def fault(key: str, request: httpx.Request) -> object:
        if rng.random() >= opts.failure_rate:
            return None
        kind = rng.choice(("429", "500", "timeout_after_apply"))
        injected[kind] += 1
        if kind == "429":
            return httpx.Response(429, headers={"Retry-After": "1"}, json={"message": "limit"})
        if kind == "500":
            return httpx.Response(500, json={"message": "internal error"})
        body = json.loads(request.content) if request.content else {}
        if key in ("POST objects/notes", "POST objects/tasks"):
            fake._create(key.split("/")[-1], body)  # applied, then the response is lost
            injected["applied_then_lost"] += 1
        elif key.startswith("PATCH objects/companies/"):
            fake._patch(key.split("/")[-1], body)
            injected["applied_then_lost"] += 1
        return httpx.ReadTimeout("response lost after the write was applied")

    fake.fault_hook = fault
    staged = changes(opts.writes, companies, rng)
    client = ApiClient(
        "hubspot",
        BASE,
        {"Authorization": f"Bearer {TOKEN}"},
        rate=1e6,
        burst=1000,
        max_attempts=1,
        wait=wait_none(),
        secret_setting="CSM_HUBSPOT_TOKEN",
    )
    crm = HubSpotCrm(client)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, respx.mock(assert_all_called=False) as mock:
        mock.route(host="hubspot.test").mock(side_effect=fake)
        store = open_store(f"sqlite:///{Path(tmp) / 'fault.db'}")
        outcomes = [
            execute(
                store,
                c,
                crm,
                actor="fault-test",
                confirmed_by="fault-test",
                policy=RetryPolicy(max_attempts=20),
                wait=wait_none(),
            )
            for c in staged
        ]
        entries = audit_entries(store)
        store.dispose()
    elapsed = time.perf_counter() - started

    by_key: Counter[str] = Counter()
    record_of: dict[str, str] = {}
    for objects in ("notes", "tasks"):
        for rid, body in fake.records[objects].items():
            k = body["properties"]["csm_idempotency_key"]
            by_key[k] += 1
            record_of[k] = rid
    creates = [c for c in staged if c.kind != "health_fields"]
    duplicates = sum(n - 1 for n in by_key.values() if n > 1)
    lost = sum(1 for c in creates if by_key[c.idempotency_key] == 0)
    last_push: dict[str, StagedChange] = {}
    for c in staged:
        if c.kind == "health_fields":
            last_push[c.account_id] = c
    for account, c in last_push.items():
        p = c.payload
        want = {"csm_health_score": str(p.health_score), "csm_health_tier": p.health_tier,
                "csm_last_scored": p.last_scored.isoformat()}  # fmt: skip
        if fake.companies[account] != want:
            lost += 1
    audit_ok = len(entries) == len(staged) and all(
        e.result == "ok"
        and (e.kind == "health_fields" or record_of.get(e.idempotency_key) == e.record_id)
        for e in entries
    )
    failed = sum(1 for o in outcomes if o.result != "ok")
    retries = sum(o.attempts - 1 for o in outcomes)
    requests = len(fake.requests)
    lines = [
        f"writes: {len(staged)} ({Counter(c.kind for c in staged)})",
        f"requests to the fake HubSpot: {requests}",
        f"failures injected: {sum(injected[k] for k in ('429', '500', 'timeout_after_apply'))} "
        f"(429: {injected['429']}, 500: {injected['500']}, "
        f"timeouts: {injected['timeout_after_apply']}, of which "
        f"{injected['applied_then_lost']} on a create/patch the server had applied)",
        f"retries (backend calls beyond the first): {retries}",
        f"writes failed after all attempts: {failed}",
        f"duplicates found: {duplicates} (must be 0)",
        f"lost: {lost} (must be 0)",
        f"audit log matches the server: {audit_ok} ({len(entries)} entries)",
        f"wall time: {elapsed:.1f} s",
    ]
    for line in lines:
        print(line)  # noqa: T201
    return 0 if duplicates == 0 and lost == 0 and failed == 0 and audit_ok else 1


if __name__ == "__main__":
    sys.exit(main())
