"""Token benchmark of the LLM path: prompt size at 60 and 10,000 accounts, scripted model.

    python -m evals.bench_llm_tokens                          # 60 and 10,000 accounts
    python -m evals.bench_llm_tokens --accounts 60,1000 --days 30

For each portfolio size it generates the demo portfolio (connectors.demo), imports it into
a temporary SQLite store, and plays one conversation through the real LlmPlanner and
LlmComposer against a scripted OpenAI-compatible server (an httpx.MockTransport: no network,
no key). The server answers with canned tool calls and prose, and reports as
`usage.prompt_tokens` an estimate of the request's tokens (one per word or punctuation mark,
the granularity of BPE tokenisers on English and JSON; the request's characters are shown
too), which the client records per call, as it records a real server's usage.

The conversation: "Score ACCOUNT" (plan + compose over the real score result), then "and its
renewal pipeline?" with that turn as history (plan), then "Weekly health scan" (plan +
compose over the real scan of the whole portfolio). The target: planner prompts do not grow
with the portfolio (no account is listed), and a single-account command costs at most 2
model calls. The report is Markdown on stdout; the exit code is 0 when both hold.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

GROWTH_LIMIT = 1.05
"""Target: a planner prompt at the largest size is at most 5% longer than at the smallest."""
MAX_SINGLE_ACCOUNT_CALLS = 2
"""Target: model calls for one single-account command (plan + compose)."""
_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass
class Measure:
    """Prompt size of one model call."""

    step: str
    tokens: int
    chars: int


def estimate_tokens(body: dict[str, Any]) -> int:
    """Estimate a request's prompt tokens: the words and marks of its messages and tools."""
    text = json.dumps(body.get("messages", []), ensure_ascii=False)
    text += json.dumps(body.get("tools", []), ensure_ascii=False)
    return len(_TOKEN.findall(text))


class ScriptedServer:
    """A /chat/completions endpoint answering from a queue, measuring every request."""

    def __init__(self) -> None:
        self.queue: list[dict[str, Any]] = []
        self.requests: list[tuple[int, int]] = []

    def handler(self, request: Any) -> Any:  # noqa: ANN401 (httpx.Request -> httpx.Response)
        """Answer one request with the next canned message, usage estimated from the request."""
        import httpx

        body = json.loads(request.content)
        tokens = estimate_tokens(body)
        self.requests.append((tokens, len(request.content)))
        message = self.queue.pop(0)
        return httpx.Response(
            200,
            json={
                "id": "bench",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": tokens, "completion_tokens": 20, "total_tokens": 0},
            },
        )


def call(name: str, **args: Any) -> dict[str, Any]:  # noqa: ANN401
    """Return a canned assistant message calling one function."""
    function = {"name": name, "arguments": json.dumps(args)}
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c0", "type": "function", "function": function}],
    }


def say(text: str) -> dict[str, Any]:
    """Return a canned assistant message of prose."""
    return {"role": "assistant", "content": text}


def measure(
    accounts: int, days: int, as_of: date, seed: int, work: Path
) -> tuple[list[Measure], dict[str, int]]:
    """Build a portfolio of `accounts` and play the conversation; return each call's size."""
    import httpx

    from agent.commands import RunContext, get_command
    from agent.llm import LlmClient
    from agent.llm_composer import LlmComposer
    from agent.llm_planner import LlmPlanner
    from agent.planning import Call, ToolRun, Turn
    from agent.settings import Settings
    from connectors.csv_import import import_folder
    from connectors.demo import generate
    from memory.store import open_store

    folder = work / f"csv{accounts}"
    t0 = time.perf_counter()
    generate(folder, accounts=accounts, seed=seed, as_of=as_of, days=days)
    store = open_store(f"sqlite:///{work / f'bench{accounts}.db'}")
    import_folder(store, folder)
    setup = time.perf_counter() - t0
    server = ScriptedServer()
    settings = Settings(
        openai_api_key="bench", openai_base_url="http://scripted.invalid/v1", model="scripted"
    )
    llm = LlmClient(
        settings, http_client=httpx.Client(transport=httpx.MockTransport(server.handler))
    )
    planner, composer = LlmPlanner(llm, today=as_of), LlmComposer(llm, today=as_of)
    ctx = RunContext(as_of=as_of, store=store)
    name = next(iter(ctx.names().values()))
    out: list[Measure] = []

    def run(command: str, args: dict[str, Any]) -> ToolRun:
        cmd = get_command(command)
        result = cmd.run(cmd.args.model_validate(args), ctx)
        data = result.model_dump(mode="json")
        return ToolRun(
            call=Call(name=command, args=args),
            result=data,
            text=cmd.render_text(result),
            gaps=data.get("gaps", []),
        )

    def record(step: str, before: int) -> None:
        for tokens, chars in server.requests[before:]:
            out.append(Measure(step, tokens, chars))

    try:
        # Turn 1: a single-account command, plan + compose.
        n = len(server.requests)
        server.queue += [call("score", account=name), say(f"{name}: see the score below.")]
        plan = planner.plan(f"Score {name}", [], None)
        score = run("score", plan.calls[0].args)
        composer.compose(f"Score {name}", [score])
        single = len(server.requests) - n
        record("plan: Score ACCOUNT", n)
        out[-1].step = "compose: score (1 account)"
        # Turn 2: a follow-up with history and the thread's account.
        n = len(server.requests)
        server.queue += [call("renewals", days=90)]
        history = [
            Turn(role="user", text=f"Score {name}"),
            Turn(
                role="assistant",
                text=score.text,
                commands=["score"],
                account_ids=[score.result["account_id"]],
            ),
        ]
        planner.plan("and its renewal pipeline?", history, name)
        record("plan: follow-up with history", n)
        # Turn 3: a portfolio command, plan + compose over the whole portfolio's scan.
        n = len(server.requests)
        server.queue += [call("scan"), say("Three accounts need you this week; see below.")]
        planner.plan("Weekly health scan", [], None)
        composer.compose("Weekly health scan", [run("scan", {})])
        record("plan: Weekly health scan", n)
        out[-1].step = "compose: scan (whole portfolio)"
    finally:
        store.dispose()
    return out, {
        "setup_seconds": round(setup),
        "single_account_calls": single,
        "recorded_calls": llm.calls,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the Markdown report; return 0 when the targets hold."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", default="60,10000", help="comma-separated sizes")
    parser.add_argument("--days", type=int, default=160, help="days of usage to generate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 23))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.accounts.split(",")]
    results: dict[int, list[Measure]] = {}
    meta: dict[int, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="csm-bench-llm-") as tmp:
        for size in sizes:
            print(
                f"{size} accounts: generating, importing, playing the conversation", file=sys.stderr
            )
            results[size], meta[size] = measure(size, args.days, args.as_of, args.seed, Path(tmp))
    steps = [m.step for m in results[sizes[0]]]
    print("| call | " + " | ".join(f"{s:,} accounts: tokens (chars)" for s in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for i, step in enumerate(steps):
        cells = [f"{results[s][i].tokens:,} ({results[s][i].chars:,})" for s in sizes]
        print(f"| {step} | " + " | ".join(cells) + " |")
    planner_growth = max(
        results[sizes[-1]][i].tokens / results[sizes[0]][i].tokens
        for i, step in enumerate(steps)
        if step.startswith("plan")
    )
    calls = max(m["single_account_calls"] for m in meta.values())
    ok_growth, ok_calls = planner_growth <= GROWTH_LIMIT, calls <= MAX_SINGLE_ACCOUNT_CALLS
    print()
    print("| target | goal | measured | |")
    print("|---|---|---|---|")
    verdict = {True: "pass", False: "FAIL"}
    growth = f"planner prompt growth, {sizes[0]:,} -> {sizes[-1]:,} accounts"
    print(f"| {growth} | <= {GROWTH_LIMIT}x | {planner_growth:.3f}x | {verdict[ok_growth]} |")
    single = "model calls, single-account command"
    print(f"| {single} | <= {MAX_SINGLE_ACCOUNT_CALLS} | {calls} | {verdict[ok_calls]} |")
    print()
    print(
        "Set-up (generate + import) seconds: "
        + ", ".join(f"{s:,}: {meta[s]['setup_seconds']}" for s in sizes)
    )
    return 0 if ok_growth and ok_calls else 1


if __name__ == "__main__":
    sys.exit(main())
