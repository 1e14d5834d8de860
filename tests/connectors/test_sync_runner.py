"""The sync runner: pages validated like the CSV import, one transaction each, resumable."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from connectors.csv_import import import_folder
from connectors.http import AuthError
from connectors.sync.base import Page, Skipped, SourceRecord
from connectors.sync.runner import sync
from connectors.sync.state import all_states, read_state
from memory.models import ENTITY_MODELS
from memory.store import Store, open_store
from memory.workspace import SystemOwner, WorkspaceProfile, load_profile, save_profile


def rec(entity: str, sid: str, **row) -> SourceRecord:
    return SourceRecord(entity=entity, source_id=sid, row=row)


PAGES = [
    [
        rec("accounts", "c1", account_id="a1", name="Acme Corp", employees="120"),
        rec("accounts", "c2", account_id="a2", name="Globex", employees=None),
    ],
    [
        rec("contacts", "p1", contact_id="k1", account_id="a1", name="Greg Hale", role="champion"),
        rec("contacts", "p2", contact_id="k2", account_id="a2", name="Ana Li", role=None),
    ],
    [
        rec(
            "notes",
            "n1",
            note_id="n1",
            account_id="a1",
            created_at="2026-10-01T09:30:00Z",
            text="Called Greg about renewal.",
        ),  # fmt: skip
        rec(
            "contracts",
            "d1",
            contract_id="d1",
            account_id="a1",
            arr="50000",
            start_date="2026-01-01",
            end_date="2026-12-31",
        ),  # fmt: skip
    ],
]


class FakeSource:
    """Yields the given pages; cursors are the page numbers; can fail before a page."""

    name = "hubspot"

    def __init__(self, pages, fail_before: int | None = None, error=None):
        self._pages = pages
        self.fail_before = fail_before
        self.error = error or RuntimeError("connection dropped")
        self.calls: list[tuple[str | None, datetime | None]] = []

    def pages(self, cursor: str | None, since: datetime | None) -> Iterator[Page]:
        self.calls.append((cursor, since))
        start = int(cursor) if cursor else 0
        for i in range(start, len(self._pages)):
            if self.fail_before == i:
                raise self.error
            records = self._pages[i]
            skipped = [s for s in records if isinstance(s, Skipped)]
            records = [r for r in records if isinstance(r, SourceRecord)]
            yield Page(records=records, skipped=skipped, cursor=str(i + 1))


def dump(store: Store) -> dict[str, list[tuple]]:
    out = {}
    with store.engine.connect() as conn:
        for entity, model in ENTITY_MODELS.items():
            table = model.__table__
            out[entity] = sorted(conn.execute(select(table)).all(), key=repr)
    return out


def write_csvs(folder: Path, pages) -> None:
    by_entity: dict[str, list[dict]] = {}
    for page in pages:
        for r in page:
            by_entity.setdefault(r.entity, []).append(r.row)
    folder.mkdir()
    for entity, rows in by_entity.items():
        columns = list(rows[0])
        with (folder / f"{entity}.csv").open("w", newline="") as fh:
            w = csv.DictWriter(fh, columns)
            w.writeheader()
            w.writerows({k: v or "" for k, v in row.items()} for row in rows)


def test_a_sync_leaves_the_store_as_importing_the_same_csvs(store, tmp_path):
    report = sync(store, FakeSource(PAGES))
    assert report.status == "ok"
    assert report.rows == {"accounts": 2, "contacts": 2, "notes": 1, "contracts": 1}
    assert report.pages == 3
    assert report.cursor == "3"

    write_csvs(tmp_path / "csv", PAGES)
    other = open_store(f"sqlite:///{tmp_path / 'csv.db'}")
    import_folder(other, tmp_path / "csv")
    assert dump(store) == dump(other)
    assert dump(store)["usage"] == []  # no usage feed: usage is unknown, never zeros
    other.dispose()


def test_a_crash_after_page_two_resumes_at_page_three_without_duplicates(store):
    crashing = FakeSource(PAGES, fail_before=2)
    with pytest.raises(RuntimeError, match="connection dropped"):
        sync(store, crashing)
    saved = read_state(store, "hubspot")
    assert saved.cursor == "2"
    assert saved.status == "failed"
    assert saved.errors == ["RuntimeError: connection dropped"]
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM contacts")).scalar() == 2
        assert conn.execute(text("SELECT count(*) FROM notes")).scalar() == 0

    again = FakeSource(PAGES)
    report = sync(store, again)
    assert again.calls == [("2", None)]
    assert report.resumed
    assert report.rows == {"notes": 1, "contracts": 1}
    with store.engine.connect() as conn:
        counts = [
            conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("accounts", "contacts", "notes", "contracts")
        ]
    assert counts == [2, 2, 1, 1]
    assert read_state(store, "hubspot").status == "ok"


def test_an_api_error_ends_the_run_as_failed_and_keeps_the_stored_pages(store):
    err = AuthError(401, "hubspot refused the credentials (HTTP 401): check CSM_HUBSPOT_TOKEN")
    report = sync(store, FakeSource(PAGES, fail_before=1, error=err))
    assert report.status == "failed"
    assert report.rows == {"accounts": 2}
    assert report.errors == [str(err)]
    assert read_state(store, "hubspot").cursor == "1"


def test_invalid_records_are_skipped_with_their_id_and_problem_and_the_rest_is_stored(store):
    pages = [
        [
            rec("accounts", "c1", account_id="a1", name="Acme Corp"),
            rec("accounts", "c9", account_id="a9", name="Bad Date Inc", kickoff_date="01/02/2026"),
            rec("accounts", "c8", account_id="a8", name=""),
        ],
        [
            rec("contacts", "p1", contact_id="k1", account_id="a1", name="Greg", role="boss"),
            rec("contacts", "p2", contact_id="k2", account_id="zzz", name="Nobody"),
            rec("contacts", "p3", contact_id="k3", account_id="a1", name="Ok Person"),
        ],
    ]
    pages[1].append(Skipped(source_id="ticket 5", entity="tickets", problem="unknown org"))
    report = sync(store, FakeSource(pages))
    assert report.rows == {"accounts": 1, "contacts": 1}
    problems = {(s.source_id, s.problem) for s in report.skipped}
    assert problems == {
        ("c9", "kickoff_date: not a date (expected YYYY-MM-DD): '01/02/2026'"),
        ("c8", "name: required value is empty"),
        (
            "p1",
            "role: unknown value 'boss' (allowed: champion, exec_sponsor, decision_maker, "
            "economic_buyer, user, admin, technical_lead, detractor)",
        ),
        ("p2", "account_id: unknown account"),
        ("ticket 5", "unknown org"),
    }
    assert "skipped contacts p2: account_id: unknown account" in read_state(store, "hubspot").errors


def test_a_resync_updates_rows_and_keeps_columns_the_source_does_not_give(store, tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "accounts.csv").write_text(
        "account_id,name,segment,plan\na1,Acme,enterprise,Gold\n", encoding="utf-8"
    )
    import_folder(store, folder)
    sync(store, FakeSource([[rec("accounts", "c1", account_id="a1", name="Acme Corp")]]))
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT name, segment, plan FROM accounts")).one()
    assert tuple(row) == ("Acme Corp", "enterprise", "Gold")


def test_a_field_the_vendor_leaves_empty_keeps_the_stored_value(store, tmp_path):
    # HubSpot returns null for industry/employees and the contact's role property: unknown
    # to the vendor, not a value, so what the CSV import stored stays
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "accounts.csv").write_text(
        "account_id,name,industry,employees\na1,Acme,Software,120\n", encoding="utf-8"
    )
    (folder / "contacts.csv").write_text(
        "contact_id,account_id,name,role,last_engaged_at\nk1,a1,Greg Hale,champion,2026-10-01\n",
        encoding="utf-8",
    )
    import_folder(store, folder)
    page = [
        rec("accounts", "c1", account_id="a1", name="Acme Corp", industry=None, employees=""),
        rec(
            "contacts",
            "p1",
            contact_id="k1",
            account_id="a1",
            name="Greg Hale",
            role=None,
            last_engaged_at=None,
            title="VP Ops",
        ),  # fmt: skip
    ]
    sync(store, FakeSource([page]))
    with store.engine.connect() as conn:
        account = conn.execute(text("SELECT name, industry, employees FROM accounts")).one()
        contact = conn.execute(text("SELECT role, last_engaged_at, title FROM contacts")).one()
    assert tuple(account) == ("Acme Corp", "Software", 120)
    assert (contact.role, str(contact.last_engaged_at), contact.title) == (
        "champion",
        "2026-10-01",
        "VP Ops",
    )


def test_full_and_since_ignore_the_stored_cursor(store):
    sync(store, FakeSource(PAGES))
    source = FakeSource(PAGES)
    since = datetime(2026, 11, 1)
    sync(store, source, since=since)
    sync(store, source, full=True)
    sync(store, source)
    assert source.calls == [(None, since), (None, None), ("3", None)]


class FakeIndex:
    def __init__(self):
        self.docs = []

    def upsert(self, docs):
        self.docs.extend(docs)
        return len(self.docs)


def test_synced_notes_are_indexed_and_an_unavailable_index_is_reported(store):
    index = FakeIndex()
    report = sync(store, FakeSource(PAGES), notes_index=lambda: index)
    assert [(d.doc_id, d.text) for d in index.docs] == [("note:n1", "Called Greg about renewal.")]
    assert report.notes_indexed == 1

    def broken():
        raise OSError("chroma server not answering")

    report = sync(store, FakeSource(PAGES), full=True, notes_index=broken)
    assert report.status == "ok"
    assert report.warnings == [
        "the rows are stored, but the notes index was not updated: chroma server not "
        "answering; run `csm notes --reindex` to catch up"
    ]


def test_notes_stored_before_a_failure_are_indexed_too(store):
    # pages 1-3 (with note n1) are stored, then the API fails before page 4: the note's row
    # stays, and so must its place in the index (a resumed run only indexes what it writes)
    index = FakeIndex()
    err = AuthError(401, "hubspot refused the credentials (HTTP 401): check CSM_HUBSPOT_TOKEN")
    more = [*PAGES, [rec("accounts", "c3", account_id="a3", name="Initech")]]
    report = sync(store, FakeSource(more, fail_before=3, error=err), notes_index=lambda: index)
    assert report.status == "failed"
    assert [d.doc_id for d in index.docs] == ["note:n1"]
    assert report.notes_indexed == 1


def test_the_vendor_is_recorded_as_the_crm_only_when_the_profile_names_none(store, tmp_path):
    home = tmp_path / "home"
    report = sync(store, FakeSource(PAGES), home=home)
    assert report.profile_marked == "crm"
    assert load_profile(home).crm.system == "HubSpot"
    assert load_profile(home).source("crm") == "CRM (HubSpot)"

    save_profile(home, WorkspaceProfile(crm=SystemOwner(system="Pipedrive", owner="RevOps")))
    report = sync(store, FakeSource(PAGES), home=home, full=True)
    assert report.profile_marked is None
    assert load_profile(home).crm.system == "Pipedrive"


def test_state_lists_every_synced_source(store):
    sync(store, FakeSource(PAGES))
    states = all_states(store)
    assert list(states) == ["hubspot"]
    assert states["hubspot"].rows == {"accounts": 2, "contacts": 2, "notes": 1, "contracts": 1}
    assert states["hubspot"].last_success_at is not None


def test_the_sources_own_warnings_are_in_the_report_and_the_state(store):
    import logging

    class Noisy(FakeSource):
        def pages(self, cursor, since):
            for page in super().pages(cursor, since):
                logging.getLogger("connectors.hubspot.mapping").warning(
                    "hubspot company 102: segment 'Galactic' is not one of enterprise, "
                    "mid-market, smb, self-serve; stored without it"
                )
                logging.getLogger("connectors.http").warning("retry 1 of 4")  # not the source's
                yield page

    report = sync(store, Noisy(PAGES))
    said = "hubspot company 102: segment 'Galactic' is not one of enterprise, mid-market, smb, "
    assert [w[: len(said)] for w in report.warnings] == [said] * 3  # one per page
    assert any(said in e for e in read_state(store, "hubspot").errors)
    assert logging.getLogger("connectors.hubspot").handlers == []  # detached after the run


def test_a_flood_of_warnings_is_cut_with_a_count(store):
    import logging

    from connectors.sync.runner import WARNINGS_KEPT

    class Flood(FakeSource):
        def pages(self, cursor, since):
            for i in range(WARNINGS_KEPT + 7):
                logging.getLogger("connectors.hubspot").warning("value %d left unknown", i)
            yield from super().pages(cursor, since)

    report = sync(store, Flood(PAGES))
    # WARNINGS_KEPT warnings kept, then one line counting the 7 others
    assert len(report.warnings) == WARNINGS_KEPT + 1
    assert report.warnings[-1] == "... and 7 more warning(s): see the log"
