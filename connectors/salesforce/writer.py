"""`SalesforceCrm`: confirmed notes, tasks and health fields written to Salesforce, once each.

Notes and tasks are Task records upserted on an external-id field holding the change's key:
`PATCH /services/data/v61.0/sobjects/Task/Csm_Key__c/{key}` creates the task the first
time (201) and updates the same task on a retry (200/204), so a retry after a timeout never
makes a second one. A note is a completed Task dated the note's day; a task is an open one
due on its date; both are on the account (`WhatId`). Health fields are a PATCH of the
Account's custom fields with absolute values, so repeating it changes nothing. The account
id is the Salesforce Account Id (accounts synced from Salesforce carry it); an unknown one
fails permanently and says so. One HTTP attempt per call: memory.writes does the retrying
(429, 5xx, timeouts, and REQUEST_LIMIT_EXCEEDED, which Salesforce sends as a 403; a 401 or
any other 403 fails at once, naming CSM_SALESFORCE_TOKEN).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from connectors.crm.base import PermanentCrmError, RetryableCrmError, WriteReceipt
from connectors.http import ApiClient, ApiError, AuthError, RetryExhausted
from connectors.salesforce.client import API, SalesforceOptions, make_client, options_of
from connectors.sync.base import SourceNotConfigured

if TYPE_CHECKING:
    from memory.store import Store
    from tools.crm import StagedChange

SUBJECT_LIMIT = 255


class SalesforceCrm:
    """Salesforce as the CRM backend confirmed writes go to."""

    name = "salesforce"

    def __init__(self, client: ApiClient, options: SalesforceOptions | None = None) -> None:
        self.client = client
        self.options = options or SalesforceOptions()

    @classmethod
    def from_settings(cls, settings: Any, profile: Any) -> SalesforceCrm:  # noqa: ANN401
        """Build the backend (one attempt per call).

        Raises:
            SourceNotConfigured: the instance URL or the token is missing.
        """
        return cls(make_client(settings, max_attempts=1), options_of(profile))

    def write(self, change: StagedChange, key: str) -> WriteReceipt:
        """Upsert the change under `key`; return the Salesforce record id.

        Raises:
            RetryableCrmError: 429, 5xx or a timeout.
            PermanentCrmError: bad credentials, an unknown account, a rejected record.
        """
        if key != change.idempotency_key:
            raise PermanentCrmError("the idempotency key does not belong to this change")
        try:
            if change.kind == "health_fields":
                p: Any = change.payload
                fields = {
                    self.options.health_score_field: p.health_score,
                    self.options.health_tier_field: p.health_tier,
                    self.options.last_scored_field: p.last_scored.isoformat(),
                }
                path = f"{API}/sobjects/Account/{quote(change.account_id, safe='')}"
                self.client.patch(path, json=fields, retry=False)
                return WriteReceipt(backend=self.name, record_id=change.account_id)
            path = f"{API}/sobjects/Task/{self.options.key_field}/{quote(key, safe='')}"
            response = self.client.request("PATCH", path, json=self._task(change), retry=False)
        except AuthError as err:
            raise PermanentCrmError(str(err)) from None
        except RetryExhausted as err:
            raise RetryableCrmError(str(err), retry_after=err.retry_after) from None
        except ApiError as err:
            if err.status == 404 and change.kind == "health_fields":
                raise PermanentCrmError(
                    f"Salesforce has no Account {change.account_id} ({change.account_name}): "
                    "sync Salesforce (`csm sync salesforce`) so accounts carry Salesforce ids"
                ) from None
            raise PermanentCrmError(str(err)) from None
        if response.status_code == 300:  # several Tasks hold the key: the field is not unique
            raise PermanentCrmError(
                f"more than one Salesforce Task has {self.options.key_field} = {key}: make the "
                "field a unique external id and remove the extra Tasks"
            )
        body = response.json() if response.content else {}
        created = response.status_code == 201
        return WriteReceipt(
            backend=self.name, record_id=str(body.get("id") or key), created=created
        )

    def _task(self, change: StagedChange) -> dict[str, Any]:
        p: Any = change.payload
        text: str = p.text
        subject = " ".join(text.split())
        if change.kind == "note":
            subject = f"Note: {subject}"
        if len(subject) > SUBJECT_LIMIT:
            subject = subject[: SUBJECT_LIMIT - 3] + "..."
        day = p.note_date if change.kind == "note" else p.due
        return {
            "Subject": subject,
            "Description": text,
            "ActivityDate": day.isoformat(),
            "Status": "Completed" if change.kind == "note" else "Not Started",
            "WhatId": change.account_id,
        }


def crm_backend(store: Store) -> Any:  # noqa: ANN401 (a CrmBackend)
    """Build the Salesforce backend from the process settings (the registry's factory)."""
    from agent.settings import get_settings
    from connectors.hubspot.writer import UnconfiguredCrm
    from memory.workspace import load_profile

    settings = get_settings()
    try:
        return SalesforceCrm.from_settings(settings, load_profile(settings.home))
    except SourceNotConfigured as err:
        return UnconfiguredCrm("salesforce", str(err))
