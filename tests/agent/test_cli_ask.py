"""`csm ask` and `csm chat` through the CLI runner, on a copy of the demo store."""

import json

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.settings import get_settings
from memory.store import open_store
from memory.writes import audit_entries
from tests.conftest import DEMO_AS_OF

AS_OF = DEMO_AS_OF.isoformat()
runner = CliRunner()


@pytest.fixture
def demo_copy(demo_copy, monkeypatch):
    """The shared private demo copy, with Dana as the user."""
    monkeypatch.setenv("CSM_USER", "dana")
    get_settings.cache_clear()
    return demo_copy


def audit(url):
    store = open_store(url)
    try:
        return audit_entries(store)
    finally:
        store.dispose()


def invoke(*args, stdin=None):
    result = runner.invoke(app, list(args), input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_ask_json_returns_the_tool_result_and_the_answer(demo_copy):
    out = json.loads(invoke("ask", "Score Acme Corp", "--as-of", AS_OF, "--json").stdout)
    score = json.loads(invoke("score", "acme", "--as-of", AS_OF, "--json").stdout)
    assert set(out) == {"thread", "answer", "runs", "pending", "outcome"}
    assert out["runs"] == [
        {"call": {"name": "score", "args": {"account": "acme"}}, "result": score}
    ]
    assert f"Score {score['score']} /100" in out["answer"]
    assert out["pending"] is None and out["thread"] is None


def test_ask_prints_the_same_rendering_as_the_agent_answer(demo_copy):
    text = invoke("ask", "Score Acme Corp", "--as-of", AS_OF).stdout
    assert text.startswith("Health: Acme Corp  as of 2026-11-23\n")


def test_ask_what_it_cannot_do_lists_what_it_can(demo_copy):
    text = invoke("ask", "book me a flight", "--as-of", AS_OF).stdout
    assert text.startswith("I can't answer that from the tools, and I won't guess.")


def test_ask_a_write_then_confirm_it_in_the_same_thread(demo_copy):
    staged = json.loads(
        invoke("ask", "log a note on Acme Corp: sent the quote", "--as-of", AS_OF, "--json").stdout
    )
    assert staged["pending"]["change"]["summary"].startswith("Log a note on Acme Corp (acme)")
    assert staged["answer"].endswith("Write this to the CRM? (yes / no)")
    assert audit(demo_copy) == []
    thread = staged["thread"]
    done = json.loads(invoke("ask", "yes", "--thread", thread, "--as-of", AS_OF, "--json").stdout)
    assert done["outcome"]["result"] == "ok" and done["pending"] is None
    [entry] = audit(demo_copy)
    assert (entry.actor, entry.confirmed_by, entry.payload["text"]) == (
        "dana",
        "dana",
        "sent the quote",
    )


def test_ask_follow_up_on_a_named_thread(demo_copy):
    invoke("ask", "Score Acme Corp", "--thread", "mine", "--as-of", AS_OF)
    out = json.loads(
        invoke("ask", "and their renewal?", "--thread", "mine", "--as-of", AS_OF, "--json").stdout
    )
    assert out["runs"][0]["call"] == {"name": "renewal", "args": {"account": "acme"}}


def test_scripted_four_turn_chat_leaves_exactly_one_audited_write(demo_copy):
    script = (
        "Score Acme Corp\n"
        "and their renewal?\n"
        "log a note on Acme Corp: called Greg about the renewal\n"
        "yes\n"
    )
    out = invoke("chat", "--as-of", AS_OF, stdin=script).stdout
    prompts = [line for line in out.splitlines() if line.startswith("you> ")]
    assert prompts == [f"you> {line}" for line in script.splitlines()]
    assert "Health: Acme Corp  as of 2026-11-23" in out
    assert "# Renewal prep: Acme Corp" in out
    assert "> called Greg about the renewal\n\nWrite this to the CRM? (yes / no)" in out
    assert (
        out.rstrip()
        .splitlines()[-1]
        .startswith("Written to the CRM (local): note on Acme Corp, record ")
    )
    [entry] = audit(demo_copy)
    assert (entry.kind, entry.account_id, entry.actor, entry.confirmed_by) == (
        "note",
        "acme",
        "dana",
        "dana",
    )
    assert entry.payload["text"] == "called Greg about the renewal"


def test_chat_ends_on_exit_and_skips_blank_lines(demo_copy):
    out = invoke("chat", "--as-of", AS_OF, stdin="\nhelp\nexit\nScore Acme Corp\n").stdout
    assert out.startswith("you> help\nHere is what I can do:")
    assert "Health:" not in out


def test_chat_continues_a_thread(demo_copy):
    invoke("chat", "--thread", "t9", "--as-of", AS_OF, stdin="Score Acme Corp\n")
    out = invoke("chat", "--thread", "t9", "--as-of", AS_OF, stdin="what about churn risk?\n")
    assert "Churn risk for Acme Corp" in out.stdout
