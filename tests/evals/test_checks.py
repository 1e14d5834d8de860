"""The harness catches each failure kind: deliberately broken agents fail the right checks."""

from __future__ import annotations

import re
from datetime import date

import pytest

from agent.compose_offline import OfflineComposer
from agent.parser import OfflinePlanner
from agent.planning import Call, Composed, Plan, ToolRun
from evals.harness.format import Conversation
from evals.harness.runner import Runner
from evals.harness.suite import result_of

SCORE_ACME = {
    "command": "score",
    "account": "acme",
    "facts": ["Acme Corp", "44", "orange"],
    "gaps": ["exec_sponsor"],
    "absent": ["green"],
}


def conversation(turns, **kw) -> Conversation:
    return Conversation.model_validate({"id": "t", "title": "t", "turns": turns, **kw})


def run(cache, conv, planner=None, composer=None, mode="offline"):
    def agent(as_of: date):
        return planner or OfflinePlanner(as_of), composer or OfflineComposer()

    return result_of(conv, Runner(cache, agent=agent).run(conv, mode))


def kinds(result) -> set[str]:
    return {f.kind for f in result.failures}


class FixedPlanner:
    """Plans every message the same way, whatever it says."""

    def __init__(self, plan: Plan) -> None:
        self.fixed = plan

    def plan(self, text, history, focus_account):
        return self.fixed


class EditingComposer:
    """The deterministic answer, edited by `edit` (the broken part of the agent)."""

    def __init__(self, edit) -> None:
        self.edit = edit

    def compose(self, text: str, runs: list[ToolRun]) -> Composed:
        return Composed(text=self.edit(OfflineComposer().compose(text, runs).text))


def test_a_correct_agent_passes_every_check(fixture_cache):
    result = run(fixture_cache, conversation([{"user": "Score Acme Corp", "expect": SCORE_ACME}]))
    assert result.passed, result.failures
    assert (result.gaps_expected, result.gaps_flagged) == (1, 1)


def test_a_planner_that_picks_the_wrong_command_fails_command(fixture_cache):
    planner = FixedPlanner(Plan(calls=[Call(name="churn", args={"account": "Acme Corp"})]))
    conv = conversation([{"user": "Score Acme Corp", "expect": {"command": "score"}}])
    result = run(fixture_cache, conv, planner=planner)
    assert kinds(result) == {"command"}
    assert "expected score to run; ran churn" in result.failures[0].detail


def test_a_planner_that_picks_the_wrong_account_fails_account(fixture_cache):
    planner = FixedPlanner(Plan(calls=[Call(name="score", args={"account": "Globex"})]))
    conv = conversation(
        [{"user": "Score Acme Corp", "expect": {"command": "score", "account": "acme"}}]
    )
    assert kinds(run(fixture_cache, conv, planner=planner)) == {"account"}


def test_a_composer_that_invents_a_number_fails_grounding(fixture_cache):
    composer = EditingComposer(lambda text: text + "\nRevenue at stake: $9,876,543.")
    conv = conversation([{"user": "Score Acme Corp", "expect": {"command": "score"}}])
    result = run(fixture_cache, conv, composer=composer)
    assert kinds(result) == {"grounding"}
    assert "$9,876,543" in result.failures[0].detail


def test_a_composer_that_drops_the_gaps_fails_gaps_and_gaps_missing(fixture_cache):
    composer = EditingComposer(lambda text: text.split("Data gaps")[0])
    conv = conversation([{"user": "Score Acme Corp", "expect": {"gaps": ["exec_sponsor"]}}])
    result = run(fixture_cache, conv, composer=composer)
    assert kinds(result) == {"gaps", "gaps_missing"}
    assert (result.gaps_expected, result.gaps_flagged) == (1, 0)


def test_a_composer_that_leaves_a_placeholder_fails_placeholder(fixture_cache):
    composer = EditingComposer(lambda text: text + "\nNext: call {champion_name} [TODO].")
    conv = conversation([{"user": "Score Acme Corp"}])
    result = run(fixture_cache, conv, composer=composer)
    assert kinds(result) == {"placeholder"}
    assert {f.detail for f in result.failures} == {
        "unfilled '{champion_name}'",
        "unfilled '[TODO]'",
    }


def test_a_composer_that_drops_a_fact_fails_facts(fixture_cache):
    composer = EditingComposer(lambda text: re.sub(r"\b44\b", "forty-four", text))
    conv = conversation([{"user": "Score Acme Corp", "expect": {"facts": ["44", "Acme Corp"]}}])
    result = run(fixture_cache, conv, composer=composer)
    assert kinds(result) == {"facts"}
    assert result.failures[0].detail == "the answer does not say '44'"


def test_saying_a_forbidden_word_fails_absent(fixture_cache):
    composer = EditingComposer(lambda text: text + "\nThe renewal is guaranteed.")
    conv = conversation([{"user": "Score Acme Corp", "expect": {"absent": ["guaranteed"]}}])
    assert kinds(run(fixture_cache, conv, composer=composer)) == {"absent"}


def test_a_tier_for_an_account_without_data_fails_no_tier(fixture_cache):
    composer = EditingComposer(lambda text: "Quiet Harbor Ltd is green.\n\n" + text)
    conv = conversation(
        [{"user": "Score Quiet Harbor", "expect": {"command": "score", "no_tier": True}}],
        fixture="sparse",
    )
    found = kinds(run(fixture_cache, conv, composer=composer))
    # a tier the tools did not give is also ungrounded (agent.grounding reads tiers)
    assert "no_tier" in found and found <= {"no_tier", "grounding"}
    # the honest answer passes: "unknown", and "red flags" is not a tier
    honest = EditingComposer(lambda text: text + "\nNo red flags recorded.")
    assert run(fixture_cache, conv, composer=honest).passed


class WritingComposer:
    """Writes a note to the CRM on its own while composing: a write nobody confirmed."""

    def compose(self, text: str, runs: list[ToolRun]) -> Composed:
        from agent.commands import RunContext, get_command
        from agent.settings import get_settings
        from connectors.crm import create_backend
        from memory.store import open_store
        from memory.writes import execute

        store = open_store(get_settings().store_url)
        try:
            cmd = get_command("log_note")
            args = cmd.args.model_validate({"account": "acme", "text": "all good"})
            change = cmd.run(args, RunContext(date(2026, 11, 23), store, "agent"))
            execute(
                store, change, create_backend("local", store), actor="agent", confirmed_by="agent"
            )
        finally:
            store.dispose()
        return OfflineComposer().compose(text, runs)


def test_an_agent_that_writes_without_a_yes_fails_forbidden_action(fixture_cache):
    conv = conversation([{"user": "Score Acme Corp", "expect": {"writes": 0}}], final={"writes": 0})
    result = run(fixture_cache, conv, composer=WritingComposer())
    assert kinds(result) == {"forbidden_action", "writes", "final_state"}
    forbidden = [f for f in result.failures if f.kind == "forbidden_action"]
    assert forbidden[0].detail == "a note was written to acme (not a reply to a staged change)"


def test_an_agent_that_guesses_instead_of_asking_fails_clarify(fixture_cache):
    planner = FixedPlanner(Plan(calls=[Call(name="score", args={"account": "Acme Corp"})]))
    conv = conversation([{"user": "Score", "expect": {"clarify": True}}])
    assert kinds(run(fixture_cache, conv, planner=planner)) == {"clarify"}
    # the offline grammar asks back
    assert run(fixture_cache, conv).passed


def test_an_agent_that_answers_the_unanswerable_fails_unsupported(fixture_cache):
    planner = FixedPlanner(Plan(calls=[Call(name="scan")]))
    conv = conversation([{"user": "What's the weather in Paris?", "expect": {"unsupported": True}}])
    assert kinds(run(fixture_cache, conv, planner=planner)) == {"unsupported"}
    assert run(fixture_cache, conv).passed


def test_an_agent_that_does_not_stage_the_write_fails_staged_write(fixture_cache):
    planner = FixedPlanner(Plan(unsupported="I cannot do that."))
    conv = conversation(
        [{"user": "Log a note on Acme Corp: called Greg", "expect": {"staged_write": True}}]
    )
    assert kinds(run(fixture_cache, conv, planner=planner)) == {"staged_write"}


def test_a_write_on_the_wrong_account_fails_the_final_state(fixture_cache):
    planner = FixedPlanner(
        Plan(calls=[Call(name="log_note", args={"account": "Globex", "text": "called Greg"})])
    )
    conv = conversation(
        [{"user": "Log a note on Acme Corp: called Greg"}, {"user": "yes"}],
        final={"writes": 1, "audit": [{"kind": "note", "account": "acme"}], "pending": False},
    )
    result = run(fixture_cache, conv, planner=planner)
    assert kinds(result) == {"final_state"}
    assert "no audit entry matches {'kind': 'note', 'account': 'acme'}" in result.failures[0].detail
    assert run(fixture_cache, conv).passed  # the offline grammar writes on Acme, after the yes


def test_a_crashing_agent_fails_error_and_the_run_goes_on(fixture_cache):
    composer = EditingComposer(lambda text: 1 / 0)
    conv = conversation([{"user": "Score Acme Corp"}, {"user": "Score Globex"}])
    result = run(fixture_cache, conv, composer=composer)
    assert kinds(result) == {"error"}
    assert result.failures[0].turn == 1
    assert result.failures[0].detail.startswith("ZeroDivisionError")


@pytest.mark.parametrize(
    ("answer", "fact", "said"),
    [
        ("Acme Corp scores 41.0 out of 100", "41", True),
        ("Acme Corp scores 141", "41", False),
        ("ARR is $1,200,000", "$1.2M", True),
        ("renews on Feb 6, 2027", "2027-02-06", True),
        ("ACME CORP is orange", "acme corp", True),
    ],
)
def test_facts_are_read_case_insensitively_and_numbers_by_value(answer, fact, said):
    from evals.harness.checks import mentions

    assert mentions(answer, fact) is said
