"""Fixtures of the eval harness tests: fixture homes built once per session."""

from __future__ import annotations

import pytest

from evals.harness.fixtures import FixtureCache


@pytest.fixture(scope="session")
def fixture_cache(tmp_path_factory) -> FixtureCache:
    """The eval fixtures (demo, sparse), each built on first use and shared by every test."""
    return FixtureCache(tmp_path_factory.mktemp("eval-fixtures"))
