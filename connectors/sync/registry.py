"""Sync sources by name, loaded lazily: a source's module is imported only when it is used.

`SOURCES` maps each name to "module:Class"; `source_class(name)` imports it and
`create_source(name, settings, profile)` builds it from the settings and the workspace
profile (raising `SourceNotConfigured` when a setting is missing).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.sync.base import Source
    from memory.workspace import WorkspaceProfile

SOURCES: dict[str, str] = {
    "hubspot": "connectors.hubspot:HubSpotSource",
    "salesforce": "connectors.salesforce:SalesforceSource",
    "zendesk": "connectors.zendesk:ZendeskSource",
    "stripe": "connectors.stripe:StripeSource",
}
"""Source name -> "module:Class" of its `Source` implementation."""

CATEGORY: dict[str, tuple[str, str]] = {
    "hubspot": ("crm", "HubSpot"),
    "salesforce": ("crm", "Salesforce"),
    "zendesk": ("support", "Zendesk"),
    "stripe": ("billing", "Stripe"),
}
"""Source name -> (workspace profile category, product name) a sync marks as configured."""


def source_names() -> list[str]:
    """Return the names of the known sources, in registry order."""
    return list(SOURCES)


def source_class(name: str) -> type[Any]:
    """Import and return the class of source `name`.

    Raises:
        ValueError: no source has that name (the message lists the ones there are).
        ImportError: the source's module is missing.
    """
    target = SOURCES.get(name)
    if target is None:
        raise ValueError(f"unknown source {name!r}: choose one of {', '.join(SOURCES)}")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def create_source(name: str, settings: Any, profile: WorkspaceProfile) -> Source:  # noqa: ANN401
    """Build source `name` from the settings and the profile.

    Raises:
        ValueError: unknown source name.
        SourceNotConfigured: a setting is missing; the message names it.
    """
    return source_class(name).from_settings(settings, profile)
