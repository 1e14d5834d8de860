"""The portfolio import format as data: every file, column, type and rule of data-format.md.

`FILES` maps each entity (the CSV file stem, in `memory.models.ENTITY_MODELS` order) to its
`FileSpec`: the columns with their type, whether a cell is required, allowed enum values and
ranges, the columns that identify a row, the references to other entities, and the rules
that span several columns of one row. `Column.converter` turns a spec into a fast parser of
one (stripped, non-empty) cell; parsers raise `ValueError` whose message is the problem shown
to the user. The importer (connectors.csv_import) owns the files and the database.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

INT_MAX = 2**31 - 1
"""The largest integer every supported database stores in an INTEGER column."""

INVALID: Any = object()
"""Placeholder a row carries for a cell that failed to parse (so row rules skip it)."""


class Kind(StrEnum):
    """The types a column can have."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BOOLEAN = "boolean"
    ENUM = "enum"
    LIST = "list"
    CURRENCY = "currency"


@dataclass(frozen=True)
class Column:
    """One column of a file: its type and the constraints on its cells."""

    name: str
    kind: Kind = Kind.STRING
    required: bool = False
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    default: Any = None

    def converter(self, max_length: int | None = None) -> Callable[[str], Any] | None:
        """Return a parser of one stripped, non-empty cell (None: keep the text as is).

        Args:
            max_length: the longest text the store accepts for a string column.
        """
        if self.kind is Kind.STRING:
            return _max_length(max_length) if max_length else None
        if self.kind is Kind.ENUM:
            return _enum(self.choices)
        if self.kind is Kind.DATE:
            return _cached(_parse_date)
        if self.kind is Kind.TIMESTAMP:
            return _parse_timestamp
        if self.kind is Kind.BOOLEAN:
            return _parse_bool
        if self.kind is Kind.LIST:
            return _parse_list
        if self.kind is Kind.CURRENCY:
            return _parse_currency
        if self.kind is Kind.INTEGER:
            high = INT_MAX if self.max_value is None else self.max_value
            checked = _ranged(_parse_int, self.min_value, high)
            return _fast_digits(checked, int(high)) if self.min_value == 0 else checked
        if self.min_value is None and self.max_value is None:
            return _parse_number
        return _ranged(_parse_number, self.min_value, self.max_value)


Problem = tuple[str, str]
"""(column, problem) found in one row."""

RowRule = Callable[[Mapping[str, Any]], Iterator[Problem]]


@dataclass(frozen=True)
class SyntheticKey:
    """How a file without a required id derives the stable `key` of a row.

    The key is the id column's value when the row has one, else the `columns` joined by
    `|` (dates in ISO form, empty cells as empty text), followed by a short SHA-256 of each
    `hashed` column (free text that may be long).
    """

    id_column: str | None
    columns: tuple[str, ...]
    hashed: tuple[str, ...] = ()

    def build(self, row: Mapping[str, Any]) -> str:
        """Return the key of a parsed row."""
        if self.id_column is not None:
            given = row.get(self.id_column)
            if given:
                return given
        parts = [_key_part(row.get(c)) for c in self.columns]
        for col in self.hashed:
            text = row.get(col)
            parts.append(hashlib.sha256(text.encode()).hexdigest()[:16] if text else "")
        return "|".join(parts)

    def describe(self, row: Mapping[str, Any]) -> str:
        """Name the columns that made this row's key (for a duplicate-row message)."""
        if self.id_column is not None and row.get(self.id_column):
            return f"same {self.id_column}"
        same = f"same {', '.join(self.columns + self.hashed)}"
        if self.id_column is None:
            return same
        return f"{same}; give each row a distinct {self.id_column} to keep both"


@dataclass(frozen=True)
class FileSpec:
    """One file of the format: `<entity>.csv`."""

    entity: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    """The columns that identify a row (duplicates within a file are errors)."""
    references: tuple[tuple[str, str], ...] = ()
    """(column, entity) pairs: the value must be an id of that entity."""
    rules: tuple[RowRule, ...] = ()
    synthetic: SyntheticKey | None = None
    """Set for files whose rows are stored under a derived `key` column."""

    @property
    def filename(self) -> str:
        """Return the file's name in an import folder."""
        return f"{self.entity}.csv"

    @property
    def required(self) -> tuple[str, ...]:
        """Return the names of the columns that must be present and non-empty."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        """Return the column called `name`."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


# --- cell parsers ---------------------------------------------------------------------------

_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _parse_int(text: str) -> int:
    try:
        if "_" not in text:
            return int(text)
    except ValueError:
        pass
    try:
        value = float(text) if "_" not in text else math.nan
    except ValueError:
        value = math.nan
    if math.isfinite(value) and value.is_integer():
        return int(value)  # "12.0", as spreadsheets and pandas export whole numbers
    raise ValueError(f"not an integer: {text!r}")


def _parse_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if "_" in text or not math.isfinite(value):
        raise ValueError(f"not a number: {text!r}")
    return value


def _parse_date(text: str) -> date:
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"not a date (expected YYYY-MM-DD): {text!r}")


def _parse_timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"not an ISO 8601 timestamp (e.g. 2026-11-03T14:05:00Z): {text!r}"
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _parse_bool(text: str) -> bool:
    try:
        return _BOOLEANS[text.lower()]
    except KeyError:
        raise ValueError(f"not a boolean (expected true/false, yes/no, 1/0): {text!r}") from None


def _parse_list(text: str) -> str | None:
    items = dict.fromkeys(p.strip() for p in text.split(";"))
    items.pop("", None)
    return ";".join(items) or None


def _parse_currency(text: str) -> str:
    code = text.upper()
    if len(code) == 3 and code.isascii() and code.isalpha():
        return code
    raise ValueError(f"not an ISO 4217 currency code: {text!r}")


def _enum(choices: tuple[str, ...]) -> Callable[[str], str]:
    canonical = {c: c for c in choices}
    allowed = ", ".join(choices)

    def parse(text: str) -> str:
        value = canonical.get(text.lower())
        if value is None:
            raise ValueError(f"unknown value {text!r} (allowed: {allowed})")
        return value

    return parse


def _max_length(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > limit:
            raise ValueError(f"longer than {limit} characters")
        return text

    return parse


def _ranged(
    parse: Callable[[str], float], low: float | None, high: float | None
) -> Callable[[str], float]:
    def check(text: str) -> float:
        value = parse(text)
        if low is not None and value < low:
            if low == 0:
                raise ValueError(f"must not be negative: {text}")
            raise ValueError(f"must be at least {_fmt(low)}: {text}")
        if high is not None and value > high:
            raise ValueError(f"must be at most {_fmt(high)}: {text}")
        return value

    return check


def _fast_digits(parse: Callable[[str], int], high: int) -> Callable[[str], int]:
    """Parse plain digits directly; anything else (and out of range) goes to `parse`."""

    def fast(text: str) -> int:
        if text.isdecimal():
            value = int(text)
            if value <= high:
                return value
        return parse(text)

    return fast


def _cached(parse: Callable[[str], Any], limit: int = 100_000) -> Callable[[str], Any]:
    """Memoise a parser of a low-cardinality column (dates repeat on most rows)."""
    seen: dict[str, Any] = {}

    def cached(text: str) -> Any:  # noqa: ANN401
        value = seen.get(text)
        if value is None:
            value = parse(text)
            if len(seen) < limit:
                seen[text] = value
        return value

    return cached


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _key_part(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- rules spanning several columns of a row --------------------------------------------------

SURVEY_SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5)}
"""Allowed score range (inclusive) per survey kind."""


def churned_needs_date(row: Mapping[str, Any]) -> Iterator[Problem]:
    """Report a churned account without churned_at."""
    if row.get("status") == "churned" and row.get("churned_at") is None:
        yield "churned_at", "required when status is churned"


def ends_after_start(row: Mapping[str, Any]) -> Iterator[Problem]:
    """Report a contract whose end_date is before its start_date."""
    start, end = row.get("start_date"), row.get("end_date")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        yield "end_date", f"before start_date {start.isoformat()}"


def score_on_scale(row: Mapping[str, Any]) -> Iterator[Problem]:
    """Report a survey score outside its kind's scale (NPS 0-10, CSAT 1-5)."""
    scale = SURVEY_SCALES.get(row.get("kind"))  # type: ignore[arg-type]
    score = row.get("score")
    if scale and isinstance(score, float) and not scale[0] <= score <= scale[1]:
        yield "score", f"{row['kind']} score must be {scale[0]}-{scale[1]}: {_fmt(score)}"


# --- the files ----------------------------------------------------------------------------------

NONNEG = {"min_value": 0}

SEGMENTS = ("enterprise", "mid-market", "smb", "self-serve")
CHURN_REASONS = ("product", "value", "relationship", "financial", "competition", "strategic")
CONTACT_ROLES = (
    "champion",
    "exec_sponsor",
    "decision_maker",
    "economic_buyer",
    "user",
    "admin",
    "technical_lead",
    "detractor",
)
EVENT_KINDS = (
    "competitor_mention",
    "security_review",
    "rfp",
    "data_export",
    "downgrade_request",
    "billing_page_visit",
    "seat_removal",
    "api_access_request",
    "usage_limit_hit",
    "new_use_case_interest",
    "new_department_interest",
    "funding_round",
    "champion_promoted",
    "acquisition",
    "kickoff_held",
    "training_completed",
    "qbr_held",
    "qbr_missed",
    "exec_meeting",
    "expansion_discussed",
    "case_study",
    "referral",
)
ROI_CATEGORIES = (
    "time_saved",
    "cost_reduction",
    "revenue_impact",
    "productivity",
    "risk_reduction",
)

_ACCOUNT = (("account_id", "accounts"),)


def _s(name: str, required: bool = False) -> Column:
    return Column(name, Kind.STRING, required)


def _e(name: str, choices: tuple[str, ...], required: bool = False, default: Any = None) -> Column:  # noqa: ANN401
    return Column(name, Kind.ENUM, required, choices, default=default)


def _d(name: str, required: bool = False) -> Column:
    return Column(name, Kind.DATE, required)


def _ts(name: str, required: bool = False) -> Column:
    return Column(name, Kind.TIMESTAMP, required)


def _n(name: str, required: bool = False, **bounds: float) -> Column:
    return Column(name, Kind.NUMBER, required, **bounds)


def _count(name: str, required: bool = False) -> Column:
    return Column(name, Kind.INTEGER, required, min_value=0)


_SPECS = (
    FileSpec(
        "accounts",
        (
            _s("account_id", True),
            _s("name", True),
            _e("segment", SEGMENTS),
            _s("industry"),
            _count("employees"),
            _s("csm"),
            _s("plan"),
            _count("licensed_seats"),
            Column("departments_licensed", Kind.LIST),
            _d("kickoff_date"),
            _d("go_live_date"),
            _d("first_value_date"),
            _e("status", ("active", "churned"), default="active"),
            _d("churned_at"),
            _e("churn_reason", CHURN_REASONS),
            Column("currency", Kind.CURRENCY, default="USD"),
        ),
        key=("account_id",),
        rules=(churned_needs_date,),
    ),
    FileSpec(
        "contracts",
        (
            _s("contract_id", True),
            _s("account_id", True),
            _n("arr", True, **NONNEG),
            _d("start_date", True),
            _d("end_date", True),
            Column("auto_renew", Kind.BOOLEAN),
            _count("notice_days"),
            _n("price_increase_pct"),
            _e("status", ("active", "renewed", "churned", "expired"), default="active"),
        ),
        key=("contract_id",),
        references=_ACCOUNT,
        rules=(ends_after_start,),
    ),
    FileSpec(
        "contacts",
        (
            _s("contact_id", True),
            _s("account_id", True),
            _s("name", True),
            _s("title"),
            _s("email"),
            _s("department"),
            _e("role", CONTACT_ROLES),
            _e("influence", ("high", "medium", "low")),
            _e("status", ("active", "departed", "role_changed"), default="active"),
            _d("status_changed_at"),
            _d("last_engaged_at"),
        ),
        key=("contact_id",),
        references=_ACCOUNT,
    ),
    FileSpec(
        "usage",
        (
            _s("account_id", True),
            _d("date", True),
            _count("active_users"),
            _count("logins"),
            _count("sessions"),
            _count("core_actions"),
            _count("users_30d"),
        ),
        key=("account_id", "date"),
        references=_ACCOUNT,
    ),
    FileSpec(
        "users",
        (
            _s("account_id", True),
            _s("user_id", True),
            _s("email"),
            _s("department"),
            _d("created_at"),
            _d("last_active_at"),
        ),
        key=("account_id", "user_id"),
        references=_ACCOUNT,
    ),
    FileSpec(
        "feature_usage",
        (
            _s("account_id", True),
            _d("week_start", True),
            _s("feature", True),
            _count("active_users"),
            _count("events"),
        ),
        key=("account_id", "feature", "week_start"),
        references=_ACCOUNT,
    ),
    FileSpec(
        "features",
        (_s("feature", True), _e("tier", ("core", "premium"))),
        key=("feature",),
    ),
    FileSpec(
        "tickets",
        (
            _s("ticket_id", True),
            _s("account_id", True),
            _ts("opened_at", True),
            _ts("closed_at"),
            _e("status", ("new", "open", "pending", "on_hold", "solved", "closed")),
            _e("priority", ("low", "normal", "high", "urgent")),
            Column("escalated", Kind.BOOLEAN),
            _s("subject"),
            _s("description"),
        ),
        key=("ticket_id",),
        references=_ACCOUNT,
    ),
    FileSpec(
        "surveys",
        (
            _s("survey_id"),
            _s("account_id", True),
            _s("contact_id"),
            _e("kind", ("nps", "csat"), required=True),
            _n("score", True),
            _d("responded_at", True),
            _s("comment"),
        ),
        key=("key",),
        references=(*_ACCOUNT, ("contact_id", "contacts")),
        rules=(score_on_scale,),
        synthetic=SyntheticKey("survey_id", ("account_id", "kind", "responded_at", "contact_id")),
    ),
    FileSpec(
        "invoices",
        (
            _s("invoice_id", True),
            _s("account_id", True),
            _n("amount", True, **NONNEG),
            _d("due_date", True),
            _d("paid_at"),
            _e("status", ("paid", "open", "past_due", "failed", "void"), required=True),
        ),
        key=("invoice_id",),
        references=_ACCOUNT,
    ),
    FileSpec(
        "events",
        (
            _s("event_id"),
            _s("account_id", True),
            _d("occurred_at", True),
            _e("kind", EVENT_KINDS, required=True),
            _s("contact_id"),
            _s("detail"),
        ),
        key=("key",),
        references=(*_ACCOUNT, ("contact_id", "contacts")),
        synthetic=SyntheticKey(
            "event_id", ("account_id", "kind", "occurred_at", "contact_id"), hashed=("detail",)
        ),
    ),
    FileSpec(
        "goals",
        (
            _s("goal_id", True),
            _s("account_id", True),
            _s("objective", True),
            _s("metric"),
            _n("baseline"),
            _n("target"),
            _n("current"),
            _s("unit"),
            _d("due_date"),
            _e("status", ("not_started", "on_track", "at_risk", "achieved", "missed")),
            _d("set_at"),
        ),
        key=("goal_id",),
        references=_ACCOUNT,
    ),
    FileSpec(
        "roi",
        (
            _s("account_id", True),
            _e("category", ROI_CATEGORIES, required=True),
            _s("metric", True),
            _n("before"),
            _n("after"),
            _s("unit", True),
            _n("rate_usd", **NONNEG),
            _e("period", ("week", "month", "quarter", "year")),
            _e("source", ("customer", "usage", "estimate")),
            _d("recorded_at"),
        ),
        key=("key",),
        references=_ACCOUNT,
        synthetic=SyntheticKey(None, ("account_id", "category", "metric", "recorded_at")),
    ),
    FileSpec(
        "notes",
        (
            _s("note_id", True),
            _s("account_id", True),
            _ts("created_at", True),
            _s("author"),
            _e("kind", ("call", "email", "meeting", "qbr", "handoff", "support", "internal")),
            _s("text", True),
        ),
        key=("note_id",),
        references=_ACCOUNT,
    ),
    FileSpec(
        "opportunities",
        (
            _s("opportunity_id", True),
            _s("account_id", True),
            _e("kind", ("upsell", "cross_sell", "seats", "multi_year", "renewal"), required=True),
            _n("amount", **NONNEG),
            _e("stage", ("identified", "qualified", "proposal", "won", "lost")),
            _d("created_at", True),
            _d("closed_at"),
        ),
        key=("opportunity_id",),
        references=_ACCOUNT,
    ),
    FileSpec(
        "plays",
        (
            _s("play_id", True),
            _s("account_id", True),
            _e("kind", ("save", "onboarding", "qbr", "expansion", "win_back"), required=True),
            _d("opened_at", True),
            _d("closed_at"),
            _e("outcome", ("open", "saved", "churned", "completed", "won", "lost")),
            _e(
                "intervention",
                (
                    "executive_call",
                    "product_remediation",
                    "pricing_adjustment",
                    "re_onboarding",
                    "other",
                ),
            ),
        ),
        key=("play_id",),
        references=_ACCOUNT,
    ),
)

FILES: dict[str, FileSpec] = {spec.entity: spec for spec in _SPECS}
"""Entity name -> its file spec, in dependency order (accounts first)."""

ID_COLUMNS: dict[str, str] = {"accounts": "account_id", "contacts": "contact_id"}
"""The id column of each entity other files refer to."""
