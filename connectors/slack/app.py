"""The bolt App: its Web API client, its listeners, and what each hands to the agent.

Every listener acknowledges first (Slack's 3-second rule) and hands the work to
connectors.slack.conversations, which answers in the background:

- `app_mention`: "@csm Score Acme" in a channel; the reply goes into the mention's thread;
- `message` in a DM (`im`), or a reply without a mention in a channel thread csm answered in;
- `/csm TEXT`: the question is posted as a new message and answered in its thread (what
  only the asker should see, an error or "you are not mapped", goes through `respond`);
- the Approve / Cancel buttons of a staged CRM write (connectors.slack.approvals).

An event is handled once even when Slack delivers it again (X-Slack-Retry-Num) or another
worker receives the retry: its `event_id` is claimed in the shared database first, in the
background (the acknowledgement itself touches no database).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from connectors.slack.blocks import APPROVE_ACTION, CANCEL_ACTION
from connectors.slack.conversations import Conversations, Incoming

if TYPE_CHECKING:
    from agent.settings import Settings

log = logging.getLogger(__name__)

MENTION = re.compile(r"<@[A-Z0-9]+(\|[^>]*)?>")
USAGE = "Ask in plain words, e.g. `/csm Score Acme Corp` or `/csm weekly health scan`."
RATE_LIMIT_RETRIES = 3


def web_client(settings: Settings) -> WebClient:
    """Return the Web API client: the bot token, CSM_SLACK_API_URL, retries on 429.

    A 429 is retried after Slack's Retry-After (slack_sdk's RateLimitErrorRetryHandler), a
    dropped connection once.
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    kwargs: dict[str, Any] = {"base_url": settings.slack_api_url} if settings.slack_api_url else {}
    client = WebClient(token=token, **kwargs)
    client.retry_handlers.extend(
        [RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]
        + ([] if any(isinstance(h, ConnectionErrorRetryHandler) for h in client.retry_handlers)
           else [ConnectionErrorRetryHandler()])
    )  # fmt: skip
    return client


def build_app(settings: Settings, conversations: Conversations, **kwargs: Any) -> App:  # noqa: ANN401
    """Build the bolt App answering through `conversations` (kwargs go to `App`).

    Raises:
        ValueError: SLACK_SIGNING_SECRET or SLACK_BOT_TOKEN is not set (the message says so).
    """
    if settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN is not set: copy the bot token (xoxb-...) of the app")
    secret = settings.slack_signing_secret
    if secret is None and kwargs.get("request_verification_enabled", True):
        raise ValueError("SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Info")
    app = App(
        name="csm",
        signing_secret=secret.get_secret_value() if secret else None,
        client=conversations.client,
        **{"process_before_response": True, **kwargs},
    )
    register(app, conversations)
    return app


def register(app: App, conv: Conversations) -> None:
    """Register csm's listeners on `app`."""

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any]) -> None:
        msg = _incoming(event, body, event.get("thread_ts") or event["ts"])
        conv.submit(msg, body.get("event_id"))

    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:  # noqa: ANN401
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, joins, bots (csm's own messages included)
        thread_ts = event.get("thread_ts")
        if event.get("channel_type") == "im":
            msg = _incoming(event, body, thread_ts, key=thread_ts or "dm", direct=True)
            conv.submit(msg, body.get("event_id"))
        elif thread_ts and f"<@{context.get('bot_user_id')}>" not in event.get("text", ""):
            # a reply in a thread, answered only if csm is part of it
            conv.submit(_incoming(event, body, thread_ts), body.get("event_id"), known=True)
        # else a mention in a channel: app_mention answers it

    @app.command("/csm")
    def on_command(ack: Any, command: dict[str, Any], respond: Any) -> None:  # noqa: ANN401
        text = (command.get("text") or "").strip()
        if not text:
            ack(USAGE)
            return
        ack()
        team = command.get("team_id") or "T"
        conv.worker.submit(
            conv.ask_in_channel, team, command["channel_id"], command["user_id"], text, respond
        )

    @app.action(APPROVE_ACTION)
    def on_approve(ack: Any, body: dict[str, Any]) -> None:  # noqa: ANN401
        ack()
        _decision(conv, body, "yes")

    @app.action(CANCEL_ACTION)
    def on_cancel(ack: Any, body: dict[str, Any]) -> None:  # noqa: ANN401
        ack()
        _decision(conv, body, "no")


def _incoming(
    event: dict[str, Any],
    body: dict[str, Any],
    thread_ts: str | None,
    key: str | None = None,
    direct: bool = False,
) -> Incoming:
    return Incoming(
        team=event.get("team") or body.get("team_id") or "T",
        channel=event["channel"],
        user=event["user"],
        text=MENTION.sub("", event.get("text") or "").strip(),
        thread_ts=thread_ts,
        key=key or thread_ts or event["ts"],
        direct=direct,
    )


def _decision(conv: Conversations, body: dict[str, Any], answer: str) -> None:
    action = (body.get("actions") or [{}])[0]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    message_ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get(
        "message_ts"
    )
    conv.submit_decision(channel, message_ts, body["user"]["id"], action.get("value", ""), answer)
