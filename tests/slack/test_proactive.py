"""`csm slack post-scan` and `csm slack post-alerts`: what a scheduler runs."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app
from tests.slack.conftest import JORDAN, MAYA
from tests.slack.fake_slack import message_text


def _run(*args):
    result = CliRunner().invoke(
        app, ["slack", *args, "--as-of", "2026-11-23"], catch_exceptions=False
    )
    return result


def test_post_scan_posts_top_three_and_the_pattern(slack_env, fake):
    result = _run("post-scan", "--channel", "CWEEKLY", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    [post] = fake.posts()
    assert post["channel"] == "CWEEKLY"
    text = message_text(post)
    assert 1 <= len(report["accounts"]) <= 3
    for name in report["accounts"]:
        assert name in text
    assert text.count("*Action:*") == len(report["accounts"])
    if report["pattern"]:
        assert "*Pattern:*" in text
    assert len(post["blocks"]) <= 50


def test_post_alerts_dms_each_owner_their_own_alerts(slack_env, fake):
    result = _run("post-alerts", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    delivered = {d["owner"]: (d["slack_user"], d["alerts"]) for d in report["delivered"]}
    assert delivered == {
        "Maya Chen": (MAYA, ["Acme Corp: score declined for 30 days (63 -> 44)"]),
        "jordan.patel@example.com": (
            JORDAN,
            ["Lighthouse Learning: dropped from green to yellow within 7 days"],
        ),
    }
    assert {d["owner"] for d in report["unmatched"]} == {"Scale CS team", "Sofia Alvarez"}
    assert sorted(c.params["users"] for c in fake.of("conversations.open")) == [JORDAN, MAYA]
    texts = {p["channel"]: message_text(p) for p in fake.posts()}
    assert "Acme Corp" in texts["D" + MAYA] and "Lighthouse" not in texts["D" + MAYA]
    assert "Lighthouse Learning" in texts["D" + JORDAN] and "Acme" not in texts["D" + JORDAN]
    assert "Prestige" not in "".join(texts.values())


def test_each_dm_holds_only_that_owners_accounts(slack_env, fake):
    result = _run("post-alerts", "--json")
    report = json.loads(result.output)
    by_channel = {f"D{d['slack_user']}": d for d in report["delivered"]}
    for post in fake.posts():
        lines = by_channel[post["channel"]]["alerts"]
        accounts = {line.split(":")[0] for line in lines}
        text = message_text(post)
        for account in accounts:
            assert account in text


def test_manifest_has_the_scopes_events_command_and_interactivity():
    result = CliRunner().invoke(app, ["slack", "manifest", "--url", "https://csm.example.com"])
    assert result.exit_code == 0
    import yaml

    manifest = yaml.safe_load(result.output)
    url = "https://csm.example.com/slack/events"
    assert manifest["features"]["slash_commands"][0] == {
        "command": "/csm",
        "description": "Ask csm: Score Acme, weekly health scan, renewal prep for Acme",
        "usage_hint": "Score Acme Corp",
        "should_escape": False,
        "url": url,
    }
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"] == url
    assert settings["interactivity"] == {"is_enabled": True, "request_url": url}
    assert "app_mention" in settings["event_subscriptions"]["bot_events"]
    assert "users:read.email" in manifest["oauth_config"]["scopes"]["bot"]
    assert settings["socket_mode_enabled"] is False


def test_every_slack_command_has_help():
    for command in ("serve", "post-scan", "post-alerts", "manifest"):
        result = CliRunner().invoke(app, ["slack", command, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output


def test_serve_without_a_token_says_what_to_set(monkeypatch):
    from agent.settings import get_settings

    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["slack", "serve", "--port", "0"])
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN is not set" in result.output


def test_socket_mode_without_an_app_token_says_what_to_set(slack_env, monkeypatch):
    from agent.settings import get_settings

    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["slack", "serve", "--socket"])
    assert result.exit_code == 2
    assert "--socket needs SLACK_APP_TOKEN" in result.output


def test_post_alerts_never_finds_an_owner_by_a_name_someone_set(slack_env, fake):
    # impostors listed first: their names equal owners' names, their e-mails are their own
    impostors = {
        "UFAKEMAYA": {"email": "mallory@example.com", "real_name": "Maya Chen"},
        "UFAKESOFIA": {"email": "eve@example.com", "real_name": "Sofia Alvarez"},
    }
    fake.users = {**impostors, **fake.users}
    result = _run("post-alerts", "--json")
    report = json.loads(result.output)
    assert {d["owner"]: d["slack_user"] for d in report["delivered"]} == {
        "Maya Chen": MAYA,
        "jordan.patel@example.com": JORDAN,
    }
    assert {d["owner"] for d in report["unmatched"]} == {"Scale CS team", "Sofia Alvarez"}
    assert sorted(c.params["users"] for c in fake.of("conversations.open")) == [JORDAN, MAYA]
    assert [c.params["email"] for c in fake.of("users.lookupByEmail")] == [
        "jordan.patel@example.com",
        "maya@example.com",
    ]


def test_one_owner_slack_refuses_does_not_stop_the_others(slack_env, fake):
    fake.errors["conversations.open"] = ["user_disabled"]  # the first owner, Jordan
    result = CliRunner().invoke(
        app, ["slack", "post-alerts", "--as-of", "2026-11-23"], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert "jordan.patel@example.com: Slack said user_disabled, 1 alert(s) not sent" in (
        result.stderr
    )
    assert "Maya Chen (UMAYA): 1 alert(s)" in result.stdout
    assert [p["channel"] for p in fake.posts()] == ["D" + MAYA]


def test_owners_spelled_in_another_case_get_one_dm(slack_env, fake, team_db):
    from sqlalchemy import create_engine, text

    engine = create_engine(team_db)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE accounts SET csm = 'MAYA CHEN' WHERE name = 'Lighthouse Learning'")
        )
    engine.dispose()
    report = json.loads(_run("post-alerts", "--json").output)
    [maya] = [d for d in report["delivered"] if d["slack_user"] == MAYA]
    assert len(report["delivered"]) == 1
    assert sorted(maya["alerts"]) == [
        "Acme Corp: score declined for 30 days (63 -> 44)",
        "Lighthouse Learning: dropped from green to yellow within 7 days",
    ]
    [post] = fake.posts()
    assert "Acme Corp" in message_text(post) and "Lighthouse Learning" in message_text(post)
