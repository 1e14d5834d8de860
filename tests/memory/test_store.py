from datetime import date

from memory.read import load_portfolio
from memory.store import open_store, table_names


def test_new_store_is_migrated_with_every_entity_table(store):
    names = table_names(store.engine)
    for t in ("accounts", "contracts", "usage", "feature_usage", "surveys", "roi", "plays"):
        assert t in names
    assert "alembic_version" in names
    assert store.is_empty()


def test_reopening_a_store_applies_no_migration_twice(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    open_store(url).dispose()
    s = open_store(url)
    assert s.is_empty()
    assert load_portfolio(s.engine, date(2026, 11, 23)).accounts == {}
