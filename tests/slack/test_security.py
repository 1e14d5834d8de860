"""Requests Slack did not sign, or signed too long ago, are refused with no effect."""

from __future__ import annotations

import http.client
import threading
import time

import pytest

from tests.slack.conftest import MAYA


@pytest.fixture
def served(bot):
    from connectors.slack.server import http_server

    server = http_server(bot.bot.app, port=0, host="127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield bot, server.server_address[1]
    server.shutdown()
    server.server_close()


def _post(port, body, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
    response = conn.getresponse()
    status = response.status
    response.read()
    conn.close()
    return status


def _mention(bot):
    return bot.event_body(
        {"type": "app_mention", "user": MAYA, "text": "<@UBOT> Score Acme Corp",
         "channel": "C1", "ts": "1699999999.000001"}
    )  # fmt: skip


def _headers(bot, body, **kw):
    return {k: v[0] for k, v in bot.signed(body, "application/json", **kw).items()}


def test_signed_request_over_http_is_answered(served, fake):
    bot, port = served
    body = _mention(bot)
    assert _post(port, body, _headers(bot, body)) == 200
    bot.conv.worker.drain()
    assert len(fake.posts()) == 1


def test_forged_signature_is_rejected_with_no_effect(served, fake):
    bot, port = served
    body = _mention(bot)
    headers = _headers(bot, body)
    headers["x-slack-signature"] = "v0=" + "0" * 64
    assert _post(port, body, headers) == 401
    bot.conv.worker.drain()
    assert fake.posts() == []
    assert fake.of("users.info") == []


def test_tampered_body_is_rejected(served, fake):
    bot, port = served
    body = _mention(bot)
    headers = _headers(bot, body)
    assert _post(port, body.replace("Score", "Churn"), headers) == 401
    bot.conv.worker.drain()
    assert fake.posts() == []


def test_timestamp_older_than_five_minutes_is_rejected(served, fake):
    bot, port = served
    body = _mention(bot)
    headers = _headers(bot, body, ts=int(time.time()) - 6 * 60)
    assert _post(port, body, headers) == 401
    bot.conv.worker.drain()
    assert fake.posts() == []


def test_only_the_events_path_is_served(served):
    _, port = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/other", body=b"{}")
    assert conn.getresponse().status == 404
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200
    conn.close()


def test_slash_command_over_http_is_acknowledged_and_answered(served, fake):
    from urllib.parse import urlencode

    bot, port = served
    body = urlencode(
        {"team_id": "T1", "channel_id": "C1", "user_id": MAYA, "command": "/csm",
         "text": "Score Acme Corp", "response_url": "http://127.0.0.1:1/r", "trigger_id": "1"}
    )  # fmt: skip
    headers = {k: v[0] for k, v in bot.signed(body, "application/x-www-form-urlencoded").items()}
    assert _post(port, body, headers) == 200
    bot.conv.worker.drain()
    assert [p["blocks"][0]["text"]["text"] for p in fake.posts()[1:]] == ["Score: Acme Corp"]
