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
