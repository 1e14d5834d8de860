"""`csm audit`: the CRM audit log as a table and as JSON."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.settings import get_settings
from connectors.crm.base import PermanentCrmError
from connectors.crm.local import LocalCrm
from memory.models import Account
from memory.read import Account as AccountRow
from memory.read import AccountData
from memory.store import open_store
from memory.writes import execute
from tests.factories import portfolio
from tools.crm import stage_note, stage_task

runner = CliRunner()
AS_OF = date(2026, 11, 23)


class Rejecting:
    name = "local"

    def write(self, change, key):
        raise PermanentCrmError("400: due date is a holiday")


@pytest.fixture
def audited():
    """A store with two accounts and three audited writes: ok, not repeated, failed."""
    store = open_store(get_settings().store_url)
    with store.session() as s:
        s.add_all(
            [Account(account_id="acme", name="Acme Corp"), Account(account_id="g", name="Globex")]
        )
    data = portfolio(
        AS_OF,
        AccountData(account=AccountRow("acme", "Acme Corp")),
        AccountData(account=AccountRow("g", "Globex")),
    )
    note = stage_note(data, "acme", "Called Dana [bold]renewal[/bold] on track.")
    execute(store, note, LocalCrm(store), actor="sam", confirmed_by="sam")
    execute(store, note, LocalCrm(store), actor="kim", confirmed_by="kim")
    task = stage_task(data, "g", "Send the QBR deck", date(2026, 12, 25))
    execute(store, task, Rejecting(), actor="agent", confirmed_by="sam")
    store.dispose()


def test_audit_json_lists_every_entry_newest_first(audited):
    result = runner.invoke(app, ["audit", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    out = json.loads(result.output)
    assert [(e["kind"], e["result"]) for e in out["entries"]] == [
        ("task", "failed"),
        ("note", "not_repeated"),
        ("note", "ok"),
    ]
    failed = out["entries"][0]
    assert (failed["actor"], failed["confirmed_by"], failed["account_name"]) == (
        "agent",
        "sam",
        "Globex",
    )
    assert failed["detail"] == "400: due date is a holiday"
    assert failed["payload"] == {"kind": "task", "text": "Send the QBR deck", "due": "2026-12-25"}
    assert out["pending"] == []


def test_audit_table_shows_who_what_and_the_result(audited, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(app, ["audit"], catch_exceptions=False)
    assert result.exit_code == 0
    for header in ("when (UTC)", "who", "confirmed by", "what", "account", "result"):
        assert header in result.output
    assert "ok (note-1)" in result.output
    assert "already executed, not repeated" in result.output
    assert "failed: 400: due date is a holiday" in result.output
    assert "[bold]renewal[/bold]" in result.output  # note text shown as text, not markup


def test_audit_filters_by_account_and_limits(audited):
    out = json.loads(runner.invoke(app, ["audit", "--json", "--account", "acme corp"]).output)
    assert {e["account_id"] for e in out["entries"]} == {"acme"}
    out = json.loads(runner.invoke(app, ["audit", "--json", "--limit", "1"]).output)
    assert len(out["entries"]) == 1


def test_audit_of_an_unknown_account_suggests_names(audited):
    result = runner.invoke(app, ["audit", "--account", "Acme Crop"])
    assert result.exit_code == 2
    assert "Did you mean: Acme Corp?" in result.output


def test_an_empty_audit_log_says_so():
    result = runner.invoke(app, ["audit"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "No CRM writes yet" in result.output
    assert json.loads(runner.invoke(app, ["audit", "--json"]).output) == {
        "entries": [],
        "pending": [],
    }


def test_an_interrupted_write_is_listed_as_pending(monkeypatch):
    class Crashing:
        name = "local"

        def write(self, change, key):
            raise RuntimeError("connection lost")

    monkeypatch.setenv("COLUMNS", "200")
    store = open_store(get_settings().store_url)
    data = portfolio(AS_OF, AccountData(account=AccountRow("acme", "Acme Corp")))
    with pytest.raises(RuntimeError):
        execute(store, stage_note(data, "acme", "Hi"), Crashing(), actor="sam", confirmed_by="sam")
    store.dispose()
    out = json.loads(runner.invoke(app, ["audit", "--json"]).output)
    assert out["entries"] == []
    assert [(p["kind"], p["account_id"]) for p in out["pending"]] == [("note", "acme")]
    result = runner.invoke(app, ["audit"])
    assert "1 confirmed write(s) not finished (interrupted)" in result.output
