"""HubSpot: the source against a fake CRM v3 API (paging, faults, resume, secrets); the writer."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime

import httpx
import pytest
import respx
from sqlalchemy import text
from tenacity import wait_none

from agent.settings import Settings
from connectors.csv_import import import_folder
from connectors.http import ApiClient
from connectors.hubspot import HubSpotCrm, HubSpotSource
from connectors.hubspot.client import HubSpotOptions
from connectors.sync.base import SourceNotConfigured
from connectors.sync.runner import sync
from memory.store import open_store
from memory.workspace import WorkspaceProfile
from memory.writes import audit_entries, execute
from tests.connectors.hubspot_fake import (
    BASE,
    TOKEN,
    FakeHubSpot,
    company,
    contact,
    deal,
    note,
)
from tests.connectors.test_sync_runner import dump
from tools.crm import HealthFieldsPayload, NotePayload, StagedChange, TaskPayload, describe
from tools.crm import idempotency_key as key_of

OPTIONS = HubSpotOptions(role_property="csm_role")


def portfolio_lists():
    return {
        "companies": [
            (
                [company("101", "Acme Corp", "COMPUTER_SOFTWARE", "120"), company("102", "Globex")],
                "c-2",
            ),
            ([company("103", "Initech", "FINANCE", "45")], "c-3"),
            ([company("104", "Umbrella", archived=True)], None),
        ],  # fmt: skip
        "contacts": [
            (
                [
                    contact(
                        "201",
                        "101",
                        "Greg",
                        "Hale",
                        "greg@acme.test",
                        jobtitle="VP Ops",
                        csm_role="Champion",
                    ),
                    contact("202", None, "No", "Company", "x@y.test"),
                    contact(
                        "203",
                        "102",
                        "Ana",
                        "Li",
                        "ana@globex.test",
                        notes_last_contacted="2026-10-15T10:00:00.000Z",
                    ),
                ],
                None,
            )
        ],  # fmt: skip
        "deals": [
            (
                [
                    deal(
                        "301",
                        "101",
                        "closedwon",
                        "50000",
                        closedate="2026-01-01T00:00:00Z",
                        contract_end_date="2026-12-31",
                    ),
                    deal(
                        "302",
                        "101",
                        "qualifiedtobuy",
                        "12000",
                        createdate="2026-09-01T08:00:00.000Z",
                    ),
                    deal("303", "103", "weird", "1"),
                ],
                None,
            )
        ],  # fmt: skip
        "notes": [([], None)],
    }


EXPECTED_CSV = {
    "accounts.csv": "account_id,name,industry,employees\n"
    "101,Acme Corp,COMPUTER_SOFTWARE,120\n102,Globex,,\n103,Initech,FINANCE,45\n",
    "contacts.csv": "contact_id,account_id,name,title,email,last_engaged_at,role\n"
    "201,101,Greg Hale,VP Ops,greg@acme.test,,champion\n"
    "203,102,Ana Li,,ana@globex.test,2026-10-15,\n",
    "contracts.csv": "contract_id,account_id,arr,start_date,end_date\n"
    "301,101,50000,2026-01-01,2026-12-31\n",
    "opportunities.csv": "opportunity_id,account_id,kind,amount,stage,created_at,closed_at\n"
    "302,101,upsell,12000,qualified,2026-09-01,\n",
}


def api(sleeps=None, max_attempts=5, token=TOKEN) -> ApiClient:
    return ApiClient(
        "hubspot",
        BASE,
        {"Authorization": f"Bearer {token}"},
        rate=1000,
        burst=100,
        max_attempts=max_attempts,
        wait=wait_none(),
        secret_setting="CSM_HUBSPOT_TOKEN",
        sleep=(sleeps if sleeps is not None else []).append,
    )


@pytest.fixture
def fake():
    server = FakeHubSpot(portfolio_lists(), companies=("101", "102", "103"))
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="hubspot.test").mock(side_effect=server)
        yield server


def test_full_sync_pages_through_faults_and_equals_the_csv_import(fake, store, tmp_path):
    fake.faults = {
        "GET companies c-2": [httpx.Response(429, headers={"Retry-After": "3"})],
        "GET contacts ": [httpx.Response(500, json={"message": "internal error"})],
        "GET deals ": [httpx.ReadTimeout("timed out")],
    }
    sleeps: list[float] = []
    report = sync(store, HubSpotSource(api(sleeps), OPTIONS))

    assert report.status == "ok"
    assert report.pages == 6  # 3 of companies, 1 each of contacts, deals and (empty) notes
    assert report.rows == {"accounts": 3, "contacts": 2, "contracts": 1, "opportunities": 1}
    assert {(s.source_id, s.problem) for s in report.skipped} == {
        ("company 104", "archived in HubSpot: not imported"),
        ("contact 202", "no associated company in HubSpot"),
        (
            "deal 303",
            "deal stage 'weird' is not mapped: add it to stage_map (connectors.hubspot in the "
            "workspace profile)",
        ),
    }
    assert 3.0 in sleeps  # Retry-After honoured
    assert fake.hits["GET companies c-2"] == 2
    assert fake.hits["GET contacts "] == 2
    assert fake.hits["GET deals "] == 2
    assert json.loads(report.cursor)["phase"] == "done"

    folder = tmp_path / "csv"
    folder.mkdir()
    for name, content in EXPECTED_CSV.items():
        (folder / name).write_text(content, encoding="utf-8")
    other = open_store(f"sqlite:///{tmp_path / 'csv.db'}")
    import_folder(other, folder)
    assert dump(store) == dump(other)
    other.dispose()


def test_a_crash_on_page_three_resumes_there_without_duplicates(fake, store):
    fake.faults = {"GET companies c-3": [RuntimeError("process killed")]}
    with pytest.raises(RuntimeError):
        sync(store, HubSpotSource(api(), OPTIONS))
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM accounts")).scalar() == 3
        assert conn.execute(text("SELECT count(*) FROM contacts")).scalar() == 0

    report = sync(store, HubSpotSource(api(), OPTIONS))
    assert report.resumed
    assert fake.hits["GET companies "] == 1
    assert fake.hits["GET companies c-2"] == 1
    assert fake.hits["GET companies c-3"] == 2
    assert report.rows == {"contacts": 2, "contracts": 1, "opportunities": 1}
    with store.engine.connect() as conn:
        counts = [
            conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("accounts", "contacts", "contracts", "opportunities")
        ]
    assert counts == [3, 2, 1, 1]


def test_the_next_run_searches_what_changed_since_the_last_pass(fake, store):
    first = sync(store, HubSpotSource(api(), OPTIONS))
    started = json.loads(first.cursor)["since"]
    fake.lists["notes"] = [
        (
            [note("401", "101", "<p>Called Greg &amp; team</p><p>Renewal on track</p>",
                  "2026-11-02T15:30:00.000Z")],
            None,
        )
    ]  # fmt: skip
    report = sync(store, HubSpotSource(api(), OPTIONS))
    assert report.status == "ok"
    millis = int(datetime.fromisoformat(started.replace("Z", "+00:00")).timestamp() * 1000)
    filters = [b["filterGroups"][0]["filters"][0] for b in fake.search_bodies]
    assert filters[0] == {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": millis}
    # 3 pages of companies, then contacts (which name the property differently), deals, notes
    assert [f["propertyName"] for f in filters] == [
        *["hs_lastmodifieddate"] * 3,
        "lastmodifieddate",
        *["hs_lastmodifieddate"] * 2,
    ]
    assert fake.hits["POST associations/notes/companies/batch/read"] == 1
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT account_id, created_at, text FROM notes")).one()
    assert tuple(row) == (
        "101",
        "2026-11-02 15:30:00.000000",
        "Called Greg & team\nRenewal on track",
    )


def test_a_wrong_token_fails_naming_the_setting_and_the_token_is_nowhere(fake, store, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "pat-na1-WRONG-TOKEN-999"
    report = sync(store, HubSpotSource(api(token=wrong), OPTIONS))
    assert report.status == "failed"
    assert len(report.errors) == 1
    assert "check CSM_HUBSPOT_TOKEN" in report.errors[0]
    assert "HTTP 401" in report.errors[0]
    everything = caplog.text + report.model_dump_json() + repr(dump(store))
    with store.engine.connect() as conn:
        everything += repr(conn.execute(text("SELECT * FROM sync_state")).all())
    assert wrong not in everything
    assert TOKEN not in everything


def test_from_settings_needs_the_token():
    with pytest.raises(SourceNotConfigured, match="set CSM_HUBSPOT_TOKEN"):
        HubSpotSource.from_settings(Settings(), WorkspaceProfile())
    profile = WorkspaceProfile(connectors={"hubspot": {"role_property": "persona"}})
    source = HubSpotSource.from_settings(Settings(hubspot_token="x-token"), profile)
    assert source.options.role_property == "persona"


# --- the writer ---------------------------------------------------------------------------


def change(kind="note", account="101") -> StagedChange:
    if kind == "note":
        payload = NotePayload(text="Called Greg <b>re renewal</b>", note_date=date(2026, 11, 23))
    elif kind == "task":
        payload = TaskPayload(text="Send the QBR deck", due=date(2026, 11, 30))
    else:
        payload = HealthFieldsPayload(
            health_score=72, health_tier="green", last_scored=date(2026, 11, 23)
        )
    return StagedChange(
        kind=kind,
        account_id=account,
        account_name="Acme Corp",
        payload=payload,
        summary=describe(account, "Acme Corp", payload),
        idempotency_key=key_of(kind, account, payload),
        staged_at=date(2026, 11, 23),
    )


def write(store, c, client=None):
    crm = HubSpotCrm(client or api(max_attempts=1))
    return execute(store, c, crm, actor="dana", confirmed_by="dana", wait=wait_none())


def test_a_note_is_created_once_on_the_company_with_its_key(fake, store):
    c = change("note")
    first = write(store, c)
    again = HubSpotCrm(api(max_attempts=1)).write(c, c.idempotency_key)
    assert first.result == "ok"
    assert list(fake.records["notes"]) == [first.record_id]
    body = fake.records["notes"][first.record_id]
    assert body["properties"]["hs_note_body"] == "Called Greg &lt;b&gt;re renewal&lt;/b&gt;"
    assert body["properties"]["csm_idempotency_key"] == c.idempotency_key
    assert body["associations"][0]["to"] == {"id": "101"}
    assert body["associations"][0]["types"][0]["associationTypeId"] == 190
    assert (again.created, again.record_id) == (False, first.record_id)


def test_a_timeout_after_hubspot_applied_the_create_does_not_duplicate(fake, store):
    applied = []

    def timeout_once(key, request):
        if key == "POST objects/tasks" and not applied:
            applied.append(fake._create("tasks", json.loads(request.content)))
            return httpx.ReadTimeout("response lost")
        return None

    fake.fault_hook = timeout_once
    outcome = write(store, change("task"))
    assert outcome.result == "ok"
    assert outcome.attempts == 2
    assert len(fake.records["tasks"]) == 1
    assert outcome.detail == f"the CRM already held this change (record {outcome.record_id})"
    assert [e.result for e in audit_entries(store)] == ["ok"]


def test_health_fields_patch_the_company_and_a_429_is_retried(fake, store):
    fake.faults = {
        "PATCH objects/companies/101": [httpx.Response(429, headers={"Retry-After": "0"})]
    }
    outcome = write(store, change("health_fields"))
    assert outcome.result == "ok"
    assert outcome.attempts == 2
    assert fake.companies["101"] == {
        "csm_health_score": "72",
        "csm_health_tier": "green",
        "csm_last_scored": "2026-11-23",
    }


def test_an_unknown_company_and_a_bad_token_fail_without_retry(fake, store):
    unknown = write(store, change("health_fields", account="999"))
    assert unknown.result == "failed"
    assert unknown.attempts == 1
    assert "HubSpot has no company 999" in unknown.error
    denied = write(store, change("note"), api(max_attempts=1, token="bad-token-xyz"))
    assert denied.result == "failed"
    assert "check CSM_HUBSPOT_TOKEN" in denied.error
    assert "bad-token-xyz" not in denied.error


def test_a_confirmed_note_from_a_session_lands_in_hubspot_once_with_an_audit_entry(
    fake, tmp_path, monkeypatch
):
    from agent.session import Session
    from agent.settings import get_settings

    url = f"sqlite:///{tmp_path / 'session.db'}"
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "accounts.csv").write_text("account_id,name\n101,Acme Corp\n", encoding="utf-8")
    s = open_store(url)
    import_folder(s, folder)
    s.dispose()
    monkeypatch.setenv("CSM_DATABASE_URL", url)
    monkeypatch.setenv("CSM_HUBSPOT_TOKEN", TOKEN)
    monkeypatch.setenv("CSM_HUBSPOT_URL", BASE)
    get_settings.cache_clear()

    with Session(None, date(2026, 11, 23), "dana", offline=True, backend="hubspot") as chat:
        asked = chat.send("log a note on Acme Corp: called Greg")
        assert asked.text.endswith("Write this to the CRM? (yes / no)")
        assert fake.records["notes"] == {}
        done = chat.send("yes")
    assert done.outcome["result"] == "ok"
    assert len(fake.records["notes"]) == 1
    ((record_id, body),) = fake.records["notes"].items()
    assert body["properties"]["hs_note_body"] == "called Greg<br>(by dana)"
    assert body["associations"][0]["to"] == {"id": "101"}
    s = open_store(url)
    entries = audit_entries(s)
    s.dispose()
    assert [(e.backend, e.result, e.record_id, e.confirmed_by) for e in entries] == [
        ("hubspot", "ok", record_id, "dana")
    ]
