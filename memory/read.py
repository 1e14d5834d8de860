"""Read models: the portfolio as plain, immutable values, loaded set-wise for a point in time.

`load_portfolio` reads each table once (one query per table, for all accounts or a chosen
few), keeps only rows dated on or before `as_of`, and for the two large daily/weekly tables
only the window the caller asks for. Tools receive a `PortfolioData` and never query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Engine,
    Select,
    func,
    or_,
    select,
)

from memory import models as m
from memory.workspace import WorkspaceProfile


@dataclass(frozen=True, slots=True)
class Account:
    """An account as imported; `status`/`churned_at` are the latest known values."""

    account_id: str
    name: str
    segment: str | None = None
    industry: str | None = None
    employees: int | None = None
    csm: str | None = None
    plan: str | None = None
    licensed_seats: int | None = None
    departments_licensed: tuple[str, ...] | None = None
    kickoff_date: date | None = None
    go_live_date: date | None = None
    first_value_date: date | None = None
    status: str = "active"
    churned_at: date | None = None
    churn_reason: str | None = None
    currency: str = "USD"

    def is_churned_on(self, day: date) -> bool:
        """Tell whether the account had churned by `day`."""
        return self.status == "churned" and self.churned_at is not None and self.churned_at <= day


@dataclass(frozen=True, slots=True)
class Contract:
    """One priced period of a contract."""

    contract_id: str
    account_id: str
    arr: float
    start_date: date
    end_date: date
    auto_renew: bool | None = None
    notice_days: int | None = None
    price_increase_pct: float | None = None
    status: str = "active"

    def active_on(self, day: date) -> bool:
        """Tell whether this row is in force on `day` (start and end inclusive)."""
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True, slots=True)
class Contact:
    """A person at an account; `status_on` gives the status at a point in time."""

    contact_id: str
    account_id: str
    name: str
    title: str | None = None
    email: str | None = None
    department: str | None = None
    role: str | None = None
    influence: str | None = None
    status: str = "active"
    status_changed_at: date | None = None
    last_engaged_at: date | None = None

    def status_on(self, day: date) -> str:
        """Return the contact's status on `day`: a later departure had not happened yet."""
        if self.status == "active":
            return "active"
        if self.status_changed_at is not None and self.status_changed_at > day:
            return "active"
        return self.status


class UsageDay(NamedTuple):
    """One day of product usage of one account (None = unknown cell)."""

    date: date
    active_users: int | None
    logins: int | None
    sessions: int | None
    core_actions: int | None
    users_30d: int | None


@dataclass(frozen=True, slots=True)
class ProductUser:
    """A product user (for seats and department spread)."""

    account_id: str
    user_id: str
    email: str | None = None
    department: str | None = None
    created_at: date | None = None
    last_active_at: date | None = None


class FeatureWeek(NamedTuple):
    """One week of one feature's usage by one account."""

    week_start: date
    feature: str
    active_users: int | None
    events: int | None


@dataclass(frozen=True, slots=True)
class Ticket:
    """A support ticket; `open_on` tells whether it was unresolved on a day."""

    ticket_id: str
    account_id: str
    opened_at: datetime
    closed_at: datetime | None = None
    status: str | None = None
    priority: str | None = None
    escalated: bool | None = None
    subject: str | None = None
    description: str | None = None

    def open_on(self, day: date) -> bool:
        """Tell whether the ticket was opened by `day` and not yet resolved at its end."""
        if self.opened_at.date() > day:
            return False
        if self.closed_at is not None:
            return self.closed_at.date() > day
        return self.status not in ("solved", "closed")


@dataclass(frozen=True, slots=True)
class Survey:
    """An NPS (0-10) or CSAT (1-5) response."""

    account_id: str
    kind: str
    score: float
    responded_at: date
    survey_id: str | None = None
    contact_id: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    """A billing invoice."""

    invoice_id: str
    account_id: str
    amount: float
    due_date: date
    status: str
    paid_at: date | None = None

    def paid_late(self) -> bool:
        """Tell whether it was paid after its due date."""
        return self.paid_at is not None and self.paid_at > self.due_date

    def unpaid_problem_on(self, day: date) -> bool:
        """Tell whether, on `day`, this is a failed or past-due invoice not yet paid."""
        if self.paid_at is not None and self.paid_at <= day:
            return False
        if self.status == "void" or (self.status == "paid" and self.paid_at is None):
            return False
        if self.status == "failed":
            return self.due_date <= day
        return self.due_date < day


@dataclass(frozen=True, slots=True)
class Event:
    """A dated signal from any system (detail is untrusted free text)."""

    account_id: str
    occurred_at: date
    kind: str
    event_id: str | None = None
    contact_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Goal:
    """A success-plan objective."""

    goal_id: str
    account_id: str
    objective: str
    metric: str | None = None
    baseline: float | None = None
    target: float | None = None
    current: float | None = None
    unit: str | None = None
    due_date: date | None = None
    status: str | None = None
    set_at: date | None = None


@dataclass(frozen=True, slots=True)
class RoiRow:
    """A measured value input."""

    account_id: str
    category: str
    metric: str
    unit: str
    before: float | None = None
    after: float | None = None
    rate_usd: float | None = None
    period: str | None = None
    source: str | None = None
    recorded_at: date | None = None


@dataclass(frozen=True, slots=True)
class Note:
    """Free-text history: untrusted, evidence only."""

    note_id: str
    account_id: str
    created_at: datetime
    text: str
    author: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class Opportunity:
    """An expansion or renewal opportunity."""

    opportunity_id: str
    account_id: str
    kind: str
    created_at: date
    amount: float | None = None
    stage: str | None = None
    closed_at: date | None = None


@dataclass(frozen=True, slots=True)
class Play:
    """A CS play run on an account."""

    play_id: str
    account_id: str
    kind: str
    opened_at: date
    closed_at: date | None = None
    outcome: str | None = None
    intervention: str | None = None


@dataclass(slots=True)
class AccountData:
    """Everything known about one account up to `as_of` (lists sorted oldest first)."""

    account: Account
    contracts: list[Contract] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    usage: list[UsageDay] = field(default_factory=list)
    users: list[ProductUser] = field(default_factory=list)
    feature_usage: list[FeatureWeek] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    surveys: list[Survey] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    roi: list[RoiRow] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    plays: list[Play] = field(default_factory=list)

    @property
    def account_id(self) -> str:
        """The account's id."""
        return self.account.account_id

    @property
    def name(self) -> str:
        """The account's display name."""
        return self.account.name


@dataclass(slots=True)
class PortfolioData:
    """The portfolio as of one date: accounts with their rows, the catalogue, the profile.

    `usage_since` is the first day of usage and feature_usage loaded: the rows before it
    were not read (not absent), so a tool must not look earlier than that.
    """

    as_of: date
    usage_since: date
    accounts: dict[str, AccountData]
    features: dict[str, str | None] = field(default_factory=dict)
    """Feature catalogue: feature -> tier (core, premium or None when unknown)."""
    workspace: WorkspaceProfile = field(default_factory=WorkspaceProfile)
    files_present: frozenset[str] = frozenset()
    """Entities with at least one row in the store (e.g. 'usage', 'surveys')."""

    def get(self, account_id: str) -> AccountData:
        """Return one account's data (KeyError if it was not loaded)."""
        return self.accounts[account_id]

    def active_accounts(self, day: date | None = None) -> list[AccountData]:
        """Return the accounts not churned on `day` (default as_of), sorted by name."""
        day = day or self.as_of
        rows = [a for a in self.accounts.values() if not a.account.is_churned_on(day)]
        return sorted(rows, key=lambda a: (a.account.name.lower(), a.account_id))


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max)


def _split(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(p.strip() for p in value.split(";") if p.strip())


OPTIONAL_TABLES = frozenset({"users", "notes", "plays", "feature_usage"})
"""Tables a command may skip loading when none of its tools reads them."""

_PLAIN: tuple[tuple[str, type[m.Base], type, str], ...] = (
    ("contracts", m.Contract, Contract, "start_date"),
    ("contacts", m.Contact, Contact, "contact_id"),
    ("users", m.User, ProductUser, "user_id"),
    ("tickets", m.Ticket, Ticket, "opened_at"),
    ("surveys", m.Survey, Survey, "responded_at"),
    ("invoices", m.Invoice, Invoice, "due_date"),
    ("events", m.Event, Event, "occurred_at"),
    ("goals", m.Goal, Goal, "goal_id"),
    ("roi", m.Roi, RoiRow, "recorded_at"),
    ("notes", m.Note, Note, "created_at"),
    ("opportunities", m.Opportunity, Opportunity, "created_at"),
    ("plays", m.Play, Play, "opened_at"),
)


def load_portfolio(
    engine: Engine,
    as_of: date,
    *,
    usage_days: int = 400,
    account_ids: Sequence[str] | None = None,
    workspace: WorkspaceProfile | None = None,
    skip: frozenset[str] = frozenset(),
    feature_days: int | None = None,
) -> PortfolioData:
    """Load the portfolio as of `as_of`: one query per table, nothing dated after as_of.

    Rows are built positionally (columns selected in the dataclass's field order), which
    keeps a 10,000-account scan's load close to the cost of reading the rows.

    Args:
        engine: the store's engine.
        as_of: the point in time; rows dated later are left out.
        usage_days: how many days of usage and feature usage, ending on as_of, to load.
        account_ids: restrict to these accounts (None = all).
        workspace: the workspace profile carried to the tools for gap sources and owners.
        skip: tables of OPTIONAL_TABLES the caller's tools never read (left empty).
        feature_days: days of weekly feature usage to load (weeks starting in them);
            default usage_days.
    """
    if not skip <= OPTIONAL_TABLES:
        raise ValueError(f"only {sorted(OPTIONAL_TABLES)} may be skipped, not {sorted(skip)}")
    since = as_of - timedelta(days=usage_days - 1)
    ids = list(account_ids) if account_ids is not None else None
    with engine.connect() as conn:

        def rows(model: type[m.Base], cls: type, where: Iterable[object] = ()) -> list[tuple]:
            table = model.__table__
            columns = [table.c[f.name] for f in fields(cls)]
            stmt = select(*columns)
            for cond in where:
                stmt = stmt.where(cond)
            if ids is not None and "account_id" in table.c:
                stmt = stmt.where(table.c.account_id.in_(ids))
            return _raw_rows(conn, stmt, columns)

        accounts: dict[str, AccountData] = {}
        split_at = [f.name for f in fields(Account)].index("departments_licensed")
        for r in rows(m.Account, Account):
            values = list(r)
            values[split_at] = _split(values[split_at])
            acc = Account(*values)
            accounts[acc.account_id] = AccountData(account=acc)

        for attr, model, cls, sort_key in _PLAIN:
            if attr in skip:
                continue
            grouped: dict[str, list] = defaultdict(list)
            at = [f.name for f in fields(cls)].index("account_id")
            for r in rows(model, cls, _dated(model, as_of)):
                grouped[r[at]].append(cls(*r))
            for acc_id, items in grouped.items():
                if (target := accounts.get(acc_id)) is not None:
                    items.sort(key=lambda o: getattr(o, sort_key) or date.min)
                    setattr(target, attr, items)

        _load_daily(conn, "usage", since, as_of, ids, accounts)
        if "feature_usage" not in skip:
            f_since = as_of - timedelta(days=(feature_days or usage_days) - 1)
            _load_daily(conn, "feature_usage", f_since, as_of, ids, accounts)

        features = {
            r.feature: r.tier for r in conn.execute(select(m.Feature.feature, m.Feature.tier))
        }
        present = frozenset(
            name
            for name, model in m.ENTITY_MODELS.items()
            if conn.execute(select(model).limit(1)).first() is not None
        )
    return PortfolioData(
        as_of=as_of,
        usage_since=since,
        accounts=accounts,
        features=features,
        workspace=workspace or WorkspaceProfile(),
        files_present=present,
    )


def _raw_rows(conn: Connection, stmt: Select, columns: list[ColumnElement]) -> list[tuple]:
    """Run `stmt` on the driver's cursor and convert its dates, timestamps and booleans.

    The same rows SQLAlchemy would return, as plain tuples, at a third of the cost: SQLite
    hands dates back as text and booleans as 0/1, converted here once per distinct value.
    """
    sql = stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    convert = [_converter(c.type) for c in columns]
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(sql))
        raw = cursor.fetchall()
    finally:
        cursor.close()
    if not any(convert):
        return raw
    steps = [(i, f) for i, f in enumerate(convert) if f is not None]
    out = []
    for row in raw:
        values = list(row)
        for i, f in steps:
            if values[i] is not None:
                values[i] = f(values[i])
        out.append(tuple(values))
    return out


def _converter(kind: object) -> Callable[[object], object] | None:
    """Return the conversion a raw driver value of this column type needs (None: none)."""
    if isinstance(kind, DateTime):
        return _as_datetime
    if isinstance(kind, Date):
        cache: dict[object, date] = {}
        return lambda v: cache.get(v) or cache.setdefault(v, _as_date(v))
    if isinstance(kind, Boolean):
        return bool
    return None


def _as_datetime(raw: object) -> datetime:
    return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))


def _wide_window(conn: Connection, column: ColumnElement, since: date, as_of: date) -> bool:
    """Tell whether `since..as_of` spans over a quarter of the days stored in `column`.

    SQLite's planner walks the date index for any range, which at 40% of a daily table is
    3x slower than a plain table scan; for wide windows the index is bypassed.
    """
    if conn.dialect.name != "sqlite":
        return False
    first, last = conn.execute(select(func.min(column), func.max(column))).one()
    if first is None or last is None or last <= first:
        return False
    covered = (min(last, as_of) - max(first, since)).days
    return covered * 4 > (last - first).days


_DAILY = {
    "usage": ("usage", "date", "active_users, logins, sessions, core_actions, users_30d"),
    "feature_usage": ("feature_usage", "week_start", "feature, active_users, events"),
}
"""attr -> (table, date column, the other columns in UsageDay/FeatureWeek order)."""


def _load_daily(
    conn: Connection,
    attr: str,
    since: date,
    as_of: date,
    ids: list[str] | None,
    accounts: dict[str, AccountData],
) -> None:
    """Load a daily/weekly table into sorted UsageDay/FeatureWeek lists per account.

    These tables hold most of the rows, so they are read through the driver's cursor as
    plain tuples, dates are converted through a small cache (one date object per distinct
    day, shared by every row of it), and repeated feature names are shared the same way.
    """
    table, day_col, rest = _DAILY[attr]
    ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    col = (
        f"+{day_col}"
        if _wide_window(conn, m.Base.metadata.tables[table].c[day_col], since, as_of)
        else day_col
    )
    sql = f"SELECT account_id, {day_col}, {rest} FROM {table} WHERE {col} >= {ph} AND {col} <= {ph}"
    params: list[object] = [since.isoformat(), as_of.isoformat()]
    if ids is not None:
        sql += f" AND account_id IN ({', '.join([ph] * len(ids))})"
        params += ids
    days: dict[object, date] = {}
    names: dict[str, str] = {}
    grouped: dict[str, list] = defaultdict(list)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(50_000):
            if attr == "usage":
                for acc, raw, active, logins, sessions, core, mau in batch:
                    day = days.get(raw) or days.setdefault(raw, _as_date(raw))
                    grouped[acc].append(UsageDay(day, active, logins, sessions, core, mau))
            else:
                for acc, raw, feature, active, events in batch:
                    day = days.get(raw) or days.setdefault(raw, _as_date(raw))
                    name = names.setdefault(feature, feature)
                    grouped[acc].append(FeatureWeek(day, name, active, events))
    finally:
        cursor.close()
    for acc_id, items in grouped.items():
        if (target := accounts.get(acc_id)) is not None:
            items.sort()
            setattr(target, attr, items)


def _as_date(raw: object) -> date:
    return raw if isinstance(raw, date) else date.fromisoformat(str(raw))


def account_names(engine: Engine) -> dict[str, str]:
    """Return every account's id -> name (for resolving what a person typed)."""
    with engine.connect() as conn:
        return dict(conn.execute(select(m.Account.account_id, m.Account.name)).all())


def _dated(model: type[m.Base], as_of: date) -> tuple[object, ...]:
    """Return the conditions that keep only rows dated on or before `as_of`.

    Rows whose date is unknown (NULL) are kept: the tools decide what an undated row means.
    """
    end = _end_of(as_of)
    conditions = {
        m.Contract: (m.Contract.start_date <= as_of,),
        m.Ticket: (m.Ticket.opened_at <= end,),
        m.Survey: (m.Survey.responded_at <= as_of,),
        m.Invoice: (m.Invoice.due_date <= as_of,),
        m.Event: (m.Event.occurred_at <= as_of,),
        m.Goal: (or_(m.Goal.set_at.is_(None), m.Goal.set_at <= as_of),),
        m.Roi: (or_(m.Roi.recorded_at.is_(None), m.Roi.recorded_at <= as_of),),
        m.Note: (m.Note.created_at <= end,),
        m.Opportunity: (m.Opportunity.created_at <= as_of,),
        m.Play: (m.Play.opened_at <= as_of,),
    }
    return conditions.get(model, ())
