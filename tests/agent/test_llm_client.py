import logging

import httpx
import pytest

from agent.llm import NOT_CONFIGURED, LlmClient, LlmError, LlmNotConfigured, default_wait
from agent.settings import Settings, get_settings
from tests.agent.llm_script import (
    BASE_URL,
    ScriptedModel,
    client,
    llm_env,
    prose,
    scripted,
    status,
    tool_calls,
)


@pytest.fixture(autouse=True)
def _llm(monkeypatch):
    llm_env(monkeypatch)


@pytest.fixture
def model():
    with scripted() as router:
        yield ScriptedModel(router)


def test_a_reply_is_returned_with_its_token_usage(model):
    model.enqueue(prose("Acme is green.", prompt_tokens=321, completion_tokens=9))
    llm = client()
    reply = llm.chat([{"role": "user", "content": "Score Acme"}])
    assert reply.content == "Acme is green."
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (321, 9)
    assert llm.calls == 1 and llm.usage == [reply.usage]
    sent = model.history[0]
    assert sent["model"] == "scripted"
    assert sent["messages"] == [{"role": "user", "content": "Score Acme"}]
    assert "tools" not in sent


def test_tool_calls_come_back_parsed_and_as_a_message():
    with scripted() as router:
        model = ScriptedModel(router).enqueue(tool_calls(("score", {"account": "Acme"})))
        reply = client().chat([{"role": "user", "content": "Score Acme"}], tools=[{"x": 1}])
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("score", '{"account": "Acme"}')]
    assert reply.as_message()["tool_calls"][0]["function"]["name"] == "score"
    assert model.history[0]["tools"] == [{"x": 1}]


def test_429_then_success_is_retried_and_usage_recorded_once(model, caplog):
    model.enqueue(status(429, "slow down"), prose("ok", prompt_tokens=50))
    llm = client()
    with caplog.at_level(logging.WARNING, logger="csm.llm"):
        reply = llm.chat([{"role": "user", "content": "hi"}])
    assert reply.content == "ok"
    assert model.calls == 2
    assert [u.prompt_tokens for u in llm.usage] == [50]
    assert "attempt 1 failed" in caplog.text


@pytest.mark.parametrize("code", [500, 502, 503])
def test_5xx_is_retried(model, code):
    model.enqueue(status(code), prose("ok"))
    assert client().chat([{"role": "user", "content": "hi"}]).content == "ok"
    assert model.calls == 2


def test_a_timeout_is_retried_then_a_clear_error(model):
    model.enqueue(*(httpx.ReadTimeout("scripted") for _ in range(3)))
    with pytest.raises(LlmError) as err:
        client().chat([{"role": "user", "content": "hi"}])
    assert model.calls == 3  # CSM_LLM_MAX_ATTEMPTS default
    assert str(err.value) == (
        "LLM request failed after 3 attempt(s): timed out after 30 s (CSM_LLM_TIMEOUT) "
        f"(model scripted at {BASE_URL})"
    )


def test_a_timeout_then_success(model):
    model.enqueue(httpx.ConnectTimeout("scripted"), prose("ok"))
    assert client().chat([{"role": "user", "content": "hi"}]).content == "ok"
    assert model.calls == 2


def test_attempts_come_from_the_settings(model, monkeypatch):
    monkeypatch.setenv("CSM_LLM_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    model.enqueue(status(503), status(503))
    with pytest.raises(LlmError, match=r"after 2 attempt\(s\): HTTP 503: scripted error"):
        client().chat([{"role": "user", "content": "hi"}])
    assert model.calls == 2


@pytest.mark.parametrize("code", [400, 401, 404])
def test_a_refusal_is_not_retried(model, code):
    model.enqueue(status(code, "bad key"))
    with pytest.raises(LlmError, match=f"LLM request refused: HTTP {code}: bad key"):
        client().chat([{"role": "user", "content": "hi"}])
    assert model.calls == 1


def test_a_dropped_connection_is_retried(model):
    model.enqueue(httpx.ConnectError("refused"), prose("ok"))
    assert client().chat([{"role": "user", "content": "hi"}]).content == "ok"


def test_no_llm_configured_is_a_clear_error(monkeypatch):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CSM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    with pytest.raises(LlmNotConfigured) as err:
        LlmClient()
    assert str(err.value) == NOT_CONFIGURED
    assert "OPENAI_API_KEY" in NOT_CONFIGURED and "CSM_MODEL" in NOT_CONFIGURED


def test_settings_read_the_unprefixed_openai_variables(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-abc")
    monkeypatch.setenv("CSM_LLM_TIMEOUT", "7.5")
    s = Settings()
    assert s.openai_api_key.get_secret_value() == "sk-abc"
    assert "sk-abc" not in repr(s)
    assert (s.openai_base_url, s.model, s.llm_timeout, s.llm_max_attempts) == (
        BASE_URL,
        "scripted",
        7.5,
        3,
    )
    assert s.llm_enabled


@pytest.mark.parametrize(
    ("key", "url", "model", "enabled"),
    [
        ("sk", None, "m", True),
        (None, "http://localhost:11434/v1", "m", True),
        ("sk", None, None, False),
        (None, None, "m", False),
    ],
)
def test_llm_enabled_needs_a_model_and_a_key_or_a_url(monkeypatch, key, url, model, enabled):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CSM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    assert Settings(openai_api_key=key, openai_base_url=url, model=model).llm_enabled is enabled


def test_a_local_server_needs_no_key(monkeypatch, model):
    monkeypatch.delenv("OPENAI_API_KEY")
    get_settings.cache_clear()
    model.enqueue(prose("ok"))
    assert client().chat([{"role": "user", "content": "hi"}]).content == "ok"


def test_the_sdk_does_not_retry_by_itself():
    llm = client()
    assert llm._sdk.max_retries == 0


def test_the_default_wait_backs_off_and_honours_retry_after():
    import openai
    from tenacity import RetryCallState

    wait = default_wait()
    request = httpx.Request("POST", f"{BASE_URL}/chat/completions")
    response = httpx.Response(429, headers={"retry-after": "12"}, request=request)
    error = openai.RateLimitError("slow", response=response, body=None)
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
    state.attempt_number = 1
    state.set_exception((type(error), error, None))
    assert wait(state) >= 12
    state.outcome = None
    assert 1.0 <= wait(state) <= 2.0  # exponential from 1 s, plus up to 1 s of jitter


def test_importing_the_cli_or_the_llm_path_does_not_import_openai():
    import subprocess
    import sys

    code = (
        "import sys, agent.llm_planner, agent.llm_composer, agent.grounding\n"
        "print('openai' in sys.modules, 'httpx' in sys.modules)\n"
        "import agent.cli\n"
        "print('openai' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]
