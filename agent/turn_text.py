"""What a turn says: resolved calls, questions back, errors in one line, the final reply.

Helpers of the graph's nodes (agent.nodes), kept apart so the nodes read as the flow.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from agent import confirm as confirmation
from agent.commands import CommandError, RunContext, get_command
from agent.planning import Call, Plan, ToolRun
from agent.resolve import AmbiguousAccount
from agent.state import State

TURN_TEXT_CHARS = 2_000
"""Characters of an answer kept in the thread's history (the planner needs the gist)."""


def resolved_call(call: Call, ctx: RunContext, state: State) -> dict[str, Any]:
    """Validate a call's arguments and put the account's id in place of its name."""
    cmd = get_command(call.name)
    args = cmd.args.model_validate(call.args).model_dump(mode="json", exclude_unset=True)
    if args.get("account"):
        typed = args["account"]
        if (
            state.focus_id
            and typed in (state.focus_name, state.focus_id)
            and state.focus_id in ctx.names()  # the thread's account, if this user may see it
        ):
            args["account"] = state.focus_id
        else:
            args["account"] = ctx.resolve(typed)
    return Call(name=call.name, args=args).model_dump(mode="json")


def ask_back(err: Exception) -> str:
    """Return the question or message for a call that cannot run as asked."""
    if isinstance(err, AmbiguousAccount):
        names = "\n".join(f"- {n}" for n in err.candidates)
        return f'Which account do you mean? "{err.query}" matches:\n{names}\nSay the full name.'
    text = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
    return text[:1].upper() + text[1:]


def short_error(err: Exception) -> str:
    """Return an error in one line (a validation error: its first problem)."""
    text = str(err).strip()
    if hasattr(err, "errors"):  # pydantic: the first problem, in one line
        first = err.errors()[0]  # type: ignore[attr-defined]
        where = ".".join(str(p) for p in first.get("loc", ()))
        text = f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    return text


def about(call: Call, ctx: RunContext) -> str:
    """Return what a call is about: the account's name, or the portfolio."""
    account = call.args.get("account")
    if not account:
        return "the portfolio"
    try:
        return ctx.names().get(account, account)
    except CommandError:
        return account


def usage_of(plan: Plan) -> dict[str, int]:
    """Return the model calls and tokens a plan spent."""
    return {
        "model_calls": plan.model_calls,
        "prompt_tokens": plan.prompt_tokens,
        "completion_tokens": plan.completion_tokens,
    }


def grounding_violations(answer: str, runs: list[ToolRun], question: str) -> list[str]:
    """Run agent.grounding.check when that module is installed; [] when it is not."""
    if importlib.util.find_spec("agent.grounding") is None:
        return []
    check = importlib.import_module("agent.grounding").check
    try:
        found = check(answer, runs, question=question)
    except TypeError:  # a check that takes no question
        found = check(answer, runs)
    found = getattr(found, "violations", found)
    if isinstance(found, bool):
        return [] if found else ["the answer is not grounded in the tool results"]
    return [str(v) for v in found or []]


def reply_text(state: State) -> str:
    """Return the turn's reply: the answer, what could not run, what became of a write."""
    plan = Plan.model_validate(state.plan) if state.plan else Plan()
    if not plan.calls:
        return plan.clarify or plan.unsupported or ""
    parts = [state.answer.rstrip()] if state.answer else []
    parts += state.errors
    if state.pending is not None:
        parts.append(confirmation.result_text(state.decision, state.outcome))
    return "\n\n".join(p for p in parts if p).strip()


def cut(text: str, limit: int = TURN_TEXT_CHARS) -> str:
    """Return `text` cut to `limit` characters for the thread's history."""
    return text if len(text) <= limit else text[:limit].rstrip() + " [...]"
