"""`SalesforceSource`: Account, Contact and Opportunity via SOQL, page by page.

`GET /services/data/v61.0/query?q=SELECT ... ORDER BY LastModifiedDate, Id`, then each
`nextRecordsUrl` until `done`; an incremental read adds `WHERE LastModifiedDate > since`.
Accounts map to accounts, contacts to contacts (role from a configurable field), and
opportunities to contracts (a stage mapped to `contract`) or opportunities. The cursor is
JSON: the object, the next-records URL, the pass's `since` and start; `done` after the last
page (the next run reads what changed since that pass started). A next-records URL expires
after a while on Salesforce's side: resume a crashed sync soon, or run it with --full.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from connectors.http import ApiClient
from connectors.salesforce.client import API, SalesforceOptions, make_client, options_of
from connectors.sync.base import Page, Skipped, SourceRecord

PHASES = ("Account", "Contact", "Opportunity")
DONE = "done"
FIELDS = {
    "Account": ["Id", "Name", "Industry", "NumberOfEmployees", "LastModifiedDate"],
    "Contact": ["Id", "AccountId", "FirstName", "LastName", "Title", "Email", "Department"],
    "Opportunity": ["Id", "AccountId", "Amount", "StageName", "Type", "CloseDate", "CreatedDate"],
}


class SalesforceSource:
    """Salesforce as a sync source."""

    name = "salesforce"

    def __init__(self, client: ApiClient, options: SalesforceOptions | None = None) -> None:
        self.client = client
        self.options = options or SalesforceOptions()

    @classmethod
    def from_settings(cls, settings: Any, profile: Any) -> SalesforceSource:  # noqa: ANN401
        """Build the source from CSM_SALESFORCE_URL / CSM_SALESFORCE_TOKEN and the profile.

        Raises:
            SourceNotConfigured: a setting is missing.
        """
        return cls(make_client(settings), options_of(profile))

    def pages(self, cursor: str | None, since: datetime | None) -> Iterator[Page]:
        """Yield pages of accounts, then contacts and opportunities, after `cursor`."""
        state = _start(cursor, since)
        nxt: str | None = state.get("next")
        for phase in PHASES[PHASES.index(state["phase"]) :]:
            while True:
                if nxt:
                    body = self.client.get(nxt)
                else:
                    body = self.client.get(f"{API}/query", {"q": self.soql(phase, state["since"])})
                records, skipped = self._map(phase, body.get("records") or [])
                nxt = None if body.get("done", True) else body.get("nextRecordsUrl")
                if nxt:
                    after = {**state, "phase": phase, "next": nxt}
                elif phase != PHASES[-1]:
                    after = {**state, "phase": PHASES[PHASES.index(phase) + 1], "next": None}
                else:
                    after = {"phase": DONE, "since": state["started"]}
                yield Page(records=records, skipped=skipped, cursor=json.dumps(after))
                if not nxt:
                    break

    def soql(self, phase: str, since: str | None) -> str:
        """Return the SOQL query of one object, changed after `since` if given."""
        fields = list(FIELDS[phase])
        if phase == "Contact" and self.options.role_field:
            fields.append(self.options.role_field)
        if phase == "Opportunity":
            fields.append(self.options.contract_end_field)
        where = f" WHERE LastModifiedDate > {since}" if since else ""
        return f"SELECT {', '.join(dict.fromkeys(fields))} FROM {phase}{where} ORDER BY LastModifiedDate, Id"  # noqa: E501

    def _map(
        self, phase: str, rows: list[dict[str, Any]]
    ) -> tuple[list[SourceRecord], list[Skipped]]:
        records: list[SourceRecord] = []
        skipped: list[Skipped] = []
        for obj in rows:
            mapped = getattr(self, f"_{phase.lower()}")(obj)
            (skipped if isinstance(mapped, Skipped) else records).append(mapped)
        return records, skipped

    def _account(self, obj: dict[str, Any]) -> SourceRecord:
        row = {
            "account_id": obj["Id"],
            "name": obj.get("Name"),
            "industry": obj.get("Industry"),
            "employees": _text(obj.get("NumberOfEmployees")),
        }
        return SourceRecord(entity="accounts", source_id=f"Account {obj['Id']}", row=row)

    def _contact(self, obj: dict[str, Any]) -> SourceRecord | Skipped:
        sid = f"Contact {obj['Id']}"
        if not obj.get("AccountId"):
            return Skipped(source_id=sid, entity="contacts", problem="no Account in Salesforce")
        name = " ".join(p for p in (obj.get("FirstName"), obj.get("LastName")) if p)
        row = {
            "contact_id": obj["Id"],
            "account_id": obj["AccountId"],
            "name": name or obj.get("Email"),
            "title": obj.get("Title"),
            "email": obj.get("Email"),
            "department": obj.get("Department"),
        }
        if self.options.role_field:
            role = obj.get(self.options.role_field)
            row["role"] = role.strip().lower().replace(" ", "_") if role else None
        return SourceRecord(entity="contacts", source_id=sid, row=row)

    def _opportunity(self, obj: dict[str, Any]) -> SourceRecord | Skipped:
        sid = f"Opportunity {obj['Id']}"
        stage_name = (obj.get("StageName") or "").strip()
        stage = self.options.stages().get(stage_name.lower())
        if not obj.get("AccountId"):
            return Skipped(source_id=sid, entity="opportunities", problem="no Account")
        if stage is None:
            return Skipped(
                source_id=sid,
                entity="opportunities",
                problem=f"stage {stage_name!r} is not mapped: add it to stage_map "
                "(connectors.salesforce in the workspace profile)",
            )
        if stage == "contract":
            row = {
                "contract_id": obj["Id"],
                "account_id": obj["AccountId"],
                "arr": _text(obj.get("Amount")),
                "start_date": obj.get("CloseDate"),
                "end_date": obj.get(self.options.contract_end_field),
            }
            return SourceRecord(entity="contracts", source_id=sid, row=row)
        kind = "renewal" if (obj.get("Type") or "").lower() == "renewal" else None
        row = {
            "opportunity_id": obj["Id"],
            "account_id": obj["AccountId"],
            "kind": kind or self.options.default_kind,
            "amount": _text(obj.get("Amount")),
            "stage": stage,
            "created_at": (obj.get("CreatedDate") or "")[:10] or None,
            "closed_at": obj.get("CloseDate") if stage in ("won", "lost") else None,
        }
        return SourceRecord(entity="opportunities", source_id=sid, row=row)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _start(cursor: str | None, since: datetime | None) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if cursor:
        state = json.loads(cursor)
        if state.get("phase") != DONE:
            return state
        return {"phase": PHASES[0], "next": None, "since": state.get("since"), "started": now}
    start = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if since else None
    return {"phase": PHASES[0], "next": None, "since": start, "started": now}
