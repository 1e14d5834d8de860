"""Salesforce: the source against a fake REST API (paging, faults, resume, secrets); the writer."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import respx
from sqlalchemy import text
from tenacity import wait_none

from agent.settings import Settings
from connectors.csv_import import import_folder
from connectors.http import ApiClient
from connectors.salesforce import SalesforceCrm, SalesforceSource
from connectors.salesforce.client import SalesforceOptions, salesforce_api
from connectors.sync.base import SourceNotConfigured
from connectors.sync.runner import sync
from connectors.sync.state import read_state
from memory.store import open_store
from memory.workspace import WorkspaceProfile
from memory.writes import audit_entries, execute
from tests.connectors.salesforce_fake import (
    API,
    BASE,
    TOKEN,
    FakeSalesforce,
    account,
    contact,
    error,
    opportunity,
)
from tests.connectors.test_hubspot import change
from tests.connectors.test_sync_runner import dump

OPTIONS = SalesforceOptions(role_field="Role__c")
ACCOUNT_SOQL = (
    "SELECT Id, Name, Industry, NumberOfEmployees, IsDeleted, MasterRecordId, SystemModstamp "
    "FROM Account"
)
ORDER = " ORDER BY SystemModstamp, Id"
DELETED = "deleted in Salesforce: not imported (a row an earlier sync stored is kept)"


def portfolio() -> dict[str, list[dict]]:
    """5 accounts (one deleted), 4 contacts (one without account, one merged), 3 opportunities.

    Listed out of order: the fake sorts by (SystemModstamp, Id), so with 2 records a page
    the accounts come as [001A, 001B] [001C, 001D] [001E] (001A and 001B tie on time), the
    contacts as [003A, 003B] [003C, 003D] and the opportunities as [006A, 006B] [006C].
    """
    umbrella = account("001D", "Umbrella", "2026-10-03T08:00:00.000+0000")
    umbrella["IsDeleted"] = True
    merged = contact("003D", "001A", "Greg", "Hale", "2026-10-07T09:00:00.000+0000")
    merged.update(IsDeleted=True, MasterRecordId="003A")
    return {
        "Account": [
            account("001C", "Initech", "2026-10-02T09:00:00.000+0000", "Finance", 45),
            account("001B", "Globex", "2026-10-01T09:00:00.000+0000"),
            account("001A", "Acme Corp", "2026-10-01T09:00:00.000+0000", "Technology", 120),
            account("001E", "Hooli", "2026-10-04T09:00:00.000+0000", "Technology", 3000),
            umbrella,
        ],
        "Contact": [
            contact(
                "003A",
                "001A",
                "Greg",
                "Hale",
                "2026-10-05T10:00:00.000+0000",
                Title="VP Ops",
                Email="greg@acme.test",
                Department="Operations",
                LastActivityDate="2026-10-15",
                Role__c="Champion",
            ),
            contact("003B", None, "Lone", "Wolf", "2026-10-05T11:00:00.000+0000"),
            contact(
                "003C", "001B", "Ana", "Li", "2026-10-06T09:00:00.000+0000", Email="ana@globex.test"
            ),
            merged,
        ],
        "Opportunity": [
            opportunity(
                "006A",
                "001A",
                "Closed Won",
                48000.0,
                "2026-10-08T09:00:00.000+0000",
                CloseDate="2026-02-01",
                Contract_End_Date__c="2027-01-31",
                CreatedDate="2025-12-01T10:00:00.000+0000",
            ),
            opportunity(
                "006B",
                "001B",
                "Qualification",
                9000.0,
                "2026-10-09T09:00:00.000+0000",
                Type="Renewal",
                CloseDate="2026-12-31",
                CreatedDate="2026-10-01T10:00:00.000+0000",
            ),
            opportunity(
                "006C",
                "001C",
                "Closed Lost",
                5000.0,
                "2026-10-10T09:00:00.000+0000",
                Type="New Business",
                CloseDate="2026-09-15",
                CreatedDate="2026-06-01T08:00:00.000+0000",
            ),
        ],
    }


EXPECTED_CSV = {
    "accounts.csv": "account_id,name,industry,employees\n"
    "001A,Acme Corp,Technology,120\n001B,Globex,,\n001C,Initech,Finance,45\n"
    "001E,Hooli,Technology,3000\n",
    "contacts.csv": "contact_id,account_id,name,title,email,department,last_engaged_at,role\n"
    "003A,001A,Greg Hale,VP Ops,greg@acme.test,Operations,2026-10-15,champion\n"
    "003C,001B,Ana Li,,ana@globex.test,,,\n",
    "contracts.csv": "contract_id,account_id,arr,start_date,end_date\n"
    "006A,001A,48000,2026-02-01,2027-01-31\n",
    "opportunities.csv": "opportunity_id,account_id,kind,amount,stage,created_at,closed_at\n"
    "006A,001A,upsell,48000,won,2025-12-01,2026-02-01\n"
    "006B,001B,renewal,9000,qualified,2026-10-01,\n"
    "006C,001C,upsell,5000,lost,2026-06-01,2026-09-15\n",
}
ALL_PAGES = [
    ("Account", ["001A", "001B"]),
    ("Account", ["001C", "001D"]),
    ("Account", ["001E"]),
    ("Contact", ["003A", "003B"]),
    ("Contact", ["003C", "003D"]),
    ("Opportunity", ["006A", "006B"]),
    ("Opportunity", ["006C"]),
]


def api(max_attempts=5, token=TOKEN) -> ApiClient:
    return salesforce_api(
        BASE, token, rate=1000, max_attempts=max_attempts, wait=wait_none(), sleep=lambda s: None
    )


def counts(store) -> list[int]:
    with store.engine.connect() as conn:
        return [
            conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("accounts", "contacts", "contracts", "opportunities")
        ]


def engaged(store, contact_id: str) -> str | None:
    with store.engine.connect() as conn:
        value = conn.execute(
            text("SELECT last_engaged_at FROM contacts WHERE contact_id = :c"), {"c": contact_id}
        ).scalar()
    return None if value is None else str(value)


def limit_exceeded() -> httpx.Response:
    return error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


@pytest.fixture
def fake():
    server = FakeSalesforce(portfolio(), page_size=2)
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="acme.my.salesforce.test").mock(side_effect=server)
        yield server


# --- the source ---------------------------------------------------------------------------


def test_full_sync_pages_through_faults_and_equals_the_csv_import(fake, store, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    fake.faults = {
        "next 01gD0000000Q001-2": [limit_exceeded()],
        "queryAll Contact": [
            error(500, "UNKNOWN_EXCEPTION", f"An unexpected error occurred (session {TOKEN})")
        ],
        "queryAll Opportunity": [httpx.ReadTimeout("timed out")],
    }
    client = api()
    report = sync(store, SalesforceSource(client, OPTIONS))

    assert report.status == "ok"
    assert report.pages == 7
    assert fake.served == ALL_PAGES
    assert report.rows == {"accounts": 4, "contacts": 2, "contracts": 1, "opportunities": 3}
    assert {(s.source_id, s.problem) for s in report.skipped} == {
        ("Account 001D", DELETED),
        ("Contact 003B", "no Account in Salesforce"),
        (
            "Contact 003D",
            "merged into Contact 003A in Salesforce: not imported (a row an earlier sync "
            "stored is kept)",
        ),
    }
    assert fake.hits["next 01gD0000000Q001-2"] == 2
    assert fake.hits["queryAll Contact"] == 2
    assert fake.hits["queryAll Opportunity"] == 2
    assert client.retries == 3
    assert fake.queries[0] == ACCOUNT_SOQL + ORDER
    assert json.loads(report.cursor)["phase"] == "done"
    assert "REQUEST_LIMIT_EXCEEDED (HTTP 403): TotalRequests Limit exceeded." in caplog.text
    assert "An unexpected error occurred (session ***)" in caplog.text
    assert TOKEN not in caplog.text

    folder = tmp_path / "csv"
    folder.mkdir()
    for name, content in EXPECTED_CSV.items():
        (folder / name).write_text(content, encoding="utf-8")
    other = open_store(f"sqlite:///{tmp_path / 'csv.db'}")
    import_folder(other, folder)
    assert dump(store) == dump(other)
    other.dispose()


def test_an_empty_org_ends_done_with_nothing_stored(store):
    server = FakeSalesforce({"Account": [], "Contact": [], "Opportunity": []})
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="acme.my.salesforce.test").mock(side_effect=server)
        report = sync(store, SalesforceSource(api(), OPTIONS))
    assert report.status == "ok"
    assert report.pages == 3
    assert report.rows == {}
    assert report.skipped == []
    assert server.served == [("Account", []), ("Contact", []), ("Opportunity", [])]
    assert json.loads(report.cursor)["phase"] == "done"
    assert counts(store) == [0, 0, 0, 0]


def test_a_crash_on_page_three_resumes_there_after_the_locator_expired(fake, store):
    fake.faults = {"next 01gD0000000Q001-4": [RuntimeError("process killed")]}
    with pytest.raises(RuntimeError):
        sync(store, SalesforceSource(api(), OPTIONS))
    assert counts(store) == [3, 0, 0, 0]
    stored = json.loads(read_state(store, "salesforce").cursor)
    assert (stored["phase"], stored["after"]) == ("Account", ["2026-10-03T08:00:00Z", "001D"])
    assert "next" not in stored and "01gD" not in json.dumps(stored)

    fake.expire_locators()  # 15 minutes later: Salesforce no longer holds the query locator
    fake.served.clear()
    report = sync(store, SalesforceSource(api(), OPTIONS))

    assert report.status == "ok"
    assert report.resumed
    assert fake.queries[1] == (
        f"{ACCOUNT_SOQL} WHERE (SystemModstamp > 2026-10-03T08:00:00Z) OR "
        f"(SystemModstamp = 2026-10-03T08:00:00Z AND Id > '001D'){ORDER}"
    )
    assert fake.served == ALL_PAGES[2:]  # page 3 onwards: no record read twice
    assert fake.hits["next 01gD0000000Q001-4"] == 1  # only the crashed request
    assert report.rows == {"accounts": 1, "contacts": 2, "contracts": 1, "opportunities": 3}
    assert counts(store) == [4, 2, 1, 3]


def test_a_locator_expiring_during_a_run_is_replaced_by_a_query_after_the_last_record(
    fake, store, caplog
):
    fake.faults = {
        "next 01gD0000000Q001-2": [error(404, "INVALID_QUERY_LOCATOR", "invalid query locator")]
    }
    report = sync(store, SalesforceSource(api(), OPTIONS))
    assert report.status == "ok"
    assert fake.queries[1] == (
        f"{ACCOUNT_SOQL} WHERE (SystemModstamp > 2026-10-01T09:00:00Z) OR "
        f"(SystemModstamp = 2026-10-01T09:00:00Z AND Id > '001B'){ORDER}"
    )
    assert fake.served == ALL_PAGES
    assert report.rows == {"accounts": 4, "contacts": 2, "contracts": 1, "opportunities": 3}
    assert "the Account query locator is gone" in caplog.text
    assert counts(store) == [4, 2, 1, 3]


def test_a_cursor_of_the_last_modified_date_reader_starts_a_full_pass_once(fake, caplog):
    older = json.dumps(  # held a nextRecordsUrl, and read by LastModifiedDate
        {
            "phase": "Contact",
            "next": f"{API}/query/01gOLD0000000001-2000",
            "since": None,
            "started": "2026-11-23T10:00:00Z",
        }
    )
    pages = list(SalesforceSource(api(), OPTIONS).pages(older, None))
    assert fake.hits["next 01gOLD0000000001-2000"] == 0
    assert fake.queries[0] == ACCOUNT_SOQL + ORDER
    assert fake.served == ALL_PAGES
    assert len(pages) == 7
    done = json.loads(pages[-1].cursor)
    assert (done["order"], done["phase"]) == ("SystemModstamp", "done")
    assert done["since"] != "2026-11-23T10:00:00Z"  # this pass's start, not the old one's
    assert "reading everything again once" in caplog.text


def test_after_upgrading_a_contact_whose_only_change_was_an_activity_is_repaired(fake, store):
    sync(store, SalesforceSource(api(), OPTIONS))
    # a Task logged with Greg on 2026-11-20: LastActivityDate and SystemModstamp move,
    # LastModifiedDate does not; the LastModifiedDate reader's passes since then missed it
    greg = next(r for r in fake.objects["Contact"] if r["Id"] == "003A")
    greg.update(LastActivityDate="2026-11-20", SystemModstamp="2026-11-20T15:00:00.000+0000")
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE sync_state SET cursor = :c WHERE source = 'salesforce'"),
            {"c": json.dumps({"phase": "done", "since": "2026-11-23T10:00:00Z"})},
        )

    report = sync(store, SalesforceSource(api(), OPTIONS))

    assert report.status == "ok"
    assert engaged(store, "003A") == "2026-11-20"
    assert json.loads(report.cursor)["order"] == "SystemModstamp"


def test_the_next_run_reads_what_changed_since_the_last_pass_in_the_same_order(fake, store):
    first = sync(store, SalesforceSource(api(), OPTIONS))
    since = json.loads(first.cursor)["since"]
    later = datetime.fromisoformat(since.replace("Z", "+00:00")) + timedelta(minutes=5)
    modified = later.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    initech = next(r for r in fake.objects["Account"] if r["Id"] == "001C")
    initech.update(Name="Initech Ltd", LastModifiedDate=modified, SystemModstamp=modified)
    fake.objects["Contact"].append(
        contact("003E", "001C", "Bill", "Lumbergh", modified, Email="bill@initech.test")
    )
    fake.served.clear()

    report = sync(store, SalesforceSource(api(), OPTIONS))
    assert report.status == "ok"
    assert fake.queries[3] == f"{ACCOUNT_SOQL} WHERE SystemModstamp >= {since}{ORDER}"
    assert all(f"WHERE SystemModstamp >= {since}{ORDER}" in q for q in fake.queries[3:])
    assert fake.served == [("Account", ["001C"]), ("Contact", ["003E"]), ("Opportunity", [])]
    assert report.rows == {"accounts": 1, "contacts": 1}
    with store.engine.connect() as conn:
        assert conn.execute(
            text("SELECT name FROM accounts WHERE account_id = '001C'")
        ).scalar() == ("Initech Ltd")
    assert counts(store) == [4, 3, 1, 3]


def test_since_reads_records_changed_at_or_after_it_in_utc(fake, store):
    sync(store, SalesforceSource(api(), OPTIONS))
    fake.served.clear()
    since = datetime(2026, 10, 6, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    report = sync(store, SalesforceSource(api(), OPTIONS), since=since)
    assert fake.queries[3] == f"{ACCOUNT_SOQL} WHERE SystemModstamp >= 2026-10-06T09:00:00Z{ORDER}"
    # Contact 003C changed at exactly 09:00:00Z: "at or after" includes it
    assert fake.served == [
        ("Account", []),
        ("Contact", ["003C", "003D"]),
        ("Opportunity", ["006A", "006B"]),
        ("Opportunity", ["006C"]),
    ]
    assert report.rows == {"contacts": 1, "contracts": 1, "opportunities": 3}


def test_a_rejected_token_fails_naming_the_setting_and_the_token_is_nowhere(fake, store, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "00D5g000004WRONG!AQ4AQExpiredToken.abc"
    report = sync(store, SalesforceSource(api(token=wrong), OPTIONS))
    assert report.status == "failed"
    assert fake.hits["queryAll Account"] == 1  # a 401 is not retried
    assert report.errors == [
        "salesforce refused the credentials (HTTP 401) on GET /services/data/v61.0/queryAll: "
        "check CSM_SALESFORCE_TOKEN (the token may be wrong, expired or lack a scope). "
        "Session expired or invalid"
    ]
    everything = caplog.text + report.model_dump_json() + repr(dump(store))
    with store.engine.connect() as conn:
        everything += repr(conn.execute(text("SELECT * FROM sync_state")).all())
    assert wrong not in everything
    assert TOKEN not in everything


def test_request_limit_exceeded_is_retried_as_a_rate_limit_not_an_auth_error(fake, store):
    fake.faults = {"queryAll Account": [limit_exceeded() for _ in range(5)]}
    report = sync(store, SalesforceSource(api(), OPTIONS))
    assert report.status == "failed"
    assert fake.hits["queryAll Account"] == 5
    assert report.errors == [
        "salesforce: GET /services/data/v61.0/queryAll failed after 5 attempt(s): "
        "REQUEST_LIMIT_EXCEEDED (HTTP 403): TotalRequests Limit exceeded."
    ]

    again = sync(store, SalesforceSource(api(), OPTIONS))  # the allowance is back
    assert again.status == "ok"
    assert counts(store) == [4, 2, 1, 3]


def test_any_other_403_is_an_auth_error_naming_the_setting(fake, store):
    fake.faults = {
        "queryAll Account": [
            error(403, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization.")
        ]
    }
    report = sync(store, SalesforceSource(api(), OPTIONS))
    assert report.status == "failed"
    assert fake.hits["queryAll Account"] == 1
    assert "salesforce denied access (HTTP 403)" in report.errors[0]
    assert "check CSM_SALESFORCE_TOKEN" in report.errors[0]
    assert report.errors[0].endswith("The REST API is not enabled for this Organization.")


def test_from_settings_names_what_is_missing_and_reads_the_profile():
    with pytest.raises(SourceNotConfigured, match="^set CSM_SALESFORCE_TOKEN$"):
        SalesforceSource.from_settings(Settings(salesforce_url=BASE), WorkspaceProfile())
    with pytest.raises(
        SourceNotConfigured, match="^set CSM_SALESFORCE_URL and CSM_SALESFORCE_TOKEN$"
    ):
        SalesforceSource.from_settings(Settings(), WorkspaceProfile())
    profile = WorkspaceProfile(connectors={"salesforce": {"role_field": "Persona__c"}})
    source = SalesforceSource.from_settings(
        Settings(salesforce_url=BASE, salesforce_token=TOKEN), profile
    )
    assert source.options.role_field == "Persona__c"
    assert TOKEN not in repr(source.client)


# --- the writer ---------------------------------------------------------------------------


def write(store, c, client=None):
    crm = SalesforceCrm(client or api(max_attempts=1))
    return execute(store, c, crm, actor="dana", confirmed_by="dana", wait=wait_none())


def test_a_task_upsert_retried_after_a_lost_answer_leaves_one_task(fake, store):
    fake.drop_answer["upsert Task"] = 1  # Salesforce applies the upsert, the answer is lost
    c = change("task", account="001A")
    outcome = write(store, c)
    assert outcome.result == "ok"
    assert outcome.attempts == 2
    assert fake.hits["upsert Task"] == 2
    assert fake.tasks == {
        c.idempotency_key: {
            "Subject": "Send the QBR deck",
            "Description": "Send the QBR deck",
            "ActivityDate": "2026-11-30",
            "Status": "Not Started",
            "WhatId": "001A",
        }
    }
    assert outcome.record_id == "00T5g0000000001"
    assert outcome.detail == "the CRM already held this change (record 00T5g0000000001)"
    assert [(e.result, e.record_id) for e in audit_entries(store)] == [("ok", "00T5g0000000001")]


def test_a_note_is_a_completed_task_and_writing_it_again_updates_the_same_one(fake, store):
    c = change("note", account="001A")
    crm = SalesforceCrm(api(max_attempts=1))
    first = crm.write(c, c.idempotency_key)
    again = crm.write(c, c.idempotency_key)
    assert (first.created, again.created) == (True, False)
    assert first.record_id == again.record_id == "00T5g0000000001"
    assert fake.tasks == {
        c.idempotency_key: {
            "Subject": "Note: Called Greg <b>re renewal</b>",
            "Description": "Called Greg <b>re renewal</b>",
            "ActivityDate": "2026-11-23",
            "Status": "Completed",
            "WhatId": "001A",
        }
    }


def test_health_fields_are_a_repeatable_account_patch(fake, store):
    fake.drop_answer["PATCH Account"] = 1
    c = change("health_fields", account="001A")
    outcome = write(store, c)
    expected = {
        "Csm_Health_Score__c": 72,
        "Csm_Health_Tier__c": "green",
        "Csm_Last_Scored__c": "2026-11-23",
    }
    assert outcome.result == "ok"
    assert outcome.attempts == 2
    assert fake.account_fields == {"001A": expected}

    receipt = SalesforceCrm(api(max_attempts=1)).write(c, c.idempotency_key)
    assert receipt.record_id == "001A"
    assert fake.hits["PATCH Account"] == 3
    assert fake.account_fields == {"001A": expected}


def test_a_401_on_a_write_fails_at_once_naming_the_setting(fake, store):
    wrong = "00D5g000004WRONG!AQ4AQExpiredToken.abc"
    outcome = write(store, change("task", account="001A"), api(max_attempts=1, token=wrong))
    assert outcome.result == "failed"
    assert outcome.attempts == 1
    assert "check CSM_SALESFORCE_TOKEN" in outcome.error
    assert "HTTP 401" in outcome.error
    assert wrong not in outcome.error
    assert fake.tasks == {}
    assert [e.result for e in audit_entries(store)] == ["failed"]
    assert all(wrong not in e.model_dump_json() for e in audit_entries(store))


def test_a_request_limit_on_a_write_is_retried_and_an_unknown_account_is_not(fake, store):
    fake.faults = {"upsert Task": [limit_exceeded()]}
    limited = write(store, change("task", account="001A"))
    assert limited.result == "ok"
    assert limited.attempts == 2
    assert len(fake.tasks) == 1

    unknown = write(store, change("health_fields", account="001Z"))
    assert unknown.result == "failed"
    assert unknown.attempts == 1
    assert unknown.error == (
        "Salesforce has no Account 001Z (Acme Corp): sync Salesforce (`csm sync salesforce`) "
        "so accounts carry Salesforce ids"
    )
    assert fake.account_fields == {}


def test_a_cursor_with_an_injected_position_is_not_put_into_soql(fake):
    evil = json.dumps(
        {
            "order": "SystemModstamp",
            "phase": "Account",
            "after": ["2026-10-01T09:00:00Z", "x' OR Name != '"],
            "since": None,
            "started": "2026-11-23T10:00:00Z",
        }
    )
    list(SalesforceSource(api(), OPTIONS).pages(evil, None))
    assert fake.queries[0] == ACCOUNT_SOQL + ORDER
    assert fake.served == ALL_PAGES


def test_a_stored_since_in_salesforce_format_is_normalised_to_a_utc_literal(fake):
    cursor = json.dumps(
        {"order": "SystemModstamp", "phase": "done", "since": "2026-10-06T11:00:00.750+0200"}
    )
    list(SalesforceSource(api(), OPTIONS).pages(cursor, None))
    assert fake.queries[0] == f"{ACCOUNT_SOQL} WHERE SystemModstamp >= 2026-10-06T09:00:00Z{ORDER}"


def test_a_task_logged_after_the_first_sync_updates_last_engaged_at(fake, store):
    first = sync(store, SalesforceSource(api(), OPTIONS))
    assert engaged(store, "003C") is None
    since = json.loads(first.cursor)["since"]
    later = datetime.fromisoformat(since.replace("Z", "+00:00")) + timedelta(minutes=5)
    # logging a call with Ana sets LastActivityDate and SystemModstamp, not LastModifiedDate
    ana = next(r for r in fake.objects["Contact"] if r["Id"] == "003C")
    ana.update(
        LastActivityDate="2026-11-24", SystemModstamp=later.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    )
    fake.served.clear()

    report = sync(store, SalesforceSource(api(), OPTIONS))

    assert report.status == "ok"
    assert fake.served == [("Account", []), ("Contact", ["003C"]), ("Opportunity", [])]
    assert engaged(store, "003C") == "2026-11-24"


def test_a_deal_won_after_an_earlier_sync_leaves_the_pipeline(fake, store):
    sync(store, SalesforceSource(api(), OPTIONS))
    globex = next(r for r in fake.objects["Opportunity"] if r["Id"] == "006B")
    won_at = "2026-11-30T09:00:00.000+0000"
    globex.update(
        StageName="Closed Won",
        CloseDate="2026-11-30",
        Contract_End_Date__c="2027-11-29",
        LastModifiedDate=won_at,
        SystemModstamp=won_at,
    )
    report = sync(store, SalesforceSource(api(), OPTIONS))

    assert report.status == "ok"
    with store.engine.connect() as conn:
        opportunities = conn.execute(
            text("SELECT opportunity_id, stage, closed_at FROM opportunities ORDER BY 1")
        ).all()
        contracts = conn.execute(
            text(
                "SELECT contract_id, account_id, arr, start_date, end_date "
                "FROM contracts ORDER BY 1"
            )
        ).all()
    assert [tuple(map(str, r)) for r in opportunities] == [
        ("006A", "won", "2026-02-01"),
        ("006B", "won", "2026-11-30"),
        ("006C", "lost", "2026-09-15"),
    ]
    assert [tuple(map(str, r)) for r in contracts] == [
        ("006A", "001A", "48000.0", "2026-02-01", "2027-01-31"),
        ("006B", "001B", "9000.0", "2026-11-30", "2027-11-29"),
    ]
