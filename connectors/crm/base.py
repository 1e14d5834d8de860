"""The CRM backend interface: write one confirmed change, idempotently, or fail in kind.

A backend (local SQL table now; HubSpot and Salesforce later) implements `CrmBackend`:
`write(change, key)` stores the change and returns the backend's own record id. It must be
idempotent on `key`: called again with a key it already stored (a retry after a timeout, a
resume after a crash), it returns the existing record (`created=False`) and writes nothing.

Failures are classified so the outbox (memory.writes) knows what to do:

- `RetryableCrmError`: rate limited (429), server error (5xx), timeout, a locked database;
  retried with exponential backoff and jitter, honouring `retry_after` when the CRM gave one;
- `PermanentCrmError`: the CRM rejected the change (400/403/404, a validation error); the
  write fails at once and the audit log records why;
- any other exception means the outcome is unknown: the outbox row stays pending and
  `memory.writes.resume_pending` executes it again later.

The errors and `WriteReceipt` are defined in memory.writes (the outbox acts on them) and
re-exported here, so backends import everything they need from this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from memory.writes import CrmError, PermanentCrmError, RetryableCrmError, WriteReceipt

if TYPE_CHECKING:
    from tools.crm import StagedChange

__all__ = [
    "CrmBackend",
    "CrmError",
    "PermanentCrmError",
    "RetryableCrmError",
    "WriteReceipt",
]


@runtime_checkable
class CrmBackend(Protocol):
    """A CRM that stores staged changes: notes, tasks, health fields."""

    name: str
    """The backend's registry name ("local", "hubspot", "salesforce")."""

    def write(self, change: StagedChange, key: str) -> WriteReceipt:
        """Store `change` under the idempotency `key`, once; return the backend's record id.

        Raises:
            RetryableCrmError: a transient failure; the caller retries with backoff.
            PermanentCrmError: the CRM rejected the change; retrying will not help.
        """
        ...
