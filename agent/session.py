"""A conversation with csm, as the CLI and the Slack bot hold it: `Session(...).send(text)`.

A session is one thread of the graph (agent.graph) with its checkpointer: each `send` is one
turn, or, while a staged CRM change waits for a yes or no, the reply to that question.
The planner and composer are the LLM's when a model is configured (CSM_MODEL and an
endpoint), else the offline grammar and the deterministic rendering.

Example:
    with Session(thread_id="t1", as_of=date(2026, 11, 23), user="dana") as chat:
        chat.send("Score Acme Corp").text
        chat.send("log a note on Acme Corp: called Greg").pending  # the staged change
        chat.send("yes").text  # written, audited
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from agent.planning import Composer, Planner, ToolRun
from agent.state import Context, default_user


class Reply(BaseModel):
    """What csm answered to one message."""

    thread_id: str | None = Field(description="the thread; None for a one-shot read-only turn")
    text: str = Field(description="the answer, or the confirmation question")
    runs: list[ToolRun] = Field(default_factory=list, description="the commands run this turn")
    pending: dict[str, Any] | None = Field(
        None, description="the staged CRM change (tools.crm.StagedChange) awaiting yes or no"
    )
    outcome: dict[str, Any] | None = Field(None, description="the executed write's outcome")
    usage: dict[str, int] = Field(default_factory=dict, description="model calls and tokens")
    source: str = Field("deterministic", description="who worded the answer (Composed.source)")
    violations: list[str] = Field(
        default_factory=list, description="grounding violations found in the model's answer"
    )


def default_models(as_of: date) -> tuple[Planner, Composer]:
    """Return the LLM's planner and composer when a model is configured, else the offline ones.

    The LLM planner falls back to the offline grammar when the model fails; openai is
    imported only on this path (agent.llm imports it lazily).
    """
    from agent.settings import get_settings

    settings = get_settings()
    if not settings.llm_enabled:
        return offline_models(as_of)
    from agent.llm import LlmClient
    from agent.llm_composer import LlmComposer
    from agent.llm_planner import LlmPlanner
    from agent.parser import OfflinePlanner

    client = LlmClient(settings)
    planner = LlmPlanner(client, today=as_of, fallback=OfflinePlanner(as_of))
    return planner, LlmComposer(client, today=as_of)


def offline_models(as_of: date) -> tuple[Planner, Composer]:
    """Return the offline grammar and the deterministic composer."""
    from agent.compose_offline import OfflineComposer
    from agent.parser import OfflinePlanner

    return OfflinePlanner(as_of), OfflineComposer()


def ask_once(text: str, as_of: date | None = None, user: str | None = None) -> Reply:
    """Answer one message on a new thread, as `csm ask` without --thread does.

    Offline, a turn that writes nothing runs through the graph's nodes without LangGraph
    or a checkpointer (nothing can continue a thread nobody named), which keeps a one-shot
    command's start fast; a write request, or any turn with an LLM, runs in a Session on a
    new thread, so its confirmation can be answered with that thread's id.
    """
    from agent.settings import get_settings

    day = as_of or date.today()
    who = user or default_user()
    if not get_settings().llm_enabled:
        from agent.nodes import Nodes, run_read_turn

        state = run_read_turn(Nodes(*offline_models(day)), text, Context(as_of=day, user=who))
        if state is not None:
            return Reply(
                thread_id=None,
                text=state.answer,
                runs=[ToolRun.model_validate(r) for r in state.runs],
                usage=state.usage,
            )
    with Session(None, day, who) as session:
        return session.send(text)


class Session:
    """One conversation thread: send messages, get replies; state kept by the checkpointer."""

    def __init__(
        self,
        thread_id: str | None = None,
        as_of: date | None = None,
        user: str | None = None,
        *,
        planner: Planner | None = None,
        composer: Composer | None = None,
        checkpointer: Any = None,  # noqa: ANN401
        store: Any = None,  # noqa: ANN401  (a memory.store.Store)
        offline: bool = False,
        backend: str | None = None,
        book: str | None = None,
    ) -> None:
        """Open a thread (a new one without `thread_id`) as of `as_of` for `user`.

        Without a checkpointer, the configured one is opened (and closed by `close`); with
        no planner and composer, `default_models` (or `offline_models` when `offline`).
        Confirmed writes go to the CRM backend `backend` (default: the CSM_CRM_BACKEND setting).
        With `book` (a CSM owner, accounts.csm), only that CSM's accounts are visible.
        """
        from agent.graph import build_graph

        self.thread_id = thread_id or uuid.uuid4().hex[:12]
        self.as_of = as_of or date.today()
        self.user = user or default_user()
        self.book = book
        self._own_saver = checkpointer is None
        if checkpointer is None:
            from agent.checkpoint import open_checkpointer
            from agent.settings import get_settings

            checkpointer = open_checkpointer(get_settings())
        self.checkpointer = checkpointer
        if planner is None or composer is None:
            models = offline_models if offline else default_models
            default_planner, default_composer = models(self.as_of)
            planner, composer = planner or default_planner, composer or default_composer
        from agent.settings import get_settings as _settings

        self.graph = build_graph(
            planner,
            composer,
            checkpointer,
            store=(lambda: store) if store else None,
            backend=backend or _settings().crm_backend,
        )

    @property
    def config(self) -> dict[str, Any]:
        """The LangGraph config naming this thread."""
        return {"configurable": {"thread_id": self.thread_id}}

    def awaiting_confirmation(self) -> bool:
        """Tell whether a staged change waits for this thread's yes or no."""
        return bool(self.graph.get_state(self.config).interrupts)

    def send(self, text: str) -> Reply:
        """Send one message: a new request, or the answer to a pending confirmation."""
        from langgraph.types import Command

        resuming = self.awaiting_confirmation()
        context = Context(as_of=self.as_of, user=self.user, book=self.book)
        payload: Any = Command(resume=text) if resuming else {"text": text}
        # A turn is saved when it ends or pauses ("exit"), not after every step: a crash
        # mid-turn loses only that turn, and a confirmed write replayed after one is not
        # repeated (its idempotency key), while a warm turn stays fast.
        out = self.graph.invoke(payload, self.config, context=context, durability="exit")
        interrupts = out.get("__interrupt__") or []
        runs = [] if resuming else [ToolRun.model_validate(r) for r in out.get("runs", [])]
        if interrupts:
            return Reply(
                thread_id=self.thread_id,
                text=interrupts[0].value["question"],
                runs=runs,
                pending=out.get("pending"),
                usage=out.get("usage", {}),
                source=out.get("source", "deterministic"),
                violations=out.get("violations", []),
            )
        return Reply(
            thread_id=self.thread_id,
            text=out.get("answer", ""),
            runs=runs,
            outcome=out.get("outcome"),
            usage=out.get("usage", {}),
            source=out.get("source", "deterministic"),
            violations=out.get("violations", []),
        )

    def close(self) -> None:
        """Close the checkpointer this session opened (one passed in stays open)."""
        if self._own_saver:
            from agent.checkpoint import close_checkpointer

            close_checkpointer(self.checkpointer)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
