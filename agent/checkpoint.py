"""Where conversations are kept: LangGraph's checkpointer, chosen by the store's URL.

SQLite by default (`$CSM_HOME/checkpoints.db`, beside the account store); PostgreSQL when
`CSM_DATABASE_URL` is a PostgreSQL URL, so the Slack workers of a team share the threads.
A conversation therefore survives a restart: a new process with a new checkpointer on the
same file or database continues the thread.

Example:
    saver = open_checkpointer(get_settings())
    try:
        graph = build_graph(planner, composer, saver)
    finally:
        close_checkpointer(saver)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from agent.settings import Settings

CHECKPOINTS_FILE = "checkpoints.db"


def is_postgres(url: str | None) -> bool:
    """Tell whether a SQLAlchemy URL points at PostgreSQL."""
    return bool(url) and url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def libpq_url(url: str) -> str:
    """Return a SQLAlchemy PostgreSQL URL as psycopg takes it (no `+driver`)."""
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def open_checkpointer(settings: Settings) -> BaseCheckpointSaver:
    """Open the checkpointer for these settings, its tables created if needed.

    Returns:
        A `PostgresSaver` when `settings.database_url` is PostgreSQL, else a `SqliteSaver`
        on `settings.home / "checkpoints.db"`. Close it with `close_checkpointer`.
    """
    if is_postgres(settings.database_url):
        return _postgres(libpq_url(settings.database_url or ""))
    return _sqlite(settings)


def close_checkpointer(saver: Any) -> None:  # noqa: ANN401
    """Close the connection a checkpointer from `open_checkpointer` holds."""
    conn = getattr(saver, "conn", None)
    if conn is not None:
        conn.close()


def _sqlite(settings: Settings) -> BaseCheckpointSaver:
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver

    settings.home.mkdir(parents=True, exist_ok=True)
    # The graph may run nodes on worker threads; SqliteSaver serialises access with a lock.
    conn = sqlite3.connect(settings.home / CHECKPOINTS_FILE, check_same_thread=False)
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


def _postgres(url: str) -> BaseCheckpointSaver:
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg import Connection
    from psycopg.rows import dict_row

    conn = Connection.connect(url, autocommit=True, prepare_threshold=0, row_factory=dict_row)
    saver = PostgresSaver(conn)
    saver.setup()
    return saver
