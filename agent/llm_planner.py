"""The LLM planner: the model picks the command(s) by function calling.

The request is the system prompt (prompts/system.md "Rules" and "Planner"), a compact
context (today, the thread's account), the recent turns and the user's message, with one
function per command (agent.tool_schemas). Its size does not depend on the portfolio: no
account is listed; the model passes the account name as typed and the graph resolves it.

Earlier turns are given as what the user asked and which commands ran, not the assistant's
prose: that prose quotes notes and tickets, and untrusted text never reaches the planner, so
it cannot ask for a command (least of all a write).

The model's tool calls become `Plan.calls`, each validated against the command's argument
model; an invalid one is sent back once with the validation error, then the turn is
unsupported. A reply without a tool call gets the capability list (never the model's own
answer), or is a clarifying question. A write call is only ever a proposal: the plan has no
way to say "confirmed", and confirmation-like arguments the model adds are dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from agent.planning import Call, Plan, Planner, Turn
from agent.tool_schemas import ASK_USER, tool_schemas
from prompts import sections

if TYPE_CHECKING:
    from agent.commands import Command
    from agent.llm import LlmClient, LlmReply

log = logging.getLogger("csm.planner")

CONFIRMATION_KEYS = frozenset({"confirm", "confirmed", "approved", "yes", "execute", "force"})
"""Arguments a model may invent to skip the human's yes; dropped from write calls."""
MAX_CALLS = 3
"""Most commands one turn may run (the rest of the model's calls are ignored)."""
MAX_QUESTION = 200
"""Longest reply without a tool call that is taken as a clarifying question."""


class LlmPlanner:
    """Plan a turn with an LLM's function calling (a Planner)."""

    def __init__(
        self,
        client: LlmClient,
        *,
        commands: Sequence[Command] | None = None,
        today: date | None = None,
        max_turns: int = 6,
        fallback: Planner | None = None,
    ) -> None:
        """Build the planner.

        Args:
            client: the LLM client.
            commands: the commands offered (default agent.commands.COMMANDS).
            today: the date the prompt states (default today; the graph passes as-of).
            max_turns: how many earlier turns the model sees.
            fallback: the planner to use when the LLM fails (LlmError); None re-raises.
        """
        if commands is None:
            from agent.commands import COMMANDS

            commands = COMMANDS
        self.client = client
        self.commands = {c.name: c for c in commands}
        self.tools = tool_schemas(commands)
        self.today = today
        self.max_turns = max_turns
        self.fallback = fallback

    def plan(self, text: str, history: list[Turn], focus_account: str | None) -> Plan:
        """Plan one turn; `focus_account` is the account the thread is about, if any."""
        from agent.llm import LlmError

        try:
            return self._plan(text, history, focus_account)
        except LlmError as err:
            if self.fallback is None:
                raise
            # the error says what failed (timeout, HTTP status, endpoint); no traceback: it is
            # handled, and the user still gets an answer from the offline grammar
            log.warning("LLM planning failed (%s); using the offline planner", err)
            return self.fallback.plan(text, history, focus_account)

    def messages(
        self, text: str, history: list[Turn], focus_account: str | None
    ) -> list[dict[str, Any]]:
        """Return the chat messages of a planning call (no portfolio listing, ever)."""
        prompt = sections("system")
        today = (self.today or date.today()).isoformat()
        system = "\n\n".join(
            (
                prompt["Rules"].format(today=today),
                prompt["Planner"],
                prompt["Planner context"].format(focus=focus_account or "none"),
            )
        )
        messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
        for turn in history[-self.max_turns :] if self.max_turns else []:
            messages.append(_turn_message(turn))
        messages.append({"role": "user", "content": text})
        return messages

    def _plan(self, text: str, history: list[Turn], focus_account: str | None) -> Plan:
        messages = self.messages(text, history, focus_account)
        replies: list[LlmReply] = []
        for attempt in range(2):
            reply = self.client.chat(messages, self.tools)
            replies.append(reply)
            if not reply.tool_calls:
                return _spent(self._no_tool_call(reply), replies)
            question = next((c for c in reply.tool_calls if c.name == ASK_USER), None)
            if question is not None:
                return _spent(Plan(clarify=_question(question.arguments)), replies)
            calls, errors = self._validate(reply)
            if not errors:
                return _spent(Plan(calls=calls[:MAX_CALLS]), replies)
            log.info("planner attempt %d: invalid tool call(s): %s", attempt + 1, errors)
            messages = [*messages, reply.as_message(), *_tool_errors(reply, errors)]
        return _spent(Plan(unsupported=self.unsupported()), replies)

    def _validate(self, reply: LlmReply) -> tuple[list[Call], dict[str, str]]:
        """Return the valid calls, and an error per invalid tool call id."""
        calls: list[Call] = []
        errors: dict[str, str] = {}
        for request in reply.tool_calls:
            command = self.commands.get(request.name)
            if command is None:
                errors[request.id] = (
                    f"unknown function {request.name!r}: choose one of " + ", ".join(self.commands)
                )
                continue
            try:
                raw = json.loads(request.arguments or "{}")
            except json.JSONDecodeError as err:
                errors[request.id] = f"arguments are not valid JSON: {err}"
                continue
            if not isinstance(raw, dict):
                errors[request.id] = "arguments must be a JSON object"
                continue
            if command.writes:
                raw = _drop_confirmation(command.name, raw)
            try:
                args = command.args.model_validate(raw)
            except ValidationError as err:
                errors[request.id] = _explain(err)
                continue
            calls.append(
                Call(name=command.name, args=args.model_dump(mode="json", exclude_unset=True))
            )
        return calls, errors

    def _no_tool_call(self, reply: LlmReply) -> Plan:
        content = " ".join((reply.content or "").split())
        if _is_question(content):
            return Plan(clarify=content)
        return Plan(unsupported=self.unsupported())

    def unsupported(self) -> str:
        """Return the answer to a request csm cannot serve: what it can do, never a guess."""
        from agent.commands import capabilities

        return sections("system")["Unsupported"].format(commands=capabilities())


def _turn_message(turn: Turn) -> dict[str, Any]:
    if turn.role == "user":
        return {"role": "user", "content": _clip(turn.text, 400)}
    ran = ", ".join(turn.commands) or "no command"
    about = f" about {', '.join(turn.account_ids)}" if turn.account_ids else ""
    return {"role": "assistant", "content": f"(ran {ran}{about})"}


def _tool_errors(reply: LlmReply, errors: dict[str, str]) -> list[dict[str, Any]]:
    """Return one tool message per call of the reply (the API wants an answer to each)."""
    return [
        {
            "role": "tool",
            "tool_call_id": c.id,
            "content": (
                f"Invalid call, not run: {errors[c.id]}. Call it again with valid arguments."
                if c.id in errors
                else "Valid, not run yet: repeat it with the corrected calls."
            ),
        }
        for c in reply.tool_calls
    ]


def _drop_confirmation(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    dropped = sorted(k for k in raw if k.lower() in CONFIRMATION_KEYS)
    if dropped:
        log.warning("write %s: dropped %s; only the user's yes confirms", name, dropped)
    return {k: v for k, v in raw.items() if k.lower() not in CONFIRMATION_KEYS}


def _explain(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in error.errors()
    )


def _question(arguments: str) -> str:
    try:
        question = json.loads(arguments or "{}").get("question")
    except (json.JSONDecodeError, AttributeError):
        question = None
    return " ".join(str(question).split()) if question else "Which account do you mean?"


def _is_question(content: str) -> bool:
    """Whether a reply without a tool call is one short question (no facts in it)."""
    return (
        0 < len(content) <= MAX_QUESTION
        and content.endswith("?")
        and content.count("?") == 1
        and not any(ch.isdigit() for ch in content)
    )


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _spent(plan: Plan, replies: list[LlmReply]) -> Plan:
    plan.model_calls = len(replies)
    plan.prompt_tokens = sum(r.usage.prompt_tokens for r in replies)
    plan.completion_tokens = sum(r.usage.completion_tokens for r in replies)
    return plan
