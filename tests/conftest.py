"""Fixtures shared by every test: an isolated app home, a fresh store."""

from __future__ import annotations

from datetime import date

import pytest

from agent.settings import get_settings
from memory.store import Store, open_store


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Point CSM_HOME at a temporary folder so no test touches ~/.csm."""
    home = tmp_path / "csm-home"
    monkeypatch.setenv("CSM_HOME", str(home))
    monkeypatch.delenv("CSM_DATABASE_URL", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def store(tmp_path) -> Store:
    """Return a freshly migrated, empty SQLite store."""
    s = open_store(f"sqlite:///{tmp_path / 'test.db'}")
    yield s
    s.dispose()


DEMO_AS_OF = date(2026, 11, 23)


def server_missing(variable: str, what: str) -> None:
    """Skip a test that needs a real server when `variable` is unset; in CI, fail it instead.

    .ci/run starts the servers and sets the variables, so under CI (CI=true) a missing one
    means the servers did not come up, and the tests that prove the team store works must
    not pass by being skipped.
    """
    import os

    message = f"set {variable} to {what} (.ci/run does)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI: {message}, but it is unset", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory) -> str:
    """Generate the demo portfolio as of DEMO_AS_OF once, import it, return the store URL."""
    from connectors.csv_import import import_folder
    from connectors.demo import generate

    root = tmp_path_factory.mktemp("demo")
    generate(root / "csv", accounts=60, seed=7, as_of=DEMO_AS_OF)
    url = f"sqlite:///{root / 'demo.db'}"
    s = open_store(url)
    import_folder(s, root / "csv")
    s.dispose()
    return url


@pytest.fixture(scope="session")
def demo_portfolio(demo_db_url):
    """The demo portfolio loaded once with the default windows (read-only: share, never mutate)."""
    from memory.read import load_portfolio

    s = open_store(demo_db_url)
    try:
        return load_portfolio(s.engine, DEMO_AS_OF)
    finally:
        s.dispose()


@pytest.fixture
def demo_copy(demo_db_url, tmp_path, monkeypatch) -> str:
    """Point the settings at a private copy of the demo store (for tests that write)."""
    import sqlite3

    target = tmp_path / "demo-copy.db"
    with sqlite3.connect(demo_db_url.removeprefix("sqlite:///")) as src:
        dst = sqlite3.connect(target)
        src.backup(dst)
        dst.close()
    url = f"sqlite:///{target}"
    monkeypatch.setenv("CSM_DATABASE_URL", url)
    get_settings.cache_clear()
    return url


@pytest.fixture
def demo_env(demo_db_url, monkeypatch) -> str:
    """Point the CLI at the demo store (read-only use)."""
    monkeypatch.setenv("CSM_DATABASE_URL", demo_db_url)
    get_settings.cache_clear()
    return demo_db_url


@pytest.fixture
def pg_store():
    """A migrated store in a fresh database of the scratch PostgreSQL, dropped afterwards.

    .ci/run starts a loopback PostgreSQL and sets CSM_TEST_POSTGRES_URL; without it, skip.
    """
    import os
    import uuid

    from sqlalchemy import create_engine, make_url, text

    from agent.settings import Settings

    url = os.environ.get("CSM_TEST_POSTGRES_URL")
    if not url:
        server_missing("CSM_TEST_POSTGRES_URL", "a scratch PostgreSQL")
    base = Settings(database_url=url).database_url
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"csm_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    pg = open_store(make_url(base).set(database=name).render_as_string(hide_password=False))
    try:
        yield pg
    finally:
        pg.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()
