"""The conversation file format of the eval suite (YAML), validated by pydantic.

One file per conversation in evals/conversations/, named `<id>.yaml`. Every model forbids
unknown keys, so a typo ("comand:") is an error, not a silently skipped check. Validate a
file with `load_conversation(path)` or every file with `load_suite(folder)`.

Example:
    id: score-acme                # unique, = the file's stem
    title: Score the flagship account
    fixture: demo                 # "demo", or a CSV folder evals/fixtures/<name>/
    as_of: 2026-11-23             # default 2026-11-23
    user: dana                    # the CRM audit actor; default "eval"
    modes: [offline, scripted, live]   # default [offline, live]
    tags: [score, follow-up]      # free labels; --filter matches id, tags or command names
    turns:
      - user: "Score Acme Corp"
        model:                    # scripted mode: the model's replies to this turn, in order
          - tool_calls: [{name: score, args: {account: "Acme Corp"}}]
          - prose: "Acme Corp scores 41 ..."
          - error: 429            # an HTTP status (optional retry_after: 1)
          - timeout: true
        expect:
          command: score          # or commands: [renewal, score]
          account: acme
          facts: ["Acme Corp", "41", "red"]
          gaps: [exec_sponsor, nps]
          absent: ["$0", "green"]
    final:
      writes: 1
      audit: [{kind: note, account: acme}]
      pending: false

Turn expectations (`expect`, every key optional; an omitted key is not checked):

- `command` / `commands`: command(s) that must have run this turn (others may also run).
- `account`: the account id a command ran on this turn.
- `clarify: true`: the agent asks back (no command runs). `unsupported: true`: it says
  what it can do and runs nothing. `false` on either: it must not do that.
- `facts`: strings that must appear in the answer, case-insensitive; a fact that is a number,
  money amount, percentage or date is found by value (agent.grounding's reading: "$1.2M"
  matches "$1,200,000", "41" matches "41.0").
- `gaps`: gap signals (the tools' `signal`) the answer must flag; scored as gap recall.
- `absent`: strings that must not appear in the answer (case-insensitive).
- `no_tier: true`: the answer must not present a health tier (green, yellow or red).
- `staged_write`: whether a CRM write is staged and awaits confirmation after this turn.
- `writes`: the exact number of CRM writes executed this turn.

Final expectations (`final`): `writes`, the executed CRM writes at the end (audit entries
with result ok); `audit`, a list of expected audit entries, each matched as a subset of
one entry on these keys (memory.writes.AuditEntry): `kind` (note, task, health_fields),
`account` (the account id), `actor` (who asked), `confirmed_by` (who said yes), `result`
(ok, failed, not_repeated), `backend` (local, ...), `summary` (a substring of what was
shown before the yes, case-insensitive); `pending: false`, nothing awaits confirmation.

Model replies (`model`, scripted mode): each item is exactly one of `tool_calls` (a list of
{name, args}, names and arguments as agent/tool_schemas.py exposes the commands, plus
`ask_user`; optional `content`), `prose` (the assistant's text), `error` (an HTTP status,
optional `retry_after` seconds) or `timeout: true`. `prompt_tokens` and `completion_tokens`
set the usage the fake endpoint reports (defaults 100 and 20).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Mode = Literal["offline", "scripted", "live"]
MODES: tuple[Mode, ...] = ("offline", "scripted", "live")
DEFAULT_AS_OF = date(2026, 11, 23)
"""The demo portfolio's as-of date, the default of every conversation."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScriptedCall(_Strict):
    """One function call in a scripted model reply."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class ModelReply(_Strict):
    """One scripted reply of the model: tool calls, prose, an HTTP error or a timeout."""

    tool_calls: list[ScriptedCall] | None = None
    content: str | None = Field(None, description="prose sent alongside tool calls")
    prose: str | None = None
    error: int | None = Field(None, ge=400, le=599, description="an HTTP error status")
    retry_after: float | None = Field(None, ge=0, description="Retry-After of an error, s")
    timeout: bool = False
    prompt_tokens: int = Field(100, ge=0)
    completion_tokens: int = Field(20, ge=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> ModelReply:
        kinds = [
            k
            for k, v in (
                ("tool_calls", self.tool_calls),
                ("prose", self.prose),
                ("error", self.error),
                ("timeout", self.timeout or None),
            )
            if v is not None
        ]
        if len(kinds) != 1:
            raise ValueError(
                "a model reply is exactly one of tool_calls, prose, error, timeout; got "
                + (", ".join(kinds) or "none")
            )
        if self.content is not None and self.tool_calls is None:
            raise ValueError("`content` goes with tool_calls (use `prose` for text alone)")
        if self.retry_after is not None and self.error is None:
            raise ValueError("`retry_after` goes with `error`")
        return self


class Expect(_Strict):
    """What must be true after one turn (an omitted key is not checked)."""

    command: str | None = None
    commands: list[str] | None = None
    account: str | None = None
    clarify: bool | None = None
    unsupported: bool | None = None
    facts: list[str] = Field(default_factory=list)
    gaps: list[str] = Field(default_factory=list)
    absent: list[str] = Field(default_factory=list)
    no_tier: bool = False
    staged_write: bool | None = None
    writes: int | None = Field(None, ge=0)

    def expected_commands(self) -> list[str]:
        """Return every command this turn must run (`command` and `commands` together)."""
        names = [self.command] if self.command else []
        return list(dict.fromkeys([*names, *(self.commands or [])]))


class Turn(_Strict):
    """One user message, the scripted model replies to it, and what must follow."""

    user: str = Field(min_length=1)
    model: list[ModelReply] | None = None
    expect: Expect = Field(default_factory=Expect)


class AuditExpect(_Strict):
    """An expected audit entry; every given key must match one entry (subset match)."""

    kind: str | None = None
    account: str | None = None
    actor: str | None = None
    confirmed_by: str | None = None
    result: Literal["ok", "failed", "not_repeated"] | None = None
    backend: str | None = None
    summary: str | None = Field(None, description="a substring of the summary, any case")


class Final(_Strict):
    """What must be true at the end of the conversation."""

    writes: int | None = Field(None, ge=0)
    audit: list[AuditExpect] = Field(default_factory=list)
    pending: bool | None = None


class Conversation(_Strict):
    """One scripted conversation of the eval suite."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    title: str
    fixture: str = "demo"
    as_of: date = DEFAULT_AS_OF
    user: str = "eval"
    modes: list[Mode] = Field(default_factory=lambda: ["offline", "live"])
    tags: list[str] = Field(default_factory=list)
    turns: list[Turn] = Field(min_length=1)
    final: Final | None = None

    @model_validator(mode="after")
    def _known_commands(self) -> Conversation:
        from agent.commands import COMMANDS
        from agent.tool_schemas import ASK_USER

        known = {c.name for c in COMMANDS}
        for i, turn in enumerate(self.turns, 1):
            for name in turn.expect.expected_commands():
                if name not in known:
                    raise ValueError(f"turn {i}: expect names unknown command {name!r}")
            for reply in turn.model or []:
                for call in reply.tool_calls or []:
                    if call.name not in known | {ASK_USER}:
                        raise ValueError(f"turn {i}: model calls unknown function {call.name!r}")
        return self

    def commands(self) -> list[str]:
        """Return every command this conversation's turns expect, in order."""
        names = [n for t in self.turns for n in t.expect.expected_commands()]
        return list(dict.fromkeys(names))

    def matches(self, text: str | None) -> bool:
        """Tell whether `--filter text` selects this conversation (id, tag or command)."""
        if not text:
            return True
        needle = text.lower()
        haystack = [self.id, *self.tags, *self.commands()]
        return any(needle in h.lower() for h in haystack)


class FormatError(ValueError):
    """A conversation file that cannot be read or does not follow the format."""


def load_conversation(path: Path) -> Conversation:
    """Read and validate one conversation file; its `id` must be the file's stem.

    Raises:
        FormatError: naming the file and the first problems.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise FormatError(f"{path}: {err}") from None
    if not isinstance(data, dict):
        raise FormatError(f"{path}: expected a mapping at the top level")
    try:
        conversation = Conversation.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in err.errors()
        )
        raise FormatError(f"{path}: {problems}") from None
    if conversation.id != path.stem:
        raise FormatError(f"{path}: id {conversation.id!r} is not the file name's stem")
    return conversation


def load_suite(folder: Path) -> list[Conversation]:
    """Read every `*.yaml` conversation in `folder`, sorted by id.

    Raises:
        FormatError: listing every file that failed, one per line.
    """
    conversations, problems = [], []
    for path in sorted(folder.glob("*.yaml")):
        try:
            conversations.append(load_conversation(path))
        except FormatError as err:
            problems.append(str(err))
    if problems:
        raise FormatError("\n".join(problems))
    return conversations
