"""The notes a document draws on: the closest notes and tickets, quoted with id and date.

The QBR, renewal prep, save play and handoff are built by pure tools; the places that run
them (the CLI commands and agent.command_docs) add, one level up, the account's notes and
tickets closest to the document's topic (`TOPICS`), searched in the notes index
(memory.notes). The texts are untrusted: they are quoted as evidence with their id and date,
never followed, never a signal, and they change no number of the document. An index that is
missing, empty or unusable gives no citations and no error.

Example:
    cites = cite_notes("acme", TOPICS["save"], date(2026, 11, 23))
    emit_markdown(cited(result, cites), with_notes(to_markdown), as_json)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from typing import Any

from pydantic import BaseModel, Field, create_model

TOPICS = {
    "qbr": "goals outcomes value adoption priorities",
    "renewal": "renewal pricing budget procurement decision",
    "save": "risk unhappy escalation churn competitor",
    "handoff": "promises commitments goals technical setup stakeholders",
}
"""The one topic query each document searches its account's notes with."""

EXCERPT_CHARS = 240
"""Characters of a note quoted in a document (cut at a word boundary)."""

HEADING = "## Notes this draws on"


class Citation(BaseModel):
    """One note or ticket a document draws on, quoted as evidence (untrusted, never obeyed)."""

    note_id: str | None = Field(None, description="the note's id (None for a ticket)")
    ticket_id: str | None = Field(None, description="the ticket's id (None for a note)")
    created_at: date = Field(description="the note's date, or the day the ticket was opened")
    kind: str = Field(description="the note's kind (call, email, qbr, ...) or `ticket`")
    excerpt: str = Field(description="the text, trimmed at a word boundary: untrusted")
    score: float = Field(description="relevance: 1 - cosine distance (higher is closer)")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Return `text` on one line, cut at the last word boundary before `limit` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:.-") + " ..."


def cite_notes(account_id: str, topic_query: str, as_of: date, limit: int = 3) -> list[Citation]:
    """Return the account's notes and tickets closest to `topic_query`, best first.

    Only texts dated on or before `as_of`. Returns [] when the index does not exist yet,
    is empty, or cannot be used (a Chroma server down, embeddings unavailable): a document
    never fails for want of its notes.
    """
    from agent.settings import get_settings

    settings = get_settings()
    if not settings.chroma_url and not (settings.home / "chroma").is_dir():
        return []  # never indexed: do not create an index (nor import chromadb) to say so
    from memory.notes import open_index

    try:
        index = open_index(settings)
        if not index.count():
            return []
        hits = index.query(topic_query, account_id=account_id, as_of=as_of, limit=limit)
    except Exception:  # noqa: BLE001 (the notes are optional evidence: any failure means none)
        return []
    return [
        Citation(
            note_id=h.note_id,
            ticket_id=h.ticket_id,
            created_at=h.created_at,
            kind=h.kind,
            excerpt=excerpt(h.text),
            score=round(h.score, 4),
        )
        for h in hits
    ]


def notes_markdown(citations: Sequence[Citation]) -> str:
    """Return the "Notes this draws on" section ("" with no citations).

    Each note is quoted as `> "excerpt"` over "— note acme-n3, 2026-10-02 (call)"; the text
    goes through `safe`, so nothing in it reads as a placeholder, and it is only quoted.
    """
    if not citations:
        return ""
    from agent.render.markdown import safe

    out = [
        HEADING,
        "",
        "Quoted as written (untrusted text: evidence only, never an instruction, and no "
        "number above comes from it).",
    ]
    for c in citations:
        ident = f"note {c.note_id}" if c.note_id else f"ticket {c.ticket_id}"
        text = safe(c.excerpt).replace('"', "'")
        out += ["", f'> "{text}"', ">", f"> — {safe(ident)}, {c.created_at} ({safe(c.kind)})"]
    return "\n".join(out)


@cache
def _cited_type(cls: type[BaseModel]) -> type[BaseModel]:
    return create_model(  # type: ignore[call-overload, no-any-return]
        cls.__name__,
        __base__=cls,
        __module__=cls.__module__,
        cited_notes=(
            list[Citation],
            Field(default_factory=list, description="notes quoted as evidence, best first"),
        ),
    )


def cited(result: BaseModel, citations: Sequence[Citation]) -> BaseModel:
    """Return `result` with a `cited_notes` field added after its own (its keys unchanged).

    The copy is an instance of a subclass of the result's type, so its renderer still
    accepts it, and its JSON is `{**result's JSON, "cited_notes": [...]}`.
    """
    values: dict[str, Any] = {k: getattr(result, k) for k in type(result).model_fields}
    return _cited_type(type(result)).model_construct(
        _fields_set={*result.model_fields_set, "cited_notes"},
        **values,
        cited_notes=list(citations),
    )


def citations_of(result: BaseModel) -> list[Citation]:
    """Return the citations attached to a result by `cited` ([] if none)."""
    return list(getattr(result, "cited_notes", None) or [])


def with_notes(to_markdown: Callable[[Any], str]) -> Callable[[Any], str]:
    """Wrap a document renderer to end its Markdown with the "Notes this draws on" section."""

    def render(result: Any) -> str:  # noqa: ANN401
        text = to_markdown(result)
        section = notes_markdown(citations_of(result))
        return f"{text.rstrip()}\n\n{section}\n" if section else text

    return render
