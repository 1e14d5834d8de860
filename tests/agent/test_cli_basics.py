"""The CLI's edges that need no analytics: help, docs, init, empty store, name resolution."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.settings import get_settings
from memory.models import Account
from memory.store import open_store
from memory.workspace import load_profile

runner = CliRunner()
README = Path(__file__).resolve().parents[2] / "README.md"
COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example_and_is_in_the_readme(name):
    result = runner.invoke(app, [name, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Example" in result.output
    assert f"`csm {name}" in README.read_text()


def test_commands_before_any_import_say_how_to_load_data():
    result = runner.invoke(app, ["score", "Acme"])
    assert result.exit_code == 1
    assert "no portfolio loaded yet: run `csm demo`" in result.output


def _store_with(*names: tuple[str, str]) -> None:
    store = open_store(get_settings().store_url)
    with store.session() as s:
        s.add_all([Account(account_id=i, name=n) for i, n in names])
    store.dispose()


def test_unknown_account_suggests_close_names_and_exits_2_without_traceback():
    _store_with(("a1", "Acme Corp"), ("g1", "Globex"))
    result = runner.invoke(app, ["score", "Acme Crop"])
    assert result.exit_code == 2
    assert (
        result.output.strip() == 'Error: No account matches "Acme Crop". Did you mean: Acme Corp?'
    )
    assert "Traceback" not in result.output


def test_ambiguous_account_lists_candidates():
    _store_with(("a1", "Acme Corp"), ("a2", "Acme Labs"))
    result = runner.invoke(app, ["churn", "acm"])
    assert result.exit_code == 2
    assert '"acm" matches 2 accounts: Acme Corp, Acme Labs' in result.output


def test_bad_as_of_date_is_a_usage_error():
    result = runner.invoke(app, ["scan", "--as-of", "2026-13-01"])
    assert result.exit_code == 2
    assert "'2026-13-01' is not a date: use YYYY-MM-DD" in result.output


def test_init_from_flags_stores_the_profile_that_gaps_use(isolated_home):
    result = runner.invoke(
        app,
        [
            "init",
            "--no-interactive",
            "--surveys",
            "Delighted",
            "--surveys-owner",
            "CS Ops",
            "--discount-ladder",
            "CSM:10,VP CS:25",
            "--csat-threshold",
            "3.5",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    profile = load_profile(isolated_home)
    assert profile.source("surveys") == "survey tool (Delighted)"
    assert profile.ask("surveys") == "CS Ops"
    assert profile.source("crm") == "CRM"
    assert [(s.role, s.max_discount_pct) for s in profile.discount_authority] == [
        ("CSM", 10.0),
        ("VP CS", 25.0),
    ]
    assert profile.csat_threshold == 3.5
    saved = json.loads((isolated_home / "workspace.json").read_text())
    assert saved["surveys"] == {"system": "Delighted", "owner": "CS Ops"}


def test_init_takes_values_from_the_environment(isolated_home, monkeypatch):
    monkeypatch.setenv("CSM_CRM", "Salesforce")
    result = runner.invoke(app, ["init", "--no-interactive"], catch_exceptions=False)
    assert result.exit_code == 0
    assert load_profile(isolated_home).source("crm") == "CRM (Salesforce)"


def test_init_again_changes_only_what_it_is_given(isolated_home):
    from memory.workspace import save_profile

    saved = load_profile(isolated_home).model_copy(
        update={"connectors": {"hubspot": {"role_property": "csm_role"}}}
    )
    save_profile(isolated_home, saved)
    first = ["init", "--no-interactive", "--surveys", "Delighted", "--surveys-owner", "CS Ops"]
    assert runner.invoke(app, first).exit_code == 0
    second = [
        "init", "--no-interactive", "--crm", "HubSpot",
        "--owner-email", "Maya Chen=maya@acme.test", "--owner-email", "Jordan Park=jp@acme.test",
    ]  # fmt: skip
    result = runner.invoke(app, second, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    profile = load_profile(isolated_home)
    assert profile.source("surveys") == "survey tool (Delighted)"  # kept from the first run
    assert profile.source("crm") == "CRM (HubSpot)"
    assert profile.connectors == {"hubspot": {"role_property": "csm_role"}}  # kept
    assert profile.owner_emails == {"Maya Chen": "maya@acme.test", "Jordan Park": "jp@acme.test"}


def test_init_rejects_an_owner_email_without_a_name_or_address():
    result = runner.invoke(app, ["init", "--no-interactive", "--owner-email", "Maya Chen"])
    assert result.exit_code == 2
    assert "write it as 'Owner Name=name@company.com'" in result.output


def test_init_rejects_a_malformed_discount_ladder():
    result = runner.invoke(app, ["init", "--no-interactive", "--discount-ladder", "CSM-ten"])
    assert result.exit_code == 2
    assert re.search(r"'CSM-ten' is not ROLE:PERCENT", result.output)


def test_a_bad_setting_is_one_clear_line_not_a_traceback(monkeypatch):
    _store_with(("a1", "Acme Corp"))
    monkeypatch.setenv("CSM_EMBEDDINGS", "bogus")
    get_settings.cache_clear()
    result = runner.invoke(app, ["score", "Acme Corp"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: invalid setting: CSM_EMBEDDINGS: Input should be 'local' or 'openai' (got 'bogus')"
    )
