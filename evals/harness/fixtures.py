"""The data each conversation runs on: fixture homes built once per run, copied per conversation.

A fixture is a complete app home (`CSM_HOME`): the SQLite store (`csm.db`) with the portfolio
imported and the notes index (`chroma/`) built, exactly as `csm demo` or `csm import` leave
them, so notes-based commands (notes, qbr, save, handoff citations) work in evals. "demo" is
the 60-account demo portfolio (connectors.demo, seed 7, as of 2026-11-23, the 400 days of
history `csm demo` generates); any other name is a CSV folder `evals/fixtures/<name>/`.

Building takes seconds (generation, import, embedding the notes), so each fixture is built
once per run into a cache folder and every conversation gets its own copy (writes mutate the
store). `fixture_env` points the settings at a home for the duration of a block and restores
the environment afterwards.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from agent.settings import get_settings

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"
"""Where named CSV fixtures live: evals/fixtures/<name>/accounts.csv, ..."""
DEMO = "demo"
DEMO_AS_OF = date(2026, 11, 23)
DEMO_SEED = 7
DEMO_ACCOUNTS = 60
DEMO_DAYS = 400
"""As `csm demo` (agent.cli.data.DEMO_DAYS): history for backtests and quarter analysis."""

ISOLATED_VARS = (
    "CSM_HOME",
    "CSM_DATABASE_URL",
    "CSM_CHROMA_URL",
    "CSM_EMBEDDINGS",
    "CSM_CRM_BACKEND",
)
"""Settings a conversation must not inherit from the caller's environment."""


class FixtureError(RuntimeError):
    """A fixture that does not exist or cannot be built."""


def store_url(home: Path) -> str:
    """Return the SQLite URL of the store in an app home."""
    return f"sqlite:///{home / 'csm.db'}"


@contextmanager
def fixture_env(home: Path, extra: Mapping[str, str | None] | None = None) -> Iterator[None]:
    """Point the settings at `home` (store, notes index, local CRM) inside the block.

    Args:
        home: the app home to use.
        extra: more variables to set (a None value unsets one), e.g. the LLM endpoint.
    """
    values: dict[str, str | None] = {
        "CSM_HOME": str(home),
        "CSM_DATABASE_URL": store_url(home),
        "CSM_CHROMA_URL": None,
        "CSM_EMBEDDINGS": "local",
        "CSM_CRM_BACKEND": "local",
        **(extra or {}),
    }
    saved = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            _set(key, value)
        get_settings.cache_clear()
        yield
    finally:
        for key, value in saved.items():
            _set(key, value)
        get_settings.cache_clear()


def _set(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value


class FixtureCache:
    """Fixture homes built on first use under `root`, copied out for each conversation."""

    def __init__(self, root: Path, fixtures_dir: Path = FIXTURES_DIR) -> None:
        """Keep built fixtures under `root`; named CSV fixtures are read from `fixtures_dir`."""
        self.root = root
        self.fixtures_dir = fixtures_dir
        self._built: dict[str, Path] = {}

    def template(self, name: str) -> Path:
        """Return the built home of fixture `name`, building it the first time."""
        if name not in self._built:
            self._built[name] = self._build(name)
        return self._built[name]

    def copy(self, name: str, dest: Path) -> Path:
        """Copy fixture `name`'s home to `dest` (which must not exist) and return `dest`."""
        shutil.copytree(self.template(name), dest)
        return dest

    def _build(self, name: str) -> Path:
        home = self.root / f"fixture-{name}"
        if home.exists():
            shutil.rmtree(home)
        home.mkdir(parents=True)
        if name == DEMO:
            from connectors.demo import generate

            folder = self.root / "demo-csv"
            generate(
                folder,
                accounts=DEMO_ACCOUNTS,
                seed=DEMO_SEED,
                as_of=DEMO_AS_OF,
                days=DEMO_DAYS,
            )
        else:
            folder = self.fixtures_dir / name
            if not (folder / "accounts.csv").is_file():
                raise FixtureError(
                    f"unknown fixture {name!r}: use 'demo' or a CSV folder "
                    f"{self.fixtures_dir / name} with accounts.csv"
                )
        build_home(home, folder)
        return home


def build_home(home: Path, folder: Path) -> None:
    """Import the CSV folder into a fresh store in `home` and index its notes and tickets."""
    from connectors.csv_import import ImportFailed, import_folder
    from memory.notes import open_index, store_documents
    from memory.store import open_store

    with fixture_env(home):
        store = open_store(store_url(home))
        try:
            try:
                import_folder(store, folder)
            except ImportFailed as failed:
                first = "; ".join(str(e) for e in failed.errors[:5])
                raise FixtureError(f"fixture {folder} does not import: {first}") from None
            docs = store_documents(store.engine)
        finally:
            store.dispose()
        if docs:
            index = open_index(get_settings())
            index.sync(docs)
    release_chroma()


def release_chroma() -> None:
    """Drop chromadb's cached clients, so the copied folder is complete and closed."""
    try:
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # noqa: BLE001 (an older or newer chromadb: nothing cached to drop)
        pass
