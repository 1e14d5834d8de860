"""The human output of the analytics commands on the demo portfolio, as a CSM reads it.

Run through the CLI (plain text: NO_COLOR is set and the output is captured, as when piped).
"""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.render.common import num, pct
from tests.conftest import DEMO_AS_OF

runner = CliRunner()
AS_OF = DEMO_AS_OF.isoformat()
ANSI = re.compile(r"\x1b\[")


def csm(*args: str, columns: int = 100, env: dict[str, str] | None = None):
    """Run `csm ARGS` at a terminal width of `columns`; return the click result."""
    return runner.invoke(
        app, list(args), env={"COLUMNS": str(columns), **(env or {})}, catch_exceptions=False
    )


def out(*args: str, columns: int = 100) -> str:
    result = csm(*args, columns=columns)
    assert result.exit_code == 0, result.output
    return result.output


def rows(text: str) -> list[list[str]]:
    """Return the cells of each table line (the lines between │ borders), stripped."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in text.splitlines()
        if line.startswith("│")
    ]


# --- score ---------------------------------------------------------------------------------


def _shown(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return num(value, 2)
    return str(value)


def test_score_shows_every_dimension_and_signal_with_value_threshold_and_points(demo_env):
    # Wide enough for every cell to fit on its line: each signal is then one row.
    text = out("score", "acme", "--as-of", AS_OF, columns=250)
    result = json.loads(out("score", "acme", "--as-of", AS_OF, "--json"))
    assert text.splitlines()[0] == f"Health: Acme Corp  as of {AS_OF}"
    assert "Score 44 /100  orange (At-Risk)" in text
    table = rows(text)
    for dim in result["dimensions"]:
        head = next(r for r in table if r[0] == f"{dim['name']}  weight {pct(dim['weight'], 0)}")
        assert head[-1] == f"{num(dim['score'], 1)} /10"
        for sig in dim["signals"]:
            row = next(r for r in table if r[0] == sig["name"])
            assert row[1:] == [_shown(sig["value"]), sig["threshold"], num(sig["points"], 2)]
    t, tiers = result["trend"], result["trend_tiers"]
    assert (
        f"Trend: 90 d ago {t['90']} {tiers['90']} -> 30 d ago {t['30']} {tiers['30']} -> "
        f"7 d ago {t['7']} {tiers['7']} -> now 44 orange"
    ) in text
    assert "Data gaps (1)" in text
    assert [
        "exec_sponsor: no active exec sponsor, decision maker or economic buyer on record",
        "health: relationship",
        "CRM",
        "CRM admin / RevOps",
    ] in table


@pytest.mark.parametrize("profile", ["engine", "leading80", "ops", "sales"])
def test_score_header_names_the_profile_and_coverage(demo_env, profile):
    text = out("score", "acme", "--profile", profile, "--as-of", AS_OF)
    assert text.startswith(f"Health: Acme Corp  as of {AS_OF}\n\nScore ")
    assert f"· profile {profile} ·" in text
    assert "How the score was built" in text


def test_score_of_an_account_without_usage_says_provisional(demo_env):
    text = out("score", "nakamura", "--as-of", AS_OF)
    assert "unknown (Unknown)  (provisional: not enough data to tier)" in text
    assert "usage: no usage rows in" in text


@pytest.mark.parametrize("command", ["score acme", "backtest", "portfolio"])
def test_an_unknown_profile_exits_2_naming_the_valid_ones(demo_env, command):
    result = csm(*command.split(), "--profile", "bogus", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: unknown profile 'bogus': choose one of engine, leading80, ops, sales"
    )


# --- churn ---------------------------------------------------------------------------------


def test_churn_ranks_high_risk_first_then_by_arr(demo_env):
    text = out("churn", "--as-of", AS_OF, columns=200)
    assert text.startswith(f"Churn risk assessment  as of {AS_OF}\n")
    ranked = [r for r in rows(text) if r[0].isdigit()]
    assert [r[0] for r in ranked] == [str(i) for i in range(1, len(ranked) + 1)]
    order = {"high": 0, "medium": 1, "low": 2}
    keys = [(order[r[2]], -int(r[3].strip("$").replace(",", ""))) for r in ranked]
    assert keys == sorted(keys)
    assert ranked[0][1:4] == ["Acme Corp", "high", "$240,000"]
    assert {"Vandelay Imports", "Bluth Homes"} <= {r[1] for r in ranked if r[2] == "high"}
    # each flagged account's 48-hour action follows the table, with the evidence
    assert ["1. Acme Corp", "48-hour action"] == rows(text.split("48-hour actions")[1])[0][:2]


def test_churn_for_one_account_shows_action_evidence_and_gaps(demo_env):
    text = out("churn", "acme", "--as-of", AS_OF)
    lines = text.splitlines()
    assert lines[0] == f"Churn risk for Acme Corp  as of {AS_OF}"
    assert lines[2] == (
        "Risk high · ARR $240,000 · escalation executive · 2 signal(s): champion_loss, "
        "support_escalation"
    )
    labels = [r[0] for r in rows(text) if r[0]]
    assert labels[:3] == ["48-hour action", "champion_loss", "support_escalation"]
    assert "Data gaps (1)" in text


@pytest.mark.parametrize("owner", ["CS Ops", "Priya (Insights)"])
def test_a_gap_names_the_workspace_source_and_who_to_ask(demo_env, owner):
    before = out("churn", "acme", "--as-of", AS_OF, columns=200)
    assert "(Delighted)" not in before
    init = csm("init", "--no-interactive", "--surveys", "Delighted", "--surveys-owner", owner)
    assert init.exit_code == 0, init.output
    text = out("churn", "acme", "--as-of", AS_OF, columns=200)
    gap = next(r for r in rows(text) if r[0].startswith("nps: no NPS response"))
    assert gap[1:] == ["churn: negative_survey", "survey tool (Delighted)", owner]


def test_as_of_in_the_past_uses_only_the_data_of_that_day(demo_env):
    now = out("churn", "acme", "--as-of", AS_OF)
    assert "champion Dana Whitfield departed on 2026-11-03" in now
    # 30 days earlier the champion was still active and the urgent ticket not yet opened
    then = out("churn", "acme", "--as-of", "2026-10-24")
    assert then.splitlines()[0] == "Churn risk for Acme Corp  as of 2026-10-24"
    assert "No churn signal fired (1 account(s) checked)." in then
    assert "champion_loss" not in then
    score_then = out("score", "acme", "--as-of", "2026-10-24")
    assert "Score 44 /100" not in score_then


# --- the other commands --------------------------------------------------------------------


def test_renewals_lists_the_reasons_of_each_bucket_below_a_narrow_table(demo_env):
    text = out("renewals", "--as-of", AS_OF, columns=200)
    acme = next(r for r in rows(text) if r[0] == "Acme Corp")
    assert acme[:4] == ["Acme Corp", "at_risk", "2027-02-06", "$240,000"]
    assert re.fullmatch(r"[GYORU]{7} 44", acme[4]) and acme[5] == "high"
    why = text.split("Why each bucket")[1]
    block = why.split("Acme Corp")[1].split("├")[0]
    assert "why at_risk" in block and "health tier orange (score 44)" in block
    assert "open escalation: ticket acme-t3" in block


def test_expansion_labels_estimates_and_holds_back_high_risk_accounts(demo_env):
    text = out("expansion", "nimbus", "--as-of", AS_OF, columns=200)
    assert text.startswith(f"Expansion opportunities for Nimbus Software  as of {AS_OF}")
    assert "$23,550 (estimate): ARR per seat $785.00 x 30 seats" in text
    assert "Elena Ibrahim (SVP Finance, exec_sponsor)" in text
    scan = out("expansion", "--as-of", AS_OF)
    held = scan.split("Held back (1): save first, expand later")[1]
    assert rows(held)[0][:2] == ["Globex Corporation", "ARR"]


def test_weekly_scan_shows_three_accounts_with_one_action_each(demo_env):
    text = out("scan", "--as-of", AS_OF)
    table = text.split("This week's priority accounts (3 of ")[1].split("What to do")[0]
    assert [r[1] for r in rows(table) if r[0].isdigit()] == [
        "Acme Corp",
        "Globex Corporation",
        "Prestige Auto Group",
    ]
    actions = text.split("What to do this week, and why")[1].split("Pattern to escalate")[0]
    assert [r[1] for r in rows(actions)].count("action") == 3
    assert "All qualifying accounts" not in text
    assert "All qualifying accounts" in out("scan", "--all", "--as-of", AS_OF)


def test_winback_of_an_active_account_is_refused_without_traceback(demo_env):
    result = csm("winback", "acme", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: Acme Corp is active; win-back applies to churned accounts"
    )


HUMAN = [
    "score acme",
    "score acme --profile leading80",
    "score acme --profile ops",
    "score acme --profile sales",
    "churn",
    "churn acme",
    "renewals",
    "expansion",
    "expansion nimbus",
    "roi acme",
    "nrr",
    "scan",
    "scan --all",
    "portfolio",
    "cohorts",
    "backtest",
]
# documents (winback, save, qbr, ...) print raw Markdown when piped, for pasting: no width rule


def test_winback_prints_a_markdown_plan_when_piped(demo_env):
    text = out("winback", "cogswell", "--as-of", AS_OF)
    assert text.startswith("# Win-back plan: Cogswell Cogs\n")
    assert "| Days since churn | 20 |" in text
    assert text.count("## E-mail ") == 3


@pytest.mark.parametrize("columns", [100, 120])
@pytest.mark.parametrize("line", HUMAN)
def test_output_fits_the_terminal_without_cut_cells_or_escape_codes(demo_env, line, columns):
    day = ["--to", AS_OF] if line == "nrr" else ["--as-of", AS_OF]
    text = out(*line.split(), *day, columns=columns)
    assert text.splitlines()[0].endswith(f"  as of {AS_OF}")
    too_wide = [x for x in text.splitlines() if len(x.rstrip()) > columns]
    assert not too_wide, too_wide[0]
    assert "…" not in text  # no cell cut short: long text wraps or moves below the table
    assert not ANSI.search(text)
    assert "Data gaps" in text


def test_forced_colour_without_no_color_does_colour_the_output(demo_env, monkeypatch):
    # The control for the test above: escape codes are detected when there are some.
    monkeypatch.delenv("NO_COLOR")
    result = csm("churn", "acme", "--as-of", AS_OF, env={"FORCE_COLOR": "1"})
    assert ANSI.search(result.output)


def test_no_color_on_a_terminal_gives_plain_text(demo_env):
    result = csm("churn", "acme", "--as-of", AS_OF, env={"FORCE_COLOR": "1"})
    assert not ANSI.search(result.output)
