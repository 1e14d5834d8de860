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
from connectors.hubspot import HubSpotCrm, HubSpotSource, reader
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


def freeze(monkeypatch, when: str) -> None:
    """Make the reader's clock say `when` (the time a pass starts)."""
    moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
    monkeypatch.setattr(reader, "_now", lambda: moment)


def search_lists(companies=(), contacts=(), deals=(), notes=()):
    return {
        "companies": [(list(companies), None)],
        "contacts": [(list(contacts), None)],
        "deals": [(list(deals), None)],
        "notes": [(list(notes), None)],
    }


def column(store, sql):
    with store.engine.connect() as conn:
        return conn.execute(text(sql)).all()


def test_the_next_run_searches_from_before_the_last_pass_for_edits_the_index_had_not_seen(
    fake, store, monkeypatch
):
    freeze(monkeypatch, "2026-11-23T12:00:00Z")
    first = sync(store, HubSpotSource(api(), OPTIONS))
    assert json.loads(first.cursor) == {"phase": "done", "since": "2026-11-23T12:00:00Z"}
    # written at 11:58, but HubSpot's search index lags: the first pass did not see it
    fake.lists["notes"] = [
        (
            [note("401", "101", "<p>Called Greg &amp; team</p><p>Renewal on track</p>",
                  "2026-11-02T15:30:00.000Z", modified="2026-11-23T11:58:00.000Z")],
            None,
        )
    ]  # fmt: skip
    fake.search_bodies.clear()
    freeze(monkeypatch, "2026-11-23T13:00:00Z")
    report = sync(store, HubSpotSource(api(), OPTIONS))
    assert report.status == "ok"
    assert report.rows == {"notes": 1}
    # 5 minutes before the previous pass started: 2026-11-23T11:55:00Z in epoch ms
    filters = [b["filterGroups"][0]["filters"][0] for b in fake.search_bodies]
    assert filters[0] == {
        "propertyName": "hs_lastmodifieddate",
        "operator": "GTE",
        "value": "1795434900000",
    }
    # companies, contacts (which name the property differently), deals, notes: one query each
    assert [f["propertyName"] for f in filters] == [
        "hs_lastmodifieddate",
        "lastmodifieddate",
        "hs_lastmodifieddate",
        "hs_lastmodifieddate",
    ]
    assert fake.hits["POST associations/notes/companies/batch/read"] == 1
    assert column(store, "SELECT account_id, created_at, text FROM notes") == [
        ("101", "2026-11-02 15:30:00.000000", "Called Greg & team\nRenewal on track")
    ]
    assert json.loads(report.cursor) == {"phase": "done", "since": "2026-11-23T13:00:00Z"}


def changed_companies(count, first_id=1001):
    """`count` companies changed after 2026-11-23T10:00Z, one a second, except that the 16
    from id first_id+90 share one millisecond (they straddle the first page's end)."""
    out = []
    for i in range(count):
        second = 90 if 90 <= i < 106 else i
        modified = f"2026-11-23T10:{second // 60:02d}:{second % 60:02d}.000Z"
        out.append(company(str(first_id + i), f"Company {first_id + i}", modified=modified))
    return out


def test_an_edit_during_a_search_pass_does_not_hide_the_next_record(store, monkeypatch):
    server = FakeHubSpot(search_lists(companies=changed_companies(250)))
    edited = []

    def edit_after_the_first_page(objects, body):
        if objects == "companies" and not edited:
            obj = next(c for c in server.every("companies") if c["id"] == "1050")
            obj["properties"] |= {"name": "Renamed", "hs_lastmodifieddate": "2026-11-23T11:00:00Z"}
            edited.append(obj)

    server.on_search = edit_after_the_first_page
    freeze(monkeypatch, "2026-11-23T12:00:00Z")
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="hubspot.test").mock(side_effect=server)
        report = sync(store, HubSpotSource(api(), OPTIONS), since=datetime(2026, 11, 23, 10))
    assert report.status == "ok"
    assert edited
    names = dict(column(store, "SELECT account_id, name FROM accounts"))
    assert sorted(names) == [str(i) for i in range(1001, 1251)]
    assert names["1050"] == "Renamed"
    assert all(len(b["sorts"]) == 1 and "after" not in b for b in server.search_bodies)


def test_more_changes_than_the_search_can_page_through_are_all_read_and_resumable(
    store, monkeypatch
):
    # HubSpot refuses a search offset past 10,000; this fake refuses one past 300
    server = FakeHubSpot(search_lists(companies=changed_companies(350)), search_cap=300)
    crashes = []

    def crash_on_the_third_search(key, request):
        if key == "POST objects/companies/search" and server.hits[key] == 3 and not crashes:
            crashes.append(key)
            return RuntimeError("process killed")
        return None

    server.fault_hook = crash_on_the_third_search
    freeze(monkeypatch, "2026-11-23T12:00:00Z")
    source = HubSpotSource(api(), OPTIONS)
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="hubspot.test").mock(side_effect=server)
        with pytest.raises(RuntimeError):
            sync(store, source, since=datetime(2026, 11, 23, 10))
        stored_before = column(store, "SELECT count(*) FROM accounts")[0][0]
        report = sync(store, source)
        # a cursor an older version stored (a search offset) restarts the object: no 400
        old = {"phase": "companies", "after": "300", "since": "2026-11-23T10:00:00Z"}
        reread = {
            r.row["account_id"] for p in source.pages(json.dumps(old), None) for r in p.records
        }
    assert 0 < stored_before < 350
    assert report.status == "ok", report.errors
    assert report.resumed
    ids = [row[0] for row in column(store, "SELECT account_id FROM accounts ORDER BY account_id")]
    assert ids == [str(i) for i in range(1001, 1351)]
    assert len(reread) == 350


def test_a_deal_closed_won_closes_its_opportunity_and_becomes_a_contract(store, monkeypatch):
    open_deal = deal("302", "101", "decisionmakerboughtin", "12000",
                     createdate="2026-09-01T08:00:00.000Z")  # fmt: skip
    server = FakeHubSpot(search_lists(companies=[company("101", "Acme")], deals=[open_deal]))
    freeze(monkeypatch, "2026-11-23T12:00:00Z")
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="hubspot.test").mock(side_effect=server)
        sync(store, HubSpotSource(api(), OPTIONS))
        assert column(store, "SELECT stage, closed_at FROM opportunities") == [("proposal", None)]
        won = deal("302", "101", "closedwon", "15000", createdate="2026-09-01T08:00:00.000Z",
                   closedate="2026-11-23T12:10:00Z", contract_end_date="2027-11-22",
                   modified="2026-11-23T12:10:00Z")  # fmt: skip
        server.lists["deals"] = [([won], None)]
        freeze(monkeypatch, "2026-11-23T13:00:00Z")
        report = sync(store, HubSpotSource(api(), OPTIONS))
    assert report.rows == {"contracts": 1, "opportunities": 1}
    assert column(store, "SELECT opportunity_id, stage, amount, closed_at FROM opportunities") == [
        ("302", "won", 15000, "2026-11-23")
    ]
    assert column(
        store, "SELECT contract_id, account_id, arr, start_date, end_date FROM contracts"
    ) == [("302", "101", 15000, "2026-11-23", "2027-11-22")]


def test_contacts_and_deals_stay_on_their_primary_company_full_and_incremental(store, monkeypatch):
    companies = [company("101", "Acme"), company("102", "Globex"), company("103", "Initech")]
    people = [
        # the unlabeled association to 101 is listed before the primary one to 102
        contact("204", "102", "Ana", "Li", "ana@globex.test", others=("101",)),
        contact("205", None, "Two", "Homes", "two@x.test", others=("101", "103")),
    ]
    deals = [deal("304", "103", "qualifiedtobuy", "900", others=("101",),
                  createdate="2026-09-01T08:00:00Z")]  # fmt: skip
    server = FakeHubSpot(search_lists(companies, people, deals))
    freeze(monkeypatch, "2026-11-23T12:00:00Z")
    placed = []
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="hubspot.test").mock(side_effect=server)
        full = sync(store, HubSpotSource(api(), OPTIONS))
        placed.append(column(store, "SELECT contact_id, account_id FROM contacts"))
        placed.append(column(store, "SELECT opportunity_id, account_id FROM opportunities"))
        for obj in (*people, *deals):
            key = "lastmodifieddate" if obj in people else "hs_lastmodifieddate"
            obj["properties"][key] = "2026-11-23T12:30:00Z"
        freeze(monkeypatch, "2026-11-23T13:00:00Z")
        incremental = sync(store, HubSpotSource(api(), OPTIONS))
        placed.append(column(store, "SELECT contact_id, account_id FROM contacts"))
        placed.append(column(store, "SELECT opportunity_id, account_id FROM opportunities"))
    assert incremental.rows == {"contacts": 1, "opportunities": 1}  # read again by search
    assert placed == [[("204", "102")], [("304", "103")]] * 2
    ambiguous = (
        "contact 205",
        "associated with 2 companies (101, 103) and none is its primary company in HubSpot: "
        "mark one as primary",
    )
    for report in (full, incremental):
        assert [(s.source_id, s.problem) for s in report.skipped] == [ambiguous]


def test_an_unknown_dropdown_value_leaves_that_field_unknown_and_keeps_the_record(
    store, tmp_path, monkeypatch, caplog
):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "accounts.csv").write_text(
        "account_id,name,segment\n102,Globex,enterprise\n", encoding="utf-8"
    )
    import_folder(store, folder)
    companies = [
        company("101", "Acme", segment="Mid Market"),
        company("102", "Globex", segment="Strategic"),
        company("103", "Initech", segment="self_serve"),
    ]
    people = [
        contact("201", "101", "Greg", "Hale", "greg@acme.test", csm_role="Exec Sponsor"),
        contact("203", "102", "Ana", "Li", "ana@globex.test", csm_role="Ninja"),
    ]
    server = FakeHubSpot(search_lists(companies, people))
    options = HubSpotOptions(role_property="csm_role", segment_property="segment")
    freeze(monkeypatch, "2026-11-23T12:00:00Z")
    caplog.set_level(logging.WARNING)
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="hubspot.test").mock(side_effect=server)
        report = sync(store, HubSpotSource(api(), options))
    assert report.status == "ok"
    assert report.skipped == []
    assert report.rows == {"accounts": 3, "contacts": 2}
    assert column(store, "SELECT account_id, segment FROM accounts ORDER BY account_id") == [
        ("101", "mid-market"),
        ("102", "enterprise"),  # the CSV's value stays: HubSpot's is not one of the format's
        ("103", "self-serve"),
    ]
    assert column(store, "SELECT contact_id, account_id, role FROM contacts ORDER BY 1") == [
        ("201", "101", "exec_sponsor"),
        ("203", "102", None),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("company 102" in w and "'Strategic'" in w for w in warnings), warnings
    assert any("contact 203" in w and "'Ninja'" in w for w in warnings), warnings


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
