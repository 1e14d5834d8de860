"""The conversation's state, per thread, and the per-run context of the graph.

The state is checkpointed after every step (agent.checkpoint), so it holds only JSON values:
the planner's Plan, the ToolRuns and the staged change are kept as their `model_dump(mode=
"json")`. `turns` and the focus account persist across turns (that is what makes "and their
renewal?" work); the other fields describe the current turn and are reset when it starts.
"""

from __future__ import annotations

import getpass
import operator
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal

Decision = Literal["yes", "no", "unclear"]


def default_user() -> str:
    """Return who is talking: $CSM_USER (agent.settings), else the login name."""
    from agent.settings import get_settings

    try:
        return get_settings().user or getpass.getuser()
    except Exception:  # noqa: BLE001  (no login name in some containers)
        return "csm"


@dataclass(kw_only=True)
class Context:
    """Per-run knobs, not checkpointed: the point in time and the person talking."""

    as_of: date = field(default_factory=date.today)
    """Tools read only data dated on or before it."""
    user: str = field(default_factory=default_user)
    """Who sent this message: the actor of a write they ask for, the confirmer of a yes."""
    book: str | None = None
    """The CSM owner whose accounts this person may see (accounts.csm); None = every account."""


@dataclass(kw_only=True)
class InputState:
    """What a turn starts from: the user's message."""

    text: str = ""


@dataclass(kw_only=True)
class OutputState:
    """What a turn returns (an interrupted turn also returns `__interrupt__`)."""

    answer: str = ""
    """The reply shown to the user."""
    runs: list[dict[str, Any]] = field(default_factory=list)
    """This turn's agent.planning.ToolRun values (call, result JSON, text, gaps)."""
    pending: dict[str, Any] | None = None
    """The staged CRM change awaiting a yes or no: {"change", "call", "actor"}."""
    outcome: dict[str, Any] | None = None
    """The memory.writes.WriteOutcome of a confirmed write."""
    usage: dict[str, int] = field(default_factory=dict)
    """Model calls and tokens this turn (zero offline)."""
    source: str = "deterministic"
    """Who worded the answer (agent.planning.Composed.source)."""
    violations: list[str] = field(default_factory=list)
    """Grounding violations found in a model's answer this turn."""


@dataclass(kw_only=True)
class State(InputState, OutputState):
    """The whole conversation state of one thread."""

    turns: Annotated[list[dict[str, Any]], operator.add] = field(default_factory=list)
    """agent.planning.Turn values, oldest first; appended by `respond`, never rewritten."""
    focus_id: str | None = None
    """The account the thread is about: the last one a command ran on."""
    focus_name: str | None = None
    plan: dict[str, Any] | None = None
    """This turn's agent.planning.Plan."""
    calls: list[dict[str, Any]] = field(default_factory=list)
    """This turn's calls, validated, accounts resolved to ids."""
    awaiting: list[dict[str, Any]] = field(default_factory=list)
    """The calls of the last turn whose account was ambiguous or unknown: the next message,
    when it names one account ("Polaris Capital"), runs them for it."""
    errors: list[str] = field(default_factory=list)
    """Why a command of this turn could not run, in words for the user."""
    asks: int = 0
    """How many times the pending change's confirmation was asked this turn."""
    decision: Decision | None = None
    """The user's answer to the confirmation: yes, no, or unclear."""
