"""Salesforce: SOQL paging by nextRecordsUrl, mapping, resume, and upserts on the write key."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from sqlalchemy import text
from tenacity import wait_none

from agent.settings import Settings
from connectors.http import ApiClient
from connectors.salesforce import SalesforceCrm, SalesforceSource
from connectors.salesforce.client import SalesforceOptions
from connectors.sync.base import SourceNotConfigured
from connectors.sync.runner import sync
from memory.workspace import WorkspaceProfile
from memory.writes import audit_entries, execute
from tests.connectors.test_hubspot import change

BASE = "https://acme.my.salesforce.test"
TOKEN = "00D-SECRET-SALESFORCE-TOKEN"
Q = "/services/data/v61.0/query"


def api(max_attempts=5) -> ApiClient:
    return ApiClient(
        "salesforce",
        BASE,
        {"Authorization": f"Bearer {TOKEN}"},
        rate=1000,
        burst=100,
        max_attempts=max_attempts,
        wait=wait_none(),
        secret_setting="CSM_SALESFORCE_TOKEN",
        sleep=lambda s: None,
    )


def query_page(records, next_url=None):
    body = {"totalSize": 9, "done": next_url is None, "records": records}
    if next_url:
        body["nextRecordsUrl"] = next_url
    return httpx.Response(200, json=body)


def account(i, name):
    return {"attributes": {"type": "Account"}, "Id": i, "Name": name, "Industry": None,
            "NumberOfEmployees": 250}  # fmt: skip


@pytest.fixture
def sf():
    served = {"Account": [], "Contact": [], "Opportunity": []}
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:

        def query(request):
            soql = request.url.params["q"]
            served[soql.split(" FROM ")[1].split()[0]].append(soql)
            if " FROM Account" in soql:
                return query_page([account("001A", "Acme Corp")], f"{Q}/01gA-2000")
            if " FROM Contact" in soql:
                return query_page(
                    [
                        {
                            "Id": "003A",
                            "AccountId": "001A",
                            "FirstName": "Greg",
                            "LastName": "Hale",
                            "Email": "greg@acme.test",
                            "Role__c": "Champion",
                        },
                        {"Id": "003B", "AccountId": None, "FirstName": "Lone", "LastName": "W"},
                    ]  # fmt: skip
                )
            return query_page(
                [
                    {
                        "Id": "006A",
                        "AccountId": "001A",
                        "Amount": 48000.0,
                        "StageName": "Closed Won",
                        "CloseDate": "2026-02-01",
                        "Contract_End_Date__c": "2027-01-31",
                        "CreatedDate": "2025-12-01T10:00:00.000+0000",
                    },
                    {
                        "Id": "006B",
                        "AccountId": "001B",
                        "Amount": 9000.0,
                        "StageName": "Qualification",
                        "Type": "Renewal",
                        "CreatedDate": "2026-10-01T10:00:00.000+0000",
                    },
                ]  # fmt: skip
            )

        mock.get(Q).mock(side_effect=query)
        busy = [httpx.Response(503, json=[{"message": "busy", "errorCode": "UNAVAILABLE"}])]

        def second(request):
            return busy.pop() if busy else query_page([account("001B", "Globex")], f"{Q}/01gA-4000")

        mock.get(f"{Q}/01gA-2000").mock(side_effect=second)
        mock.get(f"{Q}/01gA-4000").mock(return_value=query_page([]))
        yield mock, served


def test_sync_pages_by_next_records_url_and_maps_the_objects(sf, store):
    _, served = sf
    options = SalesforceOptions(role_field="Role__c")
    report = sync(store, SalesforceSource(api(), options))
    assert report.status == "ok"
    assert report.pages == 5  # 3 of accounts (the last empty), contacts, opportunities
    assert report.rows == {"accounts": 2, "contacts": 1, "contracts": 1, "opportunities": 1}
    assert [(s.source_id, s.problem) for s in report.skipped] == [
        ("Contact 003B", "no Account in Salesforce")
    ]
    with store.engine.connect() as conn:
        contract = conn.execute(text("SELECT arr, start_date, end_date FROM contracts")).one()
        opp = conn.execute(text("SELECT kind, stage, amount, created_at FROM opportunities")).one()
        role = conn.execute(text("SELECT role FROM contacts")).scalar()
    assert tuple(contract) == (48000.0, "2026-02-01", "2027-01-31")
    assert tuple(opp) == ("renewal", "qualified", 9000.0, "2026-10-01")
    assert role == "champion"

    again = sync(store, SalesforceSource(api(), options))
    since = json.loads(report.cursor)["since"]
    assert served["Account"][-1] == (
        "SELECT Id, Name, Industry, NumberOfEmployees, LastModifiedDate FROM Account "
        f"WHERE LastModifiedDate > {since} ORDER BY LastModifiedDate, Id"
    )
    assert again.status == "ok"


def test_from_settings_names_what_is_missing():
    with pytest.raises(SourceNotConfigured, match="^set CSM_SALESFORCE_TOKEN$"):
        SalesforceSource.from_settings(Settings(salesforce_url=BASE), WorkspaceProfile())


@respx.mock
def test_a_task_is_upserted_on_its_key_so_a_retry_after_a_timeout_makes_no_second(store):
    tasks: dict[str, dict] = {}

    def upsert(request, key):
        created = key not in tasks
        tasks[key] = json.loads(request.content)
        if len(tasks) == 1 and created:
            raise httpx.ReadTimeout("response lost")  # applied, answer lost
        return httpx.Response(201 if created else 200, json={"id": "00T1", "created": created})

    respx.patch(url__regex=rf"{BASE}/services/data/v61.0/sobjects/Task/Csm_Key__c/(?P<key>\w+)")\
        .mock(side_effect=upsert)  # fmt: skip
    c = change("task", account="001A")
    outcome = execute(
        store, c, SalesforceCrm(api(max_attempts=1)), actor="dana", confirmed_by="dana",
        wait=wait_none(),
    )  # fmt: skip
    assert outcome.result == "ok"
    assert outcome.attempts == 2
    assert list(tasks) == [c.idempotency_key]
    assert tasks[c.idempotency_key] == {
        "Subject": "Send the QBR deck",
        "Description": "Send the QBR deck",
        "ActivityDate": "2026-11-30",
        "Status": "Not Started",
        "WhatId": "001A",
    }
    assert [e.record_id for e in audit_entries(store)] == ["00T1"]
