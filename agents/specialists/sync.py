"""Shared by the roster and withdrawal specialists: one student's roster in one section, synced.

An event is a trigger, never the truth: the node composes ``canvas_apply_roster_plan`` scoped to
the event's student and CRN, and the tool re-reads Banner and Canvas and plans by the census and
wait-list rules. So an event that arrives out of order (a drop before its add) or twice plans
what Banner says *now*, usually nothing, and the outcome says so. The figures and exceptions of
the result become the run's :class:`Outcome`.

A ``canvas.enrollment`` event is a trigger too: :func:`locate` first traces its Canvas ids back
to the Banner term, CRN and student (``canvas_locate_enrollment``), and the same scoped apply
follows, so Canvas is corrected to what Banner says, never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agents.deps import GraphDeps
from agents.events import CanvasEnrollmentChanged, _RegistrationEvent, parse_event
from agents.routing import ROLES, Specialist
from agents.specialists.calls import CallResult, GuardedSteps, real_pidm, results
from agents.specialists.calls import compose as compose_call
from agents.state import AgentState, Outcome, PersonException
from agents.toolbox import ToolContext
from core.errors import BcaError
from policies.rollout import SHADOWED

Compiled = CompiledStateGraph[AgentState, ToolContext, AgentState, AgentState]

APPLY = "canvas_apply_roster_plan"
LOCATE = "canvas_locate_enrollment"


def exceptions_of(result: CallResult, runtime: Runtime[ToolContext]) -> list[dict[str, Any]]:
    """A tool result's exceptions with real PIDMs (trusted code re-identifies for the queue).

    The text (detail, Banner record) keeps the run's placeholders: it is stored in checkpoints
    and the ledger, where no name or address may rest; the PIDM says whose record to open.
    """
    vault = runtime.context.vault
    found = []
    for raw in (result.data or {}).get("exceptions", []):
        pidm = raw.get("pidm")
        if pidm is not None:
            try:
                pidm = real_pidm(vault, pidm)
            except (ValueError, BcaError):
                pidm = None  # a pseudonym this process never issued: the record keeps term/CRN
        found.append(PersonException.model_validate({**raw, "pidm": pidm}).model_dump())
    return found


def refused(result: CallResult) -> Outcome:
    """A refusal (by the policy or a person) is ``rejected``; a failed call is a dead letter.

    A write held back by a rollout shadow is neither: nothing went wrong, nothing was done.
    """
    if result.text.startswith(SHADOWED):
        return Outcome(status="noop", detail=result.text)
    if result.text.startswith("Denied by policy"):
        return Outcome(status="rejected", detail=result.text)
    return Outcome(status="dead_letter", detail=result.text)


def applied_outcome(data: Mapping[str, Any], what: str) -> Outcome:
    """The outcome of an applied plan for ``what`` (e.g. 'registration 202610/10001')."""
    applied: dict[str, int] = dict(data.get("applied", {}))
    figures = {
        **applied,
        "failed": int(data.get("failed", 0)),
        "exceptions": int(data.get("exceptions_total", 0)),
    }
    if data.get("unknown_crns"):
        return Outcome(status="dead_letter", detail=f"{what}: no such section in Banner")
    if not data.get("sections"):
        return Outcome(
            status="noop",
            detail=f"{what}: the section has no Canvas course yet (not active, or outside the"
            " provisioning window); reconciliation picks it up when it is due",
        )
    if figures["exceptions"] or figures["failed"]:
        return Outcome(
            status="needs_person", detail=f"{what}: some changes wait for a person", figures=figures
        )
    if not applied:
        return Outcome(status="noop", detail=f"{what}: Canvas already matches Banner")
    done = ", ".join(f"{k} {v}" for k, v in applied.items())
    return Outcome(status="done", detail=f"{what}: {done}", figures=figures)


Target = tuple[str, str, int]
"""The (term, CRN, PIDM) a per-event sync covers."""


def locate(state: AgentState) -> dict[str, Any]:
    """A Canvas enrollment event: ask which Banner registration it mirrors (``LOCATE``)."""
    event = parse_event(state["event"])
    assert isinstance(event, CanvasEnrollmentChanged)
    args = {
        "course_id": event.course_id,
        "section_id": event.section_id,
        "user_id": event.user_id,
        "user_sis_id": event.user_sis_id,
    }
    text = f"Canvas {event.kind} in course {event.course_id}: find the Banner registration."
    return {"messages": [compose_call(LOCATE, args, f"{event.event_id}:locate", text)]}


def _target(state: AgentState, runtime: Runtime[ToolContext]) -> Target | Outcome:
    """The registration to sync: the Banner event's, or the one a Canvas event was traced to.

    A Canvas enrollment that cannot be traced ends here: ``noop`` when it is not Banner's to
    decide (no SIS ids), a dead letter when Canvas or Banner does not know its objects.
    """
    event = parse_event(state["event"])
    if isinstance(event, _RegistrationEvent):
        return event.term_code, event.crn, event.pidm
    assert isinstance(event, CanvasEnrollmentChanged)
    found = results(state.get("messages", []), [f"{event.event_id}:locate"])
    located = next(iter(found.values()))
    what = f"{event.kind} in Canvas course {event.course_id}"
    if not located.ok:
        refusal = refused(located)
        return refusal.model_copy(update={"detail": f"{what}: {refusal.detail}"})
    origin = located.data
    if origin["term"] is None:
        return Outcome(status="noop", detail=f"{what}: {origin['unmanaged']}; left alone")
    return origin["term"], origin["crn"], real_pidm(runtime.context.vault, origin["pidm"])


def add_event_sync(
    graph: StateGraph[Any, Any, Any, Any],
    deps: GraphDeps,
    specialist: Specialist,
    reasoning: str,
    *,
    prefix: str = "",
) -> str:
    """Add ``compose`` (one scoped apply call) → guarded ``tools`` → ``finish`` to ``graph``.

    Returns the entry node's name; ``finish`` goes to the end. The nodes are added to the
    caller's graph rather than compiled into a subgraph of their own: every nested graph level
    costs each event a Pregel loop of its own, with its executor threads and checkpoints.

    The registration is the Banner event's own, or (``canvas.enrollment``) the one
    :func:`locate` traced it to earlier in the run: the Banner rule is re-applied for that
    student and section, so an enrollment made by hand for a dropped student is corrected.
    ``reasoning`` is formatted with the event's kind, term and CRN and quoted by the guard in
    the audit and in any approval request; it must name no person.
    """

    def compose(state: AgentState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
        event = parse_event(state["event"])
        target = _target(state, runtime)
        if isinstance(target, Outcome):
            return {"outcome": target.model_dump()}
        term, crn, pidm = target
        args = {"term": term, "crns": [crn], "pidm": pidm}
        text = reasoning.format(kind=event.kind, term=term, crn=crn)
        return {"messages": [compose_call(APPLY, args, f"{event.event_id}:apply", text)]}

    def finish(state: AgentState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
        event = parse_event(state["event"])
        target = _target(state, runtime)
        assert not isinstance(target, Outcome)
        found = results(state.get("messages", []), [f"{event.event_id}:apply"])
        result = next(iter(found.values()))
        what = f"{event.kind} {target[0]}/{target[1]}"
        if not result.ok:
            return {"outcome": refused(result).model_dump()}
        return {
            "outcome": applied_outcome(result.data, what).model_dump(),
            "exceptions": exceptions_of(result, runtime),
        }

    graph.add_node(f"{prefix}compose", compose)
    graph.add_node(f"{prefix}finish", finish)
    GuardedSteps(graph, deps.guard, ROLES[specialist]).add(
        f"{prefix}compose", f"{prefix}tools", f"{prefix}finish"
    )
    graph.add_edge(f"{prefix}finish", END)
    return f"{prefix}compose"


def build_event_sync(deps: GraphDeps, specialist: Specialist, reasoning: str) -> Compiled:
    """A graph of :func:`add_event_sync` alone (the withdrawal specialist)."""
    graph = StateGraph(AgentState, context_schema=ToolContext)
    graph.add_edge(START, add_event_sync(graph, deps, specialist, reasoning))
    return graph.compile()
