"""Several workers on one database: the same approval executes one write."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.session import Session
from connectors.slack.approvals import Claims, decide, pending_ref
from memory.models import CrmAudit, CrmRecord
from memory.store import open_store
from tests.conftest import DEMO_AS_OF

NOTE = "log a note on Acme Corp: renewal call booked"


@pytest.fixture(params=["sqlite", "postgres"])
def team_store(request, team_db, tmp_path, monkeypatch):
    from agent.settings import get_settings

    if request.param == "sqlite":
        store = open_store(team_db)
        yield store
        store.dispose()
        return
    pg = request.getfixturevalue("pg_store")
    _copy_demo(team_db, pg)
    monkeypatch.setenv("CSM_DATABASE_URL", pg.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield pg


def _copy_demo(url, pg):
    from connectors.csv_import import import_folder
    from connectors.demo import generate

    del url
    root = Path(tempfile.mkdtemp(prefix=str(pg.engine.url.database)))
    generate(root, accounts=60, seed=7, as_of=DEMO_AS_OF)
    import_folder(pg, root)


def _two_workers(team_store):
    from agent.checkpoint import open_checkpointer
    from agent.settings import get_settings

    return [open_checkpointer(get_settings()) for _ in range(2)]


def _counts(store):
    with store.engine.connect() as conn:
        records = conn.execute(select(func.count()).select_from(CrmRecord)).scalar_one()
        audits = conn.execute(select(CrmAudit.result)).scalars().all()
    return records, audits


def _run_both(fns):
    barrier = threading.Barrier(len(fns))
    results, errors = [None] * len(fns), []

    def run(i):
        try:
            barrier.wait()
            results[i] = fns[i]()
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_two_sessions_resuming_the_same_approval_write_once(team_store):
    savers = _two_workers(team_store)
    try:
        with Session("t-race", DEMO_AS_OF, "maya", checkpointer=savers[0], store=team_store,
                     offline=True) as first:  # fmt: skip
            assert first.send(NOTE).pending is not None
        sessions = [
            Session("t-race", DEMO_AS_OF, "maya", checkpointer=s, store=team_store, offline=True)
            for s in savers
        ]
        _, errors = _run_both([lambda s=s: s.send("yes") for s in sessions])
        assert errors == []
        records, audits = _counts(team_store)
        assert records == 1  # the CRM holds the note once: its idempotency key is unique
        # Both resumes reach the outbox: one writes, the other finds the row pending (waits)
        # or done, and is audited as not repeated; the CRM is called once.
        with team_store.engine.connect() as conn:
            rows = conn.execute(select(CrmAudit.result, CrmAudit.detail)).all()
        assert sorted(r for r, _ in rows) == ["not_repeated", "ok"]
        assert not any("already held" in (d or "") for _, d in rows)
    finally:
        from agent.checkpoint import close_checkpointer

        for s in savers:
            close_checkpointer(s)


def test_two_workers_handling_the_same_click_execute_one_write(team_store):
    savers = _two_workers(team_store)
    try:
        with Session("t-click", DEMO_AS_OF, "UMAYA", checkpointer=savers[0], store=team_store,
                     offline=True) as first:  # fmt: skip
            first.send(NOTE)
            ref = pending_ref(first)
        sessions = [
            Session("t-click", DEMO_AS_OF, "UMAYA", checkpointer=s, store=team_store, offline=True)
            for s in savers
        ]
        claims = [Claims(team_store), Claims(team_store)]  # one per worker process
        results, errors = _run_both(
            [
                lambda i=i: decide(sessions[i], ref, "UMAYA", False, "yes", claims[i])
                for i in range(2)
            ]
        )
        assert errors == []
        assert sorted(r.status for r in results) == ["done", "stale"]
        assert _counts(team_store) == (1, ["ok"])
    finally:
        from agent.checkpoint import close_checkpointer

        for s in savers:
            close_checkpointer(s)
