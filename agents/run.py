"""Run one event through the router: what the worker calls, and how a paused run is resumed.

The run's :class:`Principal` comes from the event's kind (:data:`agents.routing.ROLES`), never
from a model; its thread id from the event id, so a redelivered event finds its own run (done,
or paused for a person) instead of starting a second one. A first run is checkpointed as
:data:`agents.routing.FIRST_RUN_DURABILITY` says for its specialist; a resume after a person's
decision always with ``durability="sync"``. Either way an approval request is on disk before
anyone is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

from agents.deps import GraphDeps
from agents.events import Event
from agents.graph import Router, build_router
from agents.routing import FIRST_RUN_DURABILITY, ROLES, WORKFLOWS, Durability, specialist_for
from agents.state import AgentState, Outcome
from agents.toolbox import ToolContext
from core.ids import banner_section_of
from policies.rbac import Principal, Role

DURABILITY: Literal["sync"] = "sync"
"""``agents.checkpoints.APPROVAL_DURABILITY``, typed as LangGraph's ``invoke`` wants it."""

ContextFactory = Callable[[Principal], ToolContext]
"""Builds a run's ToolContext (Banner engine, Canvas client, redactor) for its principal."""


def thread_id(event_id: str) -> str:
    """The checkpointer thread of an event's run."""
    return f"event:{event_id}"


def principal_for(event: Event | Mapping[str, Any]) -> Principal:
    """The agent identity a run acts as: its specialist's role, in the event's term."""
    kind = event.kind if not isinstance(event, Mapping) else str(event.get("kind"))
    specialist = specialist_for(kind)
    term = (
        event.get("term_code") if isinstance(event, Mapping) else getattr(event, "term_code", None)
    )
    if specialist is None:  # dead-lettered by the router before any tool call
        return Principal(actor="agent:router", role=Role.EVALUATOR, term=term)
    return Principal(actor=f"agent:{specialist.value}", role=ROLES[specialist], term=term)


def bind_rollout(context: ToolContext, event: Event | Mapping[str, Any]) -> ToolContext:
    """``context`` bound to the event's workflow and section, which rollout rules match.

    Both come from the event (its kind, its term and CRN, or the one-section course a Canvas
    event names), never from a model; an unroutable event binds nothing.
    """
    payload = event.model_dump(mode="json") if not isinstance(event, Mapping) else event
    specialist = specialist_for(str(payload.get("kind")))
    if specialist is None:
        return context
    term, crn = payload.get("term_code"), payload.get("crn")
    course = payload.get("course_id")
    if crn is None and course is not None:
        term, crn = banner_section_of(str(course)) or (term, None)
    return replace(
        context,
        workflow=WORKFLOWS[specialist],
        bound_term=str(term) if term is not None else None,
        bound_crn=str(crn) if crn is not None else None,
    )


def first_run_durability(event: Event | Mapping[str, Any]) -> Durability:
    """How the first run of ``event`` is checkpointed (``"sync"`` for an unroutable event)."""
    kind = event.kind if not isinstance(event, Mapping) else str(event.get("kind"))
    specialist = specialist_for(kind)
    return FIRST_RUN_DURABILITY[specialist] if specialist is not None else "sync"


def _outcome(graph: Router, config: RunnableConfig, result: Mapping[str, Any]) -> Outcome:
    """The run's outcome, or ``needs_person`` naming the approvals it waits for."""
    waiting = result.get("__interrupt__") or ()
    if waiting:
        actions = sorted({str(i.value.get("action_request", {}).get("action")) for i in waiting})
        return Outcome(
            status="needs_person",
            detail=f"waiting for approval of {', '.join(actions)} (thread "
            f"{config['configurable']['thread_id']})",
            figures={"pending_approvals": len(waiting)},
        )
    return Outcome.model_validate(result["outcome"])


@dataclass(frozen=True)
class EventRun:
    """What one run of an event ended with: its outcome and the graph's state values.

    ``finished`` is false while the run waits for a person (its outcome then only names the
    approvals); the worker keeps the run's pseudonym vault exactly then, for the resume.
    """

    outcome: Outcome
    values: Mapping[str, Any]
    finished: bool


def _ended(graph: Router, config: RunnableConfig, result: Mapping[str, Any]) -> EventRun:
    finished = bool(result.get("outcome")) and not result.get("__interrupt__")
    return EventRun(_outcome(graph, config, result), result, finished)


def run_event(
    event: Event | Mapping[str, Any],
    deps: GraphDeps,
    checkpointer: BaseCheckpointSaver[str],
    context_factory: ContextFactory,
    *,
    graph: Router | None = None,
) -> EventRun:
    """Run ``event`` (typed, or a raw payload the router validates) to its end or a pause.

    A run already finished returns its recorded outcome; one paused for a person is left
    paused (resume it with :func:`resume`); one cut off mid-way (its worker was killed)
    continues from its last checkpoint. ``graph`` reuses a compiled router across events.
    """
    payload = event.model_dump(mode="json") if not isinstance(event, Mapping) else dict(event)
    graph = graph or build_router(deps, checkpointer)
    config: RunnableConfig = {
        "configurable": {"thread_id": thread_id(str(payload.get("event_id") or "invalid"))}
    }
    context = bind_rollout(context_factory(principal_for(event)), payload)
    durability = first_run_durability(event)
    previous = graph.get_state(config)
    if previous.values.get("outcome"):
        return _ended(graph, config, previous.values)
    if previous.next:
        interrupts = tuple(
            i for task in previous.tasks if task.result is None for i in task.interrupts
        )
        if interrupts:
            return _ended(graph, config, {**previous.values, "__interrupt__": interrupts})
        # A run whose worker died mid-way: continue it from its last checkpoint.
        result = graph.invoke(None, config, context=context, durability=durability)
        return _ended(graph, config, result)
    result = graph.invoke(AgentState(event=payload), config, context=context, durability=durability)
    return _ended(graph, config, result)


def resume(
    event_id: str,
    answer: Any,
    deps: GraphDeps,
    checkpointer: BaseCheckpointSaver[str],
    context_factory: ContextFactory,
    *,
    graph: Router | None = None,
) -> Outcome:
    """Resume a paused run with a person's answer (one value, or ``{interrupt_id: value}``)."""
    graph = graph or build_router(deps, checkpointer)
    config: RunnableConfig = {"configurable": {"thread_id": thread_id(event_id)}}
    state = graph.get_state(config)
    event = state.values.get("event", {})
    context = bind_rollout(context_factory(principal_for(event)), event)
    result = graph.invoke(Command(resume=answer), config, context=context, durability=DURABILITY)
    return _outcome(graph, config, result)
