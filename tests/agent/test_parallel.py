"""The weekly scan's second health pass in a forked process gives the same answer."""

from datetime import timedelta

from agent.cli.parallel import alongside
from memory.read import load_portfolio
from memory.store import open_store
from tests.conftest import DEMO_AS_OF
from tools.health import score_portfolio
from tools.weekly import weekly_scan


def test_scores_of_a_week_ago_from_a_forked_process_equal_in_process_ones(demo_db_url):
    store = open_store(demo_db_url)
    data = load_portfolio(store.engine, DEMO_AS_OF, usage_days=67)
    store.dispose()
    day = DEMO_AS_OF - timedelta(days=7)
    forked = alongside(lambda: score_portfolio(data, day), len(data.accounts), min_accounts=1)
    here = score_portfolio(data, day)
    got = forked()
    assert got == here
    scan = weekly_scan(data, DEMO_AS_OF, week_ago=lambda: got)
    assert scan == weekly_scan(data, DEMO_AS_OF)
    # the demo has tier moves, so the comparison above compares something
    assert scan.moved_down or scan.moved_up


def test_a_small_portfolio_runs_in_process():
    calls = []
    job = alongside(lambda: calls.append(1) or "done", accounts=10)
    assert calls == []  # not started early: it is the job itself, run when asked
    assert job() == "done" and calls == [1]
