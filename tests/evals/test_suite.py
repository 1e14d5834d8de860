"""The eval suite as CI runs it: every conversation in offline mode and in scripted mode.

A conversation tagged `negative` shows a failure the harness must catch (e.g. a model that
answers about the wrong account, which the agent does not guard against yet): it must fail,
strictly, like xfail, so the tag is removed the day the agent handles it.
"""

from __future__ import annotations

import pytest

from evals.harness.format import load_suite
from evals.harness.suite import CONVERSATIONS_DIR, eval_workspace, run_results, select

NEGATIVE = "negative"


@pytest.mark.parametrize("mode", ["offline", "scripted"])
def test_every_conversation_passes(mode, fixture_cache):
    conversations = select(load_suite(CONVERSATIONS_DIR), mode)
    assert conversations, f"no conversation lists {mode}"
    known = {c.id for c in conversations if NEGATIVE in c.tags}
    with eval_workspace(fixtures=fixture_cache) as runner:
        results = run_results(conversations, mode, runner)
    failing = [
        f"{r.id}: " + "; ".join(f"{f.kind} (turn {f.turn}): {f.detail}" for f in r.failures)
        for r in results
        if not r.passed and r.id not in known
    ]
    assert not failing, f"{len(failing)} of {len(results)} failed in {mode} mode:\n" + "\n".join(
        failing
    )
    fixed = sorted(r.id for r in results if r.passed and r.id in known)
    assert not fixed, f"these pass now: remove their {NEGATIVE!r} tag: {fixed}"
