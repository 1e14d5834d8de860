"""The conversation graph: parse -> resolve -> run -> compose -> ground -> respond.

A write request takes a detour after grounding: stage (pure: the change and its exact
summary) -> confirm (`interrupt()` with the summary; the resume value is the user's reply)
-> execute (memory.writes.execute through a connectors.crm backend, with the user who said
yes as the confirmer) -> respond. The nodes and routers are in agent.nodes.

Who plans and who words the answer is injected: `build_graph(planner, composer,
checkpointer)`; offline that is agent.parser.OfflinePlanner and
agent.compose_offline.OfflineComposer. The conversation lives in the checkpointer, per
`thread_id` (agent.checkpoint.open_checkpointer).
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from agent.compose_offline import OfflineComposer
from agent.nodes import (
    Nodes,
    StoreFactory,
    after_confirm,
    after_ground,
    after_parse,
    after_resolve,
    after_stage,
)
from agent.parser import OfflinePlanner
from agent.planning import Composer, Planner
from agent.state import Context, InputState, OutputState, State


def build_graph(
    planner: Planner,
    composer: Composer,
    checkpointer: Any = None,  # noqa: ANN401  (any LangGraph checkpoint saver)
    *,
    store: StoreFactory | None = None,
    backend: str = "local",
    name: str = "csm",
) -> Any:  # noqa: ANN401  (a CompiledStateGraph)
    """Build and compile the conversation graph.

    Args:
        planner: turns text into a Plan (offline grammar or LLM tool calls).
        composer: words the answer from the tool runs.
        checkpointer: keeps each thread's state; confirmations need one.
        store: returns the account store; default the configured one, opened once.
        backend: the connectors.crm backend confirmed writes go through.
        name: the compiled graph's name.
    """
    nodes = Nodes(planner, composer, store, backend)
    builder = StateGraph(
        State, context_schema=Context, input_schema=InputState, output_schema=OutputState
    )
    for node in ("parse", "resolve", "run", "compose", "ground", "stage", "confirm", "execute"):
        builder.add_node(node, getattr(nodes, node))
    builder.add_node("respond", nodes.respond)
    builder.add_edge(START, "parse")
    builder.add_conditional_edges("parse", after_parse)
    builder.add_conditional_edges("resolve", after_resolve)
    builder.add_edge("run", "compose")
    builder.add_edge("compose", "ground")
    builder.add_conditional_edges("ground", after_ground)
    builder.add_conditional_edges("stage", after_stage)
    builder.add_conditional_edges("confirm", after_confirm)
    builder.add_edge("execute", "respond")
    builder.add_edge("respond", END)
    return builder.compile(checkpointer=checkpointer, name=name)


graph = build_graph(OfflinePlanner(), OfflineComposer(), name="csm")
"""The offline graph without a checkpointer (a LangGraph server supplies its own)."""

__all__ = ["build_graph", "graph"]
