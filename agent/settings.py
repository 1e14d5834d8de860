"""Process settings, in one place: the app home, the database URL, output preferences.

Every value falls back to an environment variable of the upper-cased name with the CSM_
prefix (CSM_HOME, CSM_DATABASE_URL). There is one `get_settings()` per process; tests point
CSM_HOME at a temporary folder.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings of one csm process."""

    model_config = SettingsConfigDict(env_prefix="CSM_", extra="ignore")

    home: Path = Field(
        default=Path("~/.csm"),
        description="app home: the SQLite store, the workspace profile, the notes index",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the account store; default sqlite:///$CSM_HOME/csm.db",
    )
    chroma_url: str | None = Field(
        default=None,
        description="URL of a Chroma server for the notes index, e.g. http://chroma:8000; "
        "default: an embedded Chroma under $CSM_HOME/chroma",
    )
    embeddings: Literal["local", "openai"] = Field(
        default="local",
        description="how notes are embedded: `local` (MiniLM on this machine, offline) or "
        "`openai` (the embeddings endpoint at OPENAI_BASE_URL, key OPENAI_API_KEY)",
    )
    embeddings_model: str = Field(
        default="text-embedding-3-small",
        description="the embedding model asked of the endpoint when CSM_EMBEDDINGS=openai",
    )

    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key"),
        description="API key of the OpenAI-compatible LLM endpoint (env OPENAI_API_KEY, no "
        "CSM_ prefix); a local server (vLLM, Ollama, llama.cpp) may need none",
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url"),
        description="base URL of an OpenAI-compatible server, e.g. http://localhost:11434/v1 "
        "(env OPENAI_BASE_URL); default: api.openai.com",
    )
    model: str | None = Field(
        default=None,
        description="the chat model the agent plans and words turns with (CSM_MODEL); "
        "unset = the offline parser and the deterministic rendering",
    )
    llm_timeout: float = Field(
        default=30.0, gt=0, description="seconds before one LLM request times out"
    )
    llm_max_attempts: int = Field(
        default=3, ge=1, description="attempts per LLM request on 429/5xx/timeouts (with jitter)"
    )
    user: str | None = Field(
        default=None,
        description="who is talking (CSM_USER): the actor and confirmer in the CRM audit log; "
        "default: the login name",
    )

    crm_backend: str = Field(
        default="local",
        description="the CRM confirmed writes go to (CSM_CRM_BACKEND): `local` (a table in the "
        "store), "
        "`hubspot` or `salesforce`",
    )

    # --- Slack (connectors/slack) ---------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token"),
        description="the Slack app's bot token, xoxb-... (env SLACK_BOT_TOKEN)",
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "slack_signing_secret"),
        description="the Slack app's signing secret, checks every request (env "
        "SLACK_SIGNING_SECRET)",
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_APP_TOKEN", "slack_app_token"),
        description="the app-level token, xapp-..., for Socket Mode (env SLACK_APP_TOKEN)",
    )
    slack_api_url: str | None = Field(
        default=None,
        description="base URL of the Slack Web API (CSM_SLACK_API_URL), for GovSlack or a "
        "test server; default https://slack.com/api/",
    )
    slack_admins: str = Field(
        default="",
        description="comma-separated Slack user ids or e-mails who see every account and may "
        "approve any write (CSM_SLACK_ADMINS)",
    )

    # --- source connectors (connectors/hubspot, salesforce, zendesk, stripe) ---------------
    hubspot_token: SecretStr | None = Field(
        default=None, description="HubSpot private-app token (CSM_HUBSPOT_TOKEN)"
    )
    hubspot_url: str = Field(
        default="https://api.hubapi.com",
        description="HubSpot API base URL (CSM_HUBSPOT_URL), for a sandbox or a proxy",
    )
    salesforce_token: SecretStr | None = Field(
        default=None, description="Salesforce OAuth access token (CSM_SALESFORCE_TOKEN)"
    )
    salesforce_url: str | None = Field(
        default=None,
        description="the Salesforce instance URL, e.g. https://acme.my.salesforce.com "
        "(CSM_SALESFORCE_URL)",
    )
    zendesk_token: SecretStr | None = Field(
        default=None, description="Zendesk API token (CSM_ZENDESK_TOKEN)"
    )
    zendesk_email: str | None = Field(
        default=None,
        description="the Zendesk agent e-mail the API token belongs to (CSM_ZENDESK_EMAIL)",
    )
    zendesk_url: str | None = Field(
        default=None,
        description="the Zendesk account URL, e.g. https://acme.zendesk.com (CSM_ZENDESK_URL)",
    )
    stripe_key: SecretStr | None = Field(
        default=None, description="Stripe secret or restricted key (CSM_STRIPE_KEY)"
    )
    stripe_url: str = Field(
        default="https://api.stripe.com",
        description="Stripe API base URL (CSM_STRIPE_URL)",
    )

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("database_url", mode="after")
    @classmethod
    def _normalise_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("chroma_url", mode="after")
    @classmethod
    def _normalise_chroma_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        value = value.strip().rstrip("/")
        return value if "://" in value else f"http://{value}"

    @property
    def llm_enabled(self) -> bool:
        """Whether an LLM is configured: a model and an API key or a base URL."""
        return bool(self.model) and bool(self.openai_api_key or self.openai_base_url)

    @property
    def store_url(self) -> str:
        """The account store's URL, defaulting to a SQLite file in the app home."""
        return self.database_url or f"sqlite:///{self.home / 'csm.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process settings (read once from the environment)."""
    return Settings()
