"""The Salesforce API client and options: instance URL, token, API version, mappings.

Salesforce answers an exhausted API allowance (the org's 24-hour request limit, or too many
long-running requests at once) with HTTP 403 and the error code `REQUEST_LIMIT_EXCEEDED`,
not with 429. A 403 otherwise means bad credentials, so `ApiClient` would report it as an
`AuthError` telling the user to check the token. The client built here tells `ApiClient`
which 403s are rate limits (`limit_exceeded`): those are retried with backoff like a 429 and,
when the allowance stays exhausted, end as `RetryExhausted` (a sync fails and resumes on the
next run; an outbox write is retried later) with Salesforce's message. Any other 403 stays an
auth error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field
from tenacity.wait import wait_base

from connectors.http import ApiClient
from connectors.sync.base import SourceNotConfigured

TOKEN_SETTING = "CSM_SALESFORCE_TOKEN"
URL_SETTING = "CSM_SALESFORCE_URL"
API = "/services/data/v61.0"
RATE = 10.0
"""Requests per second (Salesforce limits requests per 24 h; this keeps bursts polite)."""
LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
"""The error code of a 403 that means "API allowance used up", not "bad credentials"."""

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


def error_codes(response: httpx.Response) -> list[str]:
    """Return the `errorCode`s of a Salesforce error body ([{"message", "errorCode"}, ...])."""
    try:
        body = response.json()
    except ValueError:
        return []
    items = body if isinstance(body, list) else [body]
    return [str(i["errorCode"]) for i in items if isinstance(i, dict) and i.get("errorCode")]


def limit_exceeded(response: httpx.Response) -> str | None:
    """Name Salesforce's "API allowance used up" 403 (not bad auth); None for anything else."""
    if response.status_code == 403 and LIMIT_EXCEEDED in error_codes(response):
        return LIMIT_EXCEEDED
    return None


def salesforce_api(
    url: str,
    token: str,
    *,
    rate: float = RATE,
    max_attempts: int = 5,
    wait: wait_base | None = None,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> ApiClient:
    """Build an `ApiClient` for one org's instance URL and access token.

    Args:
        url: the instance URL (https://acme.my.salesforce.com).
        token: the OAuth access token (sent as a Bearer token, never logged).
        rate: requests per second.
        max_attempts: attempts per request, the first included (1 for CRM writes).
        wait: backoff between attempts (default: random exponential).
        sleep: how to wait between retries (tests record it instead).
        transport: an httpx transport (tests mock it).
    """
    return ApiClient(
        "salesforce",
        url,
        {"Authorization": f"Bearer {token}", "Accept": "application/json"},
        rate=rate,
        burst=5,
        max_attempts=max_attempts,
        wait=wait,
        secret_setting=TOKEN_SETTING,
        sleep=sleep,
        transport=transport,
        rate_limited=limit_exceeded,
    )


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
    secret = token.get_secret_value() if token else None
    missing = [
        name
        for name, value in ((URL_SETTING, settings.salesforce_url), (TOKEN_SETTING, secret))
        if not value
    ]
    if missing or not secret:
        raise SourceNotConfigured(f"set {' and '.join(missing)}")
    return salesforce_api(settings.salesforce_url, secret, max_attempts=max_attempts, wait=wait)
