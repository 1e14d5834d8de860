"""A model may only run a command on an account the conversation named (the wrong-account guard)."""

import pytest

from agent.compose_offline import OfflineComposer
from agent.llm_planner import LlmPlanner
from agent.parser import OfflinePlanner
from agent.session import Session
from tests.agent.llm_script import ScriptedModel, client, llm_env, scripted, tool_calls
from tests.conftest import DEMO_AS_OF


@pytest.fixture(autouse=True)
def _llm(monkeypatch, demo_env):
    llm_env(monkeypatch)


@pytest.fixture
def model():
    with scripted() as router:
        yield ScriptedModel(router)


def chat():
    planner = LlmPlanner(client(), today=DEMO_AS_OF, fallback=OfflinePlanner(DEMO_AS_OF))
    return Session("t-guard", DEMO_AS_OF, "dana", planner=planner, composer=OfflineComposer())


def ran(reply):
    return [(r.call.name, r.call.args.get("account")) for r in reply.runs]


def test_a_model_calling_an_account_nobody_named_runs_the_one_the_user_named(model, caplog):
    model.enqueue(tool_calls(("score", {"account": "Globex Corporation"})))
    with chat() as c:
        reply = c.send("Score Acme Corp")
    assert ran(reply) == [("score", "acme")]
    assert "model named globex, the user acme: ran score" in caplog.text


def test_with_no_account_in_the_message_the_agent_asks_instead_of_guessing(model):
    model.enqueue(tool_calls(("renewal", {"account": "Globex Corporation"})))
    with chat() as c:
        reply = c.send("prep the renewal for my biggest customer")
    assert reply.runs == []
    assert reply.text.startswith("Which account do you mean? I was about to run renewal for ")


def test_accounts_named_in_the_message_or_the_thread_run_as_the_model_chose(model):
    model.enqueue(
        tool_calls(("score", {"account": "Globex Corporation"})),
        tool_calls(("renewal", {"account": "globex"})),  # the thread's focus, by id
    )
    with chat() as c:
        assert ran(c.send("how is globex doing?")) == [("score", "globex")]
        assert ran(c.send("and their renewal?")) == [("renewal", "globex")]
