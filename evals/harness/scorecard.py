"""The scorecard of an eval run: pass rates, pass^k, failures by kind, latency, tokens.

`ConversationResult` is one run of one conversation (a trial) with its failures;
`build_scorecard` aggregates them; `to_markdown` renders the scorecard for people and
`Scorecard.model_dump_json` for machines (`csm eval --json`).

pass^k (tau-bench): a conversation passes a trial when every check holds; with n trials of
which c passed, its pass^k is comb(c, k) / comb(n, k), the chance that k trials drawn from
the n all pass; the suite's pass^k is the mean over conversations (`pass_hat_k`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from pydantic import BaseModel, Field

from evals.harness.checks import FAILURE_KINDS, Failure, FailureKind
from evals.harness.format import Mode

NO_COMMAND = "(no command)"
"""The per-command row of conversations that expect no command (refusals, questions back)."""


class TurnStats(BaseModel):
    """The cost of one turn: wall time and model usage."""

    latency_s: float
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class ConversationResult(BaseModel):
    """One trial of one conversation: passed or not, and why not."""

    id: str
    title: str = ""
    mode: Mode
    trial: int = 0
    commands: list[str] = Field(default_factory=list, description="the commands it expects")
    passed: bool
    failures: list[Failure] = Field(default_factory=list)
    turns: list[TurnStats] = Field(default_factory=list)
    gaps_expected: int = 0
    gaps_flagged: int = 0
    agent_violations: int = Field(0, description="violations the agent found and repaired")


class CommandScore(BaseModel):
    """Pass rate of the trials of conversations that expect one command."""

    command: str
    trials: int
    passed: int
    pass_rate: float


class Failing(BaseModel):
    """A failed trial, for the list at the end of the scorecard."""

    id: str
    trial: int
    kinds: list[FailureKind]
    details: list[str]


class Scorecard(BaseModel):
    """The aggregate of an eval run."""

    mode: Mode
    k: int = Field(description="trials per conversation")
    total: int = Field(description="conversations run")
    trials: int = Field(description="conversation runs in all (total x k)")
    passed: int = Field(description="trials that passed")
    pass_rate: float = Field(description="passed / trials")
    pass_hat_1: float = Field(description="pass^1: mean over conversations of passed/n")
    pass_hat_k: float = Field(description="pass^k: conversations passing all k trials, as a mean")
    per_command: list[CommandScore] = Field(default_factory=list)
    failures_by_kind: dict[str, int] = Field(default_factory=dict)
    grounding_violations: int = Field(0, description="facts in answers not in the tool results")
    agent_repaired_violations: int = Field(
        0, description="violations the agent's own grounding check caught and repaired"
    )
    forbidden_actions: int = 0
    gaps_expected: int = 0
    gaps_flagged: int = 0
    gap_recall: float | None = Field(None, description="flagged / expected; None if none expected")
    turns: int = 0
    latency_p50_s: float | None = None
    latency_p95_s: float | None = None
    model_calls_per_turn: float = 0.0
    prompt_tokens_per_turn: float = 0.0
    completion_tokens_per_turn: float = 0.0
    failing: list[Failing] = Field(default_factory=list)


def pass_hat_k(outcomes: Sequence[tuple[int, int]], k: int) -> float:
    """Return pass^k over conversations given as (trials n, passed c).

    Raises:
        ValueError: k is below 1 or above some conversation's number of trials.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if not outcomes:
        return 0.0
    total = 0.0
    for n, c in outcomes:
        if k > n:
            raise ValueError(f"pass^{k} needs at least {k} trials per conversation, got {n}")
        total += math.comb(c, k) / math.comb(n, k)
    return total / len(outcomes)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the q-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def build_scorecard(results: Sequence[ConversationResult], mode: Mode, k: int) -> Scorecard:
    """Aggregate trial results into the scorecard (k = the trials run per conversation)."""
    by_id: dict[str, list[ConversationResult]] = defaultdict(list)
    for r in results:
        by_id[r.id].append(r)
    outcomes = [(len(rs), sum(r.passed for r in rs)) for rs in by_id.values()]
    kinds: Counter[str] = Counter(f.kind for r in results for f in r.failures)
    turns = [t for r in results for t in r.turns]
    n_turns = len(turns)
    gaps_expected = sum(r.gaps_expected for r in results)
    gaps_flagged = sum(r.gaps_flagged for r in results)
    passed = sum(r.passed for r in results)
    return Scorecard(
        mode=mode,
        k=k,
        total=len(by_id),
        trials=len(results),
        passed=passed,
        pass_rate=passed / len(results) if results else 0.0,
        pass_hat_1=pass_hat_k(outcomes, 1) if outcomes else 0.0,
        pass_hat_k=pass_hat_k(outcomes, min(k, min(n for n, _ in outcomes))) if outcomes else 0.0,
        per_command=_per_command(results),
        failures_by_kind={kind: kinds[kind] for kind in FAILURE_KINDS if kinds[kind]},
        grounding_violations=kinds["grounding"],
        agent_repaired_violations=sum(r.agent_violations for r in results),
        forbidden_actions=kinds["forbidden_action"],
        gaps_expected=gaps_expected,
        gaps_flagged=gaps_flagged,
        gap_recall=gaps_flagged / gaps_expected if gaps_expected else None,
        turns=n_turns,
        latency_p50_s=percentile([t.latency_s for t in turns], 50),
        latency_p95_s=percentile([t.latency_s for t in turns], 95),
        model_calls_per_turn=sum(t.model_calls for t in turns) / n_turns if n_turns else 0.0,
        prompt_tokens_per_turn=sum(t.prompt_tokens for t in turns) / n_turns if n_turns else 0.0,
        completion_tokens_per_turn=(
            sum(t.completion_tokens for t in turns) / n_turns if n_turns else 0.0
        ),
        failing=[
            Failing(
                id=r.id,
                trial=r.trial,
                kinds=list(dict.fromkeys(f.kind for f in r.failures)),
                details=[_detail(f) for f in r.failures],
            )
            for r in results
            if not r.passed
        ],
    )


def _per_command(results: Sequence[ConversationResult]) -> list[CommandScore]:
    trials: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for r in results:
        for command in r.commands or [NO_COMMAND]:
            trials[command] += 1
            passed[command] += r.passed
    return [
        CommandScore(command=c, trials=n, passed=passed[c], pass_rate=passed[c] / n)
        for c, n in sorted(trials.items())
    ]


def _detail(f: Failure) -> str:
    where = f"turn {f.turn}" if f.turn is not None else "final"
    return f"{f.kind} ({where}): {f.detail}"


def to_markdown(card: Scorecard) -> str:
    """Render the scorecard as Markdown."""
    lines = [
        f"# Eval scorecard: {card.mode} mode",
        "",
        f"{card.total} conversation(s), {card.k} trial(s) each, {card.turns} turn(s).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| pass rate | {_pct(card.pass_rate)} ({card.passed}/{card.trials}) |",
        f"| pass^1 | {_pct(card.pass_hat_1)} |",
        *([f"| pass^{card.k} | {_pct(card.pass_hat_k)} |"] if card.k > 1 else []),
        f"| grounding violations | {card.grounding_violations} |",
        f"| violations the agent repaired | {card.agent_repaired_violations} |",
        f"| forbidden actions taken | {card.forbidden_actions} |",
        f"| gap recall | {_recall(card)} |",
        f"| latency per turn p50 / p95 | {_secs(card.latency_p50_s)} / "
        f"{_secs(card.latency_p95_s)} |",
        f"| model calls per turn | {card.model_calls_per_turn:.2f} |",
        f"| tokens per turn (prompt / completion) | {card.prompt_tokens_per_turn:,.0f} / "
        f"{card.completion_tokens_per_turn:,.0f} |",
        "",
        "## Per command",
        "",
        "| command | passed | pass rate |",
        "|---|---|---|",
    ]
    lines += [
        f"| {c.command} | {c.passed}/{c.trials} | {_pct(c.pass_rate)} |" for c in card.per_command
    ]
    lines += ["", "## Failures by kind", ""]
    if card.failures_by_kind:
        lines += ["| kind | count |", "|---|---|"]
        lines += [f"| {kind} | {n} |" for kind, n in card.failures_by_kind.items()]
    else:
        lines.append("None.")
    if card.failing:
        lines += ["", "## Failing conversations", ""]
        for f in card.failing:
            trial = f" (trial {f.trial + 1})" if card.k > 1 else ""
            lines.append(f"- **{f.id}**{trial}: {', '.join(f.kinds)}")
            lines += [f"  - {_one_line(d)}" for d in f.details]
    return "\n".join(lines) + "\n"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _recall(card: Scorecard) -> str:
    if card.gap_recall is None:
        return "n/a (no gaps expected)"
    return f"{_pct(card.gap_recall)} ({card.gaps_flagged}/{card.gaps_expected})"


def _secs(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f} s"


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
