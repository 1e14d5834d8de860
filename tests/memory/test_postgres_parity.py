"""The same portfolio gives the same answers on PostgreSQL as on SQLite (nothing SQLite-only)."""

from __future__ import annotations

from connectors.csv_import import import_folder
from connectors.demo import generate
from memory.read import load_portfolio
from memory.store import open_store
from tests.conftest import DEMO_AS_OF
from tools.churn import churn_scan
from tools.health import score_account
from tools.renewals import renewal_pipeline
from tools.weekly import weekly_scan


def _answers(store) -> dict[str, str]:
    data = load_portfolio(store.engine, DEMO_AS_OF, usage_days=241)
    return {
        "score": score_account(data, "acme", DEMO_AS_OF).model_dump_json(),
        "churn": churn_scan(data, DEMO_AS_OF).model_dump_json(),
        "renewals": renewal_pipeline(data, DEMO_AS_OF).model_dump_json(),
        "scan": weekly_scan(data, DEMO_AS_OF, show_all=True).model_dump_json(),
    }


def test_demo_scores_and_scans_identically_on_postgresql_and_sqlite(pg_store, tmp_path):
    folder = tmp_path / "csv"
    generate(folder, accounts=60, seed=7, as_of=DEMO_AS_OF)
    lite = open_store(f"sqlite:///{tmp_path / 'lite.db'}")
    import_folder(lite, folder)
    import_folder(pg_store, folder)
    expected, got = _answers(lite), _answers(pg_store)
    lite.dispose()
    for command in expected:
        assert got[command] == expected[command], command
    assert '"tier":"orange"' in got["score"]


def test_one_account_load_filters_on_postgresql(pg_store, tmp_path):
    folder = tmp_path / "csv"
    generate(folder, accounts=12, seed=7, as_of=DEMO_AS_OF)
    import_folder(pg_store, folder)
    data = load_portfolio(pg_store.engine, DEMO_AS_OF, usage_days=30, account_ids=["acme"])
    assert list(data.accounts) == ["acme"]
    acme = data.get("acme")
    # 30 days of daily rows ending on as-of, oldest first
    assert len(acme.usage) == 30
    assert acme.usage[0].date.isoformat() == "2026-10-25"
    assert acme.usage[-1].date == DEMO_AS_OF
