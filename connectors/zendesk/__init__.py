"""Zendesk as a sync source: tickets and satisfaction ratings (CSAT) into the store.

`ZendeskSource` (source.py) reads the API; mapping.py turns its JSON into tickets and
surveys rows. Settings: CSM_ZENDESK_URL, CSM_ZENDESK_EMAIL, CSM_ZENDESK_TOKEN; options in
the workspace profile's `connectors.zendesk` (see docs/zendesk-stripe.md).
"""

from connectors.zendesk.mapping import ZendeskOptions
from connectors.zendesk.source import ZendeskSource

__all__ = ["ZendeskOptions", "ZendeskSource"]
