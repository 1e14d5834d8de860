"""Map HubSpot CRM objects onto data-format.md rows (cells as CSV text), one object at a time.

Pure functions: an object's JSON (as `GET /crm/v3/objects/{type}` returns it) in, a
`SourceRecord` or a `Skipped` out. Property values pass through as text; dates and
timestamps are normalised (HubSpot sends ISO timestamps, or epoch milliseconds for some
date properties); enumerations are lower-cased. A value the format rejects is left for the
sync runner to report with the record's id, exactly as the CSV import would.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from typing import Any

from connectors.hubspot.client import HubSpotOptions
from connectors.sync.base import Skipped, SourceRecord

COMPANY_PROPERTIES = ("name", "industry", "numberofemployees", "hs_lastmodifieddate")
CONTACT_PROPERTIES = (
    "firstname",
    "lastname",
    "email",
    "jobtitle",
    "notes_last_contacted",
    "lastmodifieddate",
)
DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "dealstage",
    "pipeline",
    "dealtype",
    "closedate",
    "createdate",
    "hs_lastmodifieddate",
)
NOTE_PROPERTIES = ("hs_note_body", "hs_timestamp", "hs_lastmodifieddate")

Mapped = SourceRecord | Skipped


def company_properties(options: HubSpotOptions) -> list[str]:
    """Return the company properties to ask for."""
    extra = (
        options.segment_property,
        options.plan_property,
        options.csm_property,
        options.seats_property,
    )
    return [*COMPANY_PROPERTIES, *(p for p in extra if p)]


def contact_properties(options: HubSpotOptions) -> list[str]:
    """Return the contact properties to ask for."""
    return [*CONTACT_PROPERTIES, *([options.role_property] if options.role_property else [])]


def deal_properties(options: HubSpotOptions) -> list[str]:
    """Return the deal properties to ask for."""
    return [*DEAL_PROPERTIES, options.contract_end_property]


def company(obj: dict[str, Any], options: HubSpotOptions) -> Mapped:
    """Map a company onto an accounts row."""
    props = obj.get("properties") or {}
    row: dict[str, str | None] = {
        "account_id": str(obj["id"]),
        "name": props.get("name"),
        "industry": props.get("industry"),
        "employees": props.get("numberofemployees"),
    }
    if options.segment_property:
        row["segment"] = _enum(props.get(options.segment_property))
    if options.plan_property:
        row["plan"] = props.get(options.plan_property)
    if options.csm_property:
        row["csm"] = props.get(options.csm_property)
    if options.seats_property:
        row["licensed_seats"] = props.get(options.seats_property)
    return SourceRecord(entity="accounts", source_id=f"company {obj['id']}", row=row)


def contact(obj: dict[str, Any], company_id: str | None, options: HubSpotOptions) -> Mapped:
    """Map a contact (with its associated company) onto a contacts row."""
    props = obj.get("properties") or {}
    source_id = f"contact {obj['id']}"
    if company_id is None:
        return Skipped(
            source_id=source_id, entity="contacts", problem="no associated company in HubSpot"
        )
    name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p) or (
        props.get("email")
    )
    row: dict[str, str | None] = {
        "contact_id": str(obj["id"]),
        "account_id": company_id,
        "name": name,
        "title": props.get("jobtitle"),
        "email": props.get("email"),
        "last_engaged_at": _date(props.get("notes_last_contacted")),
    }
    if options.role_property:
        row["role"] = _enum(props.get(options.role_property))
    return SourceRecord(entity="contacts", source_id=source_id, row=row)


def deal(obj: dict[str, Any], company_id: str | None, options: HubSpotOptions) -> Mapped:
    """Map a deal onto a contracts row (a stage mapped to `contract`) or an opportunities row."""
    props = obj.get("properties") or {}
    source_id = f"deal {obj['id']}"
    stage_id = (props.get("dealstage") or "").strip().lower()
    stage = options.stages().get(stage_id)
    if company_id is None:
        return Skipped(source_id=source_id, entity="deals", problem="no associated company")
    if stage is None:
        return Skipped(
            source_id=source_id,
            entity="deals",
            problem=f"deal stage {stage_id!r} is not mapped: add it to stage_map "
            "(connectors.hubspot in the workspace profile)",
        )
    if stage == "contract":
        row: dict[str, str | None] = {
            "contract_id": str(obj["id"]),
            "account_id": company_id,
            "arr": props.get("amount"),
            "start_date": _date(props.get("closedate")),
            "end_date": _date(props.get(options.contract_end_property)),
        }
        return SourceRecord(entity="contracts", source_id=source_id, row=row)
    renewal = props.get("pipeline") in options.renewal_pipeline_ids()
    row = {
        "opportunity_id": str(obj["id"]),
        "account_id": company_id,
        "kind": "renewal" if renewal else options.default_kind,
        "amount": props.get("amount"),
        "stage": stage,
        "created_at": _date(props.get("createdate")),
        "closed_at": _date(props.get("closedate")) if stage in ("won", "lost") else None,
    }
    return SourceRecord(entity="opportunities", source_id=source_id, row=row)


def note(obj: dict[str, Any], company_id: str | None) -> Mapped:
    """Map a note engagement onto a notes row (its HTML body reduced to text)."""
    props = obj.get("properties") or {}
    source_id = f"note {obj['id']}"
    if company_id is None:
        return Skipped(source_id=source_id, entity="notes", problem="no associated company")
    row: dict[str, str | None] = {
        "note_id": str(obj["id"]),
        "account_id": company_id,
        "created_at": _timestamp(props.get("hs_timestamp")),
        "text": html_to_text(props.get("hs_note_body") or ""),
    }
    return SourceRecord(entity="notes", source_id=source_id, row=row)


def first_company(obj: dict[str, Any]) -> str | None:
    """Return the id of the company an object (listed with `associations=companies`) is on."""
    assoc = (obj.get("associations") or {}).get("companies") or {}
    results = assoc.get("results") or []
    primary = [r for r in results if "primary" in str(r.get("type", "")).lower()]
    chosen = (primary or results)[:1]
    return str(chosen[0]["id"]) if chosen else None


_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)


def html_to_text(body: str) -> str:
    """Reduce a HubSpot rich-text body to plain text (tags removed, entities decoded)."""
    text = _TAG.sub("", _BREAK.sub("\n", body))
    lines = (" ".join(line.split()) for line in html.unescape(text).splitlines())
    return "\n".join(line for line in lines if line)


def _enum(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip().lower().replace(" ", "_") or None


def _date(value: str | None) -> str | None:
    """Return a HubSpot date or datetime as YYYY-MM-DD (text left as is when unreadable)."""
    moment = _moment(value)
    if isinstance(moment, datetime):
        return moment.date().isoformat()
    return moment


def _timestamp(value: str | None) -> str | None:
    """Return a HubSpot datetime as ISO 8601 UTC (text left as is when unreadable)."""
    moment = _moment(value)
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment


def _moment(value: str | None) -> datetime | str | None:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if text.isdigit():  # epoch milliseconds
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # the runner reports it as the malformed value it is
    if moment.tzinfo is None:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
