"""Roster sync: one registration as it happens, or a whole term as a nightly reconciliation.

Per event (``banner.registration.added``/``waitlisted``): the student's enrollment in the CRN is
planned and applied by the census and wait-list rules (see :mod:`agents.specialists.sync`), in
this graph's own nodes (``registration_*``), not a nested subgraph.

Whole term (``scheduled.reconcile_term``): ``plan`` reads both sides and plans
(``canvas_plan_roster``: figures only); a dry run ends there. Otherwise ``apply`` sends the plan,
pinned by its digest and explained by its figures, to ``canvas_apply_roster_plan``: missing
shells are provisioned, enrollments applied by REST or a SIS import, and a plan ending more than
the configured share of a section's or the term's enrollments waits for a registrar (the guard's
interrupt).

``canvas.enrollment`` (an enrollment created or changed in Canvas, perhaps by hand): ``locate``
traces it to its Banner registration and the per-event sync re-applies the Banner rule for that
student and section. Canvas is never trusted over Banner: a hand-made enrollment of a dropped
student is ended; one that mirrors nothing in Banner is left alone and the outcome says why.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agents.deps import GraphDeps
from agents.events import ReconcileTerm, parse_event
from agents.routing import ROLES, Specialist
from agents.specialists.calls import GuardedSteps, compose, finish, results
from agents.specialists.sync import (
    APPLY,
    Compiled,
    add_event_sync,
    exceptions_of,
    locate,
    refused,
)
from agents.state import AgentState, OutcomeStatus
from agents.toolbox import ToolContext

PLAN = "canvas_plan_roster"
EVENT_REASONING = (
    "Event {kind} for section {term}/{crn}: make this student's Canvas enrollment match"
    " Banner (census and wait-list rules)."
)


def _plan(state: AgentState) -> dict[str, Any]:
    event = parse_event(state["event"])
    assert isinstance(event, ReconcileTerm)
    where = f"sections {', '.join(event.crns)} of term" if event.crns else "term"
    text = f"Reconcile {where} {event.term_code}: plan what makes Canvas match Banner."
    call = compose(PLAN, _scope(event), f"{event.event_id}:plan", text)
    return {"messages": [call]}


def _scope(event: ReconcileTerm) -> dict[str, Any]:
    """The plan's and the apply's scope: the term, or only the event's sections of it."""
    return {"term": event.term_code, **({"crns": event.crns} if event.crns else {})}


def _explain(report: dict[str, Any]) -> str:
    """The approval request's reasoning: the plan's figures and the mass-drop verdict."""
    figures, verdict = report["figures"], report["verdict"]
    kinds = ", ".join(f"{k} {v}" for k, v in figures["by_kind"].items() if v)
    term = verdict["term"]
    breaching = ", ".join(
        f"{s['scope']} ({s['ending']}/{s['live']})" for s in verdict["breaching_sections"]
    )
    return (
        f"Reconcile term {report['term']} (plan {report['digest']}): {figures['total']} actions"
        f" ({kinds or 'none'}) over {report['sections']} sections, by {report['channel']}."
        f" It ends {term['ending']} of {term['live']} live enrollments"
        f" ({term['share']:.1%} of the term)"
        + (f"; sections above the share: {breaching}" if breaching else "")
        + "."
    )


def _apply(state: AgentState) -> dict[str, Any]:
    event = parse_event(state["event"])
    assert isinstance(event, ReconcileTerm)
    found = results(state.get("messages", []), [f"{event.event_id}:plan"])
    plan = found[f"{event.event_id}:plan"]
    if not plan.ok:
        return {"outcome": refused(plan).model_dump()}
    figures = _figures(plan.data)
    if not event.apply or not figures["total"]:
        status: OutcomeStatus = "noop" if not figures["total"] else "done"
        detail = f"dry run of term {event.term_code}: {figures['total']} actions planned"
        return finish(status, detail, figures)
    args = {**_scope(event), "digest": plan.data["digest"]}
    call = compose(APPLY, args, f"{event.event_id}:apply", _explain(plan.data))
    return {"messages": [call]}


def _figures(report: dict[str, Any]) -> dict[str, int]:
    """A plan report's figures as the outcome's flat counts (what ``--json`` prints)."""
    figures = report["figures"]
    flat = {f"plan_{k}": int(v) for k, v in figures["by_kind"].items()}
    flat.update(
        total=int(figures["total"]),
        ending_live=int(figures["ending_live"]),
        rest_requests=int(figures["rest_requests"]),
        registrations=int(figures["registrations"]),
        unmapped_crns=int(figures["unmapped_crns"]),
        sections=int(report["sections"]),
        needs_approval=int(bool(report["verdict"]["needs_approval"])),
        sis_import=int(report["channel"] == "sis_import"),
    )
    return flat


def _record(state: AgentState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
    event = parse_event(state["event"])
    found = results(
        state.get("messages", []), [f"{event.event_id}:plan", f"{event.event_id}:apply"]
    )
    planned = _figures(found[f"{event.event_id}:plan"].data)
    applied = found[f"{event.event_id}:apply"]
    if not applied.ok:
        outcome = refused(applied)
        return finish(outcome.status, outcome.detail, planned)
    data = applied.data
    figures = {
        **planned,
        **{f"applied_{k}": int(v) for k, v in data["applied"].items()},
        "failed": int(data["failed"]),
        "exceptions": int(data["exceptions_total"]),
    }
    status: OutcomeStatus = "needs_person" if figures["failed"] or figures["exceptions"] else "done"
    detail = f"term {data['term']} reconciled by {data['channel']}: " + (
        ", ".join(f"{k} {v}" for k, v in data["applied"].items()) or "nothing to change"
    )
    return {**finish(status, detail, figures), "exceptions": exceptions_of(applied, runtime)}


def _whole_term(deps: GraphDeps) -> Compiled:
    graph = StateGraph(AgentState, context_schema=ToolContext)
    graph.add_node("plan", _plan)
    graph.add_node("apply", _apply)
    graph.add_node("record", _record)
    graph.add_edge(START, "plan")
    steps = GuardedSteps(graph, deps.guard, ROLES[Specialist.ROSTER])
    steps.add("plan", "plan_tools", "apply")
    steps.add("apply", "apply_tools", "record")
    graph.add_edge("record", END)
    return graph.compile()


def build(deps: GraphDeps) -> Compiled:
    """The roster specialist: per-registration sync, or the whole-term reconciliation."""
    graph = StateGraph(AgentState, context_schema=ToolContext)
    sync = add_event_sync(graph, deps, Specialist.ROSTER, EVENT_REASONING, prefix="registration_")

    def route(state: AgentState) -> str:
        kind = str(state["event"].get("kind"))
        if kind == "canvas.enrollment":
            return "locate"
        return sync if kind.startswith("banner.registration.") else "term"

    graph.add_node("locate", locate)
    graph.add_node("term", _whole_term(deps))
    graph.add_conditional_edges(START, route, ["locate", sync, "term"])
    GuardedSteps(graph, deps.guard, ROLES[Specialist.ROSTER]).add("locate", "locate_tools", sync)
    graph.add_edge("term", END)
    return graph.compile()
