"""The Slack bot against a fake Web API on loopback, on a copy of the demo portfolio."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import create_engine, make_url, text

from agent.settings import get_settings
from memory.workspace import WorkspaceProfile, save_profile
from tests.conftest import DEMO_AS_OF
from tests.slack.fake_slack import FakeSlack

SECRET = "test-signing-secret"
MAYA = "UMAYA"  # owns Acme Corp and Globex ("Maya Chen", mapped to her e-mail in the profile)
JORDAN = "UJORDAN"  # owns Nimbus Software (mapped by e-mail)
STRANGER = "USTRANGER"  # owns nothing
ADMIN = "UADMIN"
CHANNEL = "C1"
TEAM = "T1"


@pytest.fixture
def fake():
    server = FakeSlack().start()
    server.add_user(MAYA, "maya@example.com", "Maya Chen")
    server.add_user(JORDAN, "Jordan.Patel@example.com", "Jordan P.")
    server.add_user(STRANGER, "stranger@example.com", "Sam Stranger")
    server.add_user(ADMIN, "boss@example.com", "The Boss")
    yield server
    server.stop()


@pytest.fixture
def team_db(demo_db_url, tmp_path) -> str:
    """A private copy of the demo store (tests write to it); Jordan's accounts by e-mail."""
    source = Path(make_url(demo_db_url).database)
    copy = tmp_path / "team.db"
    shutil.copy(source, copy)
    url = f"sqlite:///{copy}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE accounts SET csm = 'jordan.patel@example.com' WHERE csm = 'Jordan Patel'")
        )
    engine.dispose()
    return url


@pytest.fixture
def slack_env(fake, team_db, monkeypatch, isolated_home):
    """The bot's environment; the workspace profile maps the owner "Maya Chen" to her e-mail."""
    save_profile(isolated_home, WorkspaceProfile(owner_emails={"Maya Chen": "maya@example.com"}))
    monkeypatch.setenv("CSM_DATABASE_URL", team_db)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("CSM_SLACK_API_URL", fake.api_url)
    monkeypatch.setenv("CSM_SLACK_ADMINS", f"{ADMIN}, other-admin@example.com")
    monkeypatch.delenv("CSM_MODEL", raising=False)
    get_settings.cache_clear()
    return get_settings()


class Harness:
    """Sends signed requests to the bot and waits for its background work."""

    def __init__(self, bot: Any, fake: FakeSlack) -> None:
        self.bot, self.fake = bot, fake
        self.conv = bot.conversations
        self._n = 0

    def signed(self, body: str, ctype: str, *, ts: int | None = None, retry: int | None = None):
        stamp = str(ts if ts is not None else int(time.time()))
        headers = {
            "content-type": [ctype],
            "x-slack-request-timestamp": [stamp],
            "x-slack-signature": [SignatureVerifier(SECRET).generate_signature(
                timestamp=stamp, body=body
            )],
        }  # fmt: skip
        if retry is not None:
            headers["x-slack-retry-num"] = [str(retry)]
            headers["x-slack-retry-reason"] = ["http_timeout"]
        return headers

    def dispatch(self, body: str, ctype: str, **kw: Any):
        response = self.bot.app.dispatch(
            BoltRequest(body=body, headers=self.signed(body, ctype, **kw))
        )
        self.conv.worker.drain()
        assert not self.conv.worker.errors, self.conv.worker.errors
        return response

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        self._n += 1
        return json.dumps(
            {
                "token": "x",
                "team_id": TEAM,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id or f"Ev{self._n:04d}",
                "event_time": 1,
                "event": event,
            }
        )

    def mention(self, user: str, text: str, thread_ts: str | None = None, **kw: Any):
        self._n += 1
        event = {
            "type": "app_mention",
            "user": user,
            "text": f"<@UBOT> {text}",
            "channel": CHANNEL,
            "ts": f"1699999999.{self._n:06d}",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.dispatch(self.event_body(event), "application/json", **kw), event

    def thread_reply(self, user: str, text: str, thread_ts: str):
        self._n += 1
        event = {
            "type": "message",
            "channel_type": "channel",
            "user": user,
            "text": text,
            "channel": CHANNEL,
            "ts": f"1699999999.{self._n:06d}",
            "thread_ts": thread_ts,
        }
        return self.dispatch(self.event_body(event), "application/json")

    def dm(self, user: str, text: str):
        self._n += 1
        event = {
            "type": "message",
            "channel_type": "im",
            "user": user,
            "text": text,
            "channel": "D" + user,
            "ts": f"1699999999.{self._n:06d}",
        }
        return self.dispatch(self.event_body(event), "application/json")

    def command(self, user: str, text: str, channel: str = CHANNEL):
        body = urlencode(
            {
                "token": "x",
                "team_id": TEAM,
                "channel_id": channel,
                "user_id": user,
                "command": "/csm",
                "text": text,
                "response_url": f"http://127.0.0.1:{self.fake.port}/response",
                "trigger_id": "1.2.3",
            }
        )
        return self.dispatch(body, "application/x-www-form-urlencoded")

    def click(self, user: str, button: dict[str, Any], message_ts: str, channel: str = CHANNEL):
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A1",
            "token": "x",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "trigger_id": "1.2.3",
            "channel": {"id": channel},
            "message": {"ts": message_ts, "type": "message"},
            "response_url": f"http://127.0.0.1:{self.fake.port}/response",
            "actions": [
                {
                    "action_id": button["action_id"],
                    "block_id": "csm_approval",
                    "value": button["value"],
                    "type": "button",
                    "action_ts": "1",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        return self.dispatch(body, "application/x-www-form-urlencoded")


def buttons(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return a posted message's buttons by label."""
    blocks = params.get("blocks")
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
    out = {}
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button":
                out[element["text"]["text"]] = element
    return out


@pytest.fixture
def bot(slack_env, fake):
    from connectors.slack.runtime import SlackBot

    bot = SlackBot.open(slack_env, as_of=DEMO_AS_OF, offline=True)
    yield Harness(bot, fake)
    bot.close()
