"""The Salesforce API client and options: instance URL, token, API version, mappings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from tenacity.wait import wait_base

from connectors.http import ApiClient
from connectors.sync.base import SourceNotConfigured

TOKEN_SETTING = "CSM_SALESFORCE_TOKEN"
API = "/services/data/v61.0"
RATE = 10.0
"""Requests per second (Salesforce limits requests per 24 h; this keeps bursts polite)."""

DEFAULT_STAGES = (
    "prospecting=identified;qualification=qualified;needs analysis=qualified;"
    "value proposition=qualified;id. decision makers=qualified;perception analysis=qualified;"
    "proposal/price quote=proposal;negotiation/review=proposal;closed won=contract;"
    "closed lost=lost"
)
"""Salesforce's default StageName values -> opportunity stage, or `contract` (won)."""


class SalesforceOptions(BaseModel):
    """Field mappings for Salesforce (workspace profile `connectors.salesforce`)."""

    model_config = ConfigDict(extra="ignore")
    role_field: str | None = Field(None, description="Contact field holding the role")
    stage_map: str = Field(DEFAULT_STAGES, description="StageName=stage;... (or contract)")
    contract_end_field: str = Field("Contract_End_Date__c", description="Opportunity field")
    default_kind: str = "upsell"
    key_field: str = Field("Csm_Key__c", description="Task external-id field (the write key)")
    health_score_field: str = "Csm_Health_Score__c"
    health_tier_field: str = "Csm_Health_Tier__c"
    last_scored_field: str = "Csm_Last_Scored__c"

    def stages(self) -> dict[str, str]:
        """Return the StageName (lower-case) -> stage (or "contract") mapping."""
        pairs = (p.split("=", 1) for p in self.stage_map.split(";") if "=" in p)
        return {k.strip().lower(): v.strip().lower() for k, v in pairs}


def options_of(profile: Any) -> SalesforceOptions:  # noqa: ANN401 (a WorkspaceProfile)
    """Read the Salesforce options from the workspace profile."""
    raw = getattr(profile, "connectors", {}).get("salesforce", {})
    return SalesforceOptions.model_validate(raw)


def make_client(
    settings: Any,  # noqa: ANN401 (agent.settings.Settings)
    *,
    max_attempts: int = 5,
    wait: wait_base | None = None,
) -> ApiClient:
    """Build the Salesforce client from the settings.

    Raises:
        SourceNotConfigured: the instance URL or the token is not set (names the missing).
    """
    token = settings.salesforce_token
    missing = [
        name
        for name, value in (
            ("CSM_SALESFORCE_URL", settings.salesforce_url),
            (TOKEN_SETTING, token.get_secret_value() if token else None),
        )
        if not value
    ]
    if missing:
        raise SourceNotConfigured(f"set {' and '.join(missing)}")
    return ApiClient(
        "salesforce",
        settings.salesforce_url,
        {"Authorization": f"Bearer {token.get_secret_value()}", "Accept": "application/json"},
        rate=RATE,
        burst=5,
        max_attempts=max_attempts,
        wait=wait,
        secret_setting=TOKEN_SETTING,
    )
