"""Approving a staged CRM write from Slack: who may, and exactly once across workers.

The Approve / Cancel buttons carry an `ApprovalRef`: the conversation's thread id and the
checkpoint the graph paused at. A click (or a typed yes / no in the thread) resumes the
paused graph only when

1. the thread still waits at that checkpoint (else: already done, or superseded),
2. the clicking user asked for the write, or is an admin, and
3. this worker wins the claim: a row keyed `thread:checkpoint` inserted into the shared
   database (`slack_claims`, unique key). A second click, a replayed action, a Slack retry
   or a second worker handling the same click loses the claim and changes nothing.

If resuming fails with an unexpected error (a lost connection, a bug), the claim is released
so that a later click can retry, and the clicker is told so; a write that did reach the CRM
is not repeated (the outbox's idempotency key).

The same table de-duplicates Slack's event deliveries by `event_id` (`Claims.take`), so an
event retried by Slack (X-Slack-Retry-Num) runs once even when another worker gets it.
The table is part of the store's schema (memory.models.SlackClaim, migration 0004);
`Claims.prune` drops claims older than Slack could still retry or a button be clicked.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from agent.session import Reply
from connectors.slack.blocks import error_line
from memory.models import SlackClaim

if TYPE_CHECKING:
    from agent.session import Session
    from memory.store import Store

log = logging.getLogger(__name__)

CLAIMS = SlackClaim.__table__
KEEP_DAYS = 30
"""Claims younger than this are kept (a staged change's buttons stay clickable that long)."""
PRUNE_EVERY = 500
"""Prune old claims after this many claims taken by one worker."""

Status = Literal["done", "refused", "stale", "failed"]


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
    """What became of a click: done (the graph resumed), refused, stale or failed (retry)."""

    status: Status
    message: str = ""
    reply: Reply | None = None
    asker: str | None = None


class Claims:
    """Keys taken once in the shared database (SQLite or PostgreSQL)."""

    def __init__(self, store: Store) -> None:
        """Use the store's database (migrated: the table is memory.models.SlackClaim)."""
        self.store = store
        self._taken = 0

    def take(self, key: str, by: str) -> bool:
        """Claim `key` for `by`; False when someone (any worker) already holds it."""
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            with self.store.engine.begin() as conn:
                conn.execute(insert(CLAIMS).values(key=key[:255], by=by[:255], at=now))
        except IntegrityError:
            return False
        self._taken += 1
        if self._taken % PRUNE_EVERY == 0:
            self.prune(now - timedelta(days=KEEP_DAYS))
        return True

    def release(self, key: str) -> None:
        """Give `key` back, so that it can be taken again (the work it guarded failed)."""
        with self.store.engine.begin() as conn:
            conn.execute(delete(CLAIMS).where(CLAIMS.c.key == key[:255]))

    def prune(self, before: datetime) -> int:
        """Delete the claims taken before `before`; return how many went."""
        with self.store.engine.begin() as conn:
            return conn.execute(delete(CLAIMS).where(CLAIMS.c.at < before)).rowcount


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
    key = f"approval:{ref.thread_id}:{ref.checkpoint_id}"
    if not claims.take(key, user):
        return Decision(status="stale", message="This change was already handled.")
    try:
        reply = session.send(answer)
    except Exception as err:  # noqa: BLE001  (any failure: give the claim back, say so)
        log.exception("resuming the approval %s failed", key)
        claims.release(key)
        return Decision(
            status="failed",
            asker=asker,
            message=f"csm could not finish this: {error_line(err)}. Nothing is marked as "
            "handled: click the button again (or type yes / no) to retry; a write that "
            "already reached the CRM is not repeated.",
        )
    return Decision(status="done", asker=asker, reply=reply)


__all__ = ["ApprovalRef", "Claims", "Decision", "asker_of", "decide", "pending_ref"]
