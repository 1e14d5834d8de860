"""Approving a staged CRM write from Slack: who may, and exactly once across workers.

The Approve / Cancel buttons carry an `ApprovalRef`: the conversation's thread id and the
checkpoint the graph paused at. A click (or a typed yes / no in the thread) resumes the
paused graph only when

1. the thread still waits at that checkpoint (else: already done, or superseded),
2. the clicking user asked for the write, or is an admin, and
3. this worker wins the claim: a row keyed `thread:checkpoint` inserted into the shared
   database (`slack_claims`, unique key). A second click, a replayed action, a Slack retry
   or a second worker handling the same click loses the claim and changes nothing.

The same table de-duplicates Slack's event deliveries by `event_id` (`Claims.take`), so an
event retried by Slack (X-Slack-Retry-Num) runs once even when another worker gets it.
Claims are created by this module (`CREATE TABLE IF NOT EXISTS`), apart from the store's
migrations: they are the Slack front end's bookkeeping, not account data.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, DateTime, MetaData, String, Table, insert
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from agent.session import Reply

if TYPE_CHECKING:
    from agent.session import Session
    from memory.store import Store

_metadata = MetaData()
CLAIMS = Table(
    "slack_claims",
    _metadata,
    Column("key", String(255), primary_key=True),
    Column("by", String(255), nullable=False),
    Column("at", DateTime, nullable=False),
)

Status = Literal["done", "refused", "stale"]


class ApprovalRef(BaseModel):
    """What an Approve / Cancel button carries: the thread and the checkpoint it paused at."""

    model_config = ConfigDict(extra="forbid")
    thread_id: str
    checkpoint_id: str

    def value(self) -> str:
        """Return the button value (JSON, well under Slack's 2000 characters)."""
        return self.model_dump_json()

    @classmethod
    def parse(cls, value: str) -> ApprovalRef:
        """Read a button value back (raises ValueError on anything else)."""
        return cls.model_validate(json.loads(value))


class Decision(BaseModel):
    """What became of a click: done (the graph resumed), refused, or stale (nothing to do)."""

    status: Status
    message: str = ""
    reply: Reply | None = None
    asker: str | None = None


class Claims:
    """Keys taken once in the shared database (SQLite or PostgreSQL)."""

    def __init__(self, store: Store) -> None:
        """Use the store's database, creating the claims table if it is missing."""
        self.store = store
        self._ready = False
        self._lock = threading.Lock()

    def _ensure(self) -> None:
        with self._lock:
            if self._ready:
                return
            try:
                CLAIMS.create(self.store.engine, checkfirst=True)
            except (OperationalError, ProgrammingError, IntegrityError):
                # another worker created it between the check and the CREATE
                CLAIMS.create(self.store.engine, checkfirst=True)
            self._ready = True

    def take(self, key: str, by: str) -> bool:
        """Claim `key` for `by`; False when someone (any worker) already holds it."""
        self._ensure()
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            with self.store.engine.begin() as conn:
                conn.execute(insert(CLAIMS).values(key=key[:255], by=by[:255], at=now))
        except IntegrityError:
            return False
        return True


def pending_ref(session: Session) -> ApprovalRef | None:
    """Return the reference of the session's paused confirmation, or None if none waits."""
    snapshot = session.graph.get_state(session.config)
    if not snapshot.interrupts:
        return None
    return ApprovalRef(
        thread_id=session.thread_id,
        checkpoint_id=snapshot.config["configurable"]["checkpoint_id"],
    )


def asker_of(session: Session) -> str | None:
    """Return who asked for the paused write (the staged change's actor)."""
    pending = session.graph.get_state(session.config).values.get("pending") or {}
    return pending.get("actor")


def decide(
    session: Session, ref: ApprovalRef, user: str, admin: bool, answer: str, claims: Claims
) -> Decision:
    """Resume the paused write with `answer` ("yes" / "no" / typed text) if `user` may.

    The session's user must be `user`: the one who answers is the confirmer in the audit log.
    """
    current = pending_ref(session)
    if current is None or current != ref:
        return Decision(status="stale", message="This change was already handled.")
    asker = asker_of(session)
    if user != asker and not admin:
        return Decision(
            status="refused",
            asker=asker,
            message=f"Only <@{asker}>, who asked for this change, or an admin can approve "
            "or cancel it. Nothing was written.",
        )
    if not claims.take(f"approval:{ref.thread_id}:{ref.checkpoint_id}", user):
        return Decision(status="stale", message="This change was already handled.")
    return Decision(status="done", asker=asker, reply=session.send(answer))


__all__ = ["ApprovalRef", "Claims", "Decision", "asker_of", "decide", "pending_ref"]
