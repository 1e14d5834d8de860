"""The Slack app manifest: scopes, events, the /csm command and interactivity, as YAML.

Paste it at api.slack.com/apps -> Create New App -> From an app manifest. With a request URL
(HTTP mode) every event, command and button click goes to `{url}/slack/events`; without one
the manifest turns Socket Mode on instead.
"""

from __future__ import annotations

from typing import Any

BOT_SCOPES = [
    "app_mentions:read",  # @csm in channels
    "chat:write",  # answers, "working on it" updates, approval messages
    "commands",  # /csm
    "im:history",  # DMs to csm
    "im:write",  # alerts by DM (conversations.open)
    "channels:history",  # follow-ups without a mention in a thread csm answered in
    "groups:history",  # the same in private channels
    "files:write",  # the usage trend chart (files_upload_v2)
    "users:read",  # users.info: who is asking
    "users:read.email",  # their e-mail, to find their accounts
]
BOT_EVENTS = ["app_mention", "message.im", "message.channels", "message.groups"]


def manifest(url: str | None = None, name: str = "csm") -> dict[str, Any]:
    """Return the manifest; `url` is the public base URL of `csm slack serve` (None: Socket)."""
    events = f"{url.rstrip('/')}/slack/events" if url else None
    command: dict[str, Any] = {
        "command": "/csm",
        "description": "Ask csm: Score Acme, weekly health scan, renewal prep for Acme",
        "usage_hint": "Score Acme Corp",
        "should_escape": False,
    }
    subscriptions: dict[str, Any] = {"bot_events": BOT_EVENTS}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if events:
        command["url"] = events
        subscriptions["request_url"] = events
        interactivity["request_url"] = events
    return {
        "display_information": {
            "name": name,
            "description": "Customer-success answers computed from your own data",
        },
        "features": {
            "bot_user": {"display_name": name, "always_online": True},
            "app_home": {"messages_tab_enabled": True, "messages_tab_read_only_enabled": False},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": {
            "event_subscriptions": subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": events is None,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(url: str | None = None, name: str = "csm") -> str:
    """Return the manifest as YAML."""
    import yaml

    return yaml.safe_dump(manifest(url, name), sort_keys=False)
