"""The agent behind the Slack front end: one conversation per Slack thread, in the background.

A message (a mention, a DM, `/csm TEXT` or a reply in a thread csm is part of) becomes one
turn of `agent.session.Session` on the thread `slack:{team}:{channel}:{thread_ts}`, so "and
their renewal?" in the same thread is a follow-up. Listeners acknowledge at once and hand
the work to a `Worker` pool; the answer is posted into the thread when it is ready. A
portfolio-wide request first posts a "working on it" message and then updates it in place.

The Slack user id is the session's user: the actor of a write they ask for and the
confirmer of a yes. Their book (connectors.slack.identity) limits the accounts the agent
sees; an unmapped user gets a message saying so, seen by them only (ephemeral, or the
`/csm` response), and no data; in a thread csm answered, a reply from an unmapped user
without a mention is ignored.

A turn that fails is never silent: the "working on it" message, or the thread, says that
csm could not answer, in one line (no traceback), and how to try again; `/csm` says it
through its response URL. An answer Slack refuses as too long is posted as plain text with
the command that prints all of it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from slack_sdk.errors import SlackApiError

from connectors.slack import blocks as kit
from connectors.slack.approvals import ApprovalRef, Claims, decide, pending_ref
from connectors.slack.charts import chart_for
from connectors.slack.identity import Directory, Identity, unmapped_text

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from agent.session import Reply, Session
    from memory.store import Store

log = logging.getLogger(__name__)

WORKING = "Working on it: this reads the whole portfolio, the answer will replace this message."
TOO_BIG = frozenset({"msg_too_long", "msg_blocks_too_long", "invalid_blocks", "too_many_blocks"})
"""Slack's errors for a message it will not take as it is: posted again as plain text."""

Respond = Callable[..., Any]
"""bolt's `respond` of a slash command: answers through its response URL, to the user only."""


class Incoming(BaseModel):
    """One message for csm, wherever it came from."""

    team: str
    channel: str
    user: str
    text: str
    thread_ts: str | None = None
    """The thread the reply goes into; None replies inline (a DM outside a thread)."""
    key: str
    """The conversation within the channel: the thread's ts, or "dm" for a DM's main view."""
    direct: bool = False
    """A direct message to csm: what it posts there is seen by the user only."""


class Worker:
    """A thread pool whose submitted work can be drained (tests wait for the answers)."""

    def __init__(self, threads: int = 4) -> None:
        """Run at most `threads` turns at once."""
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="csm-slack")
        self._futures: set[Future[Any]] = set()
        self._lock = threading.Lock()
        self.errors: list[BaseException] = []

    def submit(self, fn: Any, *args: Any) -> Future[Any]:  # noqa: ANN401
        """Run `fn(*args)` in the background; an exception is logged and kept in `errors`."""
        future = self._pool.submit(fn, *args)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._futures.discard(future)
        err = future.exception()
        if err is not None:
            log.error("a Slack turn failed", exc_info=err)
            self.errors.append(err)

    def drain(self, timeout: float | None = 60) -> None:
        """Wait until every submitted turn (and what it submitted) has finished."""
        while True:
            with self._lock:
                pending = list(self._futures)
            if not pending:
                return
            for future in pending:
                future.exception(timeout=timeout)

    def shutdown(self) -> None:
        """Finish the running turns and stop the pool."""
        self._pool.shutdown(wait=True)


class Conversations:
    """Runs csm's agent for Slack messages and clicks, and posts the answers."""

    def __init__(
        self,
        client: WebClient,
        store: Store,
        checkpointer: Any,  # noqa: ANN401  (a LangGraph checkpoint saver)
        directory: Directory,
        *,
        as_of: date | None = None,
        worker: Worker | None = None,
        offline: bool = False,
        backend: str | None = None,
    ) -> None:
        """Answer through `client`, reading `store`, keeping threads in `checkpointer`.

        `as_of` fixes the date (default: today, per message); `offline` forces the offline
        grammar even when an LLM is configured; `backend` is the CRM (default CSM_CRM_BACKEND).
        """
        self.client, self.store, self.checkpointer = client, store, checkpointer
        self.directory = directory
        self.as_of = as_of
        self.worker = worker or Worker()
        self.offline, self.backend = offline, backend
        self.claims = Claims(store)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    # --- entry points (called by the bolt listeners, after ack) -----------------------------

    def submit(self, msg: Incoming, event_id: str | None = None, *, known: bool = False) -> None:
        """Answer a message in the background (nothing here touches the database).

        Args:
            msg: the message.
            event_id: Slack's id of the event: claimed first, so a redelivery (a retry, or
                the same event at another worker) is answered once.
            known: answer only if csm already holds the thread (a reply without a mention).
        """
        self.worker.submit(self.answer, msg, event_id, known)

    def submit_decision(
        self, channel: str, message_ts: str | None, user: str, value: str, answer: str
    ) -> None:
        """Handle an Approve / Cancel click in the background."""
        self.worker.submit(self.click, channel, message_ts, user, value, answer)

    def thread_id(self, msg: Incoming) -> str:
        """Return the conversation's thread id: one per Slack thread."""
        return f"slack:{msg.team}:{msg.channel}:{msg.key}"

    def knows(self, msg: Incoming) -> bool:
        """Tell whether csm already holds this thread's conversation (it answered in it)."""
        config = {"configurable": {"thread_id": self.thread_id(msg), "checkpoint_ns": ""}}
        return self.checkpointer.get_tuple(config) is not None

    # --- the work ---------------------------------------------------------------------------

    def answer(
        self,
        msg: Incoming,
        event_id: str | None = None,
        known: bool = False,
        respond: Respond | None = None,
    ) -> None:
        """Run one turn for `msg` and post the reply into its thread (see `submit`).

        A failure is reported to the user (the placeholder or the thread; `respond` for
        /csm) in one line, and logged with its traceback.
        """
        if known and not self.knows(msg):
            return  # a thread csm is not part of
        if event_id and not self.claims.take(f"event:{event_id}", msg.user):
            return  # delivered before (a Slack retry), to this worker or another
        placeholder: str | None = None
        try:
            who = self.directory.identify(msg.user)
            if not who.mapped:
                if not known:  # a reply in a thread from someone without a book: ignored
                    self._private(msg, unmapped_text(who), respond)
                return
            if self._long(msg.text):
                placeholder = self._post(msg, kit.plain_message(WORKING))
            self._turn(msg, who, placeholder)
        except Exception as err:  # noqa: BLE001  (every failure is told to the user)
            log.exception("csm could not answer in %s (thread %s)", msg.channel, msg.key)
            self._failed(msg, err, placeholder, respond)

    def ask_in_channel(
        self, team: str, channel: str, user: str, text: str, respond: Respond
    ) -> None:
        """Answer `/csm TEXT`: post the question as a new message, answer in its thread.

        An unmapped user is told through `respond` (to them only) and nothing is posted;
        a question csm cannot post (e.g. not in the channel) is answered through `respond`.
        """
        try:
            who = self.directory.identify(user)
            if not who.mapped:
                self._respond(respond, unmapped_text(who))
                return
            posted = self.client.chat_postMessage(
                channel=channel, text=f"<@{user}> asked: {kit.safe(text)}"
            )
        except Exception as err:  # noqa: BLE001  (every failure is told to the user)
            log.exception("csm could not post a /csm question in %s", channel)
            hint = (
                " Invite csm with `/invite @csm`, or ask it in a DM."
                if _refused(err, "not_in_channel", "channel_not_found")
                else ""
            )
            self._respond(respond, kit.failure_text(err, text) + hint)
            return
        ts = posted["ts"]
        msg = Incoming(team=team, channel=channel, user=user, text=text, thread_ts=ts, key=ts)
        self.answer(msg, respond=respond)

    def click(
        self, channel: str, message_ts: str | None, user: str, value: str, answer: str
    ) -> None:
        """Resume a paused write on Approve ("yes") or Cancel ("no"), if `user` may.

        A failure is told to the clicker only (ephemeral), in one line.
        """
        try:
            ref = ApprovalRef.parse(value)
        except ValueError:
            self._ephemeral(channel, user, "I did not recognise that button.", None)
            return
        thread_ts = ref.thread_id.rsplit(":", 1)[-1]
        thread_ts = None if thread_ts == "dm" else thread_ts
        try:
            self._decide_click(channel, message_ts, user, ref, answer, thread_ts)
        except Exception as err:  # noqa: BLE001  (every failure is told to the user)
            log.exception("csm could not handle a click in %s", channel)
            text = f"csm could not handle that click: {kit.error_line(err)}; try again."
            try:
                self._ephemeral(channel, user, text, thread_ts)
            except SlackApiError as again:
                log.warning("could not tell %s: %s", user, again.response.get("error"))

    def _turn(self, msg: Incoming, who: Identity, placeholder: str | None) -> None:
        """Run the turn of a mapped user; the answer replaces `placeholder` when given."""
        day = self.today()
        tid = self.thread_id(msg)
        with self._lock(tid), self.session(tid, msg.user, who) as session:
            ref = pending_ref(session)
            if ref is not None:  # a typed answer to the pending confirmation
                decision = decide(session, ref, msg.user, who.admin, msg.text, self.claims)
                if decision.reply is None:
                    self._post(msg, kit.plain_message("", note=decision.message), placeholder)
                    return
                reply = decision.reply
            else:
                reply = session.send(msg.text)
            self._reply(msg, session, reply, day, placeholder)

    def _decide_click(
        self,
        channel: str,
        message_ts: str | None,
        user: str,
        ref: ApprovalRef,
        answer: str,
        thread_ts: str | None,
    ) -> None:
        who = self.directory.identify(user)
        with self._lock(ref.thread_id), self.session(ref.thread_id, user, who) as session:
            decision = decide(session, ref, user, who.admin, answer, self.claims)
            if decision.reply is None:
                self._ephemeral(channel, user, decision.message, thread_ts)
                return
            verb = "Approved" if answer == "yes" else "Cancelled"
            done = kit.plain_message(decision.reply.text, note=f"{verb} by <@{user}>.")
            if message_ts:  # the buttons give way to the outcome
                self.client.chat_update(
                    channel=channel, ts=message_ts, text=done.text, blocks=done.blocks
                )
            else:
                kwargs: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
                self.client.chat_postMessage(
                    channel=channel, text=done.text, blocks=done.blocks, **kwargs
                )

    # --- helpers ----------------------------------------------------------------------------

    def today(self) -> date:
        """Return the as-of date of a turn."""
        return self.as_of or date.today()

    def session(self, thread_id: str, user: str, who: Identity) -> Session:
        """Open the session of a thread for `user`, seeing `who`'s book."""
        from agent.session import Session

        return Session(
            thread_id,
            self.today(),
            user,
            checkpointer=self.checkpointer,
            store=self.store,
            offline=self.offline,
            backend=self.backend,
            book=None if who.admin else who.book,
        )

    def _reply(
        self,
        msg: Incoming,
        session: Session,
        reply: Reply,
        day: date,
        placeholder: str | None,
    ) -> None:
        if reply.pending is not None:
            ref = pending_ref(session)
            value = ref.value() if ref else ""
            message = kit.pending_message(reply, day, value, reply.pending.get("actor", msg.user))
        else:
            message = kit.reply_message(reply, day)
        hint = kit.cli_hint(reply.runs[0]) if reply.runs else None
        try:
            self._post(msg, message, placeholder)
        except SlackApiError as err:
            if not _refused(err, *TOO_BIG):
                raise
            log.warning(
                "Slack refused an answer (%s): posting it as plain text", err.response.get("error")
            )
            self._post(msg, kit.short_message(message.text, hint), placeholder)
        for run in reply.runs:
            self._upload_chart(msg, run, day)

    def _upload_chart(self, msg: Incoming, run: Any, day: date) -> None:  # noqa: ANN401
        try:
            chart = chart_for(run, self.store, day)
        except (KeyError, ValueError) as err:
            log.warning("no usage chart for %s: %s", run.call.name, err)
            return
        if chart is None:
            return
        filename, png = chart
        self.client.files_upload_v2(
            channel=msg.channel,
            thread_ts=msg.thread_ts,
            content=png,
            filename=filename,
            title=f"Usage trend: {run.result.get('name', '')}",
        )

    def _post(
        self, msg: Incoming, message: kit.Message, update_ts: str | None = None
    ) -> str | None:
        """Post into the message's thread, or update the message `update_ts` in place."""
        if update_ts is not None:
            self.client.chat_update(
                channel=msg.channel, ts=update_ts, text=message.text, blocks=message.blocks
            )
            return update_ts
        kwargs: dict[str, Any] = {"thread_ts": msg.thread_ts} if msg.thread_ts else {}
        response = self.client.chat_postMessage(
            channel=msg.channel, text=message.text, blocks=message.blocks, **kwargs
        )
        return response.get("ts")

    def _private(self, msg: Incoming, text: str, respond: Respond | None) -> None:
        """Tell the user of `msg` something nobody else sees."""
        if respond is not None:
            self._respond(respond, text)
        elif msg.direct:
            self._post(msg, kit.plain_message(text))
        else:
            self._ephemeral(msg.channel, msg.user, text, msg.thread_ts)

    def _failed(
        self,
        msg: Incoming,
        err: BaseException,
        placeholder: str | None,
        respond: Respond | None,
    ) -> None:
        """Tell the user that their turn failed: in the placeholder, `respond` or the thread."""
        message = kit.plain_message(kit.failure_text(err, msg.text))
        try:
            if placeholder is not None or respond is None:
                self._post(msg, message, placeholder)
            if respond is not None:
                self._respond(respond, message.text)
            return
        except Exception as again:  # noqa: BLE001  (Slack refused that too: try privately)
            log.warning("could not post the failure in %s: %s", msg.channel, kit.error_line(again))
        try:
            self._ephemeral(msg.channel, msg.user, message.text, msg.thread_ts)
        except SlackApiError as again:
            log.warning("could not tell %s: %s", msg.user, again.response.get("error"))

    @staticmethod
    def _respond(respond: Respond, text: str) -> None:
        """Answer a slash command to its user only (bolt's respond; a failure is logged)."""
        try:
            respond(text=text, response_type="ephemeral")
        except Exception as err:  # noqa: BLE001  (the response URL expired or is unreachable)
            log.warning("could not respond to a /csm command: %s", kit.error_line(err))

    def _ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None) -> None:
        kwargs: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        self.client.chat_postEphemeral(channel=channel, user=user, text=text, **kwargs)

    def _long(self, text: str) -> bool:
        """Tell whether a request reads the whole portfolio (the offline grammar's reading)."""
        from agent.commands import get_command
        from agent.parser import OfflinePlanner

        try:
            plan = OfflinePlanner(self.today()).plan(text, [], None)
            return any(get_command(c.name).scope == "portfolio" for c in plan.calls)
        except Exception:  # noqa: BLE001  (only a hint for the placeholder; never fail a turn)
            return False

    def _lock(self, thread_id: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(thread_id, threading.Lock())


def _refused(err: BaseException, *errors: str) -> bool:
    """Tell whether `err` is Slack refusing a call with one of `errors`."""
    return isinstance(err, SlackApiError) and err.response.get("error") in errors
