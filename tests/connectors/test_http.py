"""The vendor API client: retries, Retry-After, error classes, rate limit, redaction."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx
from tenacity import wait_none

from connectors.http import ApiClient, ApiError, AuthError, RetryExhausted, TokenBucket

BASE = "https://api.vendor.test"
TOKEN = "pat-na1-SECRET-0123456789"


def client(sleeps: list[float], **kw) -> ApiClient:
    return ApiClient(
        "hubspot",
        BASE,
        {"Authorization": f"Bearer {TOKEN}"},
        rate=1000,
        burst=100,
        wait=wait_none(),
        secret_setting="CSM_HUBSPOT_TOKEN",
        sleep=sleeps.append,
        **kw,
    )


@respx.mock
def test_429_waits_as_long_as_retry_after_then_succeeds():
    route = respx.get(f"{BASE}/things").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}, json={"message": "slow down"}),
            httpx.Response(200, json={"results": [1]}),
        ]
    )
    sleeps: list[float] = []
    api = client(sleeps)
    assert api.get("/things") == {"results": [1]}
    assert route.call_count == 2
    assert sleeps == [7.0]
    assert api.retries == 1


@respx.mock
def test_500_then_success_and_a_timeout_then_success_are_retried():
    respx.get(f"{BASE}/a").mock(
        side_effect=[httpx.Response(500), httpx.Response(200, json={"ok": True})]
    )
    respx.get(f"{BASE}/b").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={"ok": 2})]
    )
    api = client([])
    assert api.get("/a") == {"ok": True}
    assert api.get("/b") == {"ok": 2}
    assert api.retries == 2


@respx.mock
def test_persistent_503_exhausts_the_attempts():
    route = respx.get(f"{BASE}/a").mock(return_value=httpx.Response(503, text="maintenance"))
    with pytest.raises(RetryExhausted) as caught:
        client([], max_attempts=3).get("/a")
    assert route.call_count == 3
    assert caught.value.status == 503
    assert "3 attempt(s)" in str(caught.value)
    assert "maintenance" in str(caught.value)


@respx.mock
def test_other_4xx_is_not_retried_and_carries_the_vendor_message():
    route = respx.post(f"{BASE}/objects").mock(
        return_value=httpx.Response(400, json={"message": "Property values were not valid"})
    )
    with pytest.raises(ApiError) as caught:
        client([]).post("/objects", json={"properties": {}})
    assert route.call_count == 1
    assert caught.value.status == 400
    assert not isinstance(caught.value, RetryExhausted)
    assert "Property values were not valid" in str(caught.value)


@respx.mock
def test_401_names_the_setting_and_never_the_token(caplog):
    respx.get(f"{BASE}/a").mock(
        return_value=httpx.Response(401, json={"message": f"bad token Bearer {TOKEN}"})
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as caught:
        client([]).get("/a")
    text = str(caught.value)
    assert "CSM_HUBSPOT_TOKEN" in text
    assert TOKEN not in text
    assert "***" in text
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(client([]))


@respx.mock
def test_retry_logs_are_redacted(caplog):
    respx.get(f"{BASE}/a").mock(
        side_effect=[
            httpx.Response(500, json={"message": f"echo {TOKEN}"}),
            httpx.Response(200, json={}),
        ]
    )
    caplog.set_level(logging.DEBUG)
    client([]).get("/a")
    assert "retry 1 of 4" in caplog.text
    assert TOKEN not in caplog.text


@respx.mock
def test_post_without_retry_makes_one_attempt():
    route = respx.post(f"{BASE}/notes").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(RetryExhausted) as caught:
        client([]).post("/notes", json={}, retry=False)
    assert route.call_count == 1
    assert caught.value.status is None


def test_token_bucket_spaces_requests_beyond_the_burst():
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    bucket = TokenBucket(rate=2, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        bucket.acquire()
    # two free tokens, then one every 0.5 s
    assert slept == [0.5, 0.5]


@respx.mock
def test_a_basic_auth_password_echoed_by_the_server_is_redacted():
    import base64

    credential = base64.b64encode(f"ops@acme.test/token:{TOKEN}".encode()).decode()
    respx.get(f"{BASE}/a").mock(
        return_value=httpx.Response(403, json={"error": f"token {TOKEN} lacks scope"})
    )
    basic = ApiClient(
        "zendesk",
        BASE,
        {"Authorization": f"Basic {credential}"},
        rate=1000,
        wait=wait_none(),
        secret_setting="CSM_ZENDESK_TOKEN",
    )
    with pytest.raises(AuthError) as caught:
        basic.get("/a")
    assert TOKEN not in str(caught.value)
    assert "CSM_ZENDESK_TOKEN" in str(caught.value)
