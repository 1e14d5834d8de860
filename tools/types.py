"""Boundary types shared by every tool: the data gap and the base of every result."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class Gap(BaseModel):
    """A signal whose inputs are unknown: never guessed, never zero, always shown."""

    model_config = ConfigDict(extra="forbid")
    signal: str = Field(description="the missing input, named as data-format.md names it")
    needed_for: str = Field(description="what needed it, e.g. 'health: outcomes'")
    source: str = Field(description="the system it lives in")
    ask: str = Field(description="who can fill it")
    account_id: str | None = Field(None, description="the account it concerns, if one")
    detail: str | None = Field(None, description="what exactly is missing, when more is known")


class Result(BaseModel):
    """Base of every command result: the command, the as-of date and the gaps."""

    command: str
    as_of: date
    gaps: list[Gap] = Field(default_factory=list)
