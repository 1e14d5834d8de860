"""`csm import FOLDER`: load a folder of CSV files (spec/data-format.md) into the store.

The import is all-or-nothing. Every file is streamed, each row is parsed by precompiled
per-column converters (connectors.csv_schema), checked against the rows of this import and
the ids already in the store, and upserted in batches, all inside one transaction. Any
invalid row stops the writing but not the checking: the run ends with `ImportFailed`
listing every problem as `file:line: column: problem`, and the transaction is rolled back.

Decisions where the format leaves room:

- Files are read in `ENTITY_MODELS` order (accounts, contracts, contacts, ...), so a row may
  refer to an account or contact defined earlier in the same import or already in the store.
- `accounts.csv` is required unless the store already holds accounts: then a folder with,
  say, only `usage.csv` is an incremental import. A folder with no file of the format is an
  error either way. Other files and hidden files are ignored (the former with a warning).
- Re-importing a row updates it (upsert on the table's primary key). Only the columns the
  file has are written: a column absent from the file leaves stored values untouched (new
  rows get NULL, or the column's default). An empty cell is stored as NULL, except for
  `status` (default `active`) and `currency` (default `USD`), whose defaults the format names.
- Rows of surveys, events and roi are stored under a derived `key` (see `SyntheticKey`). Two
  rows with the same key, like two rows with the same id, are a duplicate-row error naming
  the line of the first: nothing is silently dropped.
- Cells are stripped of surrounding spaces; a line that is empty, or whose cells are all
  empty, is skipped. Header names are matched case-insensitively. A UTF-8 byte-order mark
  (as Excel writes) is accepted.
- Line numbers are the physical lines of the file (header = line 1); a record whose quoted
  cell spans several lines is reported at the line where it starts. A problem with a whole
  file or folder is reported at line 0 with the column `(file)` or `(folder)`; a record that
  cannot be read as CSV, or has the wrong number of cells, with the column `(row)`.
- A survey or event first imported without its id and later with one is stored twice (the
  keys differ); give ids from the start when the source has them.
- `ImportFailed.errors` keeps the first 100,000 problems (`total` counts them all); its
  message shows the first 200.
"""

from __future__ import annotations

import codecs
import csv
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Table, bindparam, select

from connectors.csv_schema import FILES, ID_COLUMNS, INVALID, FileSpec, Kind, Problem
from memory.models import ENTITY_MODELS
from memory.store import Store

ProgressFn = Callable[[str, int, int], None]
"""Called as progress(file name, bytes done, bytes total of this file)."""

BATCH_SIZE = 5_000
"""Rows per executemany (and per progress report)."""

MAX_ERRORS_KEPT = 100_000
MAX_ERRORS_SHOWN = 200


@dataclass(frozen=True)
class RowError:
    """One problem in the input, located by file, line and column."""

    file: str
    line: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.problem}"


class ImportFailed(Exception):
    """The import was rejected and rolled back; `errors` lists the problems found."""

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        self.errors = errors
        self.total = len(errors) if total is None else total
        super().__init__(self._message())

    def _message(self) -> str:
        noun = "error" if self.total == 1 else "errors"
        lines = [f"import failed with {self.total} {noun}; nothing was imported:"]
        lines += [str(e) for e in self.errors[:MAX_ERRORS_SHOWN]]
        if self.total > MAX_ERRORS_SHOWN:
            lines.append(f"... and {self.total - MAX_ERRORS_SHOWN} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._message()


class ImportSummary(BaseModel):
    """What a successful import did."""

    rows: dict[str, int] = Field(default_factory=dict)
    """Rows imported (inserted or updated) per entity, for each file read."""
    warnings: list[str] = Field(default_factory=list)
    """Things ignored: unknown columns and files that are not part of the format."""
    files: list[str] = Field(default_factory=list)
    """The files read, in import order."""


def import_folder(
    store: Store, folder: Path, *, progress: ProgressFn | None = None
) -> ImportSummary:
    """Import every CSV file of the format in `folder`, all or nothing.

    Args:
        store: the store to write into.
        folder: the folder holding accounts.csv, usage.csv, ...
        progress: called after each batch with (file name, bytes done, bytes total).

    Returns:
        The rows imported per entity, the warnings and the files read.

    Raises:
        ImportFailed: any problem in any file; the store is left exactly as it was.
    """
    check_dialect(store.engine.dialect.name)
    run = _Run(progress)
    files = _discover(Path(folder), run)
    with store.engine.begin() as conn:
        known = _known_ids(conn)
        if files and "accounts" not in files and not known["accounts"]:
            run.error(
                "accounts.csv", 0, "(file)", "missing: required while the store has no accounts"
            )
        if not run.total:
            for entity, path in files.items():
                _FileImport(conn, FILES[entity], path, known, run).process()
        if run.total:
            raise ImportFailed(run.errors, run.total)
    return run.summary


# --- run state and folder -----------------------------------------------------------------------


@dataclass
class _Run:
    progress: ProgressFn | None
    errors: list[RowError] = field(default_factory=list)
    total: int = 0
    summary: ImportSummary = field(default_factory=ImportSummary)

    def error(self, file: str, line: int, column: str, problem: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(file, line, column, problem))

    def warn(self, message: str) -> None:
        self.summary.warnings.append(message)

    def report(self, name: str, done: int, size: int) -> None:
        if self.progress is not None:
            self.progress(name, done, size)


def _discover(folder: Path, run: _Run) -> dict[str, Path]:
    """Map each entity with a file in `folder` to it, in import order."""
    if not folder.is_dir():
        run.error(str(folder), 0, "(folder)", "not a folder")
        return {}
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.startswith("."):
            continue
        entity = name[:-4].lower() if name.lower().endswith(".csv") else ""
        if entity not in FILES or not path.is_file():
            run.warn(f"{name}: ignored (not a file of the import format)")
        elif entity in found:
            run.error(name, 0, "(file)", f"two files for {entity}: {found[entity].name} and {name}")
        else:
            found[entity] = path
    if not found and not run.total:
        names = ", ".join(s.filename for s in FILES.values())
        run.error(str(folder), 0, "(folder)", f"no file of the import format ({names})")
    return {entity: found[entity] for entity in FILES if entity in found}


def _known_ids(conn: Connection) -> dict[str, dict[str, str]]:
    """Return the ids already stored, per referenced entity (each id maps to itself)."""
    known: dict[str, dict[str, str]] = {}
    for entity, column in ID_COLUMNS.items():
        table = ENTITY_MODELS[entity].__table__
        known[entity] = {v: v for v in conn.execute(select(table.c[column])).scalars()}
    return known


# --- one file -----------------------------------------------------------------------------------


class _BadEncoding(Exception):
    def __init__(self, line: int, offset: int, byte: int) -> None:
        super().__init__(line)
        self.line, self.offset, self.byte = line, offset, byte


def _decoded_lines(fh: BinaryIO) -> Iterator[str]:
    """Yield the file's lines as text, raising _BadEncoding at the first non-UTF-8 byte.

    A UTF-8 byte-order mark at the start of the file is dropped.
    """
    if fh.read(3) != codecs.BOM_UTF8:
        fh.seek(0)
    for number, raw in enumerate(fh, 1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            offset = fh.tell() - len(raw) + exc.start  # tell() is exact in binary mode
            raise _BadEncoding(number, offset, raw[exc.start]) from None


_Cell = tuple[str, int, Callable[[str], Any] | None, bool, Any]
"""How to read one column: (name, index in the record, converter, required, default)."""

_EMPTY = "required value is empty"


class _DayLines:
    """Lines of one key prefix by day: an array of line numbers indexed by day offset.

    A daily table keyed by (account_id, date) then costs about 4 bytes a row instead of a
    dict entry and an int. A prefix whose days span more than MAX_SPAN falls back to a dict.
    """

    MAX_SPAN = 4_000
    __slots__ = ("base", "lines")

    def __init__(self, day: date) -> None:
        self.base = day.toordinal()
        self.lines: array[int] | dict[date, int] = array("I", (0,))

    def setdefault(self, day: date, line: int) -> int:
        """Return the line first seen for `day`, recording `line` if it is the first."""
        lines = self.lines
        if type(lines) is dict:
            return lines.setdefault(day, line)
        offset = day.toordinal() - self.base
        if not 0 <= offset < len(lines):
            offset = self._grow(offset)
            if offset < 0:
                return self.setdefault(day, line)
            lines = self.lines
        first = lines[offset]  # type: ignore[index]
        if first:
            return first
        lines[offset] = line  # type: ignore[index]
        return line

    def _grow(self, offset: int) -> int:
        """Make room for `offset` (doubling); return its new offset (-1: switched to a dict)."""
        lines: array[int] = self.lines  # type: ignore[assignment]
        size = len(lines)
        if max(offset + 1, size) - min(offset, 0) > self.MAX_SPAN:
            self.lines = {date.fromordinal(self.base + i): n for i, n in enumerate(lines) if n}
            return -1
        if offset < 0:
            extra = max(-offset, size)
            lines[0:0] = array("I", bytes(4 * extra))
            self.base -= extra
            return offset + extra
        lines.extend(array("I", bytes(4 * max(offset + 1 - size, size))))
        return offset


class _KeyIndex:
    """The line where each row identity of a file was first seen, kept compactly.

    One-column ids map straight to their line; composite keys are grouped by their leading
    columns (sharing the account id strings), and keys ending with a date (daily and
    weekly tables) keep their lines in a `_DayLines` array.
    """

    def __init__(self, columns: tuple[str, ...] | None, dated: bool) -> None:
        self.lines: dict[Any, Any] = {}
        if columns is None:
            self.first_line = _no_key
        elif len(columns) == 1:
            self.first_line = self._single(columns[0])
        else:
            self.first_line = self._composite(columns, dated)

    def _single(self, column: str) -> Callable[[dict[str, Any], int], int | None]:
        lines = self.lines

        def first_line(row: dict[str, Any], line: int) -> int | None:
            value = row.get(column, INVALID)
            return None if value is INVALID else lines.setdefault(value, line)

        return first_line

    def _composite(
        self, columns: tuple[str, ...], dated: bool
    ) -> Callable[[dict[str, Any], int], int | None]:
        lines = self.lines
        head, last = columns[:-1], columns[-1]
        one = head[0] if len(head) == 1 else None

        def first_line(row: dict[str, Any], line: int) -> int | None:
            prefix = row[one] if one is not None else tuple(row[c] for c in head)
            value = row[last]
            if value is INVALID or prefix is INVALID:
                return None
            if one is None and INVALID in prefix:
                return None
            group = lines.get(prefix)
            if group is None:
                group = lines[prefix] = _DayLines(value) if dated else {}
            elif dated:  # the common case inline: a day inside the array
                days = group.lines
                offset = value.toordinal() - group.base
                if type(days) is array and 0 <= offset < len(days):
                    first = days[offset]
                    if not first:
                        days[offset] = first = line
                    return first
            return group.setdefault(value, line)

        return first_line


def _no_key(row: dict[str, Any], line: int) -> None:
    return None


class _FileImport:
    """Validate one file row by row and upsert its valid rows in batches."""

    def __init__(
        self,
        conn: Connection,
        spec: FileSpec,
        path: Path,
        known: dict[str, dict[str, str]],
        run: _Run,
    ) -> None:
        self.conn, self.spec, self.path, self.known, self.run = conn, spec, path, known, run
        self.name = spec.filename
        self.table: Table = ENTITY_MODELS[spec.entity].__table__  # type: ignore[assignment]
        self.cells: list[_Cell] = []
        self.width = 0
        self.batch: list[dict[str, Any]] = []
        self.writer: _Writer | None = None
        self.count = 0
        self.references = [
            (column, known[entity], f"unknown {entity[:-1]}") for column, entity in spec.references
        ]
        own = ID_COLUMNS.get(spec.entity)
        self.own = (own, known[spec.entity]) if own else None
        self.rules, self.synthetic = spec.rules, spec.synthetic

    def process(self) -> None:
        """Read the whole file, reporting every problem to the run."""
        self.run.summary.files.append(self.name)
        with self.path.open("rb") as fh:
            size = self.path.stat().st_size
            reader = csv.reader(_decoded_lines(fh), strict=True)
            self.run.report(self.name, 0, size)
            try:
                if self._read_header(reader):
                    self._read_rows(reader, fh, size)
            except _BadEncoding as bad:
                problem = f"not UTF-8: byte 0x{bad.byte:02x} at byte offset {bad.offset}"
                self.run.error(self.name, bad.line, "(file)", problem)
            self._flush()
            self.run.report(self.name, size, size)
        self.run.summary.rows[self.spec.entity] = self.count

    def _read_header(self, reader: Any) -> bool:  # noqa: ANN401
        """Map the header onto the spec; False when the file has no header at all."""
        try:
            header = next(reader, None)
        except csv.Error as exc:
            self.run.error(self.name, 1, "(row)", f"malformed CSV: {exc}")
            return False
        if header is None:
            self.run.error(self.name, 1, "(file)", "empty file: no header row")
            return False
        names = [h.strip().lower() for h in header]
        if not any(names):
            self.run.error(self.name, 1, "(file)", "the first line is empty: no header row")
            return False
        self.width = len(header)
        index: dict[str, int] = {}
        for i, name in enumerate(names):
            if not name:
                self.run.warn(f"{self.name}: unnamed column {i + 1} ignored")
            elif name in index:
                problem = f"duplicate column (also column {index[name] + 1})"
                self.run.error(self.name, 1, name, problem)
            else:
                index[name] = i
        columns = {c.name for c in self.spec.columns}
        for name in index:
            if name not in columns:
                self.run.warn(f"{self.name}: unknown column {name!r} ignored")
        for col in self.spec.columns:
            if col.name in index:
                length = getattr(self.table.c[col.name].type, "length", None)
                convert = col.converter(length)
                self.cells.append((col.name, index[col.name], convert, col.required, col.default))
            elif col.required:
                self.run.error(self.name, 1, col.name, "missing required column")
        return True

    def _read_rows(self, reader: Any, fh: BinaryIO, size: int) -> None:  # noqa: ANN401
        """Check every record; queue the valid ones for writing while no error was seen."""
        parse, width, run, batch = self._parse, self.width, self.run, self.batch
        keys = self._key_index()
        previous = reader.line_num
        processed = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                run.error(self.name, previous + 1, "(row)", f"malformed CSV: {exc}")
                previous = reader.line_num
                continue
            line, previous = previous + 1, reader.line_num
            if not any(cells):
                continue
            if len(cells) != width:
                problem = f"{len(cells)} cells where the header has {width}"
                run.error(self.name, line, "(row)", problem)
                continue
            row, problems = parse(cells)
            first = keys.first_line(row, line)
            if first is not None and first != line:
                problems.append(self._duplicate(row, first))
            if problems:
                for column, problem in problems:
                    run.error(self.name, line, column, problem)
            elif not run.total:
                batch.append(row)
                self.count += 1
            processed += 1
            if processed % BATCH_SIZE == 0:
                self._flush()
                run.report(self.name, fh.tell(), size)

    def _parse(self, cells: list[str]) -> tuple[dict[str, Any], list[Problem]]:
        """Convert one record's cells and apply the file's row rules and references."""
        row: dict[str, Any] = {}
        problems: list[Problem] = []
        invalid = INVALID
        for name, index, convert, required, default in self.cells:
            text = cells[index].strip()
            if not text:
                if required:
                    row[name] = invalid
                    problems.append((name, _EMPTY))
                else:
                    row[name] = default
            elif convert is None:
                row[name] = text
            else:
                try:
                    row[name] = convert(text)
                except ValueError as exc:
                    row[name] = invalid
                    problems.append((name, str(exc)))
        for rule in self.rules:
            problems.extend(rule(row))
        for column, ids, unknown in self.references:
            value = row.get(column)
            if value is not None and value is not invalid:
                canonical = ids.get(value)
                if canonical is None:
                    problems.append((column, unknown))
                else:
                    row[column] = canonical  # one shared string per id across rows
        if self.own is not None:
            value = row.get(self.own[0])
            if value is not None and value is not invalid:
                self.own[1].setdefault(value, value)
        if self.synthetic is not None and not problems:
            row["key"] = self.synthetic.build(row)
        return row, problems

    def _key_index(self) -> _KeyIndex:
        """Return the index of row identities (a no-op when a key column is absent)."""
        if self.synthetic is not None:
            return _KeyIndex(("key",), dated=False)
        present = {cell[0] for cell in self.cells}
        if not present.issuperset(self.spec.key):
            return _KeyIndex(None, dated=False)
        dated = self.spec.column(self.spec.key[-1]).kind is Kind.DATE
        return _KeyIndex(self.spec.key, dated=dated and len(self.spec.key) > 1)

    def _duplicate(self, row: dict[str, Any], first: int) -> Problem:
        """Describe a row whose identity repeats the row on line `first`."""
        synthetic = self.spec.synthetic
        if synthetic is not None:
            column = synthetic.id_column or synthetic.columns[-1]
            return column, f"duplicate of line {first} ({synthetic.describe(row)})"
        return self.spec.key[-1], f"duplicate of line {first} (same {', '.join(self.spec.key)})"

    def _flush(self) -> None:
        """Write the queued rows (nothing once the run has an error)."""
        if self.batch and not self.run.total:
            if self.writer is None:
                self.writer = _Writer(self.conn, self.table, list(self.batch[0]))
            self.writer.write(self.batch)
        self.batch.clear()


class _Writer:
    """Upsert batches of rows into one table with the driver's executemany.

    The statement is compiled once; each row goes to the driver as a tuple (or a dict, for
    drivers with named parameters) after the dialect's own bind processors, whose results
    are cached per distinct value (dates repeat on most rows).
    """

    def __init__(self, conn: Connection, table: Table, columns: list[str]) -> None:
        dialect = conn.dialect
        self.conn = conn
        self.defaults = {
            c.name: c.default.arg
            for c in table.columns
            if c.name not in columns and c.default is not None and c.default.is_scalar
        }
        names = columns + list(self.defaults)
        compiled = _upsert(conn.dialect.name, table, names, columns).compile(dialect=dialect)
        self.sql = str(compiled)
        self.order = list(compiled.positiontup or ()) if compiled.positional else None
        self.processors: list[tuple[str, Callable[[Any], Any]]] = []
        for name in names:
            process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.processors.append((name, process))

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Insert or update `rows`."""
        if self.defaults:
            for row in rows:
                row.update(self.defaults)
        for name, process in self.processors:
            done: dict[Any, Any] = {}
            for row in rows:
                value = row[name]
                out = done.get(value, _MISSING)
                if out is _MISSING:
                    out = done[value] = process(value)
                row[name] = out
        params: list[Any] = rows
        if self.order is not None:
            get = itemgetter(*self.order)
            params = (
                [get(row) for row in rows] if len(self.order) > 1 else [(get(r),) for r in rows]
            )
        self.conn.exec_driver_sql(self.sql, params)


_MISSING = object()


def check_dialect(name: str) -> None:
    """Raise NotImplementedError unless the import can upsert into this database."""
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"CSV import supports SQLite and PostgreSQL, not {name}")


def _upsert(dialect: str, table: Table, columns: list[str], updated: list[str]) -> Any:  # noqa: ANN401
    """Build an INSERT of `columns` that updates `updated` on a primary-key conflict."""
    check_dialect(dialect)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    stmt = insert(table).values({c: bindparam(c) for c in columns})
    keys = [c.name for c in table.primary_key.columns]
    updates = {c: stmt.excluded[c] for c in updated if c not in keys}
    if not updates:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    return stmt.on_conflict_do_update(index_elements=keys, set_=updates)
