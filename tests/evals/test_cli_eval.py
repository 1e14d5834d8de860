"""`csm eval` through the CLI runner: JSON scorecard, threshold exit code, errors."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from agent.cli import app
from evals.harness.suite import CONVERSATIONS_DIR

runner = CliRunner()


def test_eval_prints_the_json_scorecard_and_exits_1_below_min_pass():
    result = runner.invoke(
        app,
        ["eval", "--mode", "offline", "--filter", "harness", "--json", "--min-pass", "1.01"],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    out = result.stdout
    card = json.loads(out[: out.rindex("}") + 1])
    assert card["mode"] == "offline"
    assert card["total"] == 5  # the harness-* conversations that list offline
    assert card["pass_rate"] == 1.0 and card["failures_by_kind"] == {}
    assert "FAILED: pass rate 100.0% is below --min-pass 101.0%" in result.stderr


def test_eval_markdown_on_a_folder_passes_the_threshold(tmp_path):
    shutil.copy(CONVERSATIONS_DIR / "harness-insufficient-data.yaml", tmp_path)
    result = runner.invoke(
        app, ["eval", "--dir", str(tmp_path), "--min-pass", "1"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "# Eval scorecard: offline mode" in result.stdout
    assert "| pass rate | 100.0% (1/1) |" in result.stdout
    assert "| gap recall | 100.0% (4/4) |" in result.stdout


def test_eval_refuses_bad_files_and_unknown_modes(tmp_path):
    (tmp_path / "broken.yaml").write_text("id: broken\ntitle: x\nturns: []\n")
    result = runner.invoke(app, ["eval", "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "broken.yaml: turns: List should have at least 1 item" in result.stderr
    result = runner.invoke(app, ["eval", "--mode", "psychic"])
    assert result.exit_code == 2 and "'psychic' is not a mode" in result.output
