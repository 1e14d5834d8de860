"""The LLM composer: the model words the answer around the tool results, then code checks it.

One model call writes the narrative from the system prompt ("Rules" and "Composer" of
prompts/system.md), the section of prompts/narrative.md for the command's family, the
user's question and the tool results (the deterministic rendering and the JSON, with every
piece of untrusted text marked <quoted>). No tools are offered: the composer cannot call a
command, let alone a write.

Then the grounding check (agent.grounding). An answer with a number, date or name the
results do not have gets one repair call listing the violations; if the repaired answer
still has one, the deterministic rendering replaces it (source "fallback") and the event is
logged on the "csm.grounding" logger. A data gap the answer leaves out is appended verbatim
from the deterministic rendering's gaps section. So a single-account command costs at most
2 model calls (plan + compose), 3 with a repair.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from agent.grounding import (
    ALWAYS_FREE_KEYS,
    FREE_TEXT_KEYS,
    GAPS_HEADING,
    GroundingReport,
    check,
    is_record,
)
from agent.planning import Composed, ToolRun
from prompts import sections

if TYPE_CHECKING:
    from agent.llm import LlmClient, LlmReply

log = logging.getLogger("csm.grounding")

FAMILIES = {
    "score": "health",
    "backtest": "health",
    "churn": "churn",
    "renewal": "renewal",
    "renewals": "renewal",
    "expansion": "expansion",
    "scan": "portfolio",
    "portfolio": "portfolio",
    "cohorts": "portfolio",
    "nrr": "portfolio",
    "analysis": "portfolio",
    "playbooks": "portfolio",
    "notes": "notes",
}
"""Command -> narrative family (prompts/narrative.md); writes are `writes`, the rest documents."""
MAX_LIST_ITEMS = 10
"""Items of a result list shown to the model (the rendering already ranks them)."""
MAX_KEYS = 50
"""An object with more keys than this is a table keyed by account, cut like a list."""
MAX_TEXT_CHARS = 12_000
"""Longest deterministic rendering shown to the model, per command."""
_EMBEDDED_QUOTE = re.compile(r'"([^"\n]{3,})"|“([^”]{3,})”')
"""Free text a tool quoted inside one of its own strings (a ticket subject in evidence)."""
_MARKERS = re.compile(r"</?\s*(quoted|tool_result|rendering|json)\b[^>]*>", re.IGNORECASE)


class LlmComposer:
    """Compose answers with an LLM, grounded in the tool results (a Composer)."""

    def __init__(self, client: LlmClient, *, today: date | None = None) -> None:
        """Build the composer.

        Args:
            client: the LLM client.
            today: the date the prompt states (default today; the graph passes as-of).
        """
        self.client = client
        self.today = today

    def compose(self, text: str, runs: list[ToolRun]) -> Composed:
        """Compose the answer to `text` from `runs`, repaired or replaced if ungrounded."""
        from agent.llm import LlmError

        deterministic = "\n\n".join(run.text.rstrip() for run in runs)
        if not runs:
            return Composed(text=deterministic)
        messages = self.messages(text, runs)
        replies: list[LlmReply] = []
        try:
            replies.append(self.client.chat(messages))
            answer = (replies[-1].content or "").strip()
            report = check(answer, runs, question=text)
            found = [str(v) for v in report.violations]
            source = "model"
            if answer and report.violations:
                repair = _repair_request(report)
                messages = [*messages, {"role": "assistant", "content": answer}, repair]
                replies.append(self.client.chat(messages))
                answer = (replies[-1].content or "").strip()
                report = check(answer, runs, question=text)
                source = "model_repaired"
        except LlmError as err:
            log.warning("LLM composing failed (%s); answering with the deterministic text", err)
            return _spent(Composed(text=deterministic, source="fallback"), replies)
        if not answer or report.violations:
            log.warning(
                "ungrounded answer replaced by the deterministic rendering: question=%r "
                "commands=%s violations=%s",
                text,
                [run.call.name for run in runs],
                [str(v) for v in report.violations] or ["empty answer"],
            )
            return _spent(
                Composed(text=deterministic, source="fallback", violations=found), replies
            )
        if report.missing_gaps:
            answer = f"{answer}\n\n{gaps_appendix(report.missing_gaps, runs)}"
        return _spent(Composed(text=answer, source=source, violations=found), replies)

    def messages(self, text: str, runs: list[ToolRun]) -> list[dict[str, Any]]:
        """Return the chat messages of a composing call."""
        system_prompt = sections("system")
        narrative = sections("narrative")
        today = (self.today or date.today()).isoformat()
        parts = [system_prompt["Rules"].format(today=today), system_prompt["Composer"]]
        parts += [narrative[f] for f in dict.fromkeys(family(run.call.name) for run in runs)]
        results = "\n\n".join(_result_block(run) for run in runs)
        user = f"The CSM asked:\n{_unmark(text)}\n\nTool results:\n\n{results}"
        return [
            {"role": "system", "content": "\n\n".join(parts)},
            {"role": "user", "content": user},
        ]


def family(command: str) -> str:
    """Return the narrative family of a command (a section of prompts/narrative.md)."""
    if command in FAMILIES:
        return FAMILIES[command]
    try:
        from agent.commands import get_command

        if get_command(command).writes:
            return "writes"
    except KeyError:
        pass
    return "documents"


def gaps_appendix(missing: Sequence[dict[str, Any]], runs: list[ToolRun]) -> str:
    """Return the deterministic gaps sections that cover `missing` (verbatim), else a list."""
    blocks: list[str] = []
    covered: set[str] = set()
    signals = {str(g.get("signal")) for g in missing}
    for run in runs:
        block = gaps_section(run.text)
        if block is None:
            continue
        hits = {s for s in signals if s in block or s.replace("_", " ") in block}
        if hits - covered:
            blocks.append(block)
            covered |= hits
    rest = [g for g in missing if str(g.get("signal")) not in covered]
    if rest:
        lines = ["Data gaps:"] + [
            f"- {g.get('signal')}: needed for {g.get('needed_for')}; lives in "
            f"{g.get('source')}; ask {g.get('ask')}"
            for g in rest
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def gaps_section(text: str) -> str | None:
    """Return the gaps section of a deterministic rendering (its heading to its end)."""
    heading = GAPS_HEADING.search(text)
    if heading is None:
        return None
    lines = text[heading.start() :].splitlines()
    out = [lines[0]]
    started = False
    for line in lines[1:]:
        if not line.strip():
            if started:
                break
            out.append(line)
            continue
        if started and line.lstrip().startswith("#"):
            break
        started = True
        out.append(line)
    return "\n".join(out).rstrip()


def _result_block(run: ToolRun) -> str:
    """Return one run as the model sees it: the rendering and the JSON, untrusted text marked."""
    free: list[str] = []
    data = _prompt_json(run.result, free)
    rendering = _unmark(run.text)
    if len(rendering) > MAX_TEXT_CHARS:
        rendering = rendering[:MAX_TEXT_CHARS] + "\n(rendering cut here; the JSON has the rest)"
    for passage in sorted({p for p in free if len(p) >= 12}, key=len, reverse=True):
        rendering = rendering.replace(passage, f"<quoted>{passage}</quoted>")
    args = json.dumps(run.call.args, ensure_ascii=False, sort_keys=True)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        f'<tool_result command="{run.call.name}" args={_unmark(args)!r}>\n'
        f"<rendering>\n{rendering}\n</rendering>\n<json>\n{body}\n</json>\n</tool_result>"
    )


def _prompt_json(
    value: object, free: list[str], key: str | None = None, record: bool = False
) -> object:
    """Return the JSON for the prompt: long lists cut, untrusted text wrapped in <quoted>."""
    if isinstance(value, str):
        clean = _unmark(value)
        if key in ALWAYS_FREE_KEYS or (record and key in FREE_TEXT_KEYS):
            free.append(clean)
            return f"<quoted>{clean}</quoted>"
        return _EMBEDDED_QUOTE.sub(lambda m: f"<quoted>{m.group(1) or m.group(2)}</quoted>", clean)
    if isinstance(value, dict):
        inner = is_record(value)
        shown = list(value.items())
        if len(shown) > MAX_KEYS:  # a lookup table keyed by account (id -> name): cut it too
            shown = shown[:MAX_LIST_ITEMS] + [("…", f"({len(value)} keys; {MAX_LIST_ITEMS} shown)")]
        return {k: _prompt_json(v, free, str(k).lower(), inner) for k, v in shown}
    if isinstance(value, list):
        items = [_prompt_json(v, free, key, record) for v in value[:MAX_LIST_ITEMS]]
        if len(value) > MAX_LIST_ITEMS:
            items.append(f"(list of {len(value)} items; the first {MAX_LIST_ITEMS} shown)")
        return items
    return value


def _unmark(text: str) -> str:
    """Defuse our own markers inside data, so quoted text cannot close its quotation."""
    return _MARKERS.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def _repair_request(report: GroundingReport) -> dict[str, Any]:
    violations = "\n".join(f"- {v}" for v in report.violations)
    return {"role": "user", "content": sections("system")["Repair"].format(violations=violations)}


def _spent(composed: Composed, replies: list[LlmReply]) -> Composed:
    composed.model_calls = len(replies)
    composed.prompt_tokens = sum(r.usage.prompt_tokens for r in replies)
    composed.completion_tokens = sum(r.usage.completion_tokens for r in replies)
    return composed
