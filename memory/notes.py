"""The notes index: notes and ticket texts in a Chroma collection, searched by meaning.

Embedded by default (a `PersistentClient` in `$CSM_HOME/chroma`), a Chroma server when
`CSM_CHROMA_URL` is set. Texts are embedded offline with MiniLM, or with OpenAI's endpoint
when `CSM_EMBEDDINGS=openai` (memory.embeddings); each kind of embedding has its own
collection, so switching never mixes vectors of different models.

Each document is one note or one ticket (subject and description), under the id
`note:<note_id>` or `ticket:<ticket_id>`, with the metadata `account_id`, `source` (note or
ticket), `kind` (the note's kind, or `ticket`), `created_at` (ISO date), `day` (the date as
the number YYYYMMDD, which Chroma can compare for `as_of`), `author` when known and `fp` (a
fingerprint of all of these and the text). `sync` makes the index equal to the store: it
embeds only new or changed documents and removes those the store no longer has, so running
it again is a no-op.

The texts are untrusted: they are stored and returned as data (`NoteHit.text`) and nothing
here interprets them. chromadb, onnxruntime and openai are imported only when an index is
opened, so importing this module is cheap.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

ProgressFn = Callable[[int, int], None]
"""Called as progress(documents done, documents to embed)."""

UPSERT_BATCH = 128
"""Documents embedded and written per call (and per progress report)."""

_PAGE = 5_000
"""Documents read per page when listing the index."""

_DELETE_BATCH = 1_000
"""Ids per delete call (below Chroma's maximum batch size)."""


class NotesIndexError(Exception):
    """The notes index cannot be opened or used; the message says what to do."""


class IndexSettings(Protocol):
    """What opening an index needs (agent.settings.Settings provides it)."""

    home: Path
    chroma_url: str | None
    embeddings: str
    embeddings_model: str


class NoteHit(BaseModel):
    """One search result: a note or a ticket, quoted as data with its id and date."""

    note_id: str | None = Field(None, description="the note's id (None for a ticket)")
    ticket_id: str | None = Field(None, description="the ticket's id (None for a note)")
    account_id: str
    created_at: date = Field(description="the note's date, or the day the ticket was opened")
    source: Literal["note", "ticket"]
    kind: str = Field(description="the note's kind (call, email, qbr, ...) or `ticket`")
    author: str | None = None
    text: str = Field(description="the text as stored: untrusted, evidence only")
    score: float = Field(description="relevance: 1 - cosine distance (higher is closer)")


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """A note or ticket as the index stores it."""

    source: Literal["note", "ticket"]
    source_id: str
    account_id: str
    created_at: date
    kind: str
    text: str
    author: str | None = None

    @property
    def doc_id(self) -> str:
        """Return the document's id in the index, e.g. `note:acme-n5`."""
        return f"{self.source}:{self.source_id}"

    def metadata(self) -> dict[str, str | int]:
        """Return the document's Chroma metadata, its fingerprint included."""
        meta: dict[str, str | int] = {
            "id": self.source_id,
            "source": self.source,
            "account_id": self.account_id,
            "kind": self.kind,
            "created_at": self.created_at.isoformat(),
            "day": _day_number(self.created_at),
        }
        if self.author:
            meta["author"] = self.author
        meta["fp"] = _fingerprint(meta, self.text)
        return meta


class SyncSummary(BaseModel):
    """What `sync` did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    @property
    def indexed(self) -> int:
        """Return how many documents were embedded and written (added or updated)."""
        return self.added + self.updated


def _day_number(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def _fingerprint(meta: dict[str, str | int], text: str) -> str:
    parts = [f"{k}={meta[k]}" for k in sorted(meta)] + [text]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def store_documents(engine: Engine, account_ids: Sequence[str] | None = None) -> list[IndexDoc]:
    """Read the store's notes and tickets as index documents (empty texts left out).

    Args:
        engine: the account store's engine.
        account_ids: only these accounts (None = all).
    """
    from memory import models as m

    docs: list[IndexDoc] = []
    with engine.connect() as conn:
        notes = select(
            m.Note.note_id, m.Note.account_id, m.Note.created_at, m.Note.kind, m.Note.author,
            m.Note.text,
        )  # fmt: skip
        tickets = select(
            m.Ticket.ticket_id, m.Ticket.account_id, m.Ticket.opened_at, m.Ticket.subject,
            m.Ticket.description,
        )  # fmt: skip
        if account_ids is not None:
            notes = notes.where(m.Note.account_id.in_(account_ids))
            tickets = tickets.where(m.Ticket.account_id.in_(account_ids))
        for note_id, account_id, created_at, kind, author, text in conn.execute(notes):
            if text and text.strip():
                docs.append(
                    IndexDoc("note", note_id, account_id, _as_date(created_at), kind or "note",
                             text, author)
                )  # fmt: skip
        for ticket_id, account_id, opened_at, subject, description in conn.execute(tickets):
            text = "\n\n".join(p.strip() for p in (subject, description) if p and p.strip())
            if text:
                docs.append(
                    IndexDoc("ticket", ticket_id, account_id, _as_date(opened_at), "ticket", text)
                )
    return docs


class NotesIndex:
    """A Chroma collection of notes and tickets with its embedding function."""

    def __init__(
        self,
        client: ClientAPI,
        collection: Collection,
        location: str,
        embedding: Any,  # noqa: ANN401 (a chromadb EmbeddingFunction)
    ) -> None:
        self.client = client
        self.collection = collection
        self.embedding = embedding
        self.location = location
        """Where the index lives, for messages: a folder or a server URL, and the collection."""

    def count(self) -> int:
        """Return how many documents the index holds."""
        return self.collection.count()

    def upsert(self, docs: Iterable[IndexDoc], progress: ProgressFn | None = None) -> int:
        """Embed and write `docs`, replacing documents with the same id.

        Returns:
            How many documents were written.

        Raises:
            NotesIndexError: a batch could not be embedded; the earlier batches are kept.
        """
        from memory.embeddings import EmbeddingsUnavailable

        pending = sorted(docs, key=lambda d: len(d.text))  # similar lengths pad least
        for start in range(0, len(pending), UPSERT_BATCH):
            batch = pending[start : start + UPSERT_BATCH]
            try:
                self.collection.upsert(
                    ids=[d.doc_id for d in batch],
                    documents=[d.text for d in batch],
                    metadatas=[d.metadata() for d in batch],  # type: ignore[misc]
                )
            except EmbeddingsUnavailable as err:
                raise NotesIndexError(f"{err} ({start:,} of {len(pending):,} written)") from err
            if progress is not None:
                progress(start + len(batch), len(pending))
        return len(pending)

    def delete(self, note_ids: Iterable[str] = (), ticket_ids: Iterable[str] = ()) -> None:
        """Remove notes and tickets by their ids (unknown ids are ignored)."""
        ids = [f"note:{i}" for i in note_ids] + [f"ticket:{i}" for i in ticket_ids]
        for start in range(0, len(ids), _DELETE_BATCH):
            self.collection.delete(ids=ids[start : start + _DELETE_BATCH])

    def fingerprints(self) -> dict[str, str]:
        """Return every document's id -> fingerprint (read page by page)."""
        out: dict[str, str] = {}
        offset = 0
        while True:
            page = self.collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
            ids, metas = page["ids"], page["metadatas"] or []
            for doc_id, meta in zip(ids, metas, strict=True):
                out[doc_id] = str((meta or {}).get("fp", ""))
            if len(ids) < _PAGE:
                return out
            offset += _PAGE

    def sync(self, docs: Iterable[IndexDoc], progress: ProgressFn | None = None) -> SyncSummary:
        """Make the index hold exactly `docs`: embed new and changed ones, drop the others.

        Args:
            docs: every document the index should hold (e.g. `store_documents(engine)`).
            progress: called after each batch embedded.
        """
        wanted = {d.doc_id: d for d in docs}
        have = self.fingerprints()
        changed = [d for i, d in wanted.items() if have.get(i) != d.metadata()["fp"]]
        stale = [i for i in have if i not in wanted]
        self.upsert(changed, progress)
        for start in range(0, len(stale), _DELETE_BATCH):
            self.collection.delete(ids=stale[start : start + _DELETE_BATCH])
        updated = sum(1 for d in changed if d.doc_id in have)
        return SyncSummary(
            added=len(changed) - updated,
            updated=updated,
            removed=len(stale),
            unchanged=len(wanted) - len(changed),
        )

    def query(
        self,
        text: str,
        *,
        account_id: str | None = None,
        as_of: date | None = None,
        limit: int = 5,
    ) -> list[NoteHit]:
        """Return the notes and tickets closest in meaning to `text`, best first.

        Args:
            text: what to look for.
            account_id: only this account's documents (None = every account).
            as_of: only documents dated on or before this day.
            limit: at most this many results.

        Raises:
            NotesIndexError: the query could not be embedded (e.g. the endpoint failed).
        """
        if limit < 1 or not text.strip():
            return []
        conditions: list[dict[str, Any]] = []
        if account_id is not None:
            conditions.append({"account_id": account_id})
        if as_of is not None:
            conditions.append({"day": {"$lte": _day_number(as_of)}})
        where: dict[str, Any] | None = None
        if conditions:
            where = conditions[0] if len(conditions) == 1 else {"$and": conditions}
        from memory.embeddings import EmbeddingsUnavailable

        try:
            reply = self.collection.query(
                query_texts=[text],
                n_results=limit,
                where=where,  # type: ignore[arg-type]
                include=["documents", "metadatas", "distances"],
            )
        except EmbeddingsUnavailable as err:
            raise NotesIndexError(str(err)) from err
        documents = (reply["documents"] or [[]])[0]
        metas = (reply["metadatas"] or [[]])[0]
        distances = (reply["distances"] or [[]])[0]
        hits = [
            _hit(doc, meta or {}, dist)
            for doc, meta, dist in zip(documents, metas, distances, strict=True)
        ]
        hits.sort(key=lambda h: (-h.score, h.created_at, h.note_id or h.ticket_id or ""))
        return hits

    def reset(self) -> None:
        """Delete every document (the collection is dropped and created again)."""
        name = self.collection.name
        self.client.delete_collection(name)
        self.collection = _collection(self.client, name, self.embedding)


def _hit(document: str | None, meta: dict[str, Any], distance: float) -> NoteHit:
    source = "ticket" if meta.get("source") == "ticket" else "note"
    ident = str(meta.get("id", ""))
    return NoteHit(
        note_id=ident if source == "note" else None,
        ticket_id=ident if source == "ticket" else None,
        account_id=str(meta.get("account_id", "")),
        created_at=date.fromisoformat(str(meta.get("created_at"))),
        source=source,
        kind=str(meta.get("kind", source)),
        author=meta.get("author"),
        text=document or "",
        score=1.0 - float(distance),
    )


def collection_name(settings: IndexSettings) -> str:
    """Return the collection for the configured embeddings (one per model)."""
    if settings.embeddings == "openai":
        model = "".join(c if c.isalnum() or c in "-_." else "-" for c in settings.embeddings_model)
        return f"csm_notes_openai_{model}".strip("-_.")[:500]
    return "csm_notes_minilm"


def embedding_function(settings: IndexSettings, **openai_options: Any) -> Any:  # noqa: ANN401
    """Return the configured embedding function (openai_options go to the openai client)."""
    from memory.embeddings import LocalMiniLM, OpenAIEmbeddings

    if settings.embeddings == "openai":
        ef = OpenAIEmbeddings(settings.embeddings_model, **openai_options)
        ef.client()  # a missing key or package is reported now, not at the first embedding
        return ef
    return LocalMiniLM(settings.home / "models" / "minilm")


def open_index(
    settings: IndexSettings,
    *,
    embedding: Any = None,  # noqa: ANN401 (a chromadb EmbeddingFunction)
    collection: str | None = None,
) -> NotesIndex:
    """Open (creating if needed) the notes index the settings name.

    Args:
        settings: the app home, CSM_CHROMA_URL and CSM_EMBEDDINGS.
        embedding: an embedding function to use instead of the configured one (tests).
        collection: a collection name instead of `collection_name(settings)` (tests).

    Raises:
        NotesIndexError: the Chroma server does not answer, or the embeddings cannot run.
    """
    from memory.embeddings import EmbeddingsUnavailable

    try:
        ef = embedding if embedding is not None else embedding_function(settings)
    except EmbeddingsUnavailable as err:
        raise NotesIndexError(str(err)) from None
    client, location = _client(settings)
    name = collection or collection_name(settings)
    try:
        collection = _collection(client, name, ef)
    except ValueError as err:  # e.g. an embedding function other than the one recorded
        raise NotesIndexError(
            f"the notes index {location} ({name}) cannot be opened: {err}; "
            "rebuild it with `csm notes --reindex`"
        ) from None
    return NotesIndex(client, collection, f"{location} ({name})", ef)


def _collection(client: ClientAPI, name: str, ef: Any) -> Collection:  # noqa: ANN401
    return client.get_or_create_collection(
        name,
        embedding_function=ef,
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"description": "csm notes and tickets (untrusted text, evidence only)"},
    )


def _client(settings: IndexSettings) -> tuple[ClientAPI, str]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        path = settings.home / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings), str(path)
    url = urlsplit(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise NotesIndexError(
            f"CSM_CHROMA_URL={settings.chroma_url} is not a Chroma server URL "
            "(e.g. http://127.0.0.1:8000)"
        )
    ssl = url.scheme == "https"
    try:
        client = chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if ssl else 80),
            ssl=ssl,
            settings=chroma_settings,
        )
        client.heartbeat()
    except Exception as err:  # noqa: BLE001 (any connection error becomes one clear line)
        raise NotesIndexError(
            f"the Chroma server at {settings.chroma_url} (CSM_CHROMA_URL) does not answer: {err}"
        ) from None
    return client, settings.chroma_url
