"""Prompt files and wording templates, loaded by name.

Wording that customers and CSMs read (e-mails, talk tracks, objection answers, QBR talking
points) lives here as Markdown files, edited in one place and reused by the LLM path. A
template's fields are `{name}` placeholders; `fill` refuses to leave one unfilled.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|\[[A-Z][A-Za-z ]*\]|\bTBD\b|\bTODO\b|\bXXX\b")
"""What an unfilled placeholder looks like: {field}, [Name], TBD, TODO, XXX."""


class TemplateError(KeyError):
    """A template needs a field the caller did not give, or left a placeholder unfilled."""


@cache
def load(name: str) -> str:
    """Return the text of prompts/<name>.md (name may contain '/': 'plans/save')."""
    path = resources.files("prompts").joinpath(*f"{name}.md".split("/"))
    return path.read_text(encoding="utf-8")


@cache
def sections(name: str, level: int = 2) -> dict[str, str]:
    """Split prompts/<name>.md into its `## heading` sections: heading -> body (stripped)."""
    marker = "#" * level + " "
    out: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in load(name).splitlines():
        if line.startswith(marker):
            if current is not None:
                out[current] = "\n".join(lines).strip()
            current, lines = line[len(marker) :].strip(), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        out[current] = "\n".join(lines).strip()
    return out


def fill(template: str, **values: object) -> str:
    """Fill `{field}` placeholders; raise TemplateError for a missing field or a leftover one."""
    try:
        text = template.format_map(_Strict(values))
    except KeyError as err:
        raise TemplateError(f"template needs field {err}") from None
    leftover = PLACEHOLDER.search(text)
    if leftover:
        raise TemplateError(f"unfilled placeholder {leftover.group(0)!r} in filled template")
    return text


def unfilled(text: str) -> list[str]:
    """Return every placeholder-looking piece of `text` (for tests over rendered documents)."""
    return [m.group(0) for m in PLACEHOLDER.finditer(text)]


class _Strict(dict):
    def __missing__(self, key: str) -> object:
        raise KeyError(key)
