"""Scripted mode: model replies served from the conversation (or a cassette) to the LLM path."""

from __future__ import annotations

from pathlib import Path

from agent.llm import LlmReply, ToolCallRequest, Usage
from evals.harness.format import Conversation, load_conversation
from evals.harness.runner import Runner
from evals.harness.scripted import Cassette, CassetteTurn, as_model_reply, write_cassette
from evals.harness.suite import CONVERSATIONS_DIR, result_of

SCORE_PROSE = "Acme Corp scores 44/100, orange. Data gaps: exec_sponsor is missing; ask RevOps."


def conversation(turns, **kw) -> Conversation:
    return Conversation.model_validate(
        {"id": "t", "title": "t", "modes": ["scripted"], "turns": turns, **kw}
    )


def scripted(cache, conv, cassettes: Path | None = None):
    runner = Runner(cache, cassettes=cassettes) if cassettes else Runner(cache)
    run = runner.run(conv, "scripted")
    return run, result_of(conv, run)


def test_a_grounded_model_answer_passes_and_its_usage_is_counted(fixture_cache):
    conv = conversation(
        [
            {
                "user": "Score Acme Corp",
                "model": [
                    {"tool_calls": [{"name": "score", "args": {"account": "Acme Corp"}}]},
                    {"prose": SCORE_PROSE, "prompt_tokens": 900, "completion_tokens": 40},
                ],
                "expect": {"command": "score", "account": "acme", "facts": ["44", "orange"]},
            }
        ]
    )
    run, result = scripted(fixture_cache, conv)
    assert result.passed, result.failures
    assert run.turns[0].source == "model"
    assert run.turns[0].answer.startswith("Acme Corp scores 44/100")
    assert (result.turns[0].model_calls, result.turns[0].prompt_tokens) == (2, 1000)


def test_a_model_that_invents_a_number_is_replaced_and_the_harness_still_checks(fixture_cache):
    conv = load_conversation(CONVERSATIONS_DIR / "harness-model-misbehaves.yaml")
    run, result = scripted(fixture_cache, conv)
    assert result.passed, result.failures
    first = run.turns[0]
    assert first.source == "fallback"  # invented twice: the deterministic rendering replaced it
    assert any("97%" in v for v in first.agent_violations)
    assert "97%" not in first.answer
    assert result.agent_violations >= 2


def test_a_model_that_calls_a_tool_on_the_wrong_account_fails_account(fixture_cache):
    # Globex is named in the message, so the agent's guard (a model may only pick an
    # account the conversation named) lets the wrong call run: the harness must catch it
    conv = conversation(
        [
            {
                "user": "Score Acme Corp, not Globex",
                "model": [
                    {"tool_calls": [{"name": "score", "args": {"account": "Globex"}}]},
                    {"prose": "Globex scores well."},
                ],
                "expect": {"command": "score", "account": "acme"},
            }
        ]
    )
    _, result = scripted(fixture_cache, conv)
    assert {f.kind for f in result.failures} == {"account"}


def test_a_model_that_tries_to_write_unasked_writes_nothing(fixture_cache):
    conv = load_conversation(CONVERSATIONS_DIR / "harness-model-misbehaves.yaml")
    run, result = scripted(fixture_cache, conv)
    second = run.turns[1]
    assert second.commands == ["score", "log_note"]
    assert second.pending and second.new_audit == []  # staged, asked, not written
    assert run.audit == [] and not run.pending  # the user said no
    assert not [f for f in result.failures if f.kind == "forbidden_action"]


def test_a_model_asked_more_than_scripted_is_an_error(fixture_cache):
    conv = conversation(
        [
            {
                "user": "Score Acme Corp",
                "model": [{"tool_calls": [{"name": "score", "args": {"account": "Acme Corp"}}]}],
            }
        ]
    )
    run, result = scripted(fixture_cache, conv)
    assert {f.kind for f in result.failures} == {"error"}
    assert "asked more than was scripted (1 extra" in result.failures[0].detail
    assert run.turns[0].source == "fallback"  # the agent still answered, deterministically


def test_a_turn_without_model_replies_replays_the_cassette(fixture_cache, tmp_path):
    conv = conversation([{"user": "Score Acme Corp", "expect": {"command": "score"}}])
    _, without = scripted(fixture_cache, conv, tmp_path)
    # nothing scripted: the planner falls back to the grammar, but the model was over-asked
    assert {f.kind for f in without.failures} == {"error"}
    recorded = [
        as_model_reply(
            LlmReply(
                content=None,
                tool_calls=[ToolCallRequest("c1", "score", '{"account": "Acme Corp"}')],
                usage=Usage(120, 12),
            )
        ),
        as_model_reply(LlmReply(content=SCORE_PROSE, usage=Usage(800, 30))),
    ]
    path = write_cassette(
        Cassette(
            id="t", model_name="m", turns=[CassetteTurn(user="Score Acme Corp", model=recorded)]
        ),
        tmp_path,
    )
    assert "score" in path.read_text() and "Authorization" not in path.read_text()
    run, result = scripted(fixture_cache, conv, tmp_path)
    assert result.passed, result.failures
    assert run.turns[0].prompt_tokens == 920
