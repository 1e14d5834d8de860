"""Run one conversation in one mode and observe each turn: what ran, what was said, written.

Each run gets its own copy of the fixture home (evals.harness.fixtures), the settings
pointed at it, a fresh in-memory checkpointer and a Session (agent.session) on a new
thread. After every turn the runner reads what the user could see (the answer, the staged
change) and what the agent did (the thread's state: the plan, the resolved calls, the tool
runs; the CRM audit log before and after). The observations go to evals.harness.checks.

Modes: `offline` (the offline grammar and the deterministic rendering), `scripted` (the LLM
planner and composer against the fake endpoint of evals.harness.scripted, fed the turn's
`model:` replies or the cassette's), `live` (the configured endpoint; `record` keeps the
replies for a cassette). A test passes `agent` to run a deliberately broken planner or
composer instead.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agent.planning import Composer, Planner, ToolRun
from evals.harness.fixtures import release_chroma
from evals.harness.format import Conversation, Mode, ModelReply
from evals.harness.scripted import (
    CASSETTES_DIR,
    SCRIPTED_ENV,
    Cassette,
    CassetteTurn,
    Recorder,
    ScriptedEndpoint,
    load_cassette,
)

AgentFactory = Callable[[date], tuple[Planner, Composer]]
"""Builds the planner and composer of a conversation for its as-of date."""


class AuditRow(BaseModel):
    """One CRM audit entry as the checks see it (memory.writes.AuditEntry, fewer keys)."""

    id: int
    kind: str
    account: str
    actor: str
    confirmed_by: str
    result: str
    backend: str
    summary: str


class TurnObservation(BaseModel):
    """What happened in one turn."""

    index: int = Field(description="1-based")
    user: str
    answer: str = ""
    resumed: bool = Field(False, description="the message answered a staged change")
    commands: list[str] = Field(default_factory=list, description="resolved calls, in order")
    accounts: list[str] = Field(default_factory=list, description="account ids of the calls")
    runs: list[ToolRun] = Field(default_factory=list)
    evidence: list[ToolRun] = Field(
        default_factory=list, description="runs plus the staged change and error notices"
    )
    planned_calls: int = 0
    clarified: bool = False
    unsupported: bool = False
    pending: bool = Field(False, description="a staged change awaits yes or no after the turn")
    new_audit: list[AuditRow] = Field(default_factory=list)
    source: str = "deterministic"
    agent_violations: list[str] = Field(
        default_factory=list, description="grounding violations the agent itself found"
    )
    latency_s: float = 0.0
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    overruns: int = Field(0, description="model requests with nothing scripted left")
    error: str | None = None

    @property
    def writes(self) -> int:
        """Return the CRM writes executed this turn (audit entries with result ok)."""
        return sum(1 for a in self.new_audit if a.result == "ok")


class RunObservation(BaseModel):
    """Everything observed in one run of a conversation."""

    id: str
    mode: Mode
    trial: int = 0
    turns: list[TurnObservation] = Field(default_factory=list)
    audit: list[AuditRow] = Field(default_factory=list, description="the log at the end")
    pending: bool = False
    error: str | None = Field(None, description="why the run stopped early")


def offline_agent(as_of: date) -> tuple[Planner, Composer]:
    """Return the offline grammar and the deterministic composer."""
    from agent.session import offline_models

    return offline_models(as_of)


def llm_agent(as_of: date, recorder: Recorder | None = None) -> tuple[Planner, Composer]:
    """Return the LLM planner and composer on the configured endpoint, as default_models does.

    The client does not wait between attempts (a scripted 429 is answered at once; a live
    run keeps the production back-off).
    """
    from tenacity import wait_none

    from agent.llm import LlmClient
    from agent.llm_composer import LlmComposer
    from agent.llm_planner import LlmPlanner
    from agent.parser import OfflinePlanner
    from agent.settings import get_settings

    settings = get_settings()
    scripted = settings.openai_base_url == SCRIPTED_ENV["OPENAI_BASE_URL"]
    client = LlmClient(settings, wait=wait_none() if scripted else None)
    if recorder is not None:
        recorder.wrap(client)
    planner = LlmPlanner(client, today=as_of, fallback=OfflinePlanner(as_of))
    return planner, LlmComposer(client, today=as_of)


class Runner:
    """Runs conversations on fixture copies; one instance per eval run."""

    def __init__(
        self,
        fixtures: Any,  # noqa: ANN401  (an evals.harness.fixtures.FixtureCache)
        *,
        workdir: Path | None = None,
        cassettes: Path = CASSETTES_DIR,
        record: bool = False,
        agent: AgentFactory | None = None,
    ) -> None:
        """Prepare runs.

        Args:
            fixtures: the fixture cache the homes are copied from.
            workdir: where per-run homes are made (default: a temporary folder each).
            cassettes: the cassette folder (read in scripted mode, written with `record`).
            record: in live mode, write each conversation's model replies as a cassette.
            agent: a planner/composer factory replacing the mode's (tests: broken agents).
        """
        self.fixtures = fixtures
        self.workdir = workdir
        self.cassettes = cassettes
        self.record = record
        self.agent = agent

    def run(self, conversation: Conversation, mode: Mode, trial: int = 0) -> RunObservation:
        """Run a conversation once in `mode`; a crash ends the run with its traceback."""
        obs = RunObservation(id=conversation.id, mode=mode, trial=trial)
        with self._home(conversation) as home:
            try:
                self._run(conversation, mode, home, obs)
            except Exception as err:  # noqa: BLE001 (a crash is a result, not the end of the run)
                obs.error = _crash(err)
        return obs

    @contextmanager
    def _home(self, conversation: Conversation) -> Iterator[Path]:
        base = Path(tempfile.mkdtemp(prefix=f"eval-{conversation.id}-", dir=self.workdir))
        try:
            yield self.fixtures.copy(conversation.fixture, base / "home")
        finally:
            shutil.rmtree(base, ignore_errors=True)
            release_chroma()

    def _run(self, conv: Conversation, mode: Mode, home: Path, obs: RunObservation) -> None:
        from langgraph.checkpoint.memory import InMemorySaver

        from agent.session import Session
        from evals.harness.fixtures import fixture_env, store_url
        from memory.store import open_store

        env = SCRIPTED_ENV if mode == "scripted" else {}
        endpoint = ScriptedEndpoint()
        recorder = Recorder() if mode == "live" and self.record else None
        cassette = load_cassette(conv.id, self.cassettes) if mode == "scripted" else None
        with ExitStack() as stack:
            stack.enter_context(fixture_env(home, env))
            if mode == "scripted":
                stack.enter_context(endpoint.serving())
            planner, composer = self._agent(mode, recorder)(conv.as_of)
            store = open_store(store_url(home))
            stack.callback(store.dispose)
            session = Session(
                None,
                conv.as_of,
                conv.user,
                planner=planner,
                composer=composer,
                checkpointer=InMemorySaver(),
                store=store,
                backend="local",
            )
            for index, turn in enumerate(conv.turns, 1):
                if mode == "scripted":
                    endpoint.load(_replies(turn.model, cassette, index))
                if recorder is not None:
                    recorder.start_turn()
                seen = _observe_turn(session, store, index, turn.user)
                seen.overruns = endpoint.overruns
                obs.turns.append(seen)
                if seen.error:
                    obs.error = seen.error
                    break
            obs.audit = _audit(store)
            obs.pending = session.awaiting_confirmation()
        if recorder is not None:
            self._save_cassette(conv, recorder)

    def _agent(self, mode: Mode, recorder: Recorder | None) -> AgentFactory:
        if self.agent is not None:
            return self.agent
        if mode == "offline":
            return offline_agent
        return lambda as_of: llm_agent(as_of, recorder)

    def _save_cassette(self, conv: Conversation, recorder: Recorder) -> None:
        from agent.settings import get_settings
        from evals.harness.scripted import write_cassette

        turns = [
            CassetteTurn(user=t.user, model=recorder.turns[i] if i < len(recorder.turns) else [])
            for i, t in enumerate(conv.turns)
        ]
        write_cassette(
            Cassette(id=conv.id, model_name=get_settings().model, turns=turns), self.cassettes
        )


def _replies(model: list[ModelReply] | None, cassette: Cassette | None, index: int) -> list:
    """Return a turn's scripted replies: its own `model:`, else the cassette's, else none."""
    if model is not None:
        return list(model)
    if cassette is not None and index <= len(cassette.turns):
        return list(cassette.turns[index - 1].model)
    return []


def _observe_turn(session: Any, store: Any, index: int, text: str) -> TurnObservation:  # noqa: ANN401
    """Send one message and observe the turn."""
    seen = TurnObservation(index=index, user=text)
    before = _audit(store)
    seen.resumed = session.awaiting_confirmation()
    started = time.perf_counter()
    try:
        reply = session.send(text)
    except Exception as err:  # noqa: BLE001 (the agent crashed: a failure of kind error)
        seen.error = _crash(err)
        return seen
    seen.latency_s = time.perf_counter() - started
    seen.answer = reply.text
    seen.runs = list(reply.runs)
    seen.source = reply.source
    seen.agent_violations = list(reply.violations)
    seen.model_calls = reply.usage.get("model_calls", 0)
    seen.prompt_tokens = reply.usage.get("prompt_tokens", 0)
    seen.completion_tokens = reply.usage.get("completion_tokens", 0)
    seen.pending = session.awaiting_confirmation()
    known = {a.id for a in before}
    seen.new_audit = [a for a in _audit(store) if a.id not in known]
    if not seen.resumed:
        _read_state(session, seen, reply.pending)
    return seen


def _read_state(session: Any, seen: TurnObservation, pending: dict | None) -> None:  # noqa: ANN401
    """Fill in the plan's outcome from the thread's state: calls, clarification, evidence."""
    from agent.planning import Call

    values = session.graph.get_state(session.config).values
    plan = values.get("plan") or {}
    calls = [Call.model_validate(c) for c in values.get("calls") or []]
    seen.planned_calls = len(plan.get("calls") or [])
    seen.commands = [c.name for c in calls]
    seen.accounts = list(
        dict.fromkeys(str(c.args["account"]) for c in calls if c.args.get("account"))
    )
    seen.unsupported = bool(plan.get("unsupported")) and not seen.planned_calls
    seen.clarified = not calls and (bool(plan.get("clarify")) or seen.planned_calls > 0)
    evidence = list(seen.runs)
    if pending:
        evidence.append(
            ToolRun(
                call=Call.model_validate(pending["call"]),
                result=pending["change"],
                text=str(pending["change"].get("summary", "")),
            )
        )
    notices = [*(values.get("errors") or [])]
    if notices:
        evidence.append(ToolRun(call=Call(name="notices"), result={}, text="\n".join(notices)))
    seen.evidence = evidence


def _audit(store: Any) -> list[AuditRow]:  # noqa: ANN401
    from memory.writes import audit_entries

    return [
        AuditRow(
            id=e.id,
            kind=e.kind,
            account=e.account_id,
            actor=e.actor,
            confirmed_by=e.confirmed_by,
            result=e.result,
            backend=e.backend,
            summary=e.summary,
        )
        for e in reversed(audit_entries(store))
    ]


def _crash(err: BaseException) -> str:
    lines = traceback.format_exception(err)
    return f"{type(err).__name__}: {err}\n{''.join(lines[-6:])}"
