"""The router: type the event, send it to its specialist subgraph, end with an Outcome.

``route``, the graph's entry edge, types the event (:func:`agents.events.parse_event`) and picks
its specialist; an invalid or unknown one goes to ``dead_letter``, which says why. It is an edge
rather than a node of its own because a node is a step every event pays for (a superstep and
its bookkeeping). ``route`` is ``Literal``-typed over :data:`agents.routing.ROUTES`, so the
graph's edges and the routing table cannot disagree silently. Each specialist is a compiled
subgraph over :class:`AgentState` added as a node; its interrupts (approvals) pause the router,
and its checkpoints live in the router's checkpointer.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import ValidationError

from agents.deps import GraphDeps
from agents.events import parse_event
from agents.routing import Specialist, specialist_for
from agents.specialists import alerts, grades, incompletes, provisioning, roster, withdrawals
from agents.specialists.calls import finish
from agents.state import AgentState
from agents.toolbox import ToolContext

Target = Literal[
    "provisioning", "roster", "withdrawals", "grades", "alerts", "incompletes", "dead_letter"
]
Router = CompiledStateGraph[AgentState, ToolContext, AgentState, AgentState]


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in exc.errors()
    )


def route(state: AgentState) -> Target:
    """The specialist node for the event's kind, or the dead letter."""
    try:
        event = parse_event(state.get("event"))
    except ValidationError:
        return "dead_letter"
    specialist = specialist_for(event.kind)
    target = specialist.value if specialist else "dead_letter"
    assert target in get_args(Target)
    return target  # type: ignore[return-value]


def _dead_letter(state: AgentState) -> dict[str, Any]:
    """Why the event has no specialist: invalid, or a kind no specialist handles."""
    try:
        event = parse_event(state.get("event"))
    except ValidationError as exc:
        return finish("dead_letter", f"invalid event: {_problems(exc)}")
    return finish("dead_letter", f"no specialist handles events of kind {event.kind!r}")


def build_router(deps: GraphDeps, checkpointer: BaseCheckpointSaver[str] | None = None) -> Router:
    """The compiled router graph; pass the checkpointer that holds paused approvals."""
    specialists: dict[Specialist, Any] = {
        Specialist.PROVISIONING: provisioning.build(deps),
        Specialist.ROSTER: roster.build(deps),
        Specialist.WITHDRAWALS: withdrawals.build(deps),
        Specialist.GRADES: grades.build(deps),
        Specialist.ALERTS: alerts.build(deps),
        Specialist.INCOMPLETES: incompletes.build(deps),
    }
    graph = StateGraph(AgentState, context_schema=ToolContext)
    graph.add_node("dead_letter", _dead_letter)
    for specialist, node in specialists.items():
        graph.add_node(specialist.value, node)
        graph.add_edge(specialist.value, END)
    graph.add_conditional_edges(START, route)
    graph.add_edge("dead_letter", END)
    return graph.compile(checkpointer=checkpointer, name="router")
