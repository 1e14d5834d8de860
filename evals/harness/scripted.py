"""The fake model endpoint of scripted mode, the recorder of live mode, and cassettes.

Scripted mode serves each turn's `model:` replies (evals.harness.format.ModelReply) from a
fake OpenAI-compatible endpoint: respx intercepts POST /chat/completions at DEAD_BASE_URL
(nothing listens there, so a request that escapes the mock is refused, never answered).
Replies are consumed in order; a request with nothing left queued is answered with an HTTP
400 (which the client does not retry) and counted as an overrun, reported by the harness
as a failure of kind `error` ("the model was asked more than was scripted").

Live mode can record: `Recorder` wraps the LLM client's `chat` and keeps every reply, turn by
turn, in the same `model:` shape; `write_cassette` saves them to evals/cassettes/<id>.yaml,
and scripted mode replays a cassette's turn when the conversation's turn has no `model:`.
Cassettes hold only the model's replies (tool calls, prose, token counts): no request, no
header, no key.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field

from evals.harness.format import ModelReply, ScriptedCall

if TYPE_CHECKING:
    from agent.llm import LlmClient, LlmReply

DEAD_BASE_URL = "http://127.0.0.1:9/v1"
"""Nothing listens on port 9 (discard): the scripted endpoint's address."""
SCRIPTED_ENV = {
    "OPENAI_API_KEY": "sk-eval-not-a-key",
    "OPENAI_BASE_URL": DEAD_BASE_URL,
    "CSM_MODEL": "scripted",
    "CSM_LLM_MAX_ATTEMPTS": "2",
    "CSM_LLM_TIMEOUT": None,
}
"""The settings of scripted mode: two attempts per request (an `error: 429` then a reply
succeeds; two errors in a row make the agent fall back), never waiting between them."""
CASSETTES_DIR = Path(__file__).resolve().parent.parent / "cassettes"


def to_response(reply: ModelReply) -> httpx.Response | Exception:
    """Return the HTTP response (or the exception to raise) a scripted reply stands for."""
    if reply.timeout:
        return httpx.ReadTimeout("scripted timeout")
    if reply.error is not None:
        headers = {"retry-after": f"{reply.retry_after:g}"} if reply.retry_after is not None else {}
        body = {"error": {"message": f"scripted HTTP {reply.error}", "type": "scripted"}}
        return httpx.Response(reply.error, json=body, headers=headers)
    if reply.tool_calls is not None:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.content,
            "tool_calls": [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.args)},
                }
                for i, c in enumerate(reply.tool_calls)
            ],
        }
        finish = "tool_calls"
    else:
        message, finish = {"role": "assistant", "content": reply.prose}, "stop"
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-eval",
            "object": "chat.completion",
            "created": 1_795_392_000,
            "model": "scripted",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            },
        },
    )


class ScriptedEndpoint:
    """The fake /chat/completions: queued replies served in order, overruns counted."""

    def __init__(self) -> None:
        self.queue: deque[ModelReply] = deque()
        self.requests = 0
        """Requests received since the last `load`."""
        self.overruns = 0
        """Requests since the last `load` that found nothing queued."""

    def load(self, replies: list[ModelReply]) -> None:
        """Queue one turn's replies, dropping what an earlier turn left, and reset the counts."""
        self.queue = deque(replies)
        self.requests = self.overruns = 0

    @property
    def left(self) -> int:
        """Return how many queued replies were not asked for."""
        return len(self.queue)

    def answer(self, request: httpx.Request) -> httpx.Response:
        """Serve the next reply (respx side effect)."""
        self.requests += 1
        if not self.queue:
            self.overruns += 1
            body = {"error": {"message": "the model was asked more than was scripted"}}
            return httpx.Response(400, json=body)
        reply = to_response(self.queue.popleft())
        if isinstance(reply, Exception):
            raise reply
        return reply

    @contextmanager
    def serving(self) -> Iterator[ScriptedEndpoint]:
        """Intercept DEAD_BASE_URL's /chat/completions inside the block."""
        import respx

        with respx.mock(
            base_url=DEAD_BASE_URL, assert_all_called=False, assert_all_mocked=True
        ) as router:
            router.post("/chat/completions").mock(side_effect=self.answer)
            yield self


# --- recording (live mode) and cassettes -------------------------------------------------------


def as_model_reply(reply: LlmReply) -> ModelReply:
    """Return an LLM reply in the conversation format's `model:` shape."""
    usage = {
        "prompt_tokens": reply.usage.prompt_tokens,
        "completion_tokens": reply.usage.completion_tokens,
    }
    if reply.tool_calls:
        calls = [ScriptedCall(name=c.name, args=_args(c.arguments)) for c in reply.tool_calls]
        return ModelReply(tool_calls=calls, content=reply.content, **usage)
    return ModelReply(prose=reply.content or "", **usage)


def _args(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {"_raw": raw}
    return value if isinstance(value, dict) else {"_raw": raw}


class Recorder:
    """Keeps every reply an LLM client returns, turn by turn (live mode's `--record`)."""

    def __init__(self) -> None:
        self.turns: list[list[ModelReply]] = []

    def start_turn(self) -> None:
        """Begin recording a new turn."""
        self.turns.append([])

    def wrap(self, client: LlmClient) -> LlmClient:
        """Make `client.chat` record its replies into the current turn; return the client."""
        chat: Callable[..., LlmReply] = client.chat

        def recording_chat(*args: Any, **kwargs: Any) -> LlmReply:  # noqa: ANN401
            reply = chat(*args, **kwargs)
            if not self.turns:
                self.start_turn()
            self.turns[-1].append(as_model_reply(reply))
            return reply

        client.chat = recording_chat  # type: ignore[method-assign]
        return client


class CassetteTurn(BaseModel):
    """One turn of a cassette: the user's message (for reading) and the model's replies."""

    model_config = ConfigDict(extra="forbid")
    user: str
    model: list[ModelReply] = Field(default_factory=list)


class Cassette(BaseModel):
    """The recorded model replies of one conversation, turn by turn."""

    model_config = ConfigDict(extra="forbid")
    id: str
    model_name: str | None = Field(None, description="the model that was recorded")
    turns: list[CassetteTurn]


def cassette_path(conversation_id: str, folder: Path = CASSETTES_DIR) -> Path:
    """Return where the cassette of a conversation lives."""
    return folder / f"{conversation_id}.yaml"


def load_cassette(conversation_id: str, folder: Path = CASSETTES_DIR) -> Cassette | None:
    """Return the conversation's cassette, or None when there is none."""
    path = cassette_path(conversation_id, folder)
    if not path.is_file():
        return None
    return Cassette.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def write_cassette(cassette: Cassette, folder: Path = CASSETTES_DIR) -> Path:
    """Write a cassette as YAML (only the fields that differ from the defaults)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = cassette_path(cassette.id, folder)
    data = cassette.model_dump(mode="json", exclude_defaults=True)
    data["turns"] = [
        {
            "user": t.user,
            "model": [
                m.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for m in t.model
            ],
        }
        for t in cassette.turns
    ]
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(text, encoding="utf-8")
    return path


def _plain(reply: ModelReply) -> dict[str, Any]:
    return reply.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
