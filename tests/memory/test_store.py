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


def test_head_constant_is_the_newest_migration_script():
    from alembic.script import ScriptDirectory

    from memory.store import HEAD, _alembic_config

    scripts = ScriptDirectory.from_config(_alembic_config("sqlite://"))
    assert scripts.get_current_head() == HEAD


def test_migrate_brings_a_new_database_to_head_and_then_is_a_no_op(tmp_path):
    from memory.store import HEAD, current_revision, make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'y.db'}")
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == HEAD
    assert "plays" in table_names(engine)
    migrate(engine)  # at head: nothing to do, nothing fails
    assert current_revision(engine) == HEAD
