"""Run one pure computation over the loaded portfolio in a second process, alongside.

A portfolio scan that needs two independent passes (the weekly scan scores health now and
7 days ago) can run the second on the machine's other core: the child is forked after the
portfolio is loaded, so it reads the same data without copying or reloading it, and sends
back only its result. Small portfolios, and platforms without fork, run it in-process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

MIN_ACCOUNTS = 2_000
"""Below this many accounts a second process costs more than it saves."""

_JOB: Callable[[], Any] | None = None


def _run_job() -> Any:  # noqa: ANN401  (whatever the job returns)
    assert _JOB is not None
    return _JOB()


def alongside(
    job: Callable[[], T], accounts: int, *, min_accounts: int = MIN_ACCOUNTS
) -> Callable[[], T]:
    """Start `job` in a forked process when worth it; return a function that waits for it.

    Args:
        job: a pure computation over data already in memory (no open database handles).
        accounts: how many accounts it covers (decides whether a process is worth it).
        min_accounts: the threshold (tests lower it to exercise the forked path).

    Returns:
        A zero-argument function returning the job's result (computed in-process when no
        second process was started, or when the child failed).
    """
    if accounts < min_accounts or "fork" not in multiprocessing.get_all_start_methods():
        return job
    global _JOB
    _JOB = job
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    future: Future = pool.submit(_run_job)
    _JOB = None

    def result() -> T:
        try:
            return future.result()
        except Exception:  # noqa: BLE001  (a lost child must not lose the answer)
            return job()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    return result
