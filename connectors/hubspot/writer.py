"""`HubSpotCrm`: confirmed notes, tasks and health fields written to HubSpot, once each.

- a note: `POST /crm/v3/objects/notes` associated with the company (type 190);
- a task: `POST /crm/v3/objects/tasks` associated with the company (type 192);
- health fields: `PATCH /crm/v3/objects/companies/{id}` (score, tier, last scored).

The account id is the HubSpot company id (accounts synced from HubSpot have it). Notes and
tasks carry the change's idempotency key in a custom property (`csm_idempotency_key`, a
single-line text property with unique values that the admin creates once; docs/connectors.md).
Before creating, the writer reads the record by that key (`idProperty`): a retry after a
timeout where HubSpot had applied the create finds the record and writes nothing, and a
create racing another with the same key gets a 409 and returns the one that won. A health
push is a PATCH of absolute values, so repeating it changes nothing.

Each call makes one HTTP attempt: memory.writes retries a `RetryableCrmError` (429, 5xx,
timeout) with backoff and Retry-After, and every retry looks the key up first.
"""

from __future__ import annotations

import html
from datetime import date
from typing import TYPE_CHECKING, Any

from connectors.crm.base import PermanentCrmError, RetryableCrmError, WriteReceipt
from connectors.http import ApiClient, ApiError, AuthError, RetryExhausted
from connectors.hubspot.client import HubSpotOptions, make_client, options_of
from connectors.sync.base import SourceNotConfigured

if TYPE_CHECKING:
    from memory.store import Store
    from tools.crm import StagedChange

NOTE_TO_COMPANY = 190
TASK_TO_COMPANY = 192
"""HubSpot-defined association type ids (note -> company, task -> company)."""
SUBJECT_LIMIT = 80


class HubSpotCrm:
    """HubSpot as the CRM backend confirmed writes go to."""

    name = "hubspot"

    def __init__(self, client: ApiClient, options: HubSpotOptions | None = None) -> None:
        self.client = client
        self.options = options or HubSpotOptions()

    @classmethod
    def from_settings(cls, settings: Any, profile: Any) -> HubSpotCrm:  # noqa: ANN401
        """Build the backend (one attempt per call: memory.writes does the retrying).

        Raises:
            SourceNotConfigured: CSM_HUBSPOT_TOKEN is not set.
        """
        return cls(make_client(settings, max_attempts=1), options_of(profile))

    def write(self, change: StagedChange, key: str) -> WriteReceipt:
        """Write the change once under `key`; return HubSpot's record id.

        Raises:
            RetryableCrmError: 429, 5xx or a timeout (the write may or may not have landed;
                the retry finds it by its key).
            PermanentCrmError: bad credentials (the message names CSM_HUBSPOT_TOKEN), an
                unknown company, a rejected payload.
        """
        if key != change.idempotency_key:
            raise PermanentCrmError("the idempotency key does not belong to this change")
        try:
            if change.kind == "health_fields":
                return self._health(change)
            return self._create(change, key)
        except AuthError as err:
            raise PermanentCrmError(str(err)) from None
        except RetryExhausted as err:
            raise RetryableCrmError(str(err), retry_after=err.retry_after) from None
        except ApiError as err:
            if err.status == 404:
                raise PermanentCrmError(
                    f"HubSpot has no company {change.account_id} ({change.account_name}): "
                    "sync HubSpot (`csm sync hubspot`) so accounts carry HubSpot company ids"
                ) from None
            raise PermanentCrmError(str(err)) from None

    def _create(self, change: StagedChange, key: str) -> WriteReceipt:
        objects = "notes" if change.kind == "note" else "tasks"
        existing = self.find(objects, key)
        if existing is not None:
            return WriteReceipt(backend=self.name, record_id=existing, created=False)
        body = self._note(change, key) if change.kind == "note" else self._task(change, key)
        try:
            created = self.client.post(f"/crm/v3/objects/{objects}", json=body, retry=False)
        except ApiError as err:
            if err.status != 409:
                raise
            existing = self.find(objects, key)  # created by a concurrent call with this key
            if existing is None:
                raise
            return WriteReceipt(backend=self.name, record_id=existing, created=False)
        return WriteReceipt(backend=self.name, record_id=str(created["id"]), created=True)

    def find(self, objects: str, key: str) -> str | None:
        """Return the id of the note or task holding `key`, or None.

        A read by the unique key property (`GET .../{key}?idProperty=...`), not a search:
        HubSpot's search index lags writes by seconds, so a retry soon after a timed-out
        create could miss the record a search would only find later.
        """
        from urllib.parse import quote

        path = f"/crm/v3/objects/{objects}/{quote(key, safe='')}"
        try:
            found = self.client.get(path, params={"idProperty": self.options.key_property})
        except ApiError as err:
            if err.status == 404:
                return None
            raise
        return str(found["id"]) if found.get("id") is not None else None

    def _note(self, change: StagedChange, key: str) -> dict[str, Any]:
        payload = change.payload
        text = html.escape(payload.text).replace("\n", "<br>")  # type: ignore[union-attr]
        author = getattr(payload, "author", None)
        if author:
            text += f"<br>(by {html.escape(author)})"
        return {
            "properties": {
                "hs_note_body": text,
                "hs_timestamp": _midnight(payload.note_date),  # type: ignore[union-attr]
                self.options.key_property: key,
            },
            "associations": [_association(change.account_id, NOTE_TO_COMPANY)],
        }

    def _task(self, change: StagedChange, key: str) -> dict[str, Any]:
        payload = change.payload
        text: str = payload.text  # type: ignore[union-attr]
        subject = " ".join(text.split())
        if len(subject) > SUBJECT_LIMIT:
            subject = subject[: SUBJECT_LIMIT - 3] + "..."
        return {
            "properties": {
                "hs_task_subject": subject,
                "hs_task_body": text,
                "hs_task_status": "NOT_STARTED",
                "hs_timestamp": _midnight(payload.due),  # type: ignore[union-attr]
                self.options.key_property: key,
            },
            "associations": [_association(change.account_id, TASK_TO_COMPANY)],
        }

    def _health(self, change: StagedChange) -> WriteReceipt:
        payload = change.payload
        properties = {
            self.options.health_score_property: str(payload.health_score),  # type: ignore[union-attr]
            self.options.health_tier_property: payload.health_tier,  # type: ignore[union-attr]
            self.options.last_scored_property: payload.last_scored.isoformat(),  # type: ignore[union-attr]
        }
        self.client.patch(
            f"/crm/v3/objects/companies/{change.account_id}",
            json={"properties": properties},
            retry=False,
        )
        return WriteReceipt(backend=self.name, record_id=change.account_id, created=True)


class UnconfiguredCrm:
    """Stands in for a CRM without credentials: every write fails, naming the setting."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        self.message = message

    def write(self, change: StagedChange, key: str) -> WriteReceipt:
        """Refuse the write: the CRM is not configured (a permanent failure, audited)."""
        raise PermanentCrmError(f"{self.name} is not configured: {self.message}")


def crm_backend(store: Store) -> HubSpotCrm | UnconfiguredCrm:
    """Build the HubSpot backend from the process settings (the registry's factory)."""
    from agent.settings import get_settings
    from memory.workspace import load_profile

    settings = get_settings()
    try:
        return HubSpotCrm.from_settings(settings, load_profile(settings.home))
    except SourceNotConfigured as err:
        return UnconfiguredCrm("hubspot", str(err))


def _association(company_id: str, type_id: int) -> dict[str, Any]:
    return {
        "to": {"id": company_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def _midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"
