"""The HubSpot API client and options: token, base URL, rate, and the profile's mappings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from tenacity.wait import wait_base

from connectors.http import ApiClient
from connectors.sync.base import SourceNotConfigured

TOKEN_SETTING = "CSM_HUBSPOT_TOKEN"
RATE = 9.0
"""Requests per second: HubSpot allows 100 per 10 s (private apps, most tiers); stay below."""

DEFAULT_STAGES = (
    "appointmentscheduled=identified;qualifiedtobuy=qualified;presentationscheduled=qualified;"
    "decisionmakerboughtin=proposal;contractsent=proposal;closedwon=contract;closedlost=lost"
)
"""HubSpot's default sales pipeline stages -> opportunity stage, or `contract` (a won deal)."""


class HubSpotOptions(BaseModel):
    """Field mappings for HubSpot (workspace profile `connectors.hubspot`), all optional."""

    model_config = ConfigDict(extra="ignore")
    role_property: str | None = Field(None, description="contact property holding the role")
    segment_property: str | None = Field(None, description="company property: the segment")
    plan_property: str | None = Field(None, description="company property: the plan")
    csm_property: str | None = Field(None, description="company property: the CSM (owner)")
    seats_property: str | None = Field(None, description="company property: licensed seats")
    stage_map: str = Field(DEFAULT_STAGES, description="dealstage=stage;... (stage or contract)")
    renewal_pipelines: str = Field("", description="comma-separated pipeline ids of renewals")
    default_kind: str = Field("upsell", description="opportunity kind of a non-renewal deal")
    contract_end_property: str = Field(
        "contract_end_date", description="deal property: the contract's end date"
    )
    key_property: str = Field(
        "csm_idempotency_key", description="note/task property holding the write key"
    )
    health_score_property: str = "csm_health_score"
    health_tier_property: str = "csm_health_tier"
    last_scored_property: str = "csm_last_scored"

    def stages(self) -> dict[str, str]:
        """Return the dealstage -> stage (or "contract") mapping."""
        pairs = (p.split("=", 1) for p in self.stage_map.split(";") if "=" in p)
        return {k.strip().lower(): v.strip().lower() for k, v in pairs}

    def renewal_pipeline_ids(self) -> set[str]:
        """Return the pipelines whose deals are renewals."""
        return {p.strip() for p in self.renewal_pipelines.split(",") if p.strip()}


def options_of(profile: Any) -> HubSpotOptions:  # noqa: ANN401 (a WorkspaceProfile)
    """Read the HubSpot options from the workspace profile."""
    return HubSpotOptions.model_validate(getattr(profile, "connectors", {}).get("hubspot", {}))


def make_client(
    settings: Any,  # noqa: ANN401 (agent.settings.Settings)
    *,
    max_attempts: int = 5,
    wait: wait_base | None = None,
) -> ApiClient:
    """Build the HubSpot API client from the settings.

    Raises:
        SourceNotConfigured: CSM_HUBSPOT_TOKEN is not set.
    """
    token = settings.hubspot_token
    if token is None or not token.get_secret_value():
        raise SourceNotConfigured(f"set {TOKEN_SETTING} (a HubSpot private-app token)")
    return ApiClient(
        "hubspot",
        settings.hubspot_url,
        {"Authorization": f"Bearer {token.get_secret_value()}", "Accept": "application/json"},
        rate=RATE,
        burst=5,
        max_attempts=max_attempts,
        wait=wait,
        secret_setting=TOKEN_SETTING,
    )
