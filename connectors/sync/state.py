"""The sync-state table: each source's cursor, last run, rows per entity and errors.

`save_page` runs inside the transaction that writes a page's rows, so the stored cursor
always matches the rows stored: a crashed sync resumes after the last page committed.
`begin_run` and `finish_run` bracket a run; `read_state` and `all_states` serve
`csm connectors`. Times are naive UTC in the table and aware UTC in `SyncState`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Connection, insert, select, update

from memory.models import SyncState as SyncStateRow
from memory.store import Store

Status = Literal["running", "ok", "failed"]

_TABLE = SyncStateRow.__table__


class SyncState(BaseModel):
    """One source's progress as `csm connectors` shows it."""

    source: str
    status: Status = Field(description="running (or interrupted), ok, failed: the last run's")
    cursor: str | None = Field(None, description="where the next run resumes (opaque)")
    started_at: datetime | None = None
    finished_at: datetime | None = None
    last_success_at: datetime | None = Field(None, description="the last run that finished ok")
    rows: dict[str, int] = Field(default_factory=dict, description="rows per entity, last run")
    errors: list[str] = Field(default_factory=list, description="errors of the last run")


def read_state(store: Store, source: str) -> SyncState | None:
    """Return the stored state of `source`, or None if it never synced."""
    with store.engine.connect() as conn:
        row = conn.execute(select(_TABLE).where(_TABLE.c.source == source)).mappings().first()
    return _view(row) if row is not None else None


def all_states(store: Store) -> dict[str, SyncState]:
    """Return the state of every source that ever synced, by name."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(_TABLE).order_by(_TABLE.c.source)).mappings().all()
    return {r["source"]: _view(r) for r in rows}


def begin_run(store: Store, source: str, *, reset_cursor: bool) -> SyncState:
    """Mark a run of `source` started (keeping its cursor unless `reset_cursor`); return it."""
    now = _now()
    with store.engine.begin() as conn:
        exists = conn.execute(select(_TABLE.c.source).where(_TABLE.c.source == source)).first()
        values: dict[str, Any] = {
            "status": "running",
            "started_at": now,
            "finished_at": None,
            "rows": {},
            "errors": [],
        }
        if reset_cursor:
            values["cursor"] = None
        if exists:
            conn.execute(update(_TABLE).where(_TABLE.c.source == source).values(**values))
        else:
            conn.execute(insert(_TABLE).values(source=source, cursor=None, **values))
    state = read_state(store, source)
    assert state is not None  # noqa: S101 (just written)
    return state


def save_page(
    conn: Connection, source: str, cursor: str | None, rows: dict[str, int], errors: list[str]
) -> None:
    """Store the cursor after a page and the run's counts so far, in the page's transaction."""
    conn.execute(
        update(_TABLE)
        .where(_TABLE.c.source == source)
        .values(cursor=cursor, rows=dict(rows), errors=list(errors))
    )


def finish_run(
    store: Store,
    source: str,
    status: Status,
    rows: dict[str, int],
    errors: list[str],
) -> SyncState:
    """Record how a run ended (the cursor stays as the last page left it); return the state."""
    now = _now()
    values: dict[str, Any] = {
        "status": status,
        "finished_at": now,
        "rows": dict(rows),
        "errors": list(errors),
    }
    if status == "ok":
        values["last_success_at"] = now
    with store.engine.begin() as conn:
        conn.execute(update(_TABLE).where(_TABLE.c.source == source).values(**values))
    state = read_state(store, source)
    assert state is not None  # noqa: S101 (begin_run wrote it)
    return state


def _view(row: Any) -> SyncState:  # noqa: ANN401 (a SQLAlchemy row mapping)
    return SyncState(
        source=row["source"],
        status=row["status"],
        cursor=row["cursor"],
        started_at=_aware(row["started_at"]),
        finished_at=_aware(row["finished_at"]),
        last_success_at=_aware(row["last_success_at"]),
        rows=row["rows"] or {},
        errors=row["errors"] or [],
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
