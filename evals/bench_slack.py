"""Benchmark of the Slack bot: acknowledgement latency under load, end-to-end reply time.

Runs `csm slack serve` (the real HTTP server, in its own process) against the fake Slack
Web API of tests/slack/fake_slack.py on loopback, on a freshly generated demo portfolio:

1. end-to-end: a signed "@csm Score Acme Corp" event, timed until its chat.postMessage
   reaches the fake (first request after start, then again once warm);
2. acknowledgement latency: `--events` signed mentions sent by `--clients` concurrent
   clients, each timed until the server's HTTP response (the ack), p50 / p95 / max; the
   answers keep being computed in the background meanwhile, as they would in production.

Run from the repository root (it imports the fake from tests/):

    .venv/bin/python -m evals.bench_slack            # 200 events, 20 clients
    .venv/bin/python -m evals.bench_slack --events 50 --clients 5

The report is Markdown on stdout; the exit code is 0 when p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from slack_sdk.signature import SignatureVerifier

SECRET = "bench-signing-secret"
TARGET_P95_MS = 300.0


def main() -> int:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--threads", type=int, default=4, help="the bot's worker threads")
    args = parser.parse_args()

    from tests.slack.fake_slack import FakeSlack

    fake = FakeSlack().start()
    fake.add_user("UBENCH", "bench@example.com", "Bench Admin")
    with tempfile.TemporaryDirectory(prefix="csm-bench-slack-") as tmp:
        home = Path(tmp)
        _demo(home)
        port = _free_port()
        env = {
            **os.environ,
            "CSM_HOME": str(home),
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "CSM_SLACK_API_URL": fake.api_url,
            "CSM_SLACK_ADMINS": "UBENCH",
        }
        env.pop("CSM_DATABASE_URL", None)
        env.pop("CSM_MODEL", None)
        csm = str(Path(sys.executable).with_name("csm"))
        log = (home / "serve.log").open("wb")
        server = subprocess.Popen(
            [csm, "slack", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--threads", str(args.threads)],
            env=env, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        try:
            _wait_healthy(port, server, home / "serve.log")
            cold = _end_to_end(port, fake, "E2E-cold")
            warm = _end_to_end(port, fake, "E2E-warm")
            acks = _load(port, args.events, args.clients)
            drained = _wait_posts(fake, args.events + 2, timeout=600)
        except BaseException:
            sys.stderr.write((home / "serve.log").read_text()[-3000:])
            raise
        finally:
            log.close()
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            fake.stop()
    p50, p95 = _pct(acks, 50), _pct(acks, 95)
    ok = p95 < TARGET_P95_MS
    print("# Slack bot benchmark\n")
    print(f"demo portfolio (60 accounts), as of {date.today()}; bot threads {args.threads}\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| end-to-end 'Score Acme Corp', first request | {cold:.0f} ms | |")
    print(f"| end-to-end 'Score Acme Corp', warm | {warm:.0f} ms | |")
    print(f"| ack p50 ({args.events} events, {args.clients} clients) | {p50:.1f} ms | |")
    print(f"| ack p95 | {p95:.1f} ms | < {TARGET_P95_MS:.0f} ms {'ok' if ok else 'MISSED'} |")
    print(f"| ack max | {max(acks):.1f} ms | |")
    print(f"| all {args.events} answers posted after the load | {drained:.1f} s | |")
    return 0 if ok else 1


def _demo(home: Path) -> None:
    from connectors.csv_import import import_folder
    from connectors.demo import generate
    from memory.store import open_store

    generate(home / "csv", accounts=60, seed=7, as_of=date.today())
    store = open_store(f"sqlite:///{home / 'csm.db'}")
    import_folder(store, home / "csv")
    store.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(port: int, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.poll() is not None:
            raise SystemExit(f"csm slack serve exited: {log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("csm slack serve did not start")


def _event(event_id: str, ts: str) -> str:
    return json.dumps(
        {
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1,
            "event": {
                "type": "app_mention",
                "user": "UBENCH",
                "text": "<@UBOT> Score Acme Corp",
                "channel": "C1",
                "ts": ts,
            },
        }
    )


def _send(conn: http.client.HTTPConnection, body: str) -> float:
    """Send one signed event; return the milliseconds until the ack's response."""
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(
            timestamp=stamp, body=body
        ),
    }
    start = time.perf_counter()
    conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 200:
        raise SystemExit(f"the server answered {response.status}")
    return elapsed


def _end_to_end(port: int, fake: object, event_id: str) -> float:
    """Return the milliseconds from sending a mention to its reply reaching the fake."""
    ts = f"1800000000.{abs(hash(event_id)) % 10**6:06d}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    _send(conn, _event(event_id, ts))
    conn.close()
    while True:
        if any(p.get("thread_ts") == ts for p in fake.posts()):  # type: ignore[attr-defined]
            return (time.perf_counter() - start) * 1000
        if time.perf_counter() - start > 120:
            raise SystemExit("no reply within 120 s")
        time.sleep(0.002)


def _load(port: int, events: int, clients: int) -> list[float]:
    """Send `events` mentions from `clients` concurrent connections; return the ack times."""
    per_client = [list(range(i, events, clients)) for i in range(clients)]

    def client(ids: list[int]) -> list[float]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            return [_send(conn, _event(f"EvLoad{i}", f"1700000000.{i:06d}")) for i in ids]
        finally:
            conn.close()

    with ThreadPoolExecutor(clients) as pool:
        return [t for times in pool.map(client, per_client) for t in times]


def _wait_posts(fake: object, count: int, timeout: float) -> float:
    start = time.perf_counter()
    while len(fake.posts()) < count and time.perf_counter() - start < timeout:  # type: ignore[attr-defined]
        time.sleep(0.05)
    return time.perf_counter() - start


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[pct - 1]


if __name__ == "__main__":
    sys.exit(main())
