"""The LLM client: one OpenAI-compatible chat endpoint, with timeouts, retries and token usage.

Any server that speaks the OpenAI chat-completions API works: OpenAI itself, vLLM, Ollama,
llama.cpp (settings: OPENAI_API_KEY and/or OPENAI_BASE_URL, CSM_MODEL). The SDK's own retries
are switched off (`max_retries=0`); this module retries with tenacity instead, exponential
back-off with jitter, on rate limits (429), server errors (5xx), timeouts and dropped
connections, and on nothing else: a 400 or a 401 will not get better by asking again.

Nothing imports this module unless an LLM is configured, and it imports `openai` and `httpx`
only inside functions, so the offline CLI never loads them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

if TYPE_CHECKING:
    import httpx
    import openai

    from agent.settings import Settings

log = logging.getLogger("csm.llm")

NOT_CONFIGURED = (
    "No LLM configured: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server) and CSM_MODEL"
)
LOCAL_KEY = "not-needed"
"""The key sent to a local server that wants none (the SDK refuses to send no key at all)."""
RETRY_STATUSES = frozenset({408, 409, 429})
"""Statuses worth retrying besides 5xx: request timeout, conflict (lock), rate limit."""
MAX_RETRY_AFTER = 60.0
"""Longest a server's Retry-After header may make us wait, in seconds."""

Wait = Callable[[RetryCallState], float]


class LlmError(RuntimeError):
    """The LLM could not answer: not configured, refused the request, or kept failing."""


class LlmNotConfigured(LlmError):
    """No model, or neither an API key nor a base URL, is set."""


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens one model call used, as the server reported them (0 when it reports none)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True, slots=True)
class ToolCallRequest:
    """One function call the model asked for: its id, the function name, the raw JSON args."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class LlmReply:
    """What one chat call returned: prose and/or tool calls, and the tokens it cost."""

    content: str | None
    tool_calls: list[ToolCallRequest] = field(default_factory=list)
    usage: Usage = Usage()
    finish_reason: str | None = None

    def as_message(self) -> dict[str, Any]:
        """Return the reply as an assistant message, to send back with the tool results."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in self.tool_calls
            ]
        return message


def default_wait() -> Wait:
    """Return the production back-off: exponential with jitter, honouring Retry-After."""
    backoff = wait_exponential_jitter(initial=1.0, max=20.0, jitter=1.0)

    def wait(state: RetryCallState) -> float:
        delay = backoff(state)
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        response = getattr(error, "response", None)
        header = response.headers.get("retry-after") if response is not None else None
        try:
            return max(delay, min(float(header), MAX_RETRY_AFTER)) if header else delay
        except ValueError:  # an HTTP date: fall back to our own back-off
            return delay

    return wait


def is_retryable(error: BaseException) -> bool:
    """Whether asking again may help: 429, 408/409, 5xx, a timeout or a dropped connection."""
    import openai

    if isinstance(error, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(error, openai.APIStatusError):
        return error.status_code in RETRY_STATUSES or error.status_code >= 500
    return False


class LlmClient:
    """A chat client for one model, with retries and a running record of token usage.

    Attributes:
        model: the model name sent with every request.
        usage: one Usage per successful model call, in order (the per-turn record).
        calls: how many model calls succeeded.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        http_client: httpx.Client | None = None,
        wait: Wait | None = None,
    ) -> None:
        """Build a client from the settings; raise LlmNotConfigured without a model or endpoint.

        Args:
            settings: the process settings (default: get_settings()).
            http_client: the httpx client to send with (default: one with the LLM timeout).
            wait: the tenacity wait between attempts (default: exponential with jitter;
                tests pass `tenacity.wait_none()`).
        """
        if settings is None:
            from agent.settings import get_settings

            settings = get_settings()
        if not settings.llm_enabled or not settings.model:
            raise LlmNotConfigured(NOT_CONFIGURED)
        self.model: str = settings.model
        self.max_attempts = settings.llm_max_attempts
        self.timeout = settings.llm_timeout
        self.base_url = settings.openai_base_url
        self.wait: Wait = wait or default_wait()
        self.usage: list[Usage] = []
        self._sdk = make_sdk_client(settings, http_client=http_client)

    @property
    def calls(self) -> int:
        """Return how many model calls have succeeded so far."""
        return len(self.usage)

    def chat(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        tool_choice: str | None = None,
        temperature: float = 0.0,
    ) -> LlmReply:
        """Send one chat-completions request (retrying transient failures) and return the reply.

        Raises:
            LlmError: the server refused the request, or it kept failing after the attempts.
        """
        import openai

        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
        }
        if tools:
            kwargs["tools"] = tools
            if tool_choice:
                kwargs["tool_choice"] = tool_choice
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self.wait,
            retry=retry_if_exception(is_retryable),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            response = retrying(self._sdk.chat.completions.create, **kwargs)
        except openai.APIError as err:
            raise LlmError(self._explain(err)) from err
        reply = _reply(response)
        self.usage.append(reply.usage)
        log.info(
            "llm call %d: model=%s prompt_tokens=%d completion_tokens=%d",
            self.calls,
            self.model,
            reply.usage.prompt_tokens,
            reply.usage.completion_tokens,
        )
        return reply

    def _explain(self, error: BaseException) -> str:
        """Say what failed, where, and after how many attempts."""
        import openai

        where = f"model {self.model} at {self.base_url or 'api.openai.com'}"
        if isinstance(error, openai.APITimeoutError):
            what = f"timed out after {self.timeout:g} s (CSM_LLM_TIMEOUT)"
        elif isinstance(error, openai.APIConnectionError):
            what = f"could not connect ({error.__cause__ or error})"
        elif isinstance(error, openai.APIStatusError):
            what = f"HTTP {error.status_code}: {_message(error)}"
        else:
            what = str(error)
        if is_retryable(error):
            return f"LLM request failed after {self.max_attempts} attempt(s): {what} ({where})"
        return f"LLM request refused: {what} ({where})"


@cache
def get_client() -> LlmClient:
    """Return the process's LLM client (built once from the settings)."""
    return LlmClient()


def chat(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> LlmReply:
    """Send one chat request with the process's client (see LlmClient.chat)."""
    return get_client().chat(messages, tools)


def make_sdk_client(
    settings: Settings, *, http_client: httpx.Client | None = None
) -> openai.OpenAI:
    """Return the OpenAI SDK client for the settings, its own retries switched off."""
    import httpx
    import openai

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else LOCAL_KEY
    return openai.OpenAI(
        api_key=key,
        base_url=settings.openai_base_url or None,
        http_client=http_client or httpx.Client(timeout=settings.llm_timeout),
        timeout=settings.llm_timeout,
        max_retries=0,
    )


def _reply(response: Any) -> LlmReply:
    choice = response.choices[0]
    message = choice.message
    calls = [
        ToolCallRequest(id=c.id, name=c.function.name, arguments=c.function.arguments or "{}")
        for c in (message.tool_calls or [])
        if getattr(c, "function", None) is not None
    ]
    usage = response.usage
    return LlmReply(
        content=message.content,
        tool_calls=calls,
        usage=Usage(
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
        ),
        finish_reason=choice.finish_reason,
    )


def _message(error: Any) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        return json.dumps(body)[:200]
    return str(getattr(error, "message", error))[:200]


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    delay = state.next_action.sleep if state.next_action else 0.0
    log.warning(
        "llm attempt %d failed (%s); retrying in %.1f s", state.attempt_number, error, delay
    )
