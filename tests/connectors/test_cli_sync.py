"""`csm sync` and `csm connectors` through the CLI runner, against the fake HubSpot."""

from __future__ import annotations

import json

import pytest
import respx
from typer.testing import CliRunner

from agent.cli import app
from agent.settings import get_settings
from memory.workspace import load_profile
from tests.connectors.hubspot_fake import BASE, TOKEN, FakeHubSpot
from tests.connectors.test_hubspot import portfolio_lists


@pytest.fixture
def hubspot(monkeypatch, isolated_home):
    monkeypatch.setenv("CSM_HUBSPOT_TOKEN", TOKEN)
    monkeypatch.setenv("CSM_HUBSPOT_URL", BASE)
    monkeypatch.delenv("CSM_SALESFORCE_TOKEN", raising=False)
    monkeypatch.delenv("CSM_SALESFORCE_URL", raising=False)
    get_settings.cache_clear()
    server = FakeHubSpot(portfolio_lists(), companies=("101", "102", "103"))
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="hubspot.test").mock(side_effect=server)
        yield server


def run(*args):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_sync_prints_rows_per_entity_and_the_skipped_records(hubspot, isolated_home):
    result = run("sync", "hubspot")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "hubspot sync finished: 6 page(s) stored." in out
    for line in ("accounts", "contacts", "contracts", "opportunities"):
        assert line in out
    assert "3 record(s) skipped:" in out
    assert "contacts contact 202: no associated company in HubSpot" in out
    assert "Workspace profile: hubspot recorded as your CRM." in out
    assert load_profile(isolated_home).crm.system == "HubSpot"


def test_sync_json_then_connectors_shows_the_state(hubspot):
    result = run("sync", "hubspot", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"] == {"accounts": 3, "contacts": 2, "contracts": 1, "opportunities": 1}
    assert report["status"] == "ok"

    listed = json.loads(run("connectors", "--json").stdout)["connectors"]
    by_name = {c["name"]: c for c in listed}
    assert list(by_name) == ["hubspot", "salesforce", "zendesk", "stripe"]
    assert by_name["hubspot"]["configured"] is True
    assert by_name["hubspot"]["state"]["rows"] == report["rows"]
    assert by_name["hubspot"]["state"]["cursor"] == report["cursor"]
    assert by_name["hubspot"]["state"]["status"] == "ok"
    assert by_name["salesforce"]["configured"] is False
    assert by_name["salesforce"]["missing"] == "set CSM_SALESFORCE_URL and CSM_SALESFORCE_TOKEN"
    assert by_name["salesforce"]["state"] is None


def test_sync_of_an_unconfigured_or_unknown_source_says_what_to_set(hubspot, monkeypatch):
    monkeypatch.delenv("CSM_HUBSPOT_TOKEN")
    get_settings.cache_clear()
    result = run("sync", "hubspot")
    assert result.exit_code == 2
    assert "Error: hubspot is not configured: set CSM_HUBSPOT_TOKEN" in result.stderr
    unknown = run("sync", "pipedrive")
    assert unknown.exit_code == 2
    assert "unknown source 'pipedrive'" in unknown.stderr


def test_a_refused_token_exits_1_naming_the_setting_without_the_token(hubspot, monkeypatch):
    monkeypatch.setenv("CSM_HUBSPOT_TOKEN", "pat-WRONG-0000")
    get_settings.cache_clear()
    result = run("sync", "hubspot")
    assert result.exit_code == 1
    assert "check CSM_HUBSPOT_TOKEN" in result.stdout
    assert "run the same command again to resume" in result.stdout
    assert "pat-WRONG-0000" not in result.output


def test_every_sync_command_has_help():
    for command in ("sync", "connectors"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert "Example: csm" in result.stdout


def test_a_synced_portfolio_is_what_score_and_scan_read_usage_unknown_not_zero(hubspot):
    assert run("sync", "hubspot").exit_code == 0
    score = run("score", "Acme Corp", "--json", "--as-of", "2026-11-23")
    assert score.exit_code == 0, score.output
    result = json.loads(score.stdout)
    # HubSpot has no product usage: no usage rows were written, so the usage signals are
    # unknown (a gap naming product analytics), the tier is unknown, never a zero score
    assert result["tier"] == "unknown"
    usage = next(d for d in result["dimensions"] if d["name"] == "usage")
    assert usage["score"] is None
    assert any(g["signal"] == "usage" for g in result["gaps"])
    scan = run("scan", "--json", "--as-of", "2026-11-23")
    assert scan.exit_code == 0, scan.output
    assert json.loads(scan.stdout)["command"] == "scan"
