"""The scorecard: pass^k, percentiles, aggregation and rendering."""

from __future__ import annotations

import pytest

from evals.harness.checks import Failure
from evals.harness.scorecard import (
    ConversationResult,
    TurnStats,
    build_scorecard,
    pass_hat_k,
    percentile,
    to_markdown,
)


def test_pass_hat_k_is_the_mean_chance_that_k_trials_all_pass():
    assert pass_hat_k([(3, 3), (3, 0)], 1) == 0.5
    assert pass_hat_k([(3, 2)], 2) == pytest.approx(1 / 3)
    assert pass_hat_k([(3, 2), (3, 3)], 3) == 0.5
    with pytest.raises(ValueError, match="at least 4 trials"):
        pass_hat_k([(3, 3)], 4)


def test_percentile_interpolates():
    assert percentile([], 50) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([float(i) for i in range(1, 101)], 95) == pytest.approx(95.05)


def result(id_, trial, passed, commands=("score",), failures=(), latency=0.1, gaps=(0, 0)):
    return ConversationResult(
        id=id_,
        mode="live",
        trial=trial,
        commands=list(commands),
        passed=passed,
        failures=list(failures),
        turns=[
            TurnStats(latency_s=latency, model_calls=2, prompt_tokens=1000, completion_tokens=50)
        ],
        gaps_expected=gaps[0],
        gaps_flagged=gaps[1],
    )


def test_the_scorecard_aggregates_trials_commands_failures_and_costs():
    grounding = Failure(kind="grounding", turn=1, detail='number "97" is not in the tool results')
    results = [
        result("a", 0, True, gaps=(2, 2)),
        result("a", 1, True, gaps=(2, 1)),
        result("b", 0, True, commands=("renewal",), latency=1.0),
        result("b", 1, False, commands=("renewal",), failures=[grounding], latency=3.0),
    ]
    card = build_scorecard(results, "live", 2)
    assert (card.total, card.trials, card.passed) == (2, 4, 3)
    assert card.pass_rate == 0.75 and card.pass_hat_1 == 0.75 and card.pass_hat_k == 0.5
    assert [(c.command, c.passed, c.trials) for c in card.per_command] == [
        ("renewal", 1, 2),
        ("score", 2, 2),
    ]
    assert card.failures_by_kind == {"grounding": 1} and card.grounding_violations == 1
    assert card.gap_recall == 0.75
    assert card.model_calls_per_turn == 2 and card.prompt_tokens_per_turn == 1000
    text = to_markdown(card)
    assert "| pass^2 | 50.0% |" in text
    assert "| gap recall | 75.0% (3/4) |" in text
    assert "- **b** (trial 2): grounding" in text
    assert 'grounding (turn 1): number "97" is not in the tool results' in text
