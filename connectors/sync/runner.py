"""Write a source's pages into the store, one transaction per page, resumable by cursor.

`sync(store, source)` asks the source for its pages after the stored cursor (or from
`since`, or everything with `full=True`). For each page, in ONE transaction, it:

1. parses and checks each record's row with the CSV import's per-column parsers and row
   rules (connectors.csv_schema): a record that fails is skipped with its source id and the
   problem, the sync goes on;
2. checks that referenced accounts and contacts exist (in this sync or the store);
3. upserts the rows exactly as `csm import` does (keyed by the id columns; only the columns
   the source gives are written, nothing else stored is lost);
4. stores the page's cursor and the counts so far in the sync-state table.

So a crash after page 2 resumes from page 3, and re-running a page updates rows instead of
duplicating them. Afterwards notes and tickets written are embedded in the notes index (an
index that cannot be opened is reported, the rows stay), and the vendor is recorded as the
team's CRM / support desk / billing system in the workspace profile when that is unset, so
data gaps name it. The source's own errors (auth, retries exhausted) end the run as failed
with the error recorded; the pages already stored stay, and the next run resumes after them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Table

from connectors.csv_import import _known_ids, _Writer, check_dialect
from connectors.csv_schema import FILES, ID_COLUMNS, FileSpec, Problem
from connectors.http import ApiError
from connectors.sync import state
from connectors.sync.base import Page, Skipped, Source, SourceRecord
from connectors.sync.registry import CATEGORY
from memory.models import ENTITY_MODELS
from memory.store import Store

log = logging.getLogger(__name__)

WARNINGS_KEPT = 50
"""Warnings of the source kept in one run's report (the log has them all)."""

ProgressFn = Callable[[int, dict[str, int]], None]
"""Called after each stored page as progress(pages stored, rows per entity so far)."""

MAX_ERRORS_STORED = 200
"""Errors and skipped records kept in the sync-state table per run."""

_EMPTY = "required value is empty"
_ORDER = {entity: i for i, entity in enumerate(FILES)}


class NotesIndexLike(Protocol):
    """What the runner needs of a notes index (memory.notes.NotesIndex)."""

    def upsert(self, docs: Any) -> int:  # noqa: ANN401
        """Embed and write documents; return how many."""
        ...


class SyncReport(BaseModel):
    """What one sync run did."""

    source: str
    status: Literal["ok", "failed"] = "ok"
    rows: dict[str, int] = Field(default_factory=dict, description="rows upserted per entity")
    skipped: list[Skipped] = Field(default_factory=list, description="records not stored, why")
    pages: int = Field(0, description="pages stored")
    cursor: str | None = Field(None, description="where the next run resumes")
    resumed: bool = Field(False, description="this run continued after a stored cursor")
    since: datetime | None = None
    full: bool = False
    notes_indexed: int = Field(0, description="notes and tickets embedded in the notes index")
    profile_marked: str | None = Field(
        None, description="the workspace category this sync recorded the vendor for, if any"
    )
    errors: list[str] = Field(default_factory=list, description="what stopped the run")
    warnings: list[str] = Field(default_factory=list, description="what went wrong but not fatally")
    started_at: datetime
    finished_at: datetime | None = None


def sync(
    store: Store,
    source: Source,
    *,
    since: datetime | None = None,
    full: bool = False,
    progress: ProgressFn | None = None,
    home: Path | None = None,
    notes_index: Callable[[], NotesIndexLike] | None = None,
) -> SyncReport:
    """Sync `source` into `store`, one transaction per page; return what was done.

    Args:
        store: the account store.
        source: the source to read.
        since: read only records changed at or after this time (ignores the stored cursor).
        full: read everything again, from the start (ignores cursor and `since`).
        progress: called after each stored page.
        home: the app home whose workspace profile names the vendor's system (None: leave it).
        notes_index: opens the notes index for notes and tickets (None: not indexed).

    Returns:
        The report: rows per entity, skipped records, cursor, errors.

    Raises:
        Exception: anything other than a vendor API error (a bug, an interrupt) propagates
            after being recorded; the pages stored before it stay and the next run resumes.
    """
    check_dialect(store.engine.dialect.name)
    if full:
        since = None
    previous = state.read_state(store, source.name)
    cursor = None if (full or since is not None or previous is None) else previous.cursor
    state.begin_run(store, source.name, reset_cursor=full)
    report = SyncReport(
        source=source.name,
        started_at=_now(),
        resumed=cursor is not None,
        since=since,
        full=full,
        cursor=cursor,
    )
    run = _Run(store, report)
    heard = _Warnings(report)
    vendor_log = logging.getLogger(f"connectors.{source.name}")
    vendor_log.addHandler(heard)
    try:
        for page in source.pages(cursor, since):
            run.store_page(page)
            if progress is not None:
                progress(report.pages, dict(report.rows))
    except BaseException as err:
        report.status = "failed"
        report.errors.append(_describe(err))
        if notes_index is not None and run.documents and isinstance(err, Exception):
            # the pages stored before the failure stay: so do their notes, in the index too
            report.notes_indexed = _index(store, notes_index, run.documents, report)
        _finish(store, report)
        if isinstance(err, ApiError):
            return report
        raise
    finally:
        vendor_log.removeHandler(heard)
    if notes_index is not None and run.documents:
        report.notes_indexed = _index(store, notes_index, run.documents, report)
    if home is not None:
        report.profile_marked = _mark_profile(home, source.name)
    _finish(store, report)
    return report


class _Warnings(logging.Handler):
    """Copy the source's own warnings into the run's report.

    A dropdown value left unknown, an expired query locator: `csm sync` and `csm connectors`
    show them, not only the log; at most WARNINGS_KEPT, then a count of the rest.
    """

    def __init__(self, report: SyncReport) -> None:
        super().__init__(logging.WARNING)
        self.report = report
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the warning's message (the source's own words, with the record's id)."""
        warnings = self.report.warnings
        if len(warnings) < WARNINGS_KEPT:
            warnings.append(record.getMessage())
            return
        self.dropped += 1
        note = f"... and {self.dropped} more warning(s): see the log"
        if warnings[-1].startswith("... and "):
            warnings[-1] = note
        else:
            warnings.append(note)


class _Run:
    """The state of one run: known ids, row parsers, documents to index."""

    def __init__(self, store: Store, report: SyncReport) -> None:
        self.store, self.report = store, report
        self.known: dict[str, dict[str, str]] | None = None
        self.parsers: dict[str, _RowParser] = {}
        self.documents: set[str] = set()
        """Index ids (note:<id>, ticket:<id>) written by this run."""

    def store_page(self, page: Page) -> None:
        """Check, upsert and record one page and its cursor in one transaction."""
        report = self.report
        skipped = list(page.skipped)
        with self.store.engine.begin() as conn:
            if self.known is None:
                self.known = _known_ids(conn)
            added: dict[str, set[str]] = {entity: set() for entity in ID_COLUMNS}
            batches: dict[str, dict[Any, dict[str, Any]]] = {}
            records = sorted(page.records, key=lambda r: _ORDER.get(r.entity, len(_ORDER)))
            for record in records:
                problem = self._check(record, added, batches)
                if problem is not None:
                    skipped.append(problem)
            written = {entity: self._write(conn, entity, b) for entity, b in batches.items()}
            rows = dict(report.rows)
            for entity, count in written.items():
                rows[entity] = rows.get(entity, 0) + count
            all_skipped = report.skipped + skipped
            state.save_page(conn, report.source, page.cursor, rows, _stored_errors(all_skipped))
        for entity, ids in added.items():
            self.known[entity].update((i, i) for i in ids)
        for entity, prefix in (("notes", "note"), ("tickets", "ticket")):
            id_column = FILES[entity].key[0]
            self.documents.update(
                f"{prefix}:{r[id_column]}" for r in batches.get(entity, {}).values()
            )
        report.rows, report.skipped = rows, all_skipped
        report.cursor = page.cursor
        report.pages += 1

    def _check(
        self,
        record: SourceRecord,
        added: dict[str, set[str]],
        batches: dict[str, dict[Any, dict[str, Any]]],
    ) -> Skipped | None:
        """Queue a valid record's row; return why an invalid one is skipped."""
        spec = FILES.get(record.entity)
        if spec is None:
            return Skipped(
                source_id=record.source_id,
                entity=record.entity,
                problem="not an entity of the import format",
            )
        parser = self.parsers.get(spec.entity)
        if parser is None:
            table = ENTITY_MODELS[spec.entity].__table__
            parser = self.parsers[spec.entity] = _RowParser(spec, table)  # type: ignore[arg-type]
        row, problems = parser.parse(record.row)
        assert self.known is not None  # noqa: S101 (set by store_page)
        for column, entity in spec.references:
            value = row.get(column)
            if value is not None and value not in self.known[entity] and value not in added[entity]:
                problems.append((column, f"unknown {entity[:-1]}"))
        if problems:
            text = "; ".join(f"{column}: {problem}" for column, problem in problems)
            return Skipped(source_id=record.source_id, entity=record.entity, problem=text)
        own = ID_COLUMNS.get(spec.entity)
        if own is not None:
            added[spec.entity].add(row[own])
        key = row["key"] if spec.synthetic is not None else tuple(row[c] for c in spec.key)
        batches.setdefault(spec.entity, {})[key] = row  # the later of two versions wins
        return None

    def _write(self, conn: Connection, entity: str, batch: dict[Any, dict[str, Any]]) -> int:
        """Upsert one entity's rows, grouped by the columns they carry."""
        table: Table = ENTITY_MODELS[entity].__table__  # type: ignore[assignment]
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in batch.values():
            groups.setdefault(tuple(row), []).append(dict(row))
        for columns, rows in groups.items():
            _Writer(conn, table, list(columns)).write(rows)
        return len(batch)


class _RowParser:
    """Parse one entity's rows (dicts of cell text) the way the CSV import parses cells."""

    def __init__(self, spec: FileSpec, table: Table) -> None:
        self.spec = spec
        self.cells = [
            (col, col.converter(getattr(table.c[col.name].type, "length", None)))
            for col in spec.columns
        ]

    def parse(self, cells: dict[str, str | None]) -> tuple[dict[str, Any], list[Problem]]:
        """Return the parsed row (only the columns the source gave a value) and its problems.

        An empty cell is "unknown" for the source, not a value: it is left out of the row, so
        the upsert keeps what the store holds (columns with a default, e.g. `status`, get it).
        """
        row: dict[str, Any] = {}
        problems: list[Problem] = []
        for col, convert in self.cells:
            if col.name not in cells:
                if col.required:
                    problems.append((col.name, "missing required column"))
                continue
            text = (cells[col.name] or "").strip()
            if not text:
                if col.required:
                    problems.append((col.name, _EMPTY))
                elif col.default is not None:
                    row[col.name] = col.default
                # else: the source does not know it: leave the stored value (a CSV import's,
                # a person's) as it is; a new row gets it empty, as an import would
                continue
            try:
                row[col.name] = text if convert is None else convert(text)
            except ValueError as exc:
                problems.append((col.name, str(exc)))
        if problems:
            return row, problems
        for rule in self.spec.rules:
            problems.extend(rule(row))
        if self.spec.synthetic is not None and not problems:
            row["key"] = self.spec.synthetic.build(row)
        return row, problems


def _index(
    store: Store,
    opener: Callable[[], NotesIndexLike],
    written: set[str],
    report: SyncReport,
) -> int:
    """Embed the notes and tickets this run wrote; report an index that cannot be used."""
    from memory.notes import store_documents

    try:
        docs = [d for d in store_documents(store.engine) if d.doc_id in written]
        opener().upsert(docs)
    except Exception as err:  # noqa: BLE001 (the rows are stored; the index can catch up)
        report.warnings.append(
            f"the rows are stored, but the notes index was not updated: {err}; "
            "run `csm notes --reindex` to catch up"
        )
        return 0
    return len(docs)


def _mark_profile(home: Path, source: str) -> str | None:
    """Record the vendor as the team's system of its category when the profile has none."""
    from memory.workspace import load_profile, save_profile

    category, product = CATEGORY.get(source, (None, None))
    if category is None:
        return None
    profile = load_profile(home)
    system = getattr(profile, category)
    if system.system:
        return None
    setattr(profile, category, system.model_copy(update={"system": product}))
    save_profile(home, profile)
    return category


def _finish(store: Store, report: SyncReport) -> None:
    report.finished_at = _now()
    errors = report.errors + _stored_errors(report.skipped) + report.warnings
    state.finish_run(store, report.source, report.status, report.rows, errors[:MAX_ERRORS_STORED])


def _stored_errors(skipped: list[Skipped]) -> list[str]:
    return [f"skipped {s.entity} {s.source_id}: {s.problem}" for s in skipped[:MAX_ERRORS_STORED]]


def _describe(err: BaseException) -> str:
    if isinstance(err, ApiError):
        return str(err)
    if isinstance(err, KeyboardInterrupt):
        return "interrupted; the next run resumes after the last page stored"
    return f"{type(err).__name__}: {err}"


def _now() -> datetime:
    return datetime.now(UTC)
