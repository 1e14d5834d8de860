"""QBR, renewal, save and handoff cite the account's notes closest to their topic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.citations import HEADING, Citation, excerpt, notes_markdown
from agent.cli import app
from agent.settings import get_settings
from connectors.demo_stories import HOSTILE_NOTE
from tests.conftest import DEMO_AS_OF

runner = CliRunner()


def csm(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def notes_home(demo_db_url, tmp_path_factory) -> Path:
    """An app home whose notes index holds Acme's five demo notes (built once)."""
    from agent.settings import Settings
    from memory.notes import open_index, store_documents
    from memory.store import make_engine

    home = tmp_path_factory.mktemp("cite-home")
    engine = make_engine(demo_db_url)
    docs = [d for d in store_documents(engine, ["acme"]) if d.source == "note"]
    engine.dispose()
    open_index(Settings(home=home)).sync(docs)
    return home


@pytest.fixture
def with_notes(demo_env, notes_home, monkeypatch):
    monkeypatch.setenv("CSM_HOME", str(notes_home))
    get_settings.cache_clear()


def test_the_save_play_quotes_its_most_relevant_note_with_id_and_date(with_notes):
    code, out = csm("save", "acme")
    assert code == 0
    section = out[out.index(HEADING) :]
    first = section.split("\n> —", 1)[0]
    assert '> "Handoff from sales: Acme bought to cut month-end reporting' in first
    assert "> — note acme-n1, 2025-02-11 (handoff)" in section
    assert section.count("> — note ") == 3


def test_the_hostile_note_is_only_quoted_and_changes_no_number(demo_env, notes_home, monkeypatch):
    plain = {cmd: json.loads(csm(cmd, "acme", "--json")[1]) for cmd in ("renewal", "save")}
    assert all(p.pop("cited_notes") == [] for p in plain.values())
    plain_md = csm("renewal", "acme")[1]
    assert HEADING not in plain_md
    monkeypatch.setenv("CSM_HOME", str(notes_home))
    get_settings.cache_clear()
    code, out = csm("renewal", "acme")
    assert code == 0
    assert out.startswith(plain_md.rstrip())  # the document itself is unchanged
    assert f'> "{HOSTILE_NOTE}"' in out
    assert "> — note acme-n5, 2026-11-18 (email)" in out
    for cmd in ("renewal", "save"):
        cited = json.loads(csm(cmd, "acme", "--json")[1])
        notes = cited.pop("cited_notes")
        assert cited == plain[cmd]  # same keys, same figures
        assert notes and all(n["excerpt"] for n in notes)
    renewal = json.loads(csm("renewal", "acme", "--json")[1])["cited_notes"]
    assert renewal[0]["note_id"] == "acme-n5"
    assert renewal[0]["excerpt"] == HOSTILE_NOTE


def test_no_index_or_an_empty_one_gives_no_section_and_no_error(demo_env):
    from memory.notes import open_index

    for _ in range(2):  # first no index at all, then an empty one
        code, out = csm("handoff", "acme")
        assert code == 0
        assert HEADING not in out
        code, out = csm("handoff", "acme", "--json")
        assert json.loads(out)["cited_notes"] == []
        open_index(get_settings())


def test_json_has_cited_notes_next_to_the_result(with_notes):
    code, out = csm("qbr", "acme", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["command"] == "qbr"
    notes = result["cited_notes"]
    assert 1 <= len(notes) <= 3
    assert {"note_id", "ticket_id", "created_at", "kind", "excerpt", "score"} == notes[0].keys()
    assert [n["score"] for n in notes] == sorted((n["score"] for n in notes), reverse=True)


def test_the_agent_runners_attach_the_citations(with_notes):
    from agent.command_args import AccountArgs
    from agent.command_docs import save
    from agent.command_runs import RunContext
    from memory.store import open_store

    store = open_store(get_settings().store_url)
    try:
        result = save(AccountArgs(account="acme"), RunContext(as_of=DEMO_AS_OF, store=store))
    finally:
        store.dispose()
    dumped = result.model_dump(mode="json")
    assert dumped["command"] == "save"
    assert dumped["cited_notes"][0]["note_id"] == "acme-n1"


def test_excerpts_are_trimmed_at_a_word_and_made_safe():
    text = "word " * 100
    cut = excerpt(text)
    assert len(cut) <= 244 and cut.endswith("word ...")
    md = notes_markdown(
        [Citation(note_id="x-1", created_at=DEMO_AS_OF, kind="email", excerpt="Hi [Name], {x}",
                  score=0.5)]
    )  # fmt: skip
    assert '> "Hi (Name), (x)"' in md and "> — note x-1, 2026-11-23 (email)" in md
    assert notes_markdown([]) == ""
