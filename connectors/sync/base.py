"""What a sync source is: pages of records in the CSV vocabulary, resumable by a cursor.

A source (HubSpot, Salesforce, Zendesk, Stripe) reads a vendor's API and yields `Page`s in
order. Each page holds `SourceRecord`s: one row of a data-format.md entity, its cells as
text exactly as a CSV cell would hold them (dates `YYYY-MM-DD`, timestamps ISO 8601,
booleans `true`/`false`, enums lower-case; None or "" = unknown), so the runner validates
them with the CSV import's own parsers. A record the mapping cannot place (a ticket for an
unknown organisation, a malformed date) is reported as `Skipped`, never raised.

Each page carries the cursor to resume *after* it; the runner stores it with the page's rows
in one transaction, so a crash resumes at the next page without duplicates. The cursor is
opaque text only its source understands (e.g. JSON with one sub-cursor per object type).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from memory.workspace import WorkspaceProfile

__all__ = ["Page", "Skipped", "Source", "SourceNotConfigured", "SourceRecord"]


class SourceRecord(BaseModel):
    """One row of a data-format.md entity, read from a vendor's record."""

    entity: str = Field(description="the entity: accounts, contacts, contracts, tickets, ...")
    source_id: str = Field(description="the vendor's record id, for error reports")
    row: dict[str, str | None] = Field(
        description="column -> cell text in the CSV vocabulary; None or '' = unknown"
    )


class Skipped(BaseModel):
    """A record the mapping could not place, and why."""

    source_id: str
    entity: str
    problem: str


class Page(BaseModel):
    """One page of records, in order, and the cursor to resume after it."""

    records: list[SourceRecord]
    skipped: list[Skipped] = Field(default_factory=list)
    cursor: str | None = Field(
        description="where to resume after this page (stored with its rows in one transaction)"
    )


class SourceNotConfigured(Exception):
    """A source lacks settings; the message names the ones to set."""


@runtime_checkable
class Source(Protocol):
    """A system the sync reads: pages of records, resumable after a cursor."""

    name: str
    """The source's registry name ("hubspot", "salesforce", "zendesk", "stripe")."""

    def pages(self, cursor: str | None, since: datetime | None) -> Iterator[Page]:
        """Yield the pages in order: after `cursor` if given, else changed since `since`, else all.

        Args:
            cursor: a cursor this source yielded earlier (opaque text), or None.
            since: only records changed at or after this time (ignored when cursor is given).
        """
        ...

    @classmethod
    def from_settings(cls, settings: Any, profile: WorkspaceProfile) -> Source:  # noqa: ANN401
        """Build the source from the process settings and the workspace profile.

        Field mappings come from `profile.connectors.get(name, {})`.

        Raises:
            SourceNotConfigured: a setting is missing; the message names the ones to set.
        """
        ...
