"""OpenAI function schemas for the commands, generated from their pydantic argument models.

One function per command of agent.commands.COMMANDS: the name is the command's, the
description is the registry's (tool descriptions are prompts; a write command's also says it
only proposes a change, from prompts/system.md "Write tool"), and the parameters are the
argument model's JSON schema made plain: references inlined (no `$defs`), titles dropped,
`additionalProperties: false` on every object, defaults said in the description. Plus one
function that is not a command, `ask_user`, for a clarifying question.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prompts import sections

if TYPE_CHECKING:
    from pydantic import BaseModel

    from agent.commands import Command

ASK_USER = "ask_user"
"""The function the model calls to ask the user a question instead of running a command."""


def tool_schemas(commands: Iterable[Command] | None = None) -> list[dict[str, Any]]:
    """Return the `tools` list for a chat request: one function per command, and ask_user."""
    if commands is None:
        from agent.commands import COMMANDS

        commands = COMMANDS
    tools = [function_schema(c) for c in commands]
    tools.append(ask_user_schema())
    return tools


def function_schema(command: Command) -> dict[str, Any]:
    """Return the OpenAI function schema of one command."""
    description = command.description
    if command.writes:
        description = f"{description}\n\n{_prompt('Write tool')}"
    return {
        "type": "function",
        "function": {
            "name": command.name,
            "description": description,
            "parameters": parameters(command.args),
        },
    }


def ask_user_schema() -> dict[str, Any]:
    """Return the schema of the ask_user function (one short question to the user)."""
    return {
        "type": "function",
        "function": {
            "name": ASK_USER,
            "description": _prompt("Ask user"),
            "parameters": {
                "type": "object",
                "properties": {
                    "question": {"type": "string", "description": "The one short question."}
                },
                "required": ["question"],
                "additionalProperties": False,
            },
        },
    }


def parameters(model: type[BaseModel]) -> dict[str, Any]:
    """Return the model's JSON schema as plain function parameters (no $defs, no titles)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})
    plain = _plain(schema, defs)
    plain.setdefault("properties", {})
    plain.setdefault("required", [])
    plain.pop("description", None)  # the model's docstring is for developers, not the LLM
    return plain


def _plain(node: Any, defs: dict[str, Any]) -> Any:  # noqa: ANN401 (any JSON value)
    if isinstance(node, list):
        return [_plain(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]])
        extra = {k: v for k, v in node.items() if k != "$ref"}
        return _plain({**target, **extra}, defs)
    out = {k: _plain(v, defs) for k, v in node.items() if k not in ("title", "default")}
    if "default" in node and node["default"] is not None:
        said = out.get("description", "")
        if "default" not in said.lower():
            out["description"] = f"{said} Default: {node['default']}.".strip()
    if out.get("type") == "object":
        out["additionalProperties"] = False
    return out


def _prompt(name: str) -> str:
    return " ".join(sections("system")[name].split())
