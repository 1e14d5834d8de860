"""The conversation graph's nodes and routers, free of LangGraph (agent.graph wires them).

parse -> resolve -> run -> compose -> ground -> respond, and for a write: stage -> confirm ->
execute -> respond. Each node takes the thread's State and the run's Context (through the
LangGraph runtime) and returns a partial update. Only `confirm` pauses (`interrupt()`, with
no side effect before it, since LangGraph re-runs the node from the top on resume); only
`execute` writes, and only after a yes read by agent.confirm from the user's own reply.

`run_read_turn` runs a turn that writes nothing without LangGraph at all, through the same
nodes and routers: a one-shot `csm ask` then starts without importing LangGraph.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Literal

from agent import confirm as confirmation
from agent.commands import COMMANDS, CommandError, RunContext, get_command
from agent.compose_offline import deterministic_text
from agent.planning import Call, Composer, Plan, Planner, ToolRun, Turn
from agent.resolve import AccountNotFound, AmbiguousAccount
from agent.state import Context, State
from agent.turn_text import (
    about,
    ask_back,
    cut,
    grounding_violations,
    reply_text,
    resolved_call,
    short_error,
    usage_of,
)

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

log = logging.getLogger("csm.agent")

HISTORY_TURNS = 20
"""Earlier turns shown to the planner."""

StoreFactory = Callable[[], Any]
"""Returns the account store (memory.store.Store) the commands read and the writes use."""


# --- routers ---------------------------------------------------------------------------------


def _writes(state: State) -> list[dict[str, Any]]:
    return [c for c in state.calls if get_command(c["name"]).writes]


def after_parse(state: State) -> Literal["resolve", "respond"]:
    """Resolve the accounts of a plan with calls; answer a question or a refusal directly."""
    return "resolve" if state.plan and state.plan["calls"] else "respond"


def after_resolve(state: State) -> Literal["run", "stage", "respond"]:
    """Run the reads, or go straight to staging a write; a clarifying question is answered."""
    if state.answer or not state.calls:
        return "respond"
    return "stage" if len(_writes(state)) == len(state.calls) else "run"


def after_ground(state: State) -> Literal["stage", "respond"]:
    """Stage the write of a turn that asked for one, after its reads were answered."""
    return "stage" if _writes(state) else "respond"


def after_stage(state: State) -> Literal["confirm", "respond"]:
    """Ask for confirmation of a staged change; a change that could not be staged is said."""
    return "confirm" if state.pending else "respond"


def after_confirm(state: State) -> Literal["execute", "confirm", "respond"]:
    """Execute on yes; ask again when unclear (at most MAX_ASKS in all); else cancel."""
    if state.decision == "yes":
        return "execute"
    if state.decision == "unclear" and state.asks < confirmation.MAX_ASKS:
        return "confirm"
    return "respond"


# --- nodes -----------------------------------------------------------------------------------


class Nodes:
    """The graph's nodes, sharing the injected planner, composer, store and backend."""

    def __init__(
        self,
        planner: Planner,
        composer: Composer,
        store: StoreFactory | None = None,
        backend: str = "local",
    ) -> None:
        """Share `planner`, `composer`, the store (default: the configured one) and `backend`."""
        self.planner, self.composer = planner, composer
        self.store, self.backend = store or configured_store(), backend

    def _ctx(self, runtime: Runtime[Context]) -> RunContext:
        context = runtime.context or Context()
        return RunContext(context.as_of, self.store(), context.user, book=context.book)

    def parse(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Plan the turn from the text, the thread's history and its focus account."""
        history = [Turn.model_validate(t) for t in state.turns[-HISTORY_TURNS:]]
        plan = self.planner.plan(state.text, history, self._focus(state, runtime))
        if state.awaiting and not plan.calls:
            plan = self._which_account(state, runtime) or plan
        return {
            "plan": plan.model_dump(mode="json"),
            "calls": [],
            "awaiting": [],
            "runs": [],
            "errors": [],
            "answer": "",
            "source": "deterministic",
            "violations": [],
            "pending": None,
            "outcome": None,
            "asks": 0,
            "decision": None,
            "usage": usage_of(plan),
        }

    def _focus(self, state: State, runtime: Runtime[Context]) -> str | None:
        """Return the thread's account for this user: none when it is outside their book.

        In a shared thread (Slack), the account someone else asked about may not be in this
        user's book: for them the thread has no focus, as if it had never been named.
        """
        if state.focus_id is None or (runtime.context or Context()).book is None:
            return state.focus_name
        try:
            visible = state.focus_id in self._ctx(runtime).names()
        except CommandError:
            return None
        return state.focus_name if visible else None

    def _which_account(self, state: State, runtime: Runtime[Context]) -> Plan | None:
        """Read the message as the answer to "which account?": the awaited calls, for it.

        Only a message naming exactly one account counts; anything else is a new request.
        """
        from agent.resolve import resolve_account

        try:
            account = resolve_account(self._ctx(runtime).names(), state.text.strip())
        except (LookupError, CommandError):
            return None
        calls = [Call.model_validate(c) for c in state.awaiting]
        return Plan(calls=[Call(name=c.name, args={**c.args, "account": account}) for c in calls])

    def resolve(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Check each call's arguments and resolve its account to one id (or ask which)."""
        ctx = self._ctx(runtime)
        calls: list[dict[str, Any]] = []
        for call in Plan.model_validate(state.plan).calls:
            try:
                calls.append(resolved_call(call, ctx, state))
            except (AmbiguousAccount, AccountNotFound) as err:
                asked = Plan.model_validate(state.plan).calls
                awaiting = [c.model_dump(mode="json") for c in asked]
                return {"answer": ask_back(err), "calls": [], "awaiting": awaiting}
            except (CommandError, KeyError) as err:
                return {"answer": ask_back(err), "calls": []}
            except ValueError as err:  # pydantic's ValidationError is a ValueError
                return {"answer": f"I could not run {call.name}: {short_error(err)}", "calls": []}
        if Plan.model_validate(state.plan).model_calls:  # a model chose the calls
            focus = self._focus(state, runtime)
            calls, question = self._named_accounts(calls, state, ctx, focus)
            if question:
                return {"answer": question, "calls": []}
        writes = [c for c in calls if get_command(c["name"]).writes]
        reads = [c for c in calls if not get_command(c["name"]).writes]
        errors = []
        if len(writes) > 1:
            errors.append("One CRM change is staged at a time: ask again for the others.")
        return {"calls": reads + writes[:1], "errors": errors}

    def _named_accounts(
        self, calls: list[dict[str, Any]], state: State, ctx: RunContext, focus: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Keep a model's calls on accounts the conversation named; else the user's, or ask.

        A model may call a tool for an account nobody mentioned (Globex when the user asked
        about Acme). An account counts as named when its name, core name or id is in this
        message or a recent turn, or it is the thread's focus. Otherwise the offline grammar
        reads the message: if it names one account for the same command, that one runs;
        if not, the user is asked which account they mean. Nothing runs on a guess.
        """
        from agent.parser import OfflinePlanner as Grammar
        from agent.resolve import normalise

        recent = [str(t.get("text", "")) for t in state.turns[-4:]]
        said = normalise(" ".join([state.text, *recent]))
        kept: list[dict[str, Any]] = []
        for call in calls:
            account = call["args"].get("account")
            if not account or account == state.focus_id or _named(account, ctx, said):
                kept.append(call)
                continue
            mine = Grammar(ctx.as_of).plan(state.text, [], focus).calls
            same = [c for c in mine if c.name == call["name"] and c.args.get("account")]
            try:
                fixed = resolved_call(same[0], ctx, state) if same else None
            except (LookupError, CommandError, ValueError):
                fixed = None
            name = ctx.names().get(account, account)
            if fixed is None:
                return [], (
                    f"Which account do you mean? I was about to run {call['name']} for {name}, "
                    "which this conversation has not named. Say the account's name."
                )
            chosen = fixed["args"]["account"]
            log.warning("model named %s, the user %s: ran %s", account, chosen, call["name"])
            kept.append({**call, "args": {**call["args"], "account": fixed["args"]["account"]}})
        return kept, None

    def run(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Run every read call through its tool and render its result."""
        ctx = self._ctx(runtime)
        runs, errors = [], list(state.errors)
        for raw in state.calls:
            call = Call.model_validate(raw)
            cmd = get_command(call.name)
            if cmd.writes:
                continue
            try:
                result = cmd.run(cmd.args.model_validate(call.args), ctx)
            except (CommandError, ValueError, LookupError, ImportError) as err:
                errors.append(
                    f"Could not run {call.name} for {about(call, ctx)}: {short_error(err)}"
                )
                continue
            dumped = result.model_dump(mode="json")
            run = ToolRun(
                call=call, result=dumped, text=cmd.render_text(result), gaps=dumped.get("gaps", [])
            )
            runs.append(run.model_dump(mode="json"))
        return {"runs": runs, "errors": errors}

    def compose(self, state: State) -> dict[str, Any]:
        """Word the answer from the runs (the offline composer returns their renderings)."""
        runs = [ToolRun.model_validate(r) for r in state.runs]
        if not runs:
            return {"answer": "", "source": "deterministic"}
        composed = self.composer.compose(state.text, runs)
        usage = dict(state.usage)
        usage["model_calls"] = usage.get("model_calls", 0) + composed.model_calls
        usage["prompt_tokens"] = usage.get("prompt_tokens", 0) + composed.prompt_tokens
        usage["completion_tokens"] = usage.get("completion_tokens", 0) + composed.completion_tokens
        return {
            "answer": composed.text,
            "source": composed.source,
            "violations": list(composed.violations),
            "usage": usage,
        }

    def ground(self, state: State) -> dict[str, Any]:
        """Check a model's answer against the runs; replace it if it adds anything."""
        if state.source in ("deterministic", "fallback") or not state.runs:
            return {}  # the tools' own rendering: grounded by construction
        runs = [ToolRun.model_validate(r) for r in state.runs]
        found = grounding_violations(state.answer, runs, state.text)
        if not found:
            return {}
        return {
            "answer": deterministic_text(runs),
            "source": "fallback",
            "violations": [*state.violations, *found],
        }

    def stage(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Stage the write (pure: nothing is written), keeping who asked for it."""
        ctx = self._ctx(runtime)
        call = Call.model_validate(_writes(state)[0])
        cmd = get_command(call.name)
        try:
            change = cmd.run(cmd.args.model_validate(call.args), ctx)
        except (CommandError, ValueError, LookupError) as err:
            return {"errors": [*state.errors, f"Nothing staged: {short_error(err)}"]}
        pending = {"change": change.model_dump(mode="json"), "call": call.model_dump(mode="json")}
        return {"pending": {**pending, "actor": ctx.user}}

    def confirm(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Show exactly what will be written and wait for the user's yes or no."""
        from langgraph.types import interrupt

        assert state.pending is not None
        ask = confirmation.question(state.pending["change"]["summary"], state.asks)
        if not state.asks:  # the first time, after this turn's answers and notices
            ask = "\n\n".join([*filter(None, [state.answer.rstrip(), *state.errors]), ask])
        reply = interrupt({"question": ask, "change": state.pending["change"]})
        decision = confirmation.classify(reply)
        return {"decision": decision, "asks": state.asks + 1}

    def execute(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Execute the confirmed change once, with the replying user as the confirmer."""
        from connectors.crm import create_backend
        from memory.writes import execute
        from tools.crm import StagedChange

        assert state.pending is not None and state.decision == "yes"
        store = self.store()
        change = StagedChange.model_validate(state.pending["change"])
        confirmer = (runtime.context or Context()).user
        outcome = execute(
            store,
            change,
            create_backend(self.backend, store),
            actor=state.pending["actor"],
            confirmed_by=confirmer,
        )
        return {"outcome": outcome.model_dump(mode="json")}

    def respond(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Put the reply together, record the turn, move the focus to its last account."""
        answer = reply_text(state)
        calls = [Call.model_validate(c) for c in state.calls]
        accounts = [c.args["account"] for c in calls if c.args.get("account")]
        update: dict[str, Any] = {
            "answer": answer,
            "pending": None,
            "turns": [
                Turn(role="user", text=state.text).model_dump(mode="json"),
                Turn(
                    role="assistant",
                    text=cut(answer),
                    commands=[c.name for c in calls],
                    account_ids=list(dict.fromkeys(accounts)),
                    calls=calls,
                ).model_dump(mode="json"),
            ],
        }
        if accounts:
            try:
                names = self._ctx(runtime).names()
            except CommandError:
                names = {}
            update |= {"focus_id": accounts[-1], "focus_name": names.get(accounts[-1])}
        return update


# --- helpers ---------------------------------------------------------------------------------


def _named(account_id: str, ctx: RunContext, said: str) -> bool:
    """Tell whether `said` (normalised text) names the account by its name, core name or id."""
    from agent.resolve import _core, normalise

    name = ctx.names().get(account_id, account_id)
    words = {normalise(name), _core(name), normalise(account_id)} - {""}
    return any(f" {w} " in f" {said} " for w in words)


def configured_store() -> StoreFactory:
    """Return a factory opening the configured store once, on first use."""
    opened: list[Any] = []

    def store() -> Any:  # noqa: ANN401
        if not opened:
            from agent.settings import get_settings
            from memory.store import open_store

            opened.append(open_store(get_settings().store_url))
        return opened[0]

    return store


# --- a read-only turn without LangGraph ---------------------------------------------------------

_EDGES: dict[str, Callable[[State], str]] = {
    "parse": after_parse,
    "resolve": after_resolve,
    "run": lambda _: "compose",
    "compose": lambda _: "ground",
    "ground": after_ground,
}


def run_read_turn(nodes: Nodes, text: str, context: Context) -> State | None:
    """Run one turn of a new thread through the nodes, without LangGraph or a checkpointer.

    Returns:
        The final state, or None when the turn asks for a write (which needs the graph:
        the confirmation pauses the thread, and only a checkpointer can keep it).
    """
    runtime = SimpleNamespace(context=context)
    state, node = State(text=text), "parse"
    while node != "respond":
        if node not in _EDGES:
            return None
        step = getattr(nodes, node)
        update = step(state) if node in ("compose", "ground") else step(state, runtime)
        state = _apply(state, update)
        if node == "parse" and _plans_write(state):
            return None
        node = _EDGES[node](state)
    return _apply(state, nodes.respond(state, runtime))


def _apply(state: State, update: dict[str, Any]) -> State:
    """Apply a node's partial update as LangGraph would (`turns` is appended to)."""
    if "turns" in update:
        update = {**update, "turns": [*state.turns, *update["turns"]]}
    return replace(state, **update)


def _plans_write(state: State) -> bool:
    names = [c["name"] for c in (state.plan or {}).get("calls", [])]
    return any(get_command(n).writes for n in names if n in {c.name for c in COMMANDS})
