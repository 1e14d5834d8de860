"""The CRM writes' outbox and audit log: a confirmed change is executed once, and recorded.

DESIGN principle 6. `execute(store, change, backend, actor=..., confirmed_by=...)`:

1. refuses a change nobody confirmed (`confirmed_by` empty): nothing is written anywhere;
2. records the change in the outbox (`crm_outbox`, keyed by its idempotency key) before the
   backend is called; a key already executed successfully is not sent again: the outcome is
   `not_repeated`, with the earlier record id, and the audit log says so;
3. calls the backend, retrying `RetryableCrmError` (429, 5xx, timeouts) with exponential
   backoff and jitter (tenacity; a Retry-After hint is honoured) up to
   `RetryPolicy.max_attempts`; a `PermanentCrmError`, or retries running out, fails the write;
4. marks the outbox row done or failed and appends the audit entry (who asked, who
   confirmed, what, when, the result, the attempts) in one transaction.

Any other exception (a bug, a lost connection with an unknown outcome, an interrupt)
propagates and leaves the outbox row pending; `resume_pending(store, backend)` executes it
again, which is safe because backends are idempotent on the key. A failed change executed
again is retried (its key is the same); only a done one is never repeated.

The audit log is append-only and lists the newest first (`audit_entries`). Times are stored
as naive UTC and returned as aware UTC datetimes.

The error taxonomy and `WriteReceipt` are defined here, where the outbox acts on them, and
re-exported by `connectors.crm.base` for backends: memory imports nothing of ours at import
time (DESIGN: dependencies point one way). The one reference the other way is
`resume_pending`'s default reader of stored changes, `tools.crm.StagedChange`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from tenacity import (
    RetryCallState,
    Retrying,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)
from tenacity.wait import wait_base

from memory.models import CrmAudit, CrmOutbox
from memory.store import Store

if TYPE_CHECKING:
    from connectors.crm.base import CrmBackend
    from tools.crm import StagedChange

log = logging.getLogger(__name__)

LEASE_SECONDS = 120.0
"""How long a pending outbox row belongs to the writer that claimed it (its retries included:
the default policy's attempts and backoff fit well within it); after that it is taken over."""
CLAIM_POLL_SECONDS = 0.05
"""How often a caller waiting on another's write in progress looks at the row again."""

Result = Literal["ok", "failed", "not_repeated"]
NOT_REPEATED = "already executed, not repeated"


class CrmError(Exception):
    """A CRM backend's failure, classified as retryable or permanent."""


class RetryableCrmError(CrmError):
    """A failure worth retrying: rate limited (429), server error (5xx), timeout, lock."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds the CRM asked to wait (Retry-After), when it said."""


class PermanentCrmError(CrmError):
    """A failure retrying cannot fix: rejected payload, unknown record, no permission."""


class WriteNotConfirmedError(PermissionError):
    """A write was asked for without a person's explicit yes; nothing was written."""


class WriteReceipt(BaseModel):
    """What a backend returns for a write: its own id of the record."""

    model_config = ConfigDict(extra="forbid")
    backend: str
    record_id: str
    created: bool = Field(
        True, description="False when the backend already held this key and returned its record"
    )


class RetryPolicy(BaseModel):
    """How retryable failures are retried: attempts and exponential backoff with jitter."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    max_attempts: int = Field(5, ge=1, le=20, description="attempts in all, the first included")
    initial_wait: float = Field(1.0, ge=0, description="seconds before the first retry")
    max_wait: float = Field(30.0, ge=0, description="longest backoff between two attempts")
    jitter: float = Field(1.0, ge=0, description="random seconds added to each wait, at most")

    def wait(self) -> wait_base:
        """Return the tenacity wait strategy: backoff with jitter, or Retry-After if longer."""
        backoff = wait_exponential(multiplier=self.initial_wait, max=self.max_wait)
        if self.jitter:
            backoff = backoff + wait_random(0, self.jitter)
        return RetryAfterOr(backoff, cap=self.max_wait)


class RetryAfterOr(wait_base):
    """Wait as `base` does, or as long as Retry-After asked (capped) if longer.

    The exception that ended the attempt carries the server's Retry-After as `retry_after`
    (a RetryableCrmError here, the HTTP client's transient errors in connectors.http).
    """

    def __init__(self, base: wait_base, cap: float) -> None:
        self.base = base
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        """Return the seconds to wait before the next attempt."""
        seconds = self.base(retry_state)
        outcome = retry_state.outcome
        err = outcome.exception() if outcome is not None and outcome.failed else None
        after = getattr(err, "retry_after", None)
        if after:
            seconds = max(seconds, min(float(after), self.cap))
        return seconds


class WriteOutcome(BaseModel):
    """The result of executing one confirmed change."""

    model_config = ConfigDict(extra="forbid")
    idempotency_key: str
    kind: str
    account_id: str
    account_name: str
    backend: str
    result: Result = Field(description=f"ok, failed, or not_repeated ({NOT_REPEATED})")
    record_id: str | None = Field(None, description="the backend's record id (ok, not_repeated)")
    error: str | None = Field(None, description="why it failed")
    detail: str | None = Field(None, description="a note on how the result came about")
    attempts: int = Field(0, description="backend calls made by this execution")
    at: datetime


class AuditEntry(BaseModel):
    """One line of the audit log: who asked, who confirmed, what, when, the result."""

    model_config = ConfigDict(extra="forbid")
    id: int
    at: datetime
    actor: str = Field(description="who asked for the write")
    confirmed_by: str = Field(description="who said yes")
    kind: str
    account_id: str
    account_name: str
    summary: str = Field(description="exactly what was shown before the yes")
    payload: dict[str, Any]
    idempotency_key: str
    backend: str
    result: Result
    record_id: str | None = None
    detail: str | None = Field(None, description="the error of a failed write, or a note")
    attempts: int


class PendingWrite(BaseModel):
    """A confirmed write whose outcome is not recorded yet (in flight, or interrupted)."""

    model_config = ConfigDict(extra="forbid")
    idempotency_key: str
    backend: str
    kind: str
    account_id: str
    summary: str
    actor: str
    confirmed_by: str
    created_at: datetime
    attempts: int


def execute(
    store: Store,
    change: StagedChange,
    backend: CrmBackend,
    *,
    actor: str,
    confirmed_by: str,
    policy: RetryPolicy | None = None,
    wait: wait_base | None = None,
) -> WriteOutcome:
    """Execute a confirmed change once: outbox, backend with retries, audit.

    Args:
        store: the account store holding the outbox and the audit log.
        change: the staged change, as shown to the person who confirmed it.
        backend: the CRM backend to write through.
        actor: who asked for the write (a user id, or "agent").
        confirmed_by: who said yes, in the same thread; empty means nobody did.
        policy: attempts and backoff (default RetryPolicy()).
        wait: a tenacity wait strategy replacing the policy's (tests pass wait_none()).

    Returns:
        The outcome: ok, failed, or not_repeated when the key was already executed.

    Raises:
        WriteNotConfirmedError: confirmed_by is empty; nothing is written, no outbox row.
        ValueError: actor is empty.
    """
    if not confirmed_by or not confirmed_by.strip():
        raise WriteNotConfirmedError(
            f"not written: {change.kind} on {change.account_name} needs a person's explicit "
            "yes first (confirmed_by is empty)"
        )
    if not actor or not actor.strip():
        raise ValueError("execute needs the actor: who asked for the write")
    actor, confirmed_by = actor.strip(), confirmed_by.strip()
    done = _claim(store, change, backend.name, actor, confirmed_by)
    if done is not None:
        return _not_repeated(store, change, done, actor, confirmed_by)
    return _run(
        store, change, backend, actor, confirmed_by, policy or RetryPolicy(), wait, resumed=False
    )


def resume_pending(
    store: Store,
    backend: CrmBackend,
    *,
    policy: RetryPolicy | None = None,
    wait: wait_base | None = None,
    load: Callable[[dict[str, Any]], StagedChange] | None = None,
) -> list[WriteOutcome]:
    """Complete the confirmed writes an interruption left pending for this backend.

    Each is executed again with its original actor and confirmer; the backend's idempotency
    on the key means a write that had landed before the interruption is not duplicated.
    Run it at start-up, with one process at a time (two resuming the same row write once but
    audit twice).

    Args:
        store: the account store.
        backend: the backend whose pending rows to complete (rows of other backends stay).
        policy: attempts and backoff (default RetryPolicy()).
        wait: a tenacity wait strategy replacing the policy's.
        load: rebuilds a stored change (default tools.crm.StagedChange.model_validate).

    Returns:
        One outcome per pending write, oldest first.
    """
    if load is None:
        from tools.crm import StagedChange

        load = StagedChange.model_validate
    with store.session() as s:
        rows = s.scalars(
            select(CrmOutbox)
            .where(CrmOutbox.status == "pending", CrmOutbox.backend == backend.name)
            .order_by(CrmOutbox.created_at, CrmOutbox.idempotency_key)
        ).all()
        pending = [(r.idempotency_key, r.change, r.actor, r.confirmed_by) for r in rows]
    outcomes = []
    for key, stored, actor, confirmed_by in pending:
        try:
            change = load(stored)
        except ValueError as err:
            outcomes.append(_unreadable(store, key, stored, backend.name, err))
            continue
        log.info("resuming the interrupted CRM write %s", key)
        outcomes.append(
            _run(
                store,
                change,
                backend,
                actor,
                confirmed_by,
                policy or RetryPolicy(),
                wait,
                resumed=True,
            )
        )
    return outcomes


def audit_entries(
    store: Store, limit: int | None = None, account_id: str | None = None
) -> list[AuditEntry]:
    """Return the audit log, newest first; at most `limit` lines, of one account if given."""
    stmt = select(CrmAudit).order_by(CrmAudit.id.desc())
    if account_id is not None:
        stmt = stmt.where(CrmAudit.account_id == account_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    with store.session() as s:
        return [
            AuditEntry(
                id=r.id,
                at=_aware(r.at),
                actor=r.actor,
                confirmed_by=r.confirmed_by,
                kind=r.kind,
                account_id=r.account_id,
                account_name=r.account_name,
                summary=r.summary,
                payload=r.payload,
                idempotency_key=r.idempotency_key,
                backend=r.backend,
                result=r.result,
                record_id=r.record_id,
                detail=r.detail,
                attempts=r.attempts,
            )
            for r in s.scalars(stmt)
        ]


def pending_writes(store: Store) -> list[PendingWrite]:
    """Return the confirmed writes not finished yet (in flight, or left by an interruption)."""
    stmt = select(CrmOutbox).where(CrmOutbox.status == "pending").order_by(CrmOutbox.created_at)
    with store.session() as s:
        return [
            PendingWrite(
                idempotency_key=r.idempotency_key,
                backend=r.backend,
                kind=r.kind,
                account_id=r.account_id,
                summary=str(r.change.get("summary", "")),
                actor=r.actor,
                confirmed_by=r.confirmed_by,
                created_at=_aware(r.created_at),
                attempts=r.attempts,
            )
            for r in s.scalars(stmt)
        ]


class _Done(BaseModel):
    backend: str
    record_id: str | None
    at: datetime


def _claim(
    store: Store, change: StagedChange, backend: str, actor: str, confirmed_by: str
) -> _Done | None:
    """Record the change as pending in the outbox; return the earlier success instead, if any.

    The outbox row is the lock, in the database (several workers share it): the caller that
    inserts the row, or takes over a failed one or a pending one whose lease ran out (a
    writer that crashed), executes the change; the take-over is one conditional UPDATE, so
    two callers cannot both win it. A caller finding the row pending within its lease (a
    write in progress elsewhere) waits for it to finish: done, it gets the earlier success
    (audited as not repeated); failed, it takes the row over and tries again.
    """
    key = change.idempotency_key
    give_up = time.monotonic() + LEASE_SECONDS + 5
    while True:
        now = _now()
        try:
            with store.session() as s:
                row = s.get(CrmOutbox, key)
                if row is None:
                    s.add(
                        CrmOutbox(
                            idempotency_key=key,
                            backend=backend,
                            kind=change.kind,
                            account_id=change.account_id,
                            change=change.model_dump(mode="json"),
                            actor=actor,
                            confirmed_by=confirmed_by,
                            status="pending",
                            attempts=0,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    return None
                if row.status == "done":
                    return _Done(backend=row.backend, record_id=row.record_id, at=row.updated_at)
        except IntegrityError:
            continue  # another caller inserted the row first: read it
        if _take_over(store, key, backend, actor, confirmed_by, now):
            return None
        if time.monotonic() > give_up:
            raise RuntimeError(f"the CRM write {key} stayed pending elsewhere past its lease")
        time.sleep(CLAIM_POLL_SECONDS)


def _take_over(
    store: Store, key: str, backend: str, actor: str, confirmed_by: str, now: datetime
) -> bool:
    """Take a failed row, or a pending one past its lease, in one conditional UPDATE."""
    stale = now - timedelta(seconds=LEASE_SECONDS)
    with store.session() as s:
        taken = s.execute(
            update(CrmOutbox)
            .where(
                CrmOutbox.idempotency_key == key,
                or_(
                    CrmOutbox.status == "failed",
                    and_(CrmOutbox.status == "pending", CrmOutbox.updated_at < stale),
                ),
            )
            .values(
                status="pending",
                error=None,
                updated_at=now,
                actor=actor,
                confirmed_by=confirmed_by,
                backend=backend,
            )
        )
        return taken.rowcount == 1


def _run(
    store: Store,
    change: StagedChange,
    backend: CrmBackend,
    actor: str,
    confirmed_by: str,
    policy: RetryPolicy,
    wait: wait_base | None,
    *,
    resumed: bool,
) -> WriteOutcome:
    """Call the backend with retries, then record the outcome in the outbox and the audit log."""
    key = change.idempotency_key
    attempts = 0

    def attempt() -> WriteReceipt:
        nonlocal attempts
        attempts += 1
        return backend.write(change, key)

    retrying = Retrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait if wait is not None else policy.wait(),
        retry=retry_if_exception_type(RetryableCrmError),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=True,
    )
    prefix = "completed after an interruption" if resumed else None
    try:
        receipt = retrying(attempt)
    except CrmError as err:
        reason = str(err) or type(err).__name__
        if isinstance(err, RetryableCrmError):
            reason = f"gave up after {attempts} attempt(s): {reason}"
        return _finish(
            store, change, backend.name, actor, confirmed_by, "failed", attempts, None, reason
        )
    notes = [prefix] if prefix else []
    if not receipt.created:
        notes.append(f"the CRM already held this change (record {receipt.record_id})")
    return _finish(
        store,
        change,
        backend.name,
        actor,
        confirmed_by,
        "ok",
        attempts,
        receipt.record_id,
        "; ".join(notes) or None,
    )


def _finish(
    store: Store,
    change: StagedChange,
    backend: str,
    actor: str,
    confirmed_by: str,
    result: Literal["ok", "failed"],
    attempts: int,
    record_id: str | None,
    detail: str | None,
) -> WriteOutcome:
    """Mark the outbox row done/failed and append the audit entry, in one transaction."""
    now = _now()
    with store.session() as s:
        row = s.get(CrmOutbox, change.idempotency_key)
        if row is not None:
            row.status = "done" if result == "ok" else "failed"
            row.attempts = (row.attempts or 0) + attempts
            row.record_id = record_id
            row.error = detail if result == "failed" else None
            row.updated_at = now
        s.add(
            _audit_row(
                change, backend, actor, confirmed_by, result, attempts, record_id, detail, now
            )
        )
    return _outcome(change, backend, result, attempts, record_id, detail, now)


def _not_repeated(
    store: Store, change: StagedChange, done: _Done, actor: str, confirmed_by: str
) -> WriteOutcome:
    """Audit (and return) that a change already executed was not sent again."""
    now = _now()
    detail = (
        f"{NOT_REPEATED}: executed on {_aware(done.at):%Y-%m-%d %H:%M} UTC "
        f"through {done.backend} (record {done.record_id})"
    )
    with store.session() as s:
        s.add(
            _audit_row(
                change,
                done.backend,
                actor,
                confirmed_by,
                "not_repeated",
                0,
                done.record_id,
                detail,
                now,
            )
        )
    return _outcome(change, done.backend, "not_repeated", 0, done.record_id, detail, now)


def _unreadable(
    store: Store, key: str, stored: dict[str, Any], backend: str, err: Exception
) -> WriteOutcome:
    """Fail a pending row whose stored change no longer validates (audited, never sent)."""
    now = _now()
    detail = f"the stored change could not be read, so it was not sent: {err}"
    kind = str(stored.get("kind", "?"))
    account_id = str(stored.get("account_id", "?"))
    name = str(stored.get("account_name", account_id))
    with store.session() as s:
        row = s.get(CrmOutbox, key)
        actor, confirmed_by = (row.actor, row.confirmed_by) if row else ("?", "?")
        if row is not None:
            row.status, row.error, row.updated_at = "failed", detail, now
        s.add(
            CrmAudit(
                at=now,
                actor=actor,
                confirmed_by=confirmed_by,
                kind=kind,
                account_id=account_id,
                account_name=name,
                summary=str(stored.get("summary", "")),
                payload=stored.get("payload") or {},
                idempotency_key=key,
                backend=backend,
                result="failed",
                record_id=None,
                detail=detail,
                attempts=0,
            )
        )
    return WriteOutcome(
        idempotency_key=key,
        kind=kind,
        account_id=account_id,
        account_name=name,
        backend=backend,
        result="failed",
        error=detail,
        at=_aware(now),
    )


def _audit_row(
    change: StagedChange,
    backend: str,
    actor: str,
    confirmed_by: str,
    result: Result,
    attempts: int,
    record_id: str | None,
    detail: str | None,
    now: datetime,
) -> CrmAudit:
    return CrmAudit(
        at=now,
        actor=actor,
        confirmed_by=confirmed_by,
        kind=change.kind,
        account_id=change.account_id,
        account_name=change.account_name,
        summary=change.summary,
        payload=change.payload.model_dump(mode="json"),
        idempotency_key=change.idempotency_key,
        backend=backend,
        result=result,
        record_id=record_id,
        detail=detail,
        attempts=attempts,
    )


def _outcome(
    change: StagedChange,
    backend: str,
    result: Result,
    attempts: int,
    record_id: str | None,
    detail: str | None,
    now: datetime,
) -> WriteOutcome:
    return WriteOutcome(
        idempotency_key=change.idempotency_key,
        kind=change.kind,
        account_id=change.account_id,
        account_name=change.account_name,
        backend=backend,
        result=result,
        record_id=record_id,
        error=detail if result == "failed" else None,
        detail=detail if result != "failed" else None,
        attempts=attempts,
        at=_aware(now),
    )


def _now() -> datetime:
    """Return the current time as naive UTC (how the store keeps times)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
