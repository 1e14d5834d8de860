"""The arguments of every agent command, as pydantic models (agent.commands lists them).

They are the boundary between a planner (the offline grammar or an LLM's tool call) and the
tools: `extra="forbid"`, simple types, every field described, because the LLM's function
schemas are generated from them (`model_json_schema()`). An `account` is the text the person
typed; the graph resolves it to one account id before the command runs.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Profile = Literal["engine", "leading80", "ops", "sales"]
"""The health-model profiles shipped in tools/profiles (tests check it matches)."""

ACCOUNT = Field(
    description="The account, as the user named it (case and punctuation are ignored; a "
    "unique prefix such as 'Acme' works) or its account id. Never invent one."
)


class Args(BaseModel):
    """Base of every command's arguments: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class NoArgs(Args):
    """A command that takes no arguments."""


class AccountArgs(Args):
    """One account."""

    account: str = ACCOUNT


class OptionalAccountArgs(Args):
    """One account, or the whole portfolio when `account` is left out."""

    account: str | None = Field(
        None,
        description="The account to assess (name or id); leave out to scan the whole "
        "portfolio. Never invent one.",
    )


class ScoreArgs(AccountArgs):
    """An account and the health model to score it with."""

    profile: Profile = Field(
        "engine",
        description="Health model: engine (default), leading80 (80% leading signals), ops "
        "or sales. Only set it when the user names one.",
    )


class ProfileArgs(Args):
    """The health model a portfolio command uses."""

    profile: Profile = Field(
        "engine", description="Health model: engine (default), leading80, ops or sales."
    )


class RenewalsArgs(Args):
    """The renewal window."""

    days: int = Field(
        90, ge=1, le=3650, description="Renewals due within this many days of as-of (default 90)."
    )


class ScanArgs(Args):
    """The weekly scan's length."""

    show_all: bool = Field(
        False, description="Every flagged account instead of the top 3 (only when asked for all)."
    )


class NrrArgs(Args):
    """The NRR period."""

    start: date | None = Field(
        None, description="Period start, YYYY-MM-DD; default 365 days before the end."
    )
    end: date | None = Field(None, description="Period end, YYYY-MM-DD; default the as-of date.")


class AnalysisArgs(Args):
    """The quarter to analyse and the health model."""

    quarter: str | None = Field(
        None,
        pattern=r"^\d{4}Q[1-4]$",
        description="Calendar quarter as YYYYQn, e.g. 2026Q3; default the as-of quarter to date.",
    )
    profile: Profile = Field("engine", description="Health model for the health metrics.")


class NotesArgs(AccountArgs):
    """An account and what to look for in its notes and tickets."""

    query: str = Field(
        min_length=1, description="What to look for, in the user's words, e.g. 'SSO problems'."
    )


class LogNoteArgs(AccountArgs):
    """A note to log on an account (staged; written only after the user's yes)."""

    text: str = Field(
        min_length=1,
        max_length=10_000,
        description="The note, exactly as the user dictated it (verbatim, never reworded).",
    )


Document = Literal[
    "save",
    "renewal",
    "renewal_package",
    "success_plan",
    "qbr",
    "handoff",
    "onboarding",
    "business_case",
    "winback",
]
"""The documents csm builds for one account that can be logged to the CRM as a note."""


class LogPlanArgs(AccountArgs):
    """A document csm builds for an account, to log on it as a CRM note (after a yes)."""

    document: Document = Field(
        description="Which document: save (save plan), renewal (renewal prep), "
        "renewal_package, success_plan, qbr, handoff, onboarding, business_case, winback."
    )


class TaskArgs(AccountArgs):
    """A task to create on an account (staged; written only after the user's yes)."""

    text: str = Field(
        min_length=1,
        max_length=10_000,
        description="What to do, exactly as the user said it (verbatim).",
    )
    due: date = Field(
        description="Due date, YYYY-MM-DD, on or after as-of; ask the user if they gave none."
    )


class HealthPushArgs(AccountArgs):
    """An account whose computed health score and tier to push to the CRM (after a yes)."""
