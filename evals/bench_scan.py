"""Scale benchmark: generate a large demo portfolio, import it, and time the portfolio scans.

    python -m evals.bench_scan --accounts 10000            # 10,000 accounts x 180 days
    python -m evals.bench_scan --accounts 300 --keep out/  # small run, keep the store

Each step runs in its own process, so its wall time and peak memory (max RSS, from
`os.wait4`) are its own: generating the CSV files (connectors.demo), importing them into a
fresh SQLite store (connectors.csv_import.import_folder) in a temporary CSM_HOME, then the
CLI commands `csm scan` and `csm churn` as a user runs them. A raw SQL pass that reads the
usage rows the scans read (the last `--window` days, and the whole table) is the baseline
the scans are compared with. The report is a Markdown table with the targets and pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

SCAN_SECONDS = 10.0
"""Target: a portfolio scan of 10,000 accounts finishes within this many seconds."""
RAW_RATIO = 5.0
"""Target: a scan costs less than this many times the raw pass over the same usage rows."""
PEAK_BYTES = 1 << 30
"""Target: peak memory of a scan (max RSS) stays below 1 GiB."""

GENERATE = """
import json, sys, time
from datetime import date
from pathlib import Path
from connectors.demo import generate
t = time.perf_counter()
rows = generate(Path(sys.argv[1]), accounts=int(sys.argv[2]), seed=int(sys.argv[3]),
                as_of=date.fromisoformat(sys.argv[4]), days=int(sys.argv[5]))
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - t}))
"""

IMPORT = """
import json, sys, time
from pathlib import Path
from agent.settings import get_settings
from connectors.csv_import import import_folder
from memory.store import open_store
store = open_store(get_settings().store_url)
t = time.perf_counter()
summary = import_folder(store, Path(sys.argv[1]))
print(json.dumps({"rows": summary.rows, "seconds": time.perf_counter() - t}))
"""

RAW_PASS = """
import json, sys, time
from datetime import date, timedelta
from sqlalchemy import create_engine
from agent.settings import get_settings
engine = create_engine(get_settings().store_url)
sqlite = engine.dialect.name == "sqlite"
conn = engine.raw_connection()
since = (date.fromisoformat(sys.argv[1]) - timedelta(days=int(sys.argv[2]) - 1)).isoformat()
mark = "?" if sqlite else "%s"
sql = "SELECT account_id, date, active_users, logins, users_30d FROM usage"
out = {}
queries = [("window", sql + f" WHERE date >= {mark}", (since,))]
if sqlite:
    queries.append(
        ("window_scan", sql.replace("usage", "usage NOT INDEXED") + " WHERE date >= ?", (since,))
    )
queries.append(("full", sql, ()))
for name, query, args in queries:
    best = None
    for _ in range(3):  # best of three: the first run also warms the page cache
        t = time.perf_counter()
        cur = conn.cursor()
        cur.execute(query, args)
        n = sum(1 for _ in cur)
        best = min(best or 1e9, time.perf_counter() - t)
    out[name] = {"rows": n, "seconds": best}
print(json.dumps(out))
"""


@dataclass
class Run:
    """One child process: its exit code, wall time, peak memory and output."""

    label: str
    code: int
    seconds: float
    peak_bytes: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """Tell whether the process exited with 0."""
        return self.code == 0

    def data(self) -> dict:
        """Return the JSON the child printed last (the measuring snippets print one line)."""
        lines = [x for x in self.stdout.splitlines() if x.startswith("{")]
        return json.loads(lines[-1]) if lines else {}


def run_child(label: str, argv: list[str], env: dict[str, str], workdir: Path) -> Run:
    """Run `argv` to completion and measure its wall time and peak RSS (own, not cumulative)."""
    out_path, err_path = workdir / f"{label}.out", workdir / f"{label}.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return Run(
        label,
        proc.returncode,
        seconds,
        usage.ru_maxrss * scale,
        out_path.read_text(encoding="utf-8", errors="replace"),
        err_path.read_text(encoding="utf-8", errors="replace"),
    )


def csm_command() -> list[str]:
    """Return how to run the csm CLI: the venv's console script, else the module entry."""
    script = Path(sys.executable).parent / "csm"
    if script.exists():
        return [str(script)]
    found = shutil.which("csm")
    if found:
        return [found]
    return [sys.executable, "-c", "from agent.cli.app import main; main()"]


def child_env(home: Path, database_url: str | None = None) -> dict[str, str]:
    """Return the environment of the children: the benchmark's CSM_HOME (and store), no colours."""
    env = {k: v for k, v in os.environ.items() if k != "CSM_DATABASE_URL"}
    env.update(CSM_HOME=str(home), NO_COLOR="1", COLUMNS="120", PYTHONHASHSEED="0")
    if database_url:
        env["CSM_DATABASE_URL"] = database_url
    return env


def fresh_database(server_url: str) -> tuple[str, object]:
    """Create an empty database on the PostgreSQL server at `server_url`; return (URL, drop).

    `drop()` removes it again. The benchmark never writes into an existing database.
    """
    import uuid

    from sqlalchemy import create_engine, make_url, text

    from agent.settings import Settings

    base = Settings(database_url=server_url).database_url
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"csm_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


def mib(n: int) -> str:
    """Format a byte count in MiB."""
    return f"{n / (1 << 20):,.0f} MiB"


def verdict(ok: bool) -> str:
    """Return the pass/fail cell."""
    return "pass" if ok else "**FAIL**"


def report(args: argparse.Namespace, runs: dict[str, Run], raw: dict) -> tuple[str, bool]:
    """Build the Markdown report and tell whether every target was met."""
    gen, imp = runs["generate"], runs.get("import")
    rows = gen.data().get("rows", {})
    total = sum(rows.values())
    lines = [
        f"## csm scale benchmark: {args.accounts:,} accounts x {args.days} days "
        f"(seed {args.seed}, as of {args.as_of}) on {'PostgreSQL' if args.postgres else 'SQLite'}",
        "",
        f"Rows: {total:,} in {len(rows)} files; usage {rows.get('usage', 0):,}, "
        f"feature_usage {rows.get('feature_usage', 0):,}, users {rows.get('users', 0):,}.",
        "",
        "| step | wall time | peak memory | notes |",
        "|---|---:|---:|---|",
    ]
    for run in (gen, imp):
        if run is None:
            continue
        note = "ok" if run.ok else f"failed (exit {run.code})"
        lines.append(f"| {run.label} | {run.seconds:.1f} s | {mib(run.peak_bytes)} | {note} |")
    whats = {
        "window": f"last {args.window} days",
        "window_scan": f"last {args.window} days, NOT INDEXED (table scan)",
        "full": "whole table",
    }
    for name, what in whats.items():
        if name in raw:
            r = raw[name]
            lines.append(
                f"| raw SQL pass, {what} | {r['seconds']:.2f} s | {mib(runs['raw'].peak_bytes)} "
                f"| {r['rows']:,} usage rows (query and fetch, best of 3) |"
            )
    all_ok = gen.ok and (imp is not None and imp.ok)
    checks = []
    base = raw.get("window", {}).get("seconds")
    startup = runs["startup"].seconds if "startup" in runs and runs["startup"].ok else 0.0
    if "startup" in runs:
        lines.append(
            f"| csm --help (CLI start-up) | {startup:.1f} s | {mib(runs['startup'].peak_bytes)} "
            "| fixed cost of every command |"
        )
    for cmd in args.commands:
        run = runs.get(cmd)
        if run is None:
            continue
        note = "ok" if run.ok else f"failed (exit {run.code}): {run.stderr.strip()[-160:]}"
        ratio = max(run.seconds - startup, 0.0) / base if base else None
        gross = run.seconds / base if base else None
        ratio_text = f"{ratio:.1f}x raw" if ratio is not None else "-"
        gross_text = f"{gross:.1f}x raw with start-up" if gross is not None else "-"
        lines.append(
            f"| csm {cmd} | {run.seconds:.1f} s | {mib(run.peak_bytes)} "
            f"| {ratio_text} net of start-up ({gross_text}); {note} |"
        )
        fast = run.ok and run.seconds < SCAN_SECONDS
        lean = run.ok and run.peak_bytes < PEAK_BYTES
        cheap = run.ok and ratio is not None and ratio < RAW_RATIO
        checks += [
            f"| csm {cmd} wall time | < {SCAN_SECONDS:.0f} s | {run.seconds:.1f} s "
            f"| {verdict(fast)} |",
            f"| csm {cmd} vs raw pass (net of start-up) | < {RAW_RATIO:.0f}x | {ratio_text} "
            f"| {verdict(cheap)} |",
            f"| csm {cmd} peak memory | < 1 GiB | {mib(run.peak_bytes)} | {verdict(lean)} |",
        ]
        all_ok = all_ok and fast and lean and cheap
    lines += ["", "| target | goal | measured | result |", "|---|---|---:|---|", *checks]
    lines += [
        "",
        "Wall times are measured around each process (start-up and imports included), "
        "except the raw pass, which times the query and fetch alone; the ratio to the raw "
        "pass subtracts the CLI's start-up (`csm --help`). Peak memory is the process's max "
        "RSS.",
    ]
    return "\n".join(lines), all_ok


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the Markdown report; exit 1 if a step or target failed."""
    parser = argparse.ArgumentParser(prog="python -m evals.bench_scan", description=__doc__)
    parser.add_argument("--accounts", type=int, default=10_000, help="accounts to generate")
    parser.add_argument("--days", type=int, default=180, help="days of daily usage")
    parser.add_argument("--seed", type=int, default=7, help="demo generator seed")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date.today(), help="YYYY-MM-DD")
    parser.add_argument("--window", type=int, default=70, help="days of usage the raw pass reads")
    parser.add_argument("--commands", default="scan,churn", help="csm commands to time, by comma")
    parser.add_argument("--keep", type=Path, help="keep the CSVs and the store in this folder")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on PostgreSQL: a server URL (postgresql://user@host:port/postgres); a fresh "
        "database is created there for the run and dropped afterwards",
    )
    args = parser.parse_args(argv)
    args.commands = [c.strip() for c in args.commands.split(",") if c.strip()]

    tmp, drop, database_url = None, None, None
    if args.postgres:
        database_url, drop = fresh_database(args.postgres)
    if args.keep:
        home = args.keep.resolve()
        home.mkdir(parents=True, exist_ok=True)
        for stale in home.glob("csm.db*"):
            stale.unlink()
    else:
        tmp = tempfile.TemporaryDirectory(prefix="csm-bench-")
        home = Path(tmp.name)
    try:
        work, csv_dir = home / "bench-logs", home / "bench-csv"
        work.mkdir(exist_ok=True)
        env = child_env(home, database_url)
        py = [sys.executable, "-c"]
        runs: dict[str, Run] = {}
        as_of = args.as_of.isoformat()
        print(f"generating {args.accounts:,} accounts into {csv_dir} ...", file=sys.stderr)
        gen_args = [str(csv_dir), str(args.accounts), str(args.seed), as_of, str(args.days)]
        runs["generate"] = run_child("generate", [*py, GENERATE, *gen_args], env, work)
        raw: dict = {}
        if runs["generate"].ok:
            print("importing ...", file=sys.stderr)
            runs["import"] = run_child("import", [*py, IMPORT, str(csv_dir)], env, work)
        if runs.get("import") and runs["import"].ok:
            print("raw SQL pass ...", file=sys.stderr)
            runs["raw"] = run_child("raw", [*py, RAW_PASS, as_of, str(args.window)], env, work)
            raw = runs["raw"].data()
            runs["startup"] = run_child("startup", [*csm_command(), "--help"], env, work)
            for cmd in args.commands:
                print(f"csm {cmd} ...", file=sys.stderr)
                argv_cmd = [*csm_command(), cmd, "--as-of", as_of]
                runs[cmd] = run_child(cmd, argv_cmd, env, work)
        for run in runs.values():
            if not run.ok:
                print(
                    f"--- {run.label} failed; stderr tail:\n{run.stderr[-2000:]}", file=sys.stderr
                )
        text, ok = report(args, runs, raw)
        print(text)
        if args.keep:
            print(f"\nKept: CSVs in {csv_dir}, store in {home} (CSM_HOME={home})")
        return 0 if ok else 1
    finally:
        if tmp is not None:
            tmp.cleanup()
        if drop is not None:
            drop()


if __name__ == "__main__":
    sys.exit(main())
