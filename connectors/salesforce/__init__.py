"""Salesforce: a sync source (Account, Contact, Opportunity via SOQL) and a CRM backend.

Both use the REST API with an OAuth access token (CSM_SALESFORCE_TOKEN) on the org's
instance URL (CSM_SALESFORCE_URL); mappings live in the workspace profile under
`connectors.salesforce` (docs/connectors.md).
"""

from connectors.salesforce.reader import SalesforceSource
from connectors.salesforce.writer import SalesforceCrm

__all__ = ["SalesforceCrm", "SalesforceSource"]
