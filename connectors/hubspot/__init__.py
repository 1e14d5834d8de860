"""HubSpot: a sync source (companies, contacts, deals, notes) and a CRM backend (writes).

`HubSpotSource` reads the CRM v3 API into accounts, contacts, contracts, opportunities and
notes; `HubSpotCrm` writes confirmed notes, tasks and health fields. Both take a private-app
token (CSM_HUBSPOT_TOKEN); field mappings live in the workspace profile under
`connectors.hubspot` (docs/connectors.md).
"""

from connectors.hubspot.reader import HubSpotSource
from connectors.hubspot.writer import HubSpotCrm

__all__ = ["HubSpotCrm", "HubSpotSource"]
