"""Bad inputs to `import_folder`: every problem is listed and the store is left untouched."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import connectors.csv_import as ci
from connectors.csv_import import ImportFailed, RowError, import_folder
from memory import models as m
from tests.connectors.test_csv_import import counts, write_folder

BASE = {
    "accounts.csv": "account_id,name\nacme,Acme\nbeta,Beta\n",
    "contacts.csv": "contact_id,account_id,name\np1,acme,Dana\n",
    "usage.csv": "account_id,date,logins\nacme,2026-11-01,3\n",
}
# A valid change shipped alongside each bad file: it must not be written either.
RENAME = "account_id,name\nacme,Renamed\ndelta,Delta\n"


@pytest.fixture
def seeded(store, tmp_path):
    """A store holding a previous good import."""
    import_folder(store, write_folder(tmp_path / "base", BASE))
    return store


def snapshot(store) -> dict[str, list[tuple]]:
    with store.engine.connect() as conn:
        return {
            model.__tablename__: sorted(conn.execute(select(model.__table__)).all())
            for model in (m.Account, m.Contact, m.Usage)
        }


def rejected(store, folder) -> list[str]:
    """Import `folder`, expect ImportFailed, check nothing changed; return the messages."""
    before, rows = counts(store), snapshot(store)
    with pytest.raises(ImportFailed) as info:
        import_folder(store, folder)
    assert counts(store) == before
    assert snapshot(store) == rows
    assert info.value.total == len(info.value.errors)
    return [str(e) for e in info.value.errors]


CASES = {
    "malformed date": (
        {"usage.csv": "account_id,date,logins\nacme,2026-11-02,1\nacme,2026/11/03,1\n"},
        ["usage.csv:3: date: not a date (expected YYYY-MM-DD): '2026/11/03'"],
    ),
    "impossible date": (
        {"usage.csv": "account_id,date,logins\nacme,2026-02-30,1\n"},
        ["usage.csv:2: date: not a date (expected YYYY-MM-DD): '2026-02-30'"],
    ),
    "malformed timestamp": (
        {"tickets.csv": "ticket_id,account_id,opened_at\nt1,acme,yesterday\n"},
        [
            "tickets.csv:2: opened_at: not an ISO 8601 timestamp (e.g. 2026-11-03T14:05:00Z):"
            " 'yesterday'"
        ],
    ),
    "not a number": (
        {
            "contracts.csv": "contract_id,account_id,arr,start_date,end_date\n"
            "c1,acme,12k,2026-01-01,2026-12-31\n"
            "c2,acme,nan,2026-01-01,2026-12-31\n"
        },
        [
            "contracts.csv:2: arr: not a number: '12k'",
            "contracts.csv:3: arr: not a number: 'nan'",
        ],
    ),
    "not an integer": (
        {"usage.csv": "account_id,date,logins,sessions\nacme,2026-11-02,1.5,many\n"},
        [
            "usage.csv:2: logins: not an integer: '1.5'",
            "usage.csv:2: sessions: not an integer: 'many'",
        ],
    ),
    "negative arr, amount and seats": (
        {
            "accounts.csv": "account_id,name,licensed_seats\nacme,Acme,-3\n",
            "contracts.csv": "contract_id,account_id,arr,start_date,end_date\n"
            "c1,acme,-5,2026-01-01,2026-12-31\n",
            "invoices.csv": "invoice_id,account_id,amount,due_date,status\n"
            "i1,acme,-100.5,2026-01-01,paid\n",
            "usage.csv": "account_id,date,logins\nacme,2026-11-02,-1\n",
        },
        [
            "accounts.csv:2: licensed_seats: must not be negative: -3",
            "contracts.csv:2: arr: must not be negative: -5",
            "usage.csv:2: logins: must not be negative: -1",
            "invoices.csv:2: amount: must not be negative: -100.5",
        ],
    ),
    "integer too large for the store": (
        {"usage.csv": "account_id,date,logins\nacme,2026-11-02,99999999999\n"},
        ["usage.csv:2: logins: must be at most 2147483647: 99999999999"],
    ),
    "end_date before start_date": (
        {
            "contracts.csv": "contract_id,account_id,arr,start_date,end_date\n"
            "c1,acme,100,2026-06-01,2026-05-31\n"
        },
        ["contracts.csv:2: end_date: before start_date 2026-06-01"],
    ),
    "nps and csat out of range": (
        {
            "surveys.csv": "account_id,kind,score,responded_at\n"
            "acme,nps,11,2026-10-01\n"
            "acme,NPS,-1,2026-10-02\n"
            "acme,csat,0,2026-10-03\n"
            "acme,csat,5.5,2026-10-04\n"
            "acme,nps,0,2026-10-05\n"
            "acme,csat,1,2026-10-06\n"
        },
        [
            "surveys.csv:2: score: nps score must be 0-10: 11",
            "surveys.csv:3: score: nps score must be 0-10: -1",
            "surveys.csv:4: score: csat score must be 1-5: 0",
            "surveys.csv:5: score: csat score must be 1-5: 5.5",
        ],
    ),
    "unknown enum values": (
        {
            "accounts.csv": "account_id,name,segment\nacme,Acme,gold\n",
            "events.csv": "account_id,occurred_at,kind\nacme,2026-11-01,party\n",
        },
        [
            "accounts.csv:2: segment: unknown value 'gold'"
            " (allowed: enterprise, mid-market, smb, self-serve)",
            "events.csv:2: kind: unknown value 'party' (allowed: competitor_mention,"
            " security_review, rfp, data_export, downgrade_request, billing_page_visit,"
            " seat_removal, api_access_request, usage_limit_hit, new_use_case_interest,"
            " new_department_interest, funding_round, champion_promoted, acquisition,"
            " kickoff_held, training_completed, qbr_held, qbr_missed, exec_meeting,"
            " expansion_discussed, case_study, referral)",
        ],
    ),
    "invalid boolean and currency": (
        {
            "accounts.csv": "account_id,name,currency\nacme,Acme,dollars\n",
            "contracts.csv": "contract_id,account_id,arr,start_date,end_date,auto_renew\n"
            "c1,acme,1,2026-01-01,2026-12-31,maybe\n",
        },
        [
            "accounts.csv:2: currency: not an ISO 4217 currency code: 'dollars'",
            "contracts.csv:2: auto_renew: not a boolean (expected true/false, yes/no, 1/0):"
            " 'maybe'",
        ],
    ),
    "unknown account and contact": (
        {
            "accounts.csv": RENAME,
            "usage.csv": "account_id,date,logins\nghost,2026-11-02,1\ndelta,2026-11-02,1\n",
            "surveys.csv": "account_id,contact_id,kind,score,responded_at\n"
            "acme,p1,nps,9,2026-10-01\n"
            "acme,p404,nps,9,2026-10-02\n"
            "nobody,,nps,9,2026-10-03\n",
        },
        [
            "usage.csv:2: account_id: unknown account",
            "surveys.csv:3: contact_id: unknown contact",
            "surveys.csv:4: account_id: unknown account",
        ],
    ),
    "duplicate ids within a file": (
        {
            "accounts.csv": "account_id,name\nx1,One\nx2,Two\nx1,Again\n",
            "usage.csv": "account_id,date,logins\n"
            "acme,2026-11-02,1\nacme,2026-11-03,1\nacme,2026-11-02,2\n",
            "feature_usage.csv": "account_id,week_start,feature\n"
            "acme,2026-11-02,reports\nacme,2026-11-02,reports\n",
        },
        [
            "accounts.csv:4: account_id: duplicate of line 2 (same account_id)",
            "usage.csv:4: date: duplicate of line 2 (same account_id, date)",
            "feature_usage.csv:3: week_start: duplicate of line 2"
            " (same account_id, feature, week_start)",
        ],
    ),
    "duplicate synthetic keys": (
        {
            "surveys.csv": "survey_id,account_id,kind,score,responded_at\n"
            ",acme,nps,9,2026-10-01\n"
            ",acme,nps,8,2026-10-01\n"
            "s1,acme,nps,8,2026-10-01\n"
            "s1,acme,csat,3,2026-10-05\n",
            "events.csv": "account_id,occurred_at,kind,detail\n"
            "acme,2026-11-01,rfp,same\n"
            "acme,2026-11-01,rfp,other\n"
            "acme,2026-11-01,rfp,same\n",
            "roi.csv": "account_id,category,metric,unit\n"
            "acme,time_saved,hours,hours\n"
            "acme,time_saved,hours,minutes\n",
        },
        [
            "surveys.csv:3: survey_id: duplicate of line 2 (same account_id, kind,"
            " responded_at, contact_id; give each row a distinct survey_id to keep both)",
            "surveys.csv:5: survey_id: duplicate of line 4 (same survey_id)",
            "events.csv:4: event_id: duplicate of line 2 (same account_id, kind,"
            " occurred_at, contact_id, detail; give each row a distinct event_id to keep both)",
            "roi.csv:3: recorded_at: duplicate of line 2"
            " (same account_id, category, metric, recorded_at)",
        ],
    ),
    "churned without churned_at": (
        {
            "accounts.csv": "account_id,name,status,churned_at\n"
            "acme,Acme,churned,\nbeta,Beta,Churned,2026-10-01\n",
        },
        ["accounts.csv:2: churned_at: required when status is churned"],
    ),
    "churned with no churned_at column": (
        {"accounts.csv": "account_id,name,status\nacme,Acme,churned\n"},
        ["accounts.csv:2: churned_at: required when status is churned"],
    ),
    "missing required columns": (
        {
            "accounts.csv": RENAME,
            "usage.csv": "account_id,logins\nacme,1\n",
            "contracts.csv": "contract_id,account_id,arr\nc1,acme,10\n",
        },
        [
            "contracts.csv:1: start_date: missing required column",
            "contracts.csv:1: end_date: missing required column",
            "usage.csv:1: date: missing required column",
        ],
    ),
    "required value empty": (
        {
            "contacts.csv": "contact_id,account_id,name\np2,acme,\n,acme,Nobody\np3,,  \n",
        },
        [
            "contacts.csv:2: name: required value is empty",
            "contacts.csv:3: contact_id: required value is empty",
            "contacts.csv:4: account_id: required value is empty",
            "contacts.csv:4: name: required value is empty",
        ],
    ),
    "too long for the store": (
        {"accounts.csv": f"account_id,name\n{'x' * 129},Long\n"},
        ["accounts.csv:2: account_id: longer than 128 characters"],
    ),
    "wrong number of cells": (
        {"usage.csv": "account_id,date,logins\nacme,2026-11-02\nacme,2026-11-03,1,2\n"},
        [
            "usage.csv:2: (row): 2 cells where the header has 3",
            "usage.csv:3: (row): 4 cells where the header has 3",
        ],
    ),
    "malformed quoting": (
        {"accounts.csv": 'account_id,name\nacme,"Acme"Corp\nbeta,Beta\n'},
        ["accounts.csv:2: (row): malformed CSV: ',' expected after '\"'"],
    ),
    "duplicate header column": (
        {"accounts.csv": "account_id,name,Name\nacme,Acme,Other\n"},
        ["accounts.csv:1: name: duplicate column (also column 2)"],
    ),
    "empty file": (
        {"accounts.csv": RENAME, "usage.csv": ""},
        ["usage.csv:1: (file): empty file: no header row"],
    ),
    "malformed header": (
        {"usage.csv": '"account_id"x,date\nacme,2026-11-02\n'},
        ["usage.csv:1: (row): malformed CSV: ',' expected after '\"'"],
    ),
    "line numbers count the lines of multi-line cells": (
        {
            "notes.csv": "note_id,account_id,created_at,text\n"
            'n1,acme,2026-11-01,"first\nsecond\nthird"\n'
            "n2,acme,2026-13-01,bad month\n"
            'n3,acme,,"a\nb"\n'
            "n4,ghost,2026-11-01,x\n",
        },
        [
            "notes.csv:5: created_at: not an ISO 8601 timestamp (e.g. 2026-11-03T14:05:00Z):"
            " '2026-13-01'",
            "notes.csv:6: created_at: required value is empty",
            "notes.csv:8: account_id: unknown account",
        ],
    ),
}


@pytest.mark.parametrize("files, expected", CASES.values(), ids=list(CASES))
def test_bad_input_is_rejected_with_every_error(seeded, tmp_path, files, expected):
    files = {"accounts.csv": RENAME, **files}  # valid rows written before the bad ones
    assert rejected(seeded, write_folder(tmp_path / "bad", files)) == expected


def test_non_utf8_file_names_line_and_byte(seeded, tmp_path):
    folder = write_folder(tmp_path / "bad", {"usage.csv": BASE["usage.csv"]})
    (folder / "accounts.csv").write_bytes(b"account_id,name\nacme,Acme\nbeta,Caf\xe9\n")

    assert rejected(seeded, folder) == [
        "accounts.csv:3: (file): not UTF-8: byte 0xe9 at byte offset 34"
    ]


def test_blank_first_line_is_a_missing_header(seeded, tmp_path):
    folder = write_folder(tmp_path / "bad", {"accounts.csv": RENAME})
    (folder / "usage.csv").write_text("\naccount_id,date\nacme,2026-11-02\n")

    assert rejected(seeded, folder) == [
        "usage.csv:1: (file): the first line is empty: no header row"
    ]


def test_two_files_for_one_entity_are_an_error(seeded, tmp_path):
    folder = write_folder(tmp_path / "bad", {"ACCOUNTS.csv": RENAME, "accounts.csv": RENAME})

    assert rejected(seeded, folder) == [
        "accounts.csv:0: (file): two files for accounts: ACCOUNTS.csv and accounts.csv"
    ]


def test_empty_folder_is_an_error(seeded, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a csv")

    (message,) = rejected(seeded, folder)
    assert message.startswith(f"{folder}:0: (folder): no file of the import format (accounts.csv,")


def test_missing_folder_is_an_error(seeded, tmp_path):
    assert rejected(seeded, tmp_path / "nope") == [f"{tmp_path / 'nope'}:0: (folder): not a folder"]


def test_folder_without_accounts_on_an_empty_store_is_an_error(store, tmp_path):
    folder = write_folder(tmp_path / "bad", {"usage.csv": BASE["usage.csv"]})

    assert rejected(store, folder) == [
        "accounts.csv:0: (file): missing: required while the store has no accounts"
    ]
    assert store.is_empty()


def test_rows_referring_to_an_invalid_account_row_are_not_unknown(seeded, tmp_path):
    files = {
        "accounts.csv": "account_id,name,segment\nnew1,New,platinum\n",
        "usage.csv": "account_id,date,logins\nnew1,2026-11-02,1\n",
    }
    assert rejected(seeded, write_folder(tmp_path / "bad", files)) == [
        "accounts.csv:2: segment: unknown value 'platinum'"
        " (allowed: enterprise, mid-market, smb, self-serve)"
    ]


def test_error_after_written_batches_rolls_everything_back(seeded, tmp_path, monkeypatch):
    monkeypatch.setattr(ci, "BATCH_SIZE", 5)
    rows = [f"acme,2026-01-{d:02d},{d}" for d in range(1, 31)] + ["acme,2026-02-01,oops"]
    files = {
        "accounts.csv": RENAME,
        "contacts.csv": "contact_id,account_id,name\np9,delta,Pat\n",
        "usage.csv": "account_id,date,logins\n" + "\n".join(rows) + "\n",
    }
    written: list[int] = []
    real_write = ci._Writer.write
    monkeypatch.setattr(
        ci._Writer,
        "write",
        lambda self, batch: (written.append(len(batch)), real_write(self, batch)),
    )

    assert rejected(seeded, write_folder(tmp_path / "bad", files)) == [
        "usage.csv:32: logins: not an integer: 'oops'"
    ]
    assert sum(written) == 2 + 1 + 30  # batches reached the database, then were rolled back


def test_writing_stops_at_the_first_error_but_checking_goes_on(seeded, tmp_path, monkeypatch):
    monkeypatch.setattr(ci, "BATCH_SIZE", 2)
    rows = ["acme,2026-01-01,x"] + [f"acme,2026-01-{d:02d},{d}" for d in range(2, 12)]
    rows.append("acme,2026-01-12,y")
    written: list[int] = []
    real_write = ci._Writer.write
    monkeypatch.setattr(
        ci._Writer,
        "write",
        lambda self, batch: (written.append(len(batch)), real_write(self, batch)),
    )
    folder = write_folder(
        tmp_path / "bad", {"usage.csv": "account_id,date,logins\n" + "\n".join(rows)}
    )

    assert rejected(seeded, folder) == [
        "usage.csv:2: logins: not an integer: 'x'",
        "usage.csv:13: logins: not an integer: 'y'",
    ]
    assert written == []


def test_message_lists_the_first_200_errors_and_counts_the_rest(seeded, tmp_path):
    rows = "\n".join(f"acme,2026-01-01,{i},bad" for i in range(250))
    folder = write_folder(tmp_path / "bad", {"features.csv": "feature,tier\n"})
    (folder / "usage.csv").write_text(f"account_id,date,logins,sessions\n{rows}\n")

    with pytest.raises(ImportFailed) as info:
        import_folder(seeded, folder)

    failure = info.value
    assert failure.total == len(failure.errors) == 250 + 249  # bad sessions + duplicate dates
    text = str(failure)
    lines = text.splitlines()
    assert lines[0] == "import failed with 499 errors; nothing was imported:"
    assert lines[1] == "usage.csv:2: sessions: not an integer: 'bad'"
    assert len(lines) == 1 + 200 + 1
    assert lines[-1] == "... and 299 more"


def test_row_error_renders_as_file_line_column_problem():
    error = RowError("usage.csv", 7, "logins", "not an integer: 'x'")
    assert str(error) == "usage.csv:7: logins: not an integer: 'x'"
    failure = ImportFailed([error])
    assert failure.errors == [error]
    assert str(failure).splitlines() == [
        "import failed with 1 error; nothing was imported:",
        "usage.csv:7: logins: not an integer: 'x'",
    ]
