"""Run a suite: pick the conversations of a mode, run each k times, check, score.

This is what `csm eval` and the CI test call:

    with eval_workspace() as runner:
        card = run_suite(load_suite(CONVERSATIONS_DIR), "offline", runner=runner)
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from evals.harness.checks import check_run, gap_tally
from evals.harness.fixtures import FixtureCache
from evals.harness.format import Conversation, Mode
from evals.harness.runner import AgentFactory, Runner, RunObservation
from evals.harness.scorecard import ConversationResult, Scorecard, TurnStats, build_scorecard
from evals.harness.scripted import CASSETTES_DIR

CONVERSATIONS_DIR = Path(__file__).resolve().parent.parent / "conversations"
"""The suite: evals/conversations/*.yaml."""

Progress = Callable[[str], None]
"""Called with a conversation's id after each trial."""


def select(
    conversations: Sequence[Conversation], mode: Mode, text: str | None = None
) -> list[Conversation]:
    """Return the conversations that list `mode` and match `--filter text`."""
    return [c for c in conversations if mode in c.modes and c.matches(text)]


@contextmanager
def eval_workspace(
    *,
    cassettes: Path = CASSETTES_DIR,
    record: bool = False,
    agent: AgentFactory | None = None,
    fixtures: FixtureCache | None = None,
) -> Iterator[Runner]:
    """Yield a Runner whose fixtures and per-run homes live in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="csm-eval-") as root:
        cache = fixtures or FixtureCache(Path(root) / "fixtures")
        work = Path(root) / "runs"
        work.mkdir()
        yield Runner(cache, workdir=work, cassettes=cassettes, record=record, agent=agent)


def result_of(conversation: Conversation, run: RunObservation) -> ConversationResult:
    """Check one run and return its result."""
    failures = check_run(conversation, run)
    tally = gap_tally(conversation, run)
    return ConversationResult(
        id=conversation.id,
        title=conversation.title,
        mode=run.mode,
        trial=run.trial,
        commands=conversation.commands(),
        passed=not failures,
        failures=failures,
        turns=[
            TurnStats(
                latency_s=t.latency_s,
                model_calls=t.model_calls,
                prompt_tokens=t.prompt_tokens,
                completion_tokens=t.completion_tokens,
            )
            for t in run.turns
            if not t.error
        ],
        gaps_expected=tally.expected,
        gaps_flagged=tally.flagged,
        agent_violations=sum(len(t.agent_violations) for t in run.turns),
    )


def run_results(
    conversations: Sequence[Conversation],
    mode: Mode,
    runner: Runner,
    k: int = 1,
    progress: Progress | None = None,
) -> list[ConversationResult]:
    """Run each conversation k times in `mode` and check every run."""
    results = []
    for conversation in conversations:
        for trial in range(k):
            results.append(result_of(conversation, runner.run(conversation, mode, trial)))
            if progress is not None:
                progress(conversation.id)
    return results


def run_suite(
    conversations: Sequence[Conversation],
    mode: Mode,
    runner: Runner,
    k: int = 1,
    progress: Progress | None = None,
) -> Scorecard:
    """Run the conversations k times each in `mode` and return the scorecard."""
    return build_scorecard(run_results(conversations, mode, runner, k, progress), mode, k)
