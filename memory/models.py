"""SQLAlchemy models: one table per entity of the import format (spec/data-format.md).

Empty cells are stored as NULL (unknown), never as zero. Entities whose files have no id
column (surveys without survey_id, events without event_id, roi rows) get a stable `key`
derived from their identifying columns so that a re-import updates instead of duplicating.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the account store."""


class Account(Base):
    """A customer account (accounts.csv)."""

    __tablename__ = "accounts"
    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    segment: Mapped[str | None] = mapped_column(String(32))
    industry: Mapped[str | None] = mapped_column(String(128))
    employees: Mapped[int | None] = mapped_column(Integer)
    csm: Mapped[str | None] = mapped_column(String(256))
    plan: Mapped[str | None] = mapped_column(String(128))
    licensed_seats: Mapped[int | None] = mapped_column(Integer)
    departments_licensed: Mapped[str | None] = mapped_column(Text)
    kickoff_date: Mapped[date | None] = mapped_column(Date)
    go_live_date: Mapped[date | None] = mapped_column(Date)
    first_value_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    churned_at: Mapped[date | None] = mapped_column(Date)
    churn_reason: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3), default="USD")


class Contract(Base):
    """One priced contract period (contracts.csv)."""

    __tablename__ = "contracts"
    contract_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    arr: Mapped[float] = mapped_column(Float)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    auto_renew: Mapped[bool | None] = mapped_column(Boolean)
    notice_days: Mapped[int | None] = mapped_column(Integer)
    price_increase_pct: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="active")


class Contact(Base):
    """A person at an account (contacts.csv)."""

    __tablename__ = "contacts"
    contact_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(256))
    title: Mapped[str | None] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(256))
    department: Mapped[str | None] = mapped_column(String(128))
    role: Mapped[str | None] = mapped_column(String(32))
    influence: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_changed_at: Mapped[date | None] = mapped_column(Date)
    last_engaged_at: Mapped[date | None] = mapped_column(Date)


class Usage(Base):
    """Daily product usage of one account (usage.csv)."""

    __tablename__ = "usage"
    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    active_users: Mapped[int | None] = mapped_column(Integer)
    logins: Mapped[int | None] = mapped_column(Integer)
    sessions: Mapped[int | None] = mapped_column(Integer)
    core_actions: Mapped[int | None] = mapped_column(Integer)
    users_30d: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_usage_date", "date"),)


class User(Base):
    """A product user (users.csv)."""

    __tablename__ = "users"
    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(256))
    department: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[date | None] = mapped_column(Date)
    last_active_at: Mapped[date | None] = mapped_column(Date)


class FeatureUsage(Base):
    """Weekly usage of one feature by one account (feature_usage.csv)."""

    __tablename__ = "feature_usage"
    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    feature: Mapped[str] = mapped_column(String(128), primary_key=True)
    active_users: Mapped[int | None] = mapped_column(Integer)
    events: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_feature_usage_week", "week_start"),)


class Feature(Base):
    """The product's feature catalogue (features.csv)."""

    __tablename__ = "features"
    feature: Mapped[str] = mapped_column(String(128), primary_key=True)
    tier: Mapped[str | None] = mapped_column(String(16))


class Ticket(Base):
    """A support ticket (tickets.csv)."""

    __tablename__ = "tickets"
    ticket_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[str | None] = mapped_column(String(16))
    escalated: Mapped[bool | None] = mapped_column(Boolean)
    subject: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class Survey(Base):
    """An NPS or CSAT response (surveys.csv)."""

    __tablename__ = "surveys"
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    survey_id: Mapped[str | None] = mapped_column(String(128))
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    contact_id: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float)
    responded_at: Mapped[date] = mapped_column(Date)
    comment: Mapped[str | None] = mapped_column(Text)


class Invoice(Base):
    """A billing invoice (invoices.csv)."""

    __tablename__ = "invoices"
    invoice_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    amount: Mapped[float] = mapped_column(Float)
    due_date: Mapped[date] = mapped_column(Date)
    paid_at: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))


class Event(Base):
    """A dated signal from any system (events.csv)."""

    __tablename__ = "events"
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    event_id: Mapped[str | None] = mapped_column(String(128))
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    occurred_at: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[str | None] = mapped_column(Text)


class Goal(Base):
    """A success-plan objective (goals.csv)."""

    __tablename__ = "goals"
    goal_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    objective: Mapped[str] = mapped_column(Text)
    metric: Mapped[str | None] = mapped_column(String(256))
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    current: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(64))
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str | None] = mapped_column(String(16))
    set_at: Mapped[date | None] = mapped_column(Date)


class Roi(Base):
    """A measured value input (roi.csv)."""

    __tablename__ = "roi"
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    category: Mapped[str] = mapped_column(String(32))
    metric: Mapped[str] = mapped_column(String(256))
    before: Mapped[float | None] = mapped_column(Float)
    after: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(64))
    rate_usd: Mapped[float | None] = mapped_column(Float)
    period: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(16))
    recorded_at: Mapped[date | None] = mapped_column(Date)


class Note(Base):
    """Free-text history (notes.csv): untrusted, quoted as evidence only."""

    __tablename__ = "notes"
    note_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[str | None] = mapped_column(String(256))
    kind: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)


class Opportunity(Base):
    """An expansion or renewal opportunity (opportunities.csv)."""

    __tablename__ = "opportunities"
    opportunity_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[float | None] = mapped_column(Float)
    stage: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[date | None] = mapped_column(Date)


class Play(Base):
    """A CS play run on an account (plays.csv)."""

    __tablename__ = "plays"
    play_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(16))
    intervention: Mapped[str | None] = mapped_column(String(32))


ENTITY_MODELS: dict[str, type[Base]] = {
    "accounts": Account,
    "contracts": Contract,
    "contacts": Contact,
    "usage": Usage,
    "users": User,
    "feature_usage": FeatureUsage,
    "features": Feature,
    "tickets": Ticket,
    "surveys": Survey,
    "invoices": Invoice,
    "events": Event,
    "goals": Goal,
    "roi": Roi,
    "notes": Note,
    "opportunities": Opportunity,
    "plays": Play,
}
"""Entity name (the CSV file stem) -> model, in dependency order (accounts first)."""


class CrmRecord(Base):
    """A record of the local CRM (connectors/crm/local.py): a note, a task or health fields.

    One row per executed write; `idempotency_key` is unique, so the same change is stored once.
    """

    __tablename__ = "crm_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    written_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_crm_records_idempotency_key"),)


class CrmOutbox(Base):
    """A confirmed CRM write, recorded before the backend is called (memory/writes.py).

    status: pending (being executed, or interrupted: `resume_pending` completes it), done or
    failed. `change` is the staged change as JSON, enough to execute it again.
    """

    __tablename__ = "crm_outbox"
    idempotency_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    backend: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    change: Mapped[dict] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(256))
    confirmed_by: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    record_id: Mapped[str | None] = mapped_column(String(256))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class CrmAudit(Base):
    """One line of the CRM audit log: who asked, who confirmed, what, when, the result.

    Append-only. result: ok, failed, or not_repeated (the change had already been executed;
    the backend was not called again). detail: the error of a failed write, or a note.
    """

    __tablename__ = "crm_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(256))
    confirmed_by: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    account_name: Mapped[str] = mapped_column(String(256))
    summary: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(64), index=True)
    backend: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str | None] = mapped_column(String(256))
    detail: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class SyncState(Base):
    """One sync source's progress (connectors/sync/state.py): cursor, last run, counts.

    `cursor` is written in the same transaction as each page's rows, so a crashed sync
    resumes after the last page stored. status: running (or interrupted), ok, failed.
    `rows` holds the rows per entity of the last run; `errors` its errors and skipped records.
    """

    __tablename__ = "sync_state"
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    rows: Mapped[dict] = mapped_column(JSON)
    errors: Mapped[list] = mapped_column(JSON)


class SlackClaim(Base):
    """A key one Slack bot worker took, once (connectors/slack/approvals.py `Claims`).

    `key` is an approval's `thread:checkpoint` or an event delivery's `event:ID`; the unique
    key is the lock across workers: a second click, a replayed action, a Slack retry or
    another worker inserting the same key loses. `at` lets old claims be pruned.
    """

    __tablename__ = "slack_claims"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    by: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
