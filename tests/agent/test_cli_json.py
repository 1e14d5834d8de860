"""`--json` of every command on the demo portfolio: commands.md's minimum keys and vocabulary.

Each command runs once through the CLI (results are cached for the module: the demo store is
read-only and every test's app home is empty, so the answers are the same), then each test
checks one rule of the spec or one fact of the demo's stories (connectors/demo_stories.py).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from agent.cli import app
from tests.conftest import DEMO_AS_OF

runner = CliRunner()
AS_OF = DEMO_AS_OF.isoformat()

TIERS = {"green", "yellow", "orange", "red", "unknown"}
RISKS = {"high", "medium", "low"}
ESCALATIONS = {"csm", "executive"}
BUCKETS = {"strong", "manage", "at_risk", "unknown"}
CHURN_KINDS = {
    "usage_collapse",
    "champion_loss",
    "support_escalation",
    "negative_survey",
    "billing",
    "competitive",
    "stakeholder_churn",
    "silence",
}
EXPANSION_KINDS = {
    "usage_growth",
    "department_spread",
    "feature_ceiling",
    "promoter",
    "organic_mention",
    "contract_anniversary",
    "seat_capacity",
}
EXPANSION_ACTIONS = {"upsell", "cross_sell", "seat_expansion", "multi_year"}
ROI_CATEGORIES = [
    "time_saved",
    "cost_reduction",
    "revenue_impact",
    "productivity",
    "risk_reduction",
]

# (command line, the `command` value of its result)
COMMANDS = {
    "score acme": "score",
    "score acme --profile leading80": "score",
    "score acme --profile ops": "score",
    "score acme --profile sales": "score",
    "score nakamura": "score",
    "churn": "churn",
    "churn acme": "churn",
    "renewals": "renewals",
    "expansion": "expansion",
    "expansion nimbus": "expansion",
    "roi acme": "roi",
    "nrr": "nrr",
    "scan": "scan",
    "scan --all": "scan",
    "portfolio": "portfolio",
    "cohorts": "cohorts",
    "winback cogswell": "winback",
    "backtest": "backtest",
}

_cache: dict[str, dict] = {}


def _args(line: str) -> list[str]:
    # nrr takes a period, not an as-of date: the 12 months ending on the demo's as-of.
    day = ["--to", AS_OF] if line == "nrr" else ["--as-of", AS_OF]
    return [*line.split(), *day, "--json"]


@pytest.fixture
def cli_json(demo_env):
    """Return a function running `csm LINE --as-of DEMO_AS_OF --json` and parsing its output."""

    def run(line: str) -> dict:
        if line not in _cache:
            result = runner.invoke(app, _args(line), catch_exceptions=False)
            assert result.exit_code == 0, result.output
            _cache[line] = json.loads(result.output)
        return _cache[line]

    return run


# --- every result ------------------------------------------------------------------------


@pytest.mark.parametrize("line", COMMANDS)
def test_every_result_has_command_as_of_and_well_formed_gaps(cli_json, line):
    r = cli_json(line)
    assert r["command"] == COMMANDS[line]
    assert r["as_of"] == AS_OF
    assert isinstance(r["gaps"], list)
    for gap in r["gaps"]:
        for key in ("signal", "needed_for", "source", "ask"):
            assert isinstance(gap[key], str) and gap[key].strip(), (key, gap)


# --- score ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "profile", ["", " --profile leading80", " --profile ops", " --profile sales"]
)
def test_score_keys_vocabulary_and_coverage_as_a_fraction(cli_json, profile):
    r = cli_json("score acme" + profile)
    assert r["account_id"] == "acme" and r["name"] == "Acme Corp"
    assert r["profile"] == (profile.split()[-1] if profile else "engine")
    assert r["tier"] in TIERS
    assert isinstance(r["score"], int) and 0 <= r["score"] <= 100
    weights = [d["weight"] for d in r["dimensions"]]
    assert sum(weights) == pytest.approx(1.0)
    with_data = sum(d["weight"] for d in r["dimensions"] if d["score"] is not None)
    assert 0 <= r["coverage"] <= 1 and r["coverage"] == pytest.approx(with_data)
    for dim in r["dimensions"]:
        assert dim["name"] and (dim["score"] is None or 0 <= dim["score"] <= 10)
        assert dim["signals"], dim["name"]
        for sig in dim["signals"]:
            assert {"name", "value", "threshold", "points"} <= sig.keys()
            assert sig["threshold"]


def test_acme_scores_orange_44_with_a_trend_and_its_exec_sponsor_gap(cli_json):
    r = cli_json("score acme")
    assert (r["score"], r["tier"], r["coverage"]) == (44, "orange", 1.0)
    assert [d["name"] for d in r["dimensions"]] == [
        "usage",
        "engagement",
        "relationship",
        "outcomes",
        "financial",
    ]
    assert set(r["trend"]) == {"7", "30", "90"}
    assert {(g["signal"], g["needed_for"]) for g in r["gaps"]} == {
        ("exec_sponsor", "health: relationship")
    }


def test_an_account_without_usage_is_unknown_with_a_provisional_score(cli_json):
    r = cli_json("score nakamura")  # the analytics export was never connected
    assert r["tier"] == "unknown"
    assert r["score"] is not None  # provisional, shown beside the gaps
    assert r["coverage"] < 0.7
    usage = next(d for d in r["dimensions"] if d["name"] == "usage")
    assert usage["score"] is None
    assert any(g["signal"] == "usage" and "health: usage" in g["needed_for"] for g in r["gaps"])
    assert cli_json("portfolio")["portfolio"]["health_distribution"]["unknown"]["count"] >= 1


# --- churn ---------------------------------------------------------------------------------


def test_churn_scan_vocabulary_and_ranking(cli_json):
    r = cli_json("churn")
    assert r["scanned"] > len(r["accounts"]) > 0
    order = {"high": 0, "medium": 1, "low": 2}
    ranks = [(order[a["risk"]], -a["arr"]) for a in r["accounts"]]
    assert ranks == sorted(ranks)
    for a in r["accounts"]:
        assert {"account_id", "name", "risk", "signals", "action", "escalation"} <= a.keys()
        assert a["risk"] in RISKS and a["escalation"] in ESCALATIONS and a["action"]
        assert a["signals"]
        for s in a["signals"]:
            assert s["kind"] in CHURN_KINDS and s["evidence"]
        if any(s["kind"] == "competitive" for s in a["signals"]):
            assert a["escalation"] == "executive"


def test_acme_churn_is_high_executive_with_an_nps_gap(cli_json):
    r = cli_json("churn acme")
    assert r["scanned"] == 1
    (acme,) = r["accounts"]
    assert (acme["risk"], acme["escalation"]) == ("high", "executive")
    assert [s["kind"] for s in acme["signals"]] == ["champion_loss", "support_escalation"]
    assert "Dana Whitfield departed on 2026-11-03" in acme["signals"][0]["evidence"]
    nps = [g for g in r["gaps"] if g["signal"] == "nps"]
    assert nps and nps[0]["needed_for"] == "churn: negative_survey"
    assert nps[0]["account_id"] == "acme"


def test_silent_accounts_are_high_risk_for_silence(cli_json):
    risks = {a["account_id"]: a for a in cli_json("churn")["accounts"]}
    for account in ("vandelay", "bluth"):
        assert risks[account]["risk"] == "high"
        assert "silence" in [s["kind"] for s in risks[account]["signals"]]


# --- renewals ------------------------------------------------------------------------------


def test_renewal_pipeline_buckets_sorted_and_acme_at_risk_in_75_days(cli_json):
    r = cli_json("renewals")
    rows = r["renewals"]
    assert rows
    order = {"strong": 0, "manage": 1, "unknown": 2, "at_risk": 3}
    for row in rows:
        assert {"account_id", "name", "bucket", "renewal_date", "arr"} <= row.keys()
        assert row["bucket"] in BUCKETS and row["reasons"]
        assert row["tier"] in TIERS
    keys = [(order[x["bucket"]], x["renewal_date"]) for x in rows]
    assert keys == sorted(keys)
    end = DEMO_AS_OF + timedelta(days=r["days"])
    assert all(DEMO_AS_OF <= date.fromisoformat(x["renewal_date"]) <= end for x in rows)
    acme = next(x for x in rows if x["account_id"] == "acme")
    assert acme["bucket"] == "at_risk"
    assert date.fromisoformat(acme["renewal_date"]) == DEMO_AS_OF + timedelta(days=75)
    assert next(x for x in rows if x["account_id"] == "halcyon")["bucket"] == "strong"


# --- expansion -----------------------------------------------------------------------------


def test_expansion_scan_vocabulary_ranking_and_held_back(cli_json):
    r = cli_json("expansion")
    opps = r["opportunities"]
    assert opps
    for o in opps:
        keys = {"account_id", "name", "signals", "action", "timing", "revenue_estimate"}
        assert keys | {"budget_owner"} <= o.keys()
        assert o["action"] in EXPANSION_ACTIONS and o["estimate"] is True
        assert o["signals"]
        for s in o["signals"]:
            assert s["kind"] in EXPANSION_KINDS and s["strength"] in {"strong", "moderate"}
        if o["budget_owner"] is None:  # none on record is a gap naming the account
            assert any(
                g["account_id"] == o["account_id"] and "budget_owner" in g["needed_for"]
                for g in r["gaps"]
            ), o["account_id"]
    estimates = [o["revenue_estimate"] for o in opps if o["revenue_estimate"] is not None]
    assert estimates == sorted(estimates, reverse=True)
    held = {h["account_id"] for h in r["held_back"]}
    assert "globex" in held
    assert held.isdisjoint(o["account_id"] for o in opps)


def test_nimbus_expansion_is_seat_capacity(cli_json):
    r = cli_json("expansion nimbus")
    assert r["account_id"] == "nimbus"
    (nimbus,) = r["opportunities"]
    assert [s["kind"] for s in nimbus["signals"]] == ["seat_capacity"]
    assert nimbus["action"] == "seat_expansion"
    assert nimbus["revenue_estimate"] > 0 and nimbus["estimate_basis"].startswith("estimate")


# --- roi, nrr, weekly scan, win-back -------------------------------------------------------


def test_roi_categories_total_and_multiple(cli_json):
    r = cli_json("roi acme")
    assert [c["category"] for c in r["categories"]] == ROI_CATEGORIES
    valued = [c["annual_value_usd"] for c in r["categories"] if c["annual_value_usd"] is not None]
    assert r["total_annual_value_usd"] == pytest.approx(sum(valued))
    assert r["roi_multiple"] == pytest.approx(r["total_annual_value_usd"] / r["arr"])
    needed = " ".join(g["needed_for"] for g in r["gaps"])
    for c in r["categories"]:
        if c["annual_value_usd"] is None:  # a category without a value is a gap
            assert f"roi: {c['category']}" in needed


def test_nrr_rates_are_fractions_of_one_from_the_breakdown(cli_json):
    r = cli_json("nrr")
    for key in ("start_arr", "expansion", "contraction", "churn", "period_start", "period_end"):
        assert key in r
    start = r["start_arr"]
    assert start > 0
    nrr = (start + r["expansion"] - r["contraction"] - r["churn"]) / start
    assert r["nrr"] == pytest.approx(nrr) and 0 < r["nrr"] < 2
    assert r["grr"] == pytest.approx((start - r["contraction"] - r["churn"]) / start)
    assert 0 <= r["grr"] <= 1 and 0 <= r["logo_retention"] <= 1
    assert (r["period_start"], r["period_end"]) == ("2025-11-23", AS_OF)


def test_weekly_scan_has_at_most_three_priority_accounts_each_with_an_action(cli_json):
    r = cli_json("scan")
    assert 1 <= len(r["priority"]) <= 3 < r["qualifying"]
    for p in r["priority"]:
        assert p["account_id"] and p["name"] and p["action"]
    assert r["priority"][0]["account_id"] == "acme"
    assert r["pattern"] is not None and r["pattern"]["summary"]
    for move in r["moved_down"] + r["moved_up"]:
        assert {move["from_tier"], move["to_tier"]} <= TIERS
    every = cli_json("scan --all")
    assert len(every["all"]) == every["qualifying"] == r["qualifying"]
    assert every["priority"] == r["priority"]


def test_winback_of_a_churned_account(cli_json):
    r = cli_json("winback cogswell")  # churned 20 days ago, financial
    assert (r["days_since_churn"], r["churn_reason"]) == (20, "financial")
    assert r["approach"] == "we miss you + address churn reason"
    assert [e["number"] for e in r["emails"]] == [1, 2, 3]


def test_winback_of_an_active_account_exits_2_with_a_clear_message(demo_env):
    result = runner.invoke(app, ["winback", "acme", "--as-of", AS_OF, "--json"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: Acme Corp is active; win-back applies to churned accounts"
    )
    assert "Traceback" not in result.output


def test_portfolio_and_cohort_rates_are_fractions_of_one(cli_json):
    p = cli_json("portfolio")
    tiers = p["portfolio"]["health_distribution"]
    assert set(tiers) == TIERS
    assert sum(b["count"] for b in tiers.values()) == p["portfolio"]["total_accounts"]
    retention = p["retention"]
    assert retention["net_retention_rate"] == pytest.approx(cli_json("nrr")["nrr"])
    assert 0 <= retention["gross_retention_rate"] <= 1
    for cohort in cli_json("cohorts")["cohorts"]:
        for month in cohort["months"]:
            if month["logo_retention"] is not None:
                assert 0 <= month["logo_retention"] <= 1


def test_backtest_covers_the_churned_accounts(cli_json):
    r = cli_json("backtest")
    churned = {c["account_id"] for c in r["cases"] if c["event"] == "churn"}
    assert {"cogswell", "spacely", "virtucon", "orion", "yoyodyne", "genco"} <= churned
    for case in r["cases"]:
        assert set(case["tiers"].values()) <= TIERS
