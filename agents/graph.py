"""The router: validate the event, send it to its specialist subgraph, end with an Outcome.

``validate`` types the event (:func:`agents.events.parse_event`); an invalid or unknown one goes
to ``dead_letter`` with the reason. ``route`` is a ``Literal``-typed function over
:data:`agents.routing.ROUTES`, so the graph's edges and the routing table cannot disagree
silently. Each specialist is a compiled subgraph over :class:`AgentState` added as a node; its
interrupts (approvals) pause the router, and its checkpoints live in the router's checkpointer.
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
from tools.registry import ToolContext

Target = Literal[
    "provisioning", "roster", "withdrawals", "grades", "alerts", "incompletes", "dead_letter"
]
Router = CompiledStateGraph[AgentState, ToolContext, AgentState, AgentState]


def _validate(state: AgentState) -> dict[str, Any]:
    """Type the event; an invalid or unroutable one ends here with the reason."""
    raw = state.get("event")
    try:
        event = parse_event(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in exc.errors()
        )
        return finish("dead_letter", f"invalid event: {problems}")
    if specialist_for(event.kind) is None:
        return finish("dead_letter", f"no specialist handles events of kind {event.kind!r}")
    return {"event": event.model_dump(mode="json")}


def route(state: AgentState) -> Target:
    """The specialist node for the event's kind, or the dead letter."""
    if state.get("outcome"):
        return "dead_letter"
    specialist = specialist_for(str(state["event"]["kind"]))
    target = specialist.value if specialist else "dead_letter"
    assert target in get_args(Target)
    return target  # type: ignore[return-value]


def _dead_letter(state: AgentState) -> dict[str, Any]:
    """Keep the validation's reason; anything else reaching here is a routing bug, said so."""
    if state.get("outcome"):
        return {}
    return finish("dead_letter", "the router found no specialist for this event")


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
    graph.add_node("validate", _validate)
    graph.add_node("dead_letter", _dead_letter)
    for specialist, node in specialists.items():
        graph.add_node(specialist.value, node)
        graph.add_edge(specialist.value, END)
    graph.add_edge(START, "validate")
    graph.add_conditional_edges("validate", route)
    graph.add_edge("dead_letter", END)
    return graph.compile(checkpointer=checkpointer, name="router")


def make_router() -> Router:
    """The router for the configured deployment (``langgraph.json`` names this factory).

    ``langgraph dev`` supplies its own checkpointer, so none is attached here; runs need a
    ``ToolContext`` as their context, as every caller of this graph does.
    """
    from policies.audit import AuditLog
    from policies.guard import Guard
    from runtime.db import make_engine
    from runtime.settings import get_settings
    from tools.registry import load_default_policy

    settings = get_settings()
    audit = AuditLog(make_engine(settings.database_url))
    audit.create()
    return build_router(GraphDeps.from_settings(settings, Guard(load_default_policy(), audit)))
