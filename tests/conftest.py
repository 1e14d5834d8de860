"""Fixtures shared by every test: an isolated app home, a fresh store."""

from __future__ import annotations

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
