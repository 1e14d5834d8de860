"""The local CRM backend and the backend registry."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from connectors.crm import (
    DEFAULT_BACKEND,
    CrmBackend,
    PermanentCrmError,
    RetryableCrmError,
    WriteReceipt,
    backend_names,
    create_backend,
    register,
)
from connectors.crm.local import LocalCrm
from memory.read import Account, AccountData
from tests.factories import daily_usage, portfolio
from tools.crm import CRM_TEXT_LIMIT, stage_health_push, stage_note

AS_OF = date(2026, 11, 23)


def _data(as_of: date = AS_OF):
    acme = AccountData(
        account=Account("acme", "Acme Corp"),
        usage=daily_usage(AS_OF - timedelta(days=119), AS_OF),
    )
    return portfolio(as_of, acme)


def test_the_local_backend_is_the_default_and_meets_the_interface(store):
    backend = create_backend(DEFAULT_BACKEND, store)
    assert isinstance(backend, LocalCrm)
    assert isinstance(backend, CrmBackend)
    assert backend.name == "local"


def test_an_unknown_backend_names_the_ones_there_are(store):
    with pytest.raises(
        ValueError,
        match="unknown CRM backend 'pipedrive': choose one of hubspot, local, salesforce",
    ):
        create_backend("pipedrive", store)


def test_a_backend_registers_by_name(store, monkeypatch):
    from connectors import crm

    class Fake:
        name = "fake"

        def __init__(self, store):
            self.store = store

        def write(self, change, key):
            return WriteReceipt(backend="fake", record_id="F-1")

    monkeypatch.setattr(crm, "_BACKENDS", dict(crm._BACKENDS))
    register("fake", Fake)
    assert backend_names() == ["fake", "hubspot", "local", "salesforce"]
    assert create_backend("fake", store).write(None, "k").record_id == "F-1"


def test_writing_the_same_key_twice_stores_one_record(store):
    crm = LocalCrm(store)
    change = stage_note(_data(), "acme", "Called Dana.")
    first = crm.write(change, change.idempotency_key)
    again = crm.write(change, change.idempotency_key)
    assert (first.record_id, first.created) == ("note-1", True)
    assert (again.record_id, again.created) == ("note-1", False)
    assert len(crm.records()) == 1


def test_long_and_unicode_text_is_stored_exactly(store):
    crm = LocalCrm(store)
    text = ("Zoë — “quoted” ✓ 日本語\n" * 600)[: CRM_TEXT_LIMIT - 1].strip()
    change = stage_note(_data(), "acme", text)
    crm.write(change, change.idempotency_key)
    assert crm.records()[0].payload["text"] == text


def test_health_fields_are_the_latest_push(store):
    crm = LocalCrm(store)
    assert crm.health_fields("acme") is None
    for day in (AS_OF - timedelta(days=7), AS_OF):
        change = stage_health_push(_data(day), "acme")
        crm.write(change, change.idempotency_key)
    assert crm.health_fields("acme")["last_scored"] == "2026-11-23"
    assert len(crm.records("acme", "health_fields")) == 2


def test_a_key_that_is_not_the_changes_own_is_refused(store):
    change = stage_note(_data(), "acme", "Called Dana.")
    with pytest.raises(PermanentCrmError, match="does not belong to this change"):
        LocalCrm(store).write(change, "another-key")
    assert LocalCrm(store).records() == []


def test_a_locked_database_is_a_retryable_error(store):
    class LockedStore:
        @contextmanager
        def session(self):
            raise OperationalError("INSERT", {}, Exception("database is locked"))
            yield

    change = stage_note(_data(), "acme", "Called Dana.")
    with pytest.raises(RetryableCrmError, match="database is locked"):
        LocalCrm(LockedStore()).write(change, change.idempotency_key)
