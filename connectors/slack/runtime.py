"""Everything a bot worker holds, opened from the settings and closed together.

`SlackBot.open(settings)` opens the account store (CSM_DATABASE_URL), the conversation
checkpointer on the same database (agent.checkpoint: PostgreSQL when the store is), the Web
API client (SLACK_BOT_TOKEN, CSM_SLACK_API_URL), the user directory and the bolt App. With
PostgreSQL and a Chroma server (CSM_CHROMA_URL), several workers share all of it safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from connectors.slack.app import build_app, web_client
from connectors.slack.conversations import Conversations, Worker
from connectors.slack.identity import Directory, parse_admins

if TYPE_CHECKING:
    from slack_bolt import App

    from agent.settings import Settings
    from memory.store import Store


@dataclass
class SlackBot:
    """One bot worker: the bolt App and what it answers with."""

    app: App
    conversations: Conversations
    store: Store
    checkpointer: Any

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        as_of: date | None = None,
        threads: int = 4,
        offline: bool = False,
        **app_kwargs: Any,  # noqa: ANN401
    ) -> SlackBot:
        """Open a worker from `settings` (app_kwargs go to bolt's App)."""
        from agent.checkpoint import open_checkpointer
        from memory.store import open_store

        store = open_store(settings.store_url)
        saver = open_checkpointer(settings)
        client = web_client(settings)
        directory = Directory(client, store, parse_admins(settings.slack_admins))
        conv = Conversations(
            client,
            store,
            saver,
            directory,
            as_of=as_of,
            worker=Worker(threads),
            offline=offline,
            backend=settings.crm,
        )
        try:
            app = build_app(settings, conv, **app_kwargs)
        except Exception:
            cls._close(store, saver)
            raise
        return cls(app=app, conversations=conv, store=store, checkpointer=saver)

    def close(self) -> None:
        """Finish the running turns, then close the checkpointer and the store."""
        self.conversations.worker.shutdown()
        self._close(self.store, self.checkpointer)

    @staticmethod
    def _close(store: Store, saver: Any) -> None:  # noqa: ANN401
        from agent.checkpoint import close_checkpointer

        close_checkpointer(saver)
        store.dispose()
