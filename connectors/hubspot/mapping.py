"""Map HubSpot CRM objects onto data-format.md rows (cells as CSV text), one object at a time.

Pure functions: an object's JSON (as `GET /crm/v3/objects/{type}` returns it) in, a
`SourceRecord` or a `Skipped` out. Property values pass through as text; dates and
timestamps are normalised (HubSpot sends ISO timestamps, or epoch milliseconds for some
date properties). Dropdown values (segment, role) are matched to the format's vocabulary
ignoring case, spaces, `_` and `-` ("Mid Market" -> `mid-market`, "Exec Sponsor" ->
`exec_sponsor`); a value still outside it is left unknown (the stored value stays) and logged
as a warning with the record's id, so one odd dropdown value never drops the record. Any
other value the format rejects is left for the sync runner to report with the record's id,
exactly as the CSV import would.

The company an object belongs to is its *primary* company association (HubSpot-defined
type: contact->company 1, deal->company 5; in v3 list responses the type named
`contact_to_company` / `deal_to_company`, the others being `..._unlabeled` or labels); a
single association is taken as is; several with none primary are ambiguous and the object is
skipped with that problem rather than placed on an arbitrary one. Notes have no primary
company: the lowest company id is taken, so a note does not move between syncs.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from connectors.csv_schema import CONTACT_ROLES, SEGMENTS
from connectors.hubspot.client import HubSpotOptions
from connectors.sync.base import Skipped, SourceRecord

log = logging.getLogger(__name__)

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

PRIMARY_TYPE_ID = {"contacts": 1, "deals": 5}
"""HubSpot-defined association type id of an object's primary company (v4 associations)."""
PRIMARY_TYPE_NAME = {"contacts": "contact_to_company", "deals": "deal_to_company"}
"""The primary association's type name in v3 list responses (`..._unlabeled` is not it)."""

Links = dict[str, bool]
"""An object's associated companies: company id -> whether it is the primary one."""


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
        value = props.get(options.segment_property)
        row["segment"] = _vocabulary(value, SEGMENTS, f"company {obj['id']}", "segment")
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
        value = props.get(options.role_property)
        row["role"] = _vocabulary(value, CONTACT_ROLES, source_id, "role")
    return SourceRecord(entity="contacts", source_id=source_id, row=row)


def deal(obj: dict[str, Any], company_id: str | None, options: HubSpotOptions) -> list[Mapped]:
    """Map a deal onto an opportunities row, and a contracts row when its stage is `contract`.

    A deal in a stage mapped to `contract` (closed won) is a contract, and also the
    opportunity it was before at stage `won` with its close date: otherwise the row an
    earlier sync stored (say at `proposal`) would stay open and count as pipeline besides the
    contract's ARR. (A deal without a create date gets no such row: `created_at` is required
    and HubSpot sets it on every deal, so no earlier row can exist without one.)
    """
    props = obj.get("properties") or {}
    source_id = f"deal {obj['id']}"
    stage_id = (props.get("dealstage") or "").strip().lower()
    stage = options.stages().get(stage_id)
    if company_id is None:
        return [Skipped(source_id=source_id, entity="deals", problem="no associated company")]
    if stage is None:
        problem = (
            f"deal stage {stage_id!r} is not mapped: add it to stage_map "
            "(connectors.hubspot in the workspace profile)"
        )
        return [Skipped(source_id=source_id, entity="deals", problem=problem)]
    renewal = props.get("pipeline") in options.renewal_pipeline_ids()
    created = _date(props.get("createdate"))
    opportunity: dict[str, str | None] = {
        "opportunity_id": str(obj["id"]),
        "account_id": company_id,
        "kind": "renewal" if renewal else options.default_kind,
        "amount": props.get("amount"),
        "stage": "won" if stage == "contract" else stage,
        "created_at": created,
        "closed_at": _date(props.get("closedate"))
        if stage in ("won", "lost", "contract")
        else None,
    }
    if stage != "contract":
        return [SourceRecord(entity="opportunities", source_id=source_id, row=opportunity)]
    contract: dict[str, str | None] = {
        "contract_id": str(obj["id"]),
        "account_id": company_id,
        "arr": props.get("amount"),
        "start_date": _date(props.get("closedate")),
        "end_date": _date(props.get(options.contract_end_property)),
    }
    out: list[Mapped] = [SourceRecord(entity="contracts", source_id=source_id, row=contract)]
    if created:
        out.append(SourceRecord(entity="opportunities", source_id=source_id, row=opportunity))
    return out


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


def listed_links(obj: dict[str, Any], object_type: str) -> Links:
    """Return the companies of an object listed with `associations=companies` (v3).

    Args:
        obj: the object as `GET /crm/v3/objects/{type}?associations=companies` lists it.
        object_type: contacts, deals or notes.
    """
    assoc = (obj.get("associations") or {}).get("companies") or {}
    primary_name = PRIMARY_TYPE_NAME.get(object_type)
    links: Links = {}
    for result in assoc.get("results") or []:
        company_id = str(result["id"])
        primary = primary_name is not None and str(result.get("type", "")) == primary_name
        links[company_id] = links.get(company_id, False) or primary
    return links


def batch_links(targets: Iterable[dict[str, Any]], object_type: str) -> Links:
    """Return the companies of an object from a v4 batch association read's `to` list.

    Args:
        targets: the `to` entries ({toObjectId, associationTypes: [{category, typeId}]}).
        object_type: contacts, deals or notes.
    """
    primary_id = PRIMARY_TYPE_ID.get(object_type)
    links: Links = {}
    for target in targets:
        company_id = str(target["toObjectId"])
        primary = any(
            t.get("category") == "HUBSPOT_DEFINED" and t.get("typeId") == primary_id
            for t in target.get("associationTypes") or []
        )
        links[company_id] = links.get(company_id, False) or (primary_id is not None and primary)
    return links


def choose_company(links: Links, object_type: str) -> tuple[str | None, str | None]:
    """Return (the company an object belongs to, None) or (None, why it cannot be placed).

    The primary company; else the only one; for notes (no primary) the lowest id; else the
    object is ambiguous. (None, None): no company at all.
    """
    primary = [c for c, is_primary in links.items() if is_primary]
    if len(primary) == 1:
        return primary[0], None
    ids = sorted(links, key=lambda c: (len(c), c))  # numeric ids in numeric order
    if len(ids) <= 1 or object_type not in PRIMARY_TYPE_ID:
        return (ids[0] if ids else None), None
    return None, (
        f"associated with {len(ids)} companies ({', '.join(ids)}) and none is its primary "
        "company in HubSpot: mark one as primary"
    )


_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)


def html_to_text(body: str) -> str:
    """Reduce a HubSpot rich-text body to plain text (tags removed, entities decoded)."""
    text = _TAG.sub("", _BREAK.sub("\n", body))
    lines = (" ".join(line.split()) for line in html.unescape(text).splitlines())
    return "\n".join(line for line in lines if line)


def _vocabulary(
    value: str | None, choices: tuple[str, ...], source_id: str, column: str
) -> str | None:
    """Return a dropdown value as the vocabulary spells it, or None (unknown) if outside it.

    Case, spaces, `_` and `-` are ignored ("Mid Market", "mid_market" -> `mid-market`); a
    value still outside the vocabulary is logged as a warning and left unknown, so the
    record is stored without it (and a stored value stays).
    """
    if value is None or not str(value).strip():
        return None
    found = {_spelling(c): c for c in choices}.get(_spelling(str(value)))
    if found is None:
        log.warning(
            "hubspot %s: %s %r is not one of %s; stored without it",
            source_id,
            column,
            str(value)[:80],
            ", ".join(choices),
        )
    return found


def _spelling(text: str) -> str:
    return re.sub(r"[\s_-]+", " ", text.strip().lower()).strip()


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
