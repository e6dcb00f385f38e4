"""Incompletes: an 'I' or a missing final grade near the deadline → the instructor → the registrar.

The rule (:func:`agents.rules.incompletes.next_step`) decides whether to ask; this graph asks and
acts, all writes through the guard:

1. ``read``: the section's grading facts (Banner) and the student's submissions (Canvas, for
   late work; a section without a Canvas course simply has none);
2. ``classify``: the rule; nothing to ask ends the run with the rule's sentence;
3. ``ask``: the graph's own question to the instructor of record, an interrupt in the same
   :class:`~policies.approvals.ApprovalRequest` schema, answered with an **edit** giving a final
   ``grade`` or a new ``extend_to`` date (or a reject or comment);
4. ``resolve``: ``banner_resolve_incomplete`` with the instructor's answer, which the guard
   holds for a **registrar** to confirm; then the outcome.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_config
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.deps import GraphDeps
from agents.events import GradeEntered, parse_event
from agents.routing import ROLES, Specialist
from agents.rules.adapters import late_work_dates
from agents.rules.incompletes import IncompletePolicy, NextStep, RegistrationGrading, next_step
from agents.specialists.calls import GuardedSteps, compose, finish, real_pidm, results
from agents.specialists.incomplete_contract import (
    answered_terms,
    chair,
    close,
    draft,
    extend,
    gather,
)
from agents.state import AgentState
from agents.toolbox import ToolContext
from agents.toolbox.contracts import ContractStatus
from core.clock import utcnow
from core.errors import ValidationFailed
from policies.approvals import (
    ActionRequest,
    ApprovalRequest,
    Approver,
    Edit,
    Requester,
    describe,
    parse_decision,
    refusal_of_approver,
    request_id,
)
from policies.scope import Subject
from tools.canvas.models import SubmissionInfo

ROLE = ROLES[Specialist.INCOMPLETES]
ACTION = "banner_resolve_incomplete"


class IncompletesConfig(BaseModel):
    """Grading deadlines by term and how near a date must be to ask."""

    model_config = ConfigDict(frozen=True)

    grading_deadlines: dict[str, date] = Field(default_factory=dict)
    ask_within_days: int = Field(7, ge=0)
    time_zone: str = Field("UTC", description="The institution's, for late-work dates.")


class IncompletesState(AgentState, total=False):
    """Private channels (the router sees only :class:`AgentState`)."""

    registration: dict[str, Any]
    """``term``, ``crn``, ``pidm`` (real), ``explanation`` of the rule's verdict, the
    ``default_grade`` Banner lapses the I to."""
    terms: dict[str, Any]
    """The instructor's extension: ``extend_to``, ``work_remaining``, ``answered_at``."""
    contract: dict[str, Any]
    """The kept contract: ``id``, ``sha256``, ``template``, ``department`` (never its text)."""


def _keys(event: GradeEntered) -> tuple[str, str]:
    return f"grading:{event.crn}", f"late:{event.crn}"


def _read(state: IncompletesState) -> dict[str, Any]:
    try:
        event = parse_event(state.get("event"))
    except ValidationError as exc:
        return finish("dead_letter", f"invalid event: {exc.error_count()} problem(s)")
    if not isinstance(event, GradeEntered):
        return finish("dead_letter", f"the incompletes specialist does not handle {event.kind}")
    grading, late = _keys(event)
    section = {"term": event.term_code, "crn": event.crn}
    return {
        "messages": [
            compose("banner_get_section_grading", section, grading),
            compose("canvas_get_submissions", section | {"pidm": event.pidm}, late),
        ]
    }


class _Classifier:
    def __init__(self, deps: GraphDeps, config: IncompletesConfig) -> None:
        self.deps = deps
        self.config = config

    def __call__(self, state: IncompletesState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
        event = parse_event(state["event"])
        assert isinstance(event, GradeEntered)
        store = runtime.context.contracts
        if store is not None and event.grade_code not in (None, "I"):
            resolved = store.resolve_active(event.term_code, event.crn, event.pidm)
            if resolved:
                return finish(
                    "done", f"a completed grade resolved {resolved} contract(s)",
                    {"contracts_resolved": resolved},
                )  # fmt: skip
        grading_id, late_id = _keys(event)
        found = results(state["messages"], [grading_id, late_id])
        grading = found.get(grading_id)
        if grading is None or not grading.ok:
            return finish("dead_letter", f"section {event.crn} could not be read")
        vault = runtime.context.vault
        reg = next(
            (r for r in grading.data["registrations"] if real_pidm(vault, r["pidm"]) == event.pidm),
            None,
        )
        if reg is None:
            return finish("dead_letter", "the student is not enrolled in the section (yet)")
        deadline = self.config.grading_deadlines.get(event.term_code)
        if deadline is None:
            return finish("needs_person", f"no grading deadline configured for {event.term_code}")
        late = found.get(late_id)
        submissions = (
            [SubmissionInfo.model_validate(s) for s in late.data] if late and late.ok else []
        )
        step = next_step(
            RegistrationGrading(
                pidm=event.pidm,
                sis_user_id=str(reg["pidm"]),
                crn=event.crn,
                gradable=reg["gradable"],
                final_grade=reg["grade"],
                incomplete_final_grade=reg["incomplete_final_grade"],
                incomplete_ext_date=reg["incomplete_ext_date"],
                late_work=late_work_dates(submissions, ZoneInfo(self.config.time_zone)),
            ),
            IncompletePolicy(
                grading_deadline=deadline, ask_within_days=self.config.ask_within_days
            ),
            self.deps.today(),
        )
        if step.step is not NextStep.ASK_INSTRUCTOR:
            return finish("noop", step.explanation)
        return {
            "registration": {
                "term": event.term_code, "crn": event.crn, "pidm": event.pidm,
                "explanation": step.explanation, "reason": step.reason.value,
                "default_grade": reg["incomplete_final_grade"],
            }
        }  # fmt: skip


def _ask(deps: GraphDeps) -> Any:
    """The ``ask`` node: its requests live as long as the guard's approvals do."""

    def node(state: IncompletesState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
        return _question(state, runtime.context, deps.guard.approvals.ttl)

    return node


def _chair(deps: GraphDeps) -> Any:
    """The ``chair`` node: the department chair's approval of the contract."""

    def node(state: IncompletesState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
        return chair(dict(state), runtime.context, deps.guard.approvals.ttl)

    return node


def _question(state: IncompletesState, ctx: ToolContext, ttl: timedelta) -> dict[str, Any]:
    """Interrupt for the instructor of record; on resume, compose the registrar-held write.

    Re-runs from the top on resume: everything before ``interrupt`` only builds the request.
    """
    if state.get("outcome"):
        return {}
    reg = state["registration"]
    thread = (get_config().get("configurable") or {}).get("thread_id")
    args = {"term": reg["term"], "crn": reg["crn"], "pidm": reg["pidm"]}
    now = utcnow()
    request = ApprovalRequest(
        id=request_id(thread, f"ask:{reg['term']}:{reg['crn']}:{reg['pidm']}"),
        action_request=ActionRequest(action=ACTION, args=args | {"grade": None, "extend_to": None}),
        description=describe(
            ACTION,
            {"term": reg["term"], "crn": reg["crn"]},
            f"{reg['explanation']} Answer with an edit giving a final `grade`, or a new "
            "`extend_to` date with the `work_remaining`: that makes a contract for the "
            "department chair and then a registrar to approve before Banner changes.",
            [f"rule: {reg['reason']}", "asked by the incompletes workflow"],
        ),
        allowed_responses=["edit", "reject", "comment"],
        approver=Approver.INSTRUCTOR_OF_RECORD,
        requested_by=Requester.of(ctx.principal),
        subject={"student": reg["pidm"], "term": reg["term"], "crn": reg["crn"]},
        thread_id=thread,
        created_at=now,
        expires_at=now + ttl,
    )
    answer = interrupt(request.model_dump(mode="json"))
    try:
        decision = parse_decision(answer)
    except ValidationFailed as exc:
        return finish("rejected", f"the instructor's answer was refused: {exc}")
    refusal = refusal_of_approver(
        request.approver,
        decision.by,
        request.requested_by,
        Subject(student=reg["pidm"], term=reg["term"], crn=reg["crn"]),
        ctx.directory,
    )
    if refusal:
        return finish("rejected", f"answer by {decision.by.actor} refused: {refusal}")
    if not isinstance(decision, Edit):
        said = getattr(decision, "reason", "") or getattr(decision, "text", "")
        return finish("rejected", f"the instructor declined: {said or 'no reason given'}")
    if decision.args.get("extend_to"):
        return {"terms": answered_terms(decision.args), "messages": gather(reg)}
    chosen = {k: decision.args.get(k) for k in ("grade", "extend_to")}
    why = (
        f"The instructor of record ({decision.by.actor}) answered: "
        + ", ".join(f"{k} {v}" for k, v in chosen.items() if v)
        + f". {reg['explanation']}"
    )
    return {"messages": [compose(ACTION, args | chosen, f"resolve:{reg['crn']}", why)]}


def _record(state: IncompletesState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
    if state.get("outcome"):
        return {}
    reg = state["registration"]
    done = results(state["messages"], [f"resolve:{reg['crn']}"]).get(f"resolve:{reg['crn']}")
    contract = state.get("contract")
    if done is None:
        return finish("needs_person", "no resolution was attempted")
    if not done.ok:
        if contract:
            runtime.context.contract_store().set_status(contract["id"], ContractStatus.REJECTED)
        return finish("rejected", f"not changed in Banner: {done.text}")
    data = done.data
    if contract:
        return extend(dict(state), runtime.context, data)
    return finish(
        "done",
        f"Banner now holds grade {data['grade']} (extension {data['incomplete_ext_date']}).",
        {"resolved": 1},
    )


def build(
    deps: GraphDeps,
    config: IncompletesConfig | None = None,
    checkpointer: BaseCheckpointSaver[str] | None = None,
) -> CompiledStateGraph[IncompletesState, ToolContext, AgentState, AgentState]:
    """The incompletes graph, asking by ``config`` (else the deployment's grading deadlines).

    Without a checkpointer it uses its parent's (the router's).
    """
    graph = StateGraph(
        IncompletesState,
        context_schema=ToolContext,
        input_schema=AgentState,
        output_schema=AgentState,
    )
    steps = GuardedSteps(graph, deps.guard, ROLE)
    graph.add_node("read", _read)
    config = config or IncompletesConfig(grading_deadlines=dict(deps.grading_deadlines))
    graph.add_node("classify", _Classifier(deps, config))
    graph.add_node("ask", _ask(deps))
    graph.add_node("draft", lambda s, runtime: draft(dict(s), runtime.context))
    graph.add_node("chair", _chair(deps))
    graph.add_node("record", _record)
    graph.add_node("close", lambda s: close(dict(s)))
    graph.add_edge(START, "read")
    steps.add("read", "read_tools", "classify")
    steps.unless_finished("classify", "ask")
    steps.add("ask", "ask_tools", "draft")
    steps.unless_finished("draft", "chair")
    steps.add("chair", "resolve_tools", "record")
    steps.add("record", "canvas_tools", "close")
    graph.add_edge("close", END)
    return graph.compile(checkpointer=checkpointer, name="incompletes")
