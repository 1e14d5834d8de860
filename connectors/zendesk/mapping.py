"""Zendesk JSON -> data-format.md rows: tickets and satisfaction ratings, as pure functions.

Each function takes one vendor object (as the API returns it) and returns a row of cell text
in the CSV vocabulary, or raises `Unplaceable` with the problem to report. Ticket subjects,
descriptions and rating comments are untrusted customer text: copied as data, never read.

Decisions (also in docs/zendesk-stripe.md):

- ticket_id is `zd-{id}`; opened_at is `created_at`.
- status: new, open, pending, solved, closed as they are; `hold` -> `on_hold`; a `deleted`
  ticket (the incremental export lists deletions) is skipped and reported, so a copy synced
  earlier can be removed by hand.
- closed_at, only for solved and closed tickets: the ticket metric set's `solved_at` (the
  export side-loads `metric_sets`); without one, the ticket's `updated_at` (for a closed
  ticket that is when it closed, usually some days after it was solved).
- escalated: with the `escalation_tag` option, true when the ticket has that tag; with
  `escalation_field`, the custom field's value (checkbox true, or any non-empty dropdown or
  text value other than false/no/0); with neither, unknown (empty), never false.
- A satisfaction rating becomes a CSAT survey `zd-sat-{id}`: `good` -> 5, `bad` -> 1 on the
  1-5 scale (options `csat_good`, `csat_bad`); `offered` and `unoffered` are requests, not
  answers, and are dropped; responded_at is the date of `updated_at` (when the customer last
  rated), else `created_at`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.account_match import AccountDirectory, NoAccount, Unplaceable

STATUSES = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "on_hold",
    "solved": "solved",
    "closed": "closed",
}
"""Zendesk ticket status -> data-format ticket status (`deleted` is skipped)."""

PRIORITIES = ("low", "normal", "high", "urgent")
_FALSE_TEXT = {"", "false", "no", "0", "none", "null"}


class ZendeskOptions(BaseModel):
    """Field mappings and limits of the Zendesk source (`connectors.zendesk` in the profile)."""

    model_config = ConfigDict(extra="forbid")
    account_by: Literal["external_id", "name", "domain"] = Field(
        "external_id",
        description="how an organisation finds its account: its external_id is the "
        "account_id, its name is the account's name, or its domain_names match the e-mail "
        "domains of the account's contacts",
    )
    escalation_tag: str | None = Field(None, description="a ticket with this tag is escalated")
    escalation_field: str | None = Field(
        None, description="id of a custom ticket field whose value says escalated"
    )
    csat_good: float = Field(5, ge=1, le=5, description="CSAT score of a `good` rating")
    csat_bad: float = Field(1, ge=1, le=5, description="CSAT score of a `bad` rating")
    satisfaction: bool = Field(True, description="also sync satisfaction ratings as CSAT")
    export_rate_per_minute: float = Field(
        10, gt=0, description="incremental export requests per minute (Zendesk allows 10)"
    )
    api_rate_per_minute: float = Field(
        100, gt=0, description="other API requests per minute (plans allow 200-2500)"
    )
    page_size: int = Field(1000, ge=1, le=1000, description="tickets per export page")
    ratings_lookback_days: int = Field(
        30,
        ge=0,
        description="a later sync re-reads ratings created this many days before the newest "
        "one seen, to catch ratings answered after they were offered",
    )

    @field_validator("escalation_field", mode="before")
    @classmethod
    def _field_id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


def timestamp(value: object, field: str) -> str:
    """Return a Zendesk timestamp as ISO 8601 UTC text (`2026-11-03T14:05:00Z`).

    Raises:
        Unplaceable: the value is missing or not a timestamp.
    """
    return _parse(value, field).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: object, field: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise Unplaceable(f"{field}: missing")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Unplaceable(f"{field}: not a timestamp: {value[:40]!r}") from None
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def place_organisation(
    org: Mapping[str, Any] | None, directory: AccountDirectory, account_by: str
) -> str:
    """Return the account_id of a Zendesk organisation.

    Raises:
        Unplaceable: no organisation, or it names no single account.
    """
    if org is None:
        raise Unplaceable("no organisation: the ticket's requester belongs to none")
    label = f"organisation {org.get('id')}"
    try:
        if account_by == "name":
            return directory.by_name(org.get("name"))
        if account_by == "domain":
            return directory.by_domains(org.get("domain_names") or [])
        return directory.by_id(org.get("external_id"))
    except NoAccount as err:
        fix = ""
        if account_by == "domain" and "free-mail" in str(err):
            fix = "; set the organisation's external_id to the account_id, or map by name"
        raise NoAccount(f"{label} ({org.get('name')!s:.60}): {err}{fix}") from None


def ticket_row(
    ticket: Mapping[str, Any],
    options: ZendeskOptions,
    metric_set: Mapping[str, Any] | None = None,
) -> dict[str, str | None]:
    """Map one exported ticket to a tickets.csv row; its account_id is the caller's to add.

    Raises:
        Unplaceable: a deleted ticket, an unknown status or priority, a malformed timestamp.
    """
    raw_status = ticket.get("status")
    if raw_status == "deleted":
        raise Unplaceable("deleted in Zendesk (a copy synced earlier stays in the store)")
    status = STATUSES.get(str(raw_status).lower()) if raw_status is not None else None
    if raw_status is not None and status is None:
        raise Unplaceable(f"status: unknown value {str(raw_status)[:40]!r}")
    priority = ticket.get("priority")
    if priority is not None and str(priority).lower() not in PRIORITIES:
        raise Unplaceable(f"priority: unknown value {str(priority)[:40]!r}")
    closed_at = None
    if status in ("solved", "closed"):
        solved = (metric_set or {}).get("solved_at")
        closed_at = timestamp(solved, "solved_at") if solved else None
        closed_at = closed_at or timestamp(ticket.get("updated_at"), "updated_at")
    return {
        "ticket_id": f"zd-{ticket['id']}",
        "account_id": None,
        "opened_at": timestamp(ticket.get("created_at"), "created_at"),
        "closed_at": closed_at,
        "status": status,
        "priority": str(priority).lower() if priority is not None else None,
        "escalated": _escalated(ticket, options),
        "subject": ticket.get("subject") or ticket.get("raw_subject"),
        "description": ticket.get("description"),
    }


def _escalated(ticket: Mapping[str, Any], options: ZendeskOptions) -> str | None:
    if options.escalation_tag:
        tags = {str(t).lower() for t in ticket.get("tags") or []}
        return _bool(options.escalation_tag.lower() in tags)
    if options.escalation_field:
        for field in ticket.get("custom_fields") or []:
            if str(field.get("id")) == options.escalation_field:
                value = field.get("value")
                if isinstance(value, bool):
                    return _bool(value)
                return _bool(value is not None and str(value).strip().lower() not in _FALSE_TEXT)
    return None


def _bool(value: bool) -> str:
    return "true" if value else "false"


def rating_row(
    rating: Mapping[str, Any], account_id: str, options: ZendeskOptions
) -> dict[str, str | None] | None:
    """Map one satisfaction rating to a surveys.csv row (None: not an answer, dropped).

    Raises:
        Unplaceable: an unknown score or a malformed timestamp.
    """
    score = str(rating.get("score") or "").lower()
    if score in ("offered", "unoffered"):
        return None
    if score.startswith("good"):
        value = options.csat_good
    elif score.startswith("bad"):
        value = options.csat_bad
    else:
        raise Unplaceable(f"score: unknown value {score[:40]!r}")
    when = rating.get("updated_at") or rating.get("created_at")
    return {
        "survey_id": f"zd-sat-{rating['id']}",
        "account_id": account_id,
        "contact_id": None,
        "kind": "csat",
        "score": _number(value),
        "responded_at": _parse(when, "updated_at").date().isoformat(),
        "comment": rating.get("comment") or None,
    }


def rating_created(rating: Mapping[str, Any]) -> int | None:
    """Return a rating's created_at as a Unix time (None when missing or malformed)."""
    try:
        return int(_parse(rating.get("created_at"), "created_at").replace(tzinfo=UTC).timestamp())
    except Unplaceable:
        return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
