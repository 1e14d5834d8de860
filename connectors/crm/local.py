"""The local CRM: notes, tasks and health-field pushes as rows of `crm_records` in the store.

The default backend (DESIGN principle 5: works with nothing). One row per executed change,
its payload as JSON; the idempotency key is unique, so writing the same key twice returns the
first record and stores nothing new. The account's current health fields are the latest
health_fields record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from connectors.crm.base import PermanentCrmError, RetryableCrmError, WriteReceipt
from memory.models import CrmRecord
from memory.store import Store

if TYPE_CHECKING:
    from tools.crm import StagedChange


class LocalRecord(BaseModel):
    """A record of the local CRM, as read back."""

    model_config = ConfigDict(extra="forbid")
    record_id: str
    kind: str
    account_id: str
    payload: dict[str, Any]
    written_at: datetime
    idempotency_key: str


class LocalCrm:
    """The local SQL CRM: idempotent on the change's key."""

    name: str = "local"

    def __init__(self, store: Store) -> None:
        self.store = store

    def write(self, change: StagedChange, key: str) -> WriteReceipt:
        """Store the change once under `key`; return its record id (the existing one if any).

        Raises:
            RetryableCrmError: the database was busy or unreachable (locked, timed out).
            PermanentCrmError: the key is not the change's, or the database refused the row.
        """
        if key != change.idempotency_key:
            raise PermanentCrmError("the idempotency key does not belong to this change")
        try:
            existing = self._find(key)
            if existing is not None:
                return self._receipt(existing, created=False)
            try:
                with self.store.session() as s:
                    row = CrmRecord(
                        idempotency_key=key,
                        kind=change.kind,
                        account_id=change.account_id,
                        payload=change.payload.model_dump(mode="json"),
                        written_at=datetime.now(UTC).replace(tzinfo=None),
                    )
                    s.add(row)
                    s.flush()
                    record_id = _record_id(row.kind, row.id)
            except IntegrityError:
                existing = self._find(key)  # written by a concurrent call with the same key
                if existing is None:
                    raise
                return self._receipt(existing, created=False)
        except OperationalError as err:
            raise RetryableCrmError(f"local CRM database busy or unreachable: {err.orig}") from err
        except DBAPIError as err:
            raise PermanentCrmError(f"local CRM database refused the record: {err.orig}") from err
        return WriteReceipt(backend=self.name, record_id=record_id, created=True)

    def records(self, account_id: str | None = None, kind: str | None = None) -> list[LocalRecord]:
        """Return the stored records, oldest first; of one account and/or kind if given."""
        stmt = select(CrmRecord).order_by(CrmRecord.id)
        if account_id is not None:
            stmt = stmt.where(CrmRecord.account_id == account_id)
        if kind is not None:
            stmt = stmt.where(CrmRecord.kind == kind)
        with self.store.session() as s:
            return [_view(r) for r in s.scalars(stmt)]

    def health_fields(self, account_id: str) -> dict[str, Any] | None:
        """Return the account's current health fields (the latest push), or None if never."""
        pushes = self.records(account_id, "health_fields")
        return pushes[-1].payload if pushes else None

    def _find(self, key: str) -> LocalRecord | None:
        with self.store.session() as s:
            row = s.scalars(select(CrmRecord).where(CrmRecord.idempotency_key == key)).first()
            return _view(row) if row is not None else None

    def _receipt(self, record: LocalRecord, *, created: bool) -> WriteReceipt:
        return WriteReceipt(backend=self.name, record_id=record.record_id, created=created)


def _record_id(kind: str, row_id: int) -> str:
    return f"{kind}-{row_id}"


def _view(row: CrmRecord) -> LocalRecord:
    return LocalRecord(
        record_id=_record_id(row.kind, row.id),
        kind=row.kind,
        account_id=row.account_id,
        payload=row.payload,
        written_at=row.written_at.replace(tzinfo=UTC),
        idempotency_key=row.idempotency_key,
    )
