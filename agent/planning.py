"""The contract between the conversation graph and whoever plans and words a turn.

A turn is: plan (text -> which command(s), with arguments) -> run the tools -> compose the
answer -> check it is grounded in the tool results. Two implementations of planning and
composing exist behind these protocols: the offline one (a deterministic grammar and the
deterministic rendering) and the LLM one (function calling and a narrative prompt). The graph
only knows these types.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field


class Call(BaseModel):
    """One command to run: a name from agent.commands.COMMANDS and its arguments."""

    model_config = ConfigDict(extra="forbid")
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class Plan(BaseModel):
    """What the planner made of the user's text.

    Exactly one of: `calls` to run; a `clarify` question to ask back (ambiguous account, a
    missing argument); or `unsupported` with the short list of what csm can do.
    """

    model_config = ConfigDict(extra="forbid")
    calls: list[Call] = Field(default_factory=list)
    clarify: str | None = None
    unsupported: str | None = None
    model_calls: int = Field(0, description="LLM calls spent planning (0 offline)")
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Turn(BaseModel):
    """One earlier exchange of the conversation, as the planner may see it."""

    role: Literal["user", "assistant"]
    text: str
    commands: list[str] = Field(default_factory=list, description="commands run that turn")
    account_ids: list[str] = Field(default_factory=list, description="accounts it was about")
    calls: list[Call] = Field(
        default_factory=list, description="the calls run that turn, accounts resolved to ids"
    )


class ToolRun(BaseModel):
    """A command that ran: its call, its typed result as JSON, and its deterministic text."""

    call: Call
    result: dict[str, Any] = Field(description="the tool result, model_dump(mode='json')")
    text: str = Field(description="the deterministic rendering of the result")
    gaps: list[dict[str, Any]] = Field(default_factory=list)


class Composed(BaseModel):
    """The answer text and what it cost."""

    text: str
    source: Literal["deterministic", "model", "model_repaired", "fallback"] = "deterministic"
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    violations: list[str] = Field(
        default_factory=list, description="grounding violations found (and repaired or replaced)"
    )


class Planner(Protocol):
    """Turns the user's text into a Plan."""

    def plan(self, text: str, history: list[Turn], focus_account: str | None) -> Plan:
        """Plan one turn; `focus_account` is the account the thread is about, if any."""
        ...


class Composer(Protocol):
    """Words the answer from the tool runs; must not add numbers the tools did not make."""

    def compose(self, text: str, runs: list[ToolRun]) -> Composed:
        """Compose the answer to `text` from `runs`."""
        ...
