"""Block Kit rendering of csm's answers, within Slack's limits.

Every answer is a header per command run (what and on which account), its headline values
as fields, the answer's text in sections, the data gaps in their own section and a context
line with the as-of date. Slack allows 50 blocks a message and 3000 characters a section
text, and refuses a message whose blocks hold more than about 12,000 characters in all
(`msg_blocks_too_long`); a longer answer is split at line breaks, and what still does not
fit in 50 blocks and MAX_TEXT characters is cut with a hint naming the command that prints
all of it (`csm scan --json`).

Notes and tickets quoted in an answer are untrusted text: they are shown as text, and
mentions in them (`<!channel>`, `<@U...>`) are defused so a note cannot ping anyone.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from agent.planning import ToolRun
from agent.session import Reply

MAX_BLOCKS = 50
MAX_TEXT = 11_000
"""Characters of text in all of a message's blocks (Slack refuses ~12-13k: msg_blocks_too_long)."""
MIN_PART = 200
"""A section is shortened to fill the room left only when at least this much room is left."""
SECTION_CHARS = 3000
HEADER_CHARS = 150
FIELD_CHARS = 2000
MAX_FIELDS = 10
FALLBACK_CHARS = 3000
"""Characters of the notification fallback `text` (Slack truncates at 40,000)."""
FENCE = "```"
ERROR_CHARS = 200
"""Characters of an error's one line shown to a user."""
_TOKEN = re.compile(r"\b(?:xox[a-z]|xapp|sk|pat)-[\w.-]+|\bBearer\s+[\w.~+/=-]+", re.I)
"""What looks like a token in an error message (Slack, OpenAI, HubSpot, a bearer header)."""
_BOX = re.compile("[\u2500-\u257f]")
_SKIP_FIELDS = {"command", "as_of", "account_id", "name", "gaps", "show_all", "qualifying"}

APPROVE_ACTION = "csm_approve"
CANCEL_ACTION = "csm_cancel"


class Message(BaseModel):
    """A Slack message: the blocks and the plain fallback text notifications show."""

    text: str
    blocks: list[dict[str, Any]] = Field(default_factory=list)


def safe(text: str) -> str:
    """Defuse Slack's control sequences in untrusted text: &, <, > are escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cli_hint(run: ToolRun) -> str:
    """Return the CLI command that prints this run's whole result as JSON."""
    args = run.call.args
    parts = ["csm", run.call.name.replace("_", "-")]
    if args.get("account"):
        parts.append(_quote(str(args["account"])))
    if args.get("query"):
        parts.append(_quote(str(args["query"])))
    if args.get("days"):
        parts += ["--days", str(args["days"])]
    return " ".join([*parts, "--json"])


def reply_message(reply: Reply, as_of: date) -> Message:
    """Render a reply (any command's, or a plain answer) as a Block Kit message."""
    tail = [context(as_of, reply.runs)]
    hint = cli_hint(reply.runs[0]) if reply.runs else None
    blocks = fit(body_blocks(reply), tail, hint)
    return Message(text=fallback_text(reply.text), blocks=blocks)


def body_blocks(reply: Reply) -> list[dict[str, Any]]:
    """Return a reply's blocks before the context line: headers, fields, text, data gaps."""
    blocks: list[dict[str, Any]] = []
    for run in reply.runs:
        blocks.append(header(_title(run)))
        fields = headline_fields(run.result)
        if fields:
            blocks.append({"type": "section", "fields": fields})
    body = text_sections(reply.text)
    gaps = gap_sections([g for run in reply.runs for g in run.gaps])
    return [*blocks, *body, *gaps]


def pending_message(reply: Reply, as_of: date, value: str, asker: str) -> Message:
    """Render a staged CRM write: the exact change, Approve / Cancel buttons, who may approve.

    Args:
        reply: the reply whose `pending` holds the staged change.
        as_of: the as-of date of the thread.
        value: what the buttons carry (approvals.ApprovalRef as JSON).
        asker: the Slack user id of who asked for the write.
    """
    summary = (reply.pending or {}).get("change", {}).get("summary", reply.text)
    lead = reply.text.split(summary, 1)[0].strip()  # this turn's other answers, if any
    before = body_blocks(reply.model_copy(update={"text": lead}))
    change = [
        header("CRM change to approve"),
        *text_sections(summary),
        {
            "type": "actions",
            "block_id": "csm_approval",
            "elements": [
                _button("Approve", APPROVE_ACTION, value, "primary"),
                _button("Cancel", CANCEL_ACTION, value, "danger"),
            ],
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Nothing is written until <@{asker}> (or an admin) approves. "
                    f"As of {as_of.isoformat()}.",
                }
            ],
        },
    ]
    hint = cli_hint(reply.runs[0]) if reply.runs else None
    return Message(text=fallback_text(reply.text), blocks=fit(before, change, hint))


def short_message(text: str, hint: str | None) -> Message:
    """Render an answer Slack refused as too long: its plain text cut, and where the rest is.

    `text` is a message's fallback text (already escaped, at most FALLBACK_CHARS).
    """
    where = f"`{hint}` prints all of it" if hint else "`csm ask` in a terminal prints all of it"
    note = f"Slack refused the full answer as too long: {where}."
    blocks = [
        *text_sections_raw(text[:SECTION_CHARS]),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]},
    ]
    return Message(text=text[:FALLBACK_CHARS] or "csm", blocks=blocks)


def error_line(err: BaseException) -> str:
    """Return one short line saying what went wrong: no traceback, no token, no SQL."""
    from slack_sdk.errors import SlackApiError

    if isinstance(err, SlackApiError):
        return f"Slack answered {err.response.get('error') or 'an error'}"
    first = next((line.strip() for line in str(err).splitlines() if line.strip()), "")
    line = _TOKEN.sub("[redacted]", first) or type(err).__name__
    return _cut(line, ERROR_CHARS)


def failure_text(err: BaseException, question: str) -> str:
    """Return what a user is told when csm could not answer `question`."""
    asked = _cut(" ".join(question.split()), 120)
    return (
        f"csm could not answer: {error_line(err)}; try again, or run "
        f"`csm ask {json.dumps(asked)}` in a terminal."
    )


def plain_message(text: str, as_of: date | None = None, *, note: str | None = None) -> Message:
    """Render a plain answer (a question back, a refusal, a write's outcome).

    `note` is csm's own mrkdwn (it may mention people), shown as a context line after it.
    """
    blocks = text_sections(text)
    tail = [context(as_of, [])] if as_of else []
    if note:
        tail.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    fallback = "\n".join(p for p in (safe(text.strip()), note) if p)[:FALLBACK_CHARS] or "csm"
    return Message(text=fallback, blocks=fit(blocks, tail, None))


def header(text: str) -> dict[str, Any]:
    """Return a header block (plain text, at most 150 characters)."""
    return {"type": "header", "text": {"type": "plain_text", "text": _cut(text, HEADER_CHARS)}}


def headline_fields(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a result's top-level scalar values as section fields (at most 10)."""
    fields = []
    for key, value in result.items():
        if key in _SKIP_FIELDS or isinstance(value, dict | list) or value is None:
            continue
        shown = _scalar(value)
        if isinstance(value, float) and key.endswith(("coverage", "share")) and value <= 1:
            shown = f"{value:.0%}"
        if len(shown) > 80:
            continue
        label = key.replace("_", " ").capitalize()
        fields.append({"type": "mrkdwn", "text": _cut(f"*{label}*\n{safe(shown)}", FIELD_CHARS)})
        if len(fields) == MAX_FIELDS:
            break
    return fields


def text_sections(text: str) -> list[dict[str, Any]]:
    """Split an answer into section blocks of at most 3000 characters, at line breaks.

    A rich table (box-drawing characters) is kept monospaced in a code block; Markdown is
    turned into Slack's mrkdwn (headings and bold as *bold*).
    """
    text = text.strip()
    if not text:
        return []
    fenced = bool(_BOX.search(text))
    room = SECTION_CHARS - (2 * len(FENCE) + 2 if fenced else 0)
    body = safe(text) if fenced else mrkdwn(text)
    sections = []
    for chunk in split_text(body, room):
        shown = f"{FENCE}\n{chunk}\n{FENCE}" if fenced else chunk
        sections.append({"type": "section", "text": {"type": "mrkdwn", "text": shown}})
    return sections


def text_sections_raw(text: str) -> list[dict[str, Any]]:
    """Return csm's own mrkdwn (already escaped where untrusted) as sections of 3000 chars."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
        for chunk in split_text(text, SECTION_CHARS)
    ]


def gap_sections(gaps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the data gaps in their own section(s): signal, what needed it, who can fill it."""
    if not gaps:
        return []
    seen, lines = set(), []
    for gap in gaps:
        line = (
            f"• *{safe(str(gap.get('signal')))}* for {safe(str(gap.get('needed_for')))}: "
            f"{safe(str(gap.get('source')))}, ask {safe(str(gap.get('ask')))}"
        )
        if line not in seen:
            seen.add(line)
            lines.append(line)
    text = f"*Data gaps ({len(lines)})*\n" + "\n".join(lines)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
        for chunk in split_text(text, SECTION_CHARS)
    ]


def context(as_of: date | None, runs: list[ToolRun]) -> dict[str, Any]:
    """Return the context line: the as-of date and the commands that computed the answer."""
    parts = [f"As of {as_of.isoformat()}" if as_of else "csm"]
    if runs:
        parts.append("computed by " + ", ".join(f"`{r.call.name}`" for r in runs))
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(parts)}]}


def fit(
    blocks: list[dict[str, Any]], tail: list[dict[str, Any]], hint: str | None
) -> list[dict[str, Any]]:
    """Keep a message within Slack's limits: 50 blocks and MAX_TEXT characters of text.

    The tail is always kept; the body is cut (the last section kept shortened at a line
    break when room is left) and a note says which command prints the whole answer.
    """
    total = sum(block_chars(b) for b in [*blocks, *tail])
    if len(blocks) + len(tail) <= MAX_BLOCKS and total <= MAX_TEXT:
        return [*blocks, *tail]
    where = f"`{hint}` prints all of it" if hint else "`csm ask` prints all of it"
    note = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"Cut to fit Slack's limits: {where}."}],
    }
    keep_blocks = MAX_BLOCKS - len(tail) - 1
    room = MAX_TEXT - sum(block_chars(b) for b in [*tail, note])
    kept: list[dict[str, Any]] = []
    for block in blocks:
        if len(kept) == keep_blocks:
            break
        size = block_chars(block)
        if size > room:
            part = _shortened(block, room)
            if part is not None:
                kept.append(part)
            break
        kept.append(block)
        room -= size
    return [*kept, note, *tail]


def block_chars(block: dict[str, Any]) -> int:
    """Return the characters of text in a block (every `text` string in it, at any depth)."""
    return sum(len(t) for t in _texts(block))


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most `limit` characters, at line breaks when possible."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines():
        while len(line) > limit:  # a single line longer than a chunk: hard cut
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return [c for c in chunks if c.strip()]


def mrkdwn(markdown: str) -> str:
    """Turn Markdown into Slack mrkdwn: headings and **bold** become *bold*, links kept."""
    out = []
    for line in safe(markdown).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        if heading:
            line = f"*{heading.group(1).strip()}*"
        line = re.sub(r"\*\*(.+?)\*\*", r"*\1*", line)
        out.append(line)
    return "\n".join(out)


def fallback_text(text: str) -> str:
    """Return the plain text of a message for notifications (cut to FALLBACK_CHARS)."""
    return _cut(safe(text.strip()) or "csm", FALLBACK_CHARS)


TITLES = {
    "scan": "Weekly health scan",
    "renewals": "Renewal pipeline",
    "nrr": "Net revenue retention",
    "portfolio": "Portfolio review",
    "cohorts": "Cohort retention",
    "backtest": "Health model backtest",
    "qbr": "QBR prep",
    "roi": "ROI",
    "churn": "Churn risk",
    "renewal": "Renewal prep",
}
"""Headers of the commands whose name alone reads poorly."""


def _title(run: ToolRun) -> str:
    what = TITLES.get(run.call.name) or run.call.name.replace("_", " ").capitalize()
    name = run.result.get("name") or run.result.get("account_name")
    return f"{what}: {name}" if name else what


def _button(text: str, action_id: str, value: str, style: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
        "style": style,
    }


def _scalar(value: Any) -> str:  # noqa: ANN401
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _quote(text: str) -> str:
    return json.dumps(text) if re.search(r"\s", text) else text


def _texts(node: Any) -> list[str]:  # noqa: ANN401
    if isinstance(node, dict):
        out = [node["text"]] if isinstance(node.get("text"), str) else []
        for value in node.values():
            if isinstance(value, dict | list):
                out += _texts(value)
        return out
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


def _shortened(block: dict[str, Any], room: int) -> dict[str, Any] | None:
    """Return a text section cut at a line break to at most `room` characters, or None."""
    text = (block.get("text") or {}).get("text") if block.get("type") == "section" else None
    if not isinstance(text, str) or block.get("fields") or block.get("accessory"):
        return None
    fenced = text.startswith(f"{FENCE}\n") and text.endswith(f"\n{FENCE}")
    inner = text[len(FENCE) + 1 : -len(FENCE) - 1] if fenced else text
    limit = room - (2 * len(FENCE) + 2 if fenced else 0)
    if limit < MIN_PART:
        return None
    chunks = split_text(inner, limit)
    if not chunks:
        return None
    shown = f"{FENCE}\n{chunks[0]}\n{FENCE}" if fenced else chunks[0]
    return {"type": "section", "text": {**block["text"], "text": shown}}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
