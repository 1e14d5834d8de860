"""Builders of Zendesk API JSON, shaped as Zendesk documents it (values chosen per test)."""

from __future__ import annotations

from typing import Any

BASE = "https://acme.zendesk.com"
EXPORT = f"{BASE}/api/v2/incremental/tickets/cursor.json"
RATINGS = f"{BASE}/api/v2/satisfaction_ratings.json"
ORGS = f"{BASE}/api/v2/organizations/show_many.json"
TICKETS = f"{BASE}/api/v2/tickets/show_many.json"


def org(org_id: int, name: str, external_id: str | None = None, domains=()) -> dict[str, Any]:
    return {
        "id": org_id,
        "url": f"{BASE}/api/v2/organizations/{org_id}.json",
        "name": name,
        "external_id": external_id,
        "domain_names": list(domains),
        "details": "",
        "notes": "",
        "tags": [],
        "created_at": "2025-01-10T09:00:00Z",
        "updated_at": "2025-01-10T09:00:00Z",
    }


def ticket(
    ticket_id: int,
    org_id: int | None,
    *,
    status: str = "open",
    priority: str | None = "normal",
    created_at: str = "2026-10-01T08:30:00Z",
    updated_at: str = "2026-10-02T10:00:00Z",
    subject: str = "Export fails",
    description: str = "The nightly export fails with a timeout.",
    tags=(),
    custom_fields=(),
) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "url": f"{BASE}/api/v2/tickets/{ticket_id}.json",
        "external_id": None,
        "type": "problem",
        "subject": subject,
        "raw_subject": subject,
        "description": description,
        "priority": priority,
        "status": status,
        "requester_id": 9000 + ticket_id,
        "submitter_id": 9000 + ticket_id,
        "assignee_id": 501,
        "organization_id": org_id,
        "group_id": 44,
        "tags": list(tags),
        "custom_fields": list(custom_fields),
        "created_at": created_at,
        "updated_at": updated_at,
        "generated_timestamp": 1790000000,
    }


def metric_set(ticket_id: int, solved_at: str | None) -> dict[str, Any]:
    return {
        "id": 70000 + ticket_id,
        "ticket_id": ticket_id,
        "solved_at": solved_at,
        "reopens": 0,
        "replies": 2,
        "created_at": "2026-10-01T08:30:00Z",
        "updated_at": "2026-10-02T10:00:00Z",
    }


def export_page(
    tickets: list[dict[str, Any]],
    *,
    after: str | None,
    end: bool,
    orgs: list[dict[str, Any]] = (),
    metric_sets: list[dict[str, Any]] = (),
) -> dict[str, Any]:
    return {
        "tickets": tickets,
        "organizations": list(orgs),
        "metric_sets": list(metric_sets),
        "after_url": f"{EXPORT}?cursor={after}" if after else None,
        "after_cursor": after,
        "before_url": None,
        "before_cursor": None,
        "end_of_stream": end,
    }


def rating(
    rating_id: int,
    ticket_id: int,
    score: str,
    *,
    comment: str | None = None,
    created_at: str = "2026-10-03T12:00:00Z",
    updated_at: str = "2026-10-04T15:20:00Z",
) -> dict[str, Any]:
    return {
        "id": rating_id,
        "url": f"{BASE}/api/v2/satisfaction_ratings/{rating_id}.json",
        "assignee_id": 501,
        "group_id": 44,
        "requester_id": 9000 + ticket_id,
        "ticket_id": ticket_id,
        "score": score,
        "comment": comment,
        "reason": None,
        "created_at": created_at,
        "updated_at": updated_at,
    }


def ratings_page(
    ratings: list[dict[str, Any]], *, after: str | None = None, more: bool = False
) -> dict[str, Any]:
    return {
        "satisfaction_ratings": ratings,
        "meta": {"has_more": more, "after_cursor": after, "before_cursor": None},
        "links": {"next": f"{RATINGS}?page[after]={after}" if more else None, "prev": None},
    }
