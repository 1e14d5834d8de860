"""Everything a bot worker holds, opened from the settings and closed together.

`SlackBot.open(settings)` opens the account store (CSM_DATABASE_URL), the conversation
checkpointer on the same database (agent.checkpoint: PostgreSQL when the store is), the Web
API client (SLACK_BOT_TOKEN, CSM_SLACK_API_URL), the user directory (CSM_SLACK_ADMINS and
the workspace profile's `owner_emails`) and the bolt App. With PostgreSQL and a Chroma server
(CSM_CHROMA_URL), several workers share all of it safely. `resume_writes` completes the CRM
writes an interrupted worker left pending (run at start-up).
"""

from __future__ import annotations

import logging
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
    from memory.writes import WriteOutcome

log = logging.getLogger(__name__)


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
        from memory.workspace import load_profile

        owner_emails = load_profile(settings.home).owner_emails
        store = open_store(settings.store_url)
        saver = open_checkpointer(settings)
        client = web_client(settings)
        directory = Directory(client, store, parse_admins(settings.slack_admins), owner_emails)
        conv = Conversations(
            client,
            store,
            saver,
            directory,
            as_of=as_of,
            worker=Worker(threads),
            offline=offline,
            backend=settings.crm_backend,
        )
        try:
            app = build_app(settings, conv, **app_kwargs)
        except Exception:
            cls._close(store, saver)
            raise
        return cls(app=app, conversations=conv, store=store, checkpointer=saver)

    def resume_writes(self, backend: str) -> list[WriteOutcome]:
        """Complete the confirmed CRM writes an interruption left pending for `backend`.

        Run at start-up (memory.writes.resume_pending); each outcome is logged. A backend
        that is unknown or not configured (its token is missing) is logged and nothing is
        resumed: the writes stay pending rather than fail for want of a token.
        """
        import sys

        from connectors.crm import create_backend
        from memory.writes import resume_pending

        try:
            crm = create_backend(backend, self.store)
        except ValueError as err:
            log.warning("pending CRM writes not resumed: %s", err)
            return []
        hubspot = sys.modules.get("connectors.hubspot.writer")
        if hubspot is not None and isinstance(crm, hubspot.UnconfiguredCrm):
            log.warning("pending CRM writes not resumed: %s", crm.message)
            return []
        outcomes = resume_pending(self.store, crm)
        for o in outcomes:
            log.info("resumed CRM write %s on %s: %s", o.idempotency_key, o.backend, o.result)
        return outcomes

    def close(self) -> None:
        """Finish the running and queued turns, then close the checkpointer and the store."""
        self.conversations.worker.drain(timeout=None)
        self.conversations.worker.shutdown()
        self._close(self.store, self.checkpointer)

    @staticmethod
    def _close(store: Store, saver: Any) -> None:  # noqa: ANN401
        from agent.checkpoint import close_checkpointer

        close_checkpointer(saver)
        store.dispose()
