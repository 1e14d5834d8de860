"""The conversation format: what a file may say, and what it may not."""

from __future__ import annotations

import pytest

from evals.harness.format import FormatError, load_conversation, load_suite
from evals.harness.suite import CONVERSATIONS_DIR, select

GOOD = """\
id: score-acme
title: Score the flagship
tags: [follow-up]
modes: [offline, scripted]
turns:
  - user: "Score Acme Corp"
    model:
      - tool_calls: [{name: score, args: {account: "Acme Corp"}}]
      - error: 429
        retry_after: 1
      - timeout: true
      - prose: "Acme Corp scores 44"
    expect: {command: score, account: acme, facts: ["44"], gaps: [exec_sponsor]}
final: {writes: 0, audit: [{kind: note, account: acme}], pending: false}
"""


def write(tmp_path, text, name="score-acme"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_a_valid_file_loads_with_defaults(tmp_path):
    conv = load_conversation(write(tmp_path, GOOD))
    assert conv.fixture == "demo" and conv.user == "eval" and str(conv.as_of) == "2026-11-23"
    assert [r.error for r in conv.turns[0].model] == [None, 429, None, None]
    assert conv.matches("score") and conv.matches("FOLLOW") and not conv.matches("renewal")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("command: score", "comand: score"), "comand: Extra inputs are not permitted"),
        (("command: score", "command: scroe"), "unknown command 'scroe'"),
        (("- timeout: true", "- {timeout: true, prose: hi}"), "exactly one of"),
        (("name: score, args", "name: delete_everything, args"), "unknown function"),
        (("id: score-acme", "id: other"), "is not the file name's stem"),
    ],
)
def test_a_bad_file_is_refused_naming_the_problem(tmp_path, change, problem):
    with pytest.raises(FormatError, match=problem):
        load_conversation(write(tmp_path, GOOD.replace(*change)))


def test_the_suite_validates_and_has_the_harness_examples():
    suite = load_suite(CONVERSATIONS_DIR)
    ids = {c.id for c in suite}
    assert len(ids) == len(suite)
    assert {c.id for c in select(suite, "scripted", "harness")} >= {
        "harness-model-misbehaves",
        "harness-score-acme",
    }
    assert "harness-model-misbehaves" not in {c.id for c in select(suite, "offline")}
