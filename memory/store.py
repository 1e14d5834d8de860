"""The account store: engine, automatic migrations and sessions.

`open_store(url)` returns a `Store` whose schema is at the newest migration. SQLite is the
default (a file under CSM_HOME); any SQLAlchemy URL works, PostgreSQL included.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config


HEAD = "0004"
"""The newest migration's revision id (a test checks it against the migration scripts)."""


def _alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("memory") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class Store:
    """A migrated database: an engine plus a session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session in a transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def is_empty(self) -> bool:
        """Tell whether the store holds no accounts yet."""
        from sqlalchemy import func, select

        from memory.models import Account

        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(Account)) == 0

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def make_engine(url: str) -> Engine:
    """Create an engine for `url`, making the folder of a SQLite file if needed."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def current_revision(engine: Engine) -> str | None:
    """Return the schema's migration revision, or None for a database never migrated."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it already is).

    The common case, a store already at HEAD, is answered by one query without loading
    Alembic (a third of a CLI command's start-up).
    """
    if current_revision(engine) == HEAD:
        return
    from alembic import command

    with engine.begin() as conn:
        cfg = _alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_store(url: str) -> Store:
    """Open the store at `url`, applying any pending migration first."""
    engine = make_engine(url)
    migrate(engine)
    return Store(engine)


def table_names(engine: Engine) -> list[str]:
    """List the tables the database holds (for diagnostics and tests)."""
    return sorted(inspect(engine).get_table_names())
