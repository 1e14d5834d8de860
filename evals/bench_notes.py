"""Notes-index benchmark: index the demo's notes and tickets, then time the searches.

    python -m evals.bench_notes                        # the 60-account demo, embedded Chroma
    python -m evals.bench_notes --accounts 600         # a larger demo portfolio
    python -m evals.bench_notes --chroma-url http://127.0.0.1:8000   # a Chroma server

A benchmark, not a test. In a temporary CSM_HOME it generates the demo portfolio, imports it,
then measures with the configured embeddings (offline MiniLM unless CSM_EMBEDDINGS says
otherwise): opening the index (chromadb's import and client), loading the model (first
embedding), indexing every note and ticket (`sync`, embedding included), a second `sync`
(nothing changed: the cost a re-import pays), the latency of `--queries` searches (one
account each, p50/p95), and the wall time of a cold `csm notes ACCOUNT "QUERY"` process.
The report is a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

QUERIES = (
    "SSO login problems",
    "Has our champion left?",
    "renewal pricing and discount",
    "executive sponsor",
    "data export is broken",
    "onboarding and training",
    "competitor evaluation",
    "what did we promise at handoff",
)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def run(accounts: int, queries: int, chroma_url: str | None, as_of: date) -> list[tuple[str, str]]:
    """Run the benchmark in a temporary app home and return (measure, value) rows."""
    from agent.settings import get_settings
    from connectors.csv_import import import_folder
    from connectors.demo import generate
    from memory.notes import open_index, store_documents
    from memory.read import account_names
    from memory.store import open_store

    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="csm-bench-notes-") as tmp:
        os.environ["CSM_HOME"] = str(Path(tmp) / "home")
        if chroma_url:
            os.environ["CSM_CHROMA_URL"] = chroma_url
        get_settings.cache_clear()
        settings = get_settings()
        generate(Path(tmp) / "csv", accounts=accounts, seed=7, as_of=as_of)
        store = open_store(settings.store_url)
        import_folder(store, Path(tmp) / "csv")
        docs = store_documents(store.engine)
        ids = sorted(account_names(store.engine))
        store.dispose()
        notes = sum(1 for d in docs if d.source == "note")
        rows.append(
            ("documents", f"{len(docs):,} ({notes:,} notes, {len(docs) - notes:,} tickets)")
        )

        t = time.perf_counter()
        index = open_index(settings)
        index.reset()
        rows.append(
            ("open the index (import chromadb, client)", f"{time.perf_counter() - t:.2f} s")
        )
        t = time.perf_counter()
        index.embedding(["warm up"])
        rows.append(("load the model (first embedding)", f"{time.perf_counter() - t:.2f} s"))
        t = time.perf_counter()
        summary = index.sync(docs)
        spent = time.perf_counter() - t
        rows.append(
            ("index every document (embed + write)",
             f"{spent:.2f} s ({summary.indexed / spent:,.0f} docs/s)")
        )  # fmt: skip
        t = time.perf_counter()
        again = index.sync(docs)
        spent = time.perf_counter() - t
        rows.append(("re-sync, nothing changed", f"{spent:.3f} s ({again.indexed} embedded)"))

        latencies = []
        for i in range(queries):
            t = time.perf_counter()
            index.query(QUERIES[i % len(QUERIES)], account_id=ids[i % len(ids)], as_of=as_of)
            latencies.append((time.perf_counter() - t) * 1000)
        rows.append(
            (f"query latency, {queries} searches",
             f"p50 {_percentile(latencies, 50):.1f} ms, p95 {_percentile(latencies, 95):.1f} ms")
        )  # fmt: skip

        csm = str(Path(sys.executable).with_name("csm"))
        command = [csm, "notes", "Acme Corp", QUERIES[0], "--as-of", as_of.isoformat()]
        walls = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=dict(os.environ))
            walls.append(time.perf_counter() - t)
        rows.append(("cold `csm notes` process, median of 3", f"{statistics.median(walls):.2f} s"))
    return rows


def main() -> None:
    """Parse the options, run the benchmark, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=60, help="demo accounts to generate")
    parser.add_argument("--queries", type=int, default=200, help="searches to time")
    parser.add_argument("--chroma-url", default=None, help="a Chroma server instead of embedded")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 23))
    args = parser.parse_args()
    rows = run(args.accounts, args.queries, args.chroma_url, args.as_of)
    where = args.chroma_url or "embedded Chroma"
    embeddings = os.environ.get("CSM_EMBEDDINGS", "local")
    print(f"## Notes index: {args.accounts} demo accounts, {where}, embeddings {embeddings}\n")
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
