"""`csm eval`: replay the scripted conversations of evals/conversations/ and print the scorecard.

A thin client over evals.harness: load and validate the suite, pick the conversations of the
mode (and `--filter`), run each `--k` times on its own copy of the fixture, print the
scorecard as Markdown (or JSON), and exit 1 when the pass rate is below `--min-pass`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.app import CliError, Json, app, console, emit_markdown, friendly_errors

if TYPE_CHECKING:
    from evals.harness.format import Conversation, Mode
    from evals.harness.scorecard import Scorecard

MODES = ("offline", "scripted", "live")


@app.command("eval")
@friendly_errors
def eval_cmd(
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="offline: the offline grammar, no LLM. scripted: the LLM path with the model "
            "replies of each conversation (or its cassette) served by a fake endpoint. live: "
            "the configured OpenAI-compatible endpoint (CSM_MODEL, OPENAI_BASE_URL).",
        ),
    ] = "offline",
    k: Annotated[
        int, typer.Option("--k", min=1, help="Trials per conversation (pass^k); for live mode.")
    ] = 1,
    filter_text: Annotated[
        str | None,
        typer.Option("--filter", help="Only conversations whose id, tags or commands contain it."),
    ] = None,
    min_pass: Annotated[
        float | None,
        typer.Option(
            "--min-pass",
            min=0.0,
            help="Exit 1 when the pass rate (pass^k with --k) is below this fraction, e.g. 0.9.",
        ),
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Live mode: write each conversation's model replies as a "
            "cassette in evals/cassettes/ (replayed by scripted mode).",
        ),
    ] = False,
    folder: Annotated[
        Path | None,
        typer.Option("--dir", help="Conversation folder (default: evals/conversations/)."),
    ] = None,
    json: Json = False,
) -> None:
    """Replay the scripted CS conversations and print the scorecard.

    The scorecard has the pass rate overall and per command, pass^k, grounding violations,
    gap recall, forbidden actions taken, latency p50/p95 per turn, and model calls and
    tokens per turn; then every failing conversation with the checks it failed. --json
    prints it as JSON (`total` is the number of conversations run). Progress goes to stderr.

    Example: csm eval --mode scripted --min-pass 0.9
    """
    from agent.settings import get_settings
    from evals.harness.format import FormatError, load_suite
    from evals.harness.scorecard import to_markdown
    from evals.harness.suite import CONVERSATIONS_DIR, select

    if mode not in MODES:
        raise typer.BadParameter(
            f"'{mode}' is not a mode: use {', '.join(MODES)}", param_hint="--mode"
        )
    if record and mode != "live":
        raise typer.BadParameter("--record records a live model: use it with --mode live")
    if mode == "live" and not get_settings().llm_enabled:
        raise CliError(
            "live mode needs a model: set CSM_MODEL and OPENAI_BASE_URL (or OPENAI_API_KEY)", 2
        )
    source = folder or CONVERSATIONS_DIR
    try:
        conversations = select(load_suite(source), mode, filter_text)  # type: ignore[arg-type]
    except FormatError as err:
        raise CliError(f"the conversation files do not follow the format:\n{err}", 2) from None
    if not conversations:
        which = f" matching '{filter_text}'" if filter_text else ""
        raise CliError(f"no conversation in {source} runs in {mode} mode{which}", 2)
    card = _run(conversations, mode, k, record)  # type: ignore[arg-type]
    emit_markdown(card, to_markdown, json)
    score = card.pass_hat_k if k > 1 else card.pass_rate
    if min_pass is not None and score < min_pass:
        what = f"pass^{k}" if k > 1 else "pass rate"
        console(stderr=True).print(
            f"FAILED: {what} {score:.1%} is below --min-pass {min_pass:.1%}",
            style="bold red",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)


def _run(conversations: list[Conversation], mode: Mode, k: int, record: bool) -> Scorecard:
    """Run the suite with a progress bar on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from evals.harness.suite import eval_workspace, run_suite

    with (
        Progress(
            TextColumn("{task.description:<40}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console(stderr=True),
            transient=True,
        ) as bar,
        eval_workspace(record=record) as runner,
    ):
        task = bar.add_task(f"eval {mode}", total=len(conversations) * k)

        def progress(conversation_id: str) -> None:
            bar.update(task, advance=1, description=conversation_id[:40])

        return run_suite(conversations, mode, runner, k, progress)
