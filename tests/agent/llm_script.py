"""A scripted OpenAI-compatible server for the LLM tests (respx over /chat/completions).

`ScriptedModel.enqueue(...)` queues canned replies (prose, tool calls, HTTP errors,
exceptions); each request pops one, and `history` records every request body, so a test
asserts both what the model said and what it was asked. A request with nothing queued fails
the test. `llm_env` points the settings at an address where nothing listens, so a call that
escapes respx fails at once instead of reaching a real server.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import httpx
import respx

from agent.settings import get_settings

BASE_URL = "http://127.0.0.1:9/v1"
"""Nothing listens on port 9 (discard): an escaped call is refused, never answered."""


def llm_env(monkeypatch: Any) -> None:  # noqa: ANN401
    """Configure an LLM for the test: a key, the dead base URL, a model name."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    monkeypatch.setenv("OPENAI_BASE_URL", BASE_URL)
    monkeypatch.setenv("CSM_MODEL", "scripted")
    monkeypatch.delenv("CSM_LLM_TIMEOUT", raising=False)
    monkeypatch.delenv("CSM_LLM_MAX_ATTEMPTS", raising=False)
    get_settings.cache_clear()


def client(**kw: Any) -> Any:  # noqa: ANN401
    """Return an LlmClient on the test settings, waiting zero seconds between attempts."""
    from tenacity import wait_none

    from agent.llm import LlmClient

    return LlmClient(get_settings(), wait=kw.pop("wait", wait_none()), **kw)


def prose(text: str, prompt_tokens: int = 100, completion_tokens: int = 20) -> httpx.Response:
    """Return a completion whose message is prose."""
    return _completion(
        {"role": "assistant", "content": text}, "stop", prompt_tokens, completion_tokens
    )


def tool_calls(
    *calls: tuple[str, Any], content: str | None = None, prompt_tokens: int = 100
) -> httpx.Response:
    """Return a completion calling functions: each call is (name, args dict or raw JSON string)."""
    message = {
        "role": "assistant",
        "content": content,
        "tool_calls": [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
            for i, (name, args) in enumerate(calls)
        ],
    }
    return _completion(message, "tool_calls", prompt_tokens, 15)


def status(code: int, message: str = "scripted error") -> httpx.Response:
    """Return an error response with the OpenAI error body."""
    return httpx.Response(code, json={"error": {"message": message, "type": "scripted"}})


class ScriptedModel:
    """Canned replies for /chat/completions, popped in order; every request recorded."""

    def __init__(self, router: respx.Router) -> None:
        self.queue: deque[httpx.Response | Exception] = deque()
        self.history: list[dict[str, Any]] = []
        self.route = router.post("/chat/completions").mock(side_effect=self._answer)

    def enqueue(self, *replies: httpx.Response | Exception) -> ScriptedModel:
        """Queue replies (responses, or exceptions such as httpx.ReadTimeout to raise)."""
        self.queue.extend(replies)
        return self

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.history.append(json.loads(request.content))
        if not self.queue:
            raise AssertionError(f"unscripted model call #{len(self.history)}")
        reply = self.queue.popleft()
        if isinstance(reply, Exception):
            raise reply
        return reply

    @property
    def calls(self) -> int:
        """Return how many requests reached the model."""
        return len(self.history)

    def prompt(self, index: int = -1) -> str:
        """Return every message content of one request, joined (for assertions)."""
        return "\n".join(str(m.get("content") or "") for m in self.history[index]["messages"])


def scripted() -> Any:  # noqa: ANN401
    """Return a respx mock of BASE_URL (a context manager) where unmatched calls fail."""
    return respx.mock(base_url=BASE_URL, assert_all_called=False, assert_all_mocked=True)


def _completion(
    message: dict[str, Any], finish: str, prompt: int, completion: int
) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": 1_795_392_000,
            "model": "scripted",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        },
    )
