"""Grade passback: Canvas final scores → the grading scheme → Banner codes, approved per student.

The rules (:mod:`agents.rules.grades`) decide every proposal and refusal; this graph only moves
facts in and calls out, all through the guard:

1. ``scope``: ``scheduled.close_grading`` reads the term's sections; ``canvas.grade_change`` on a
   course addressed by its SIS id (``{term}-{crn}``) reads that one section's Banner grading
   facts, and ``sections`` grades it again only once its passback has begun
   (:func:`~agents.rules.grades.passback_begun`): Canvas fires a grade change for every
   assignment graded all term, and asking the instructor to approve partial-term scores as
   final grades on each one would bury the real approvals. Before then the run is a ``noop``.
   After, a change that names its student (``user_sis_id``) re-decides that student alone:
   the others' approvals from close of grading are likely still pending, and re-deciding them
   on every change would queue them again;
2. ``read``: per section, Banner's grading facts, Canvas's final grades and grading scheme;
3. ``plan``: :func:`~agents.rules.grades.plan_passback`; each anomaly is explained by the drafter
   (model or template); refusals and missing scores become exceptions for a person; every grade
   Banner does not hold yet becomes one ``banner_post_grade`` call, all dispatched at once, so
   the instructor of record gets **parallel interrupts**, one per student;
4. ``verify``: once every call is answered (approved, edited or rejected), read Banner back;
5. ``record``: compare what was posted with what Banner holds and set the outcome figures.

A section without a Canvas course is skipped at close of grading (not every section has one)
and is an exception when a grade change names it once its passback has begun.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from pydantic import ValidationError

from agents.deps import GraphDeps
from agents.drafting import DraftRequest
from agents.events import CanvasGradeChange, CloseGrading, parse_event
from agents.routing import ROLES, Specialist
from agents.rules.adapters import from_canvas_grading_standard
from agents.rules.grades import (
    AnomalyThresholds,
    GradeDecision,
    SectionGrading,
    StudentGrade,
    ValidGrade,
    passback_begun,
    plan_passback,
)
from agents.specialists.calls import (
    CallResult,
    GuardedSteps,
    active_sections,
    compose,
    finish,
    list_sections,
    real_pidm,
    results,
    section_of_course,
)
from agents.state import AgentState, OutcomeStatus, PersonException
from agents.toolbox import ToolContext
from policies.pii.models import PiiType
from tools.canvas.models import GradingStandardInfo

ROLE = ROLES[Specialist.GRADES]
ANOMALY_PROMPT = "grade_anomaly_explain@1"
_GRADING = "banner_get_section_grading"
_READS = (_GRADING, "canvas_get_final_grades", "canvas_get_grading_standard")


class GradesState(AgentState, total=False):
    """Private channels of the passback run (the router sees only :class:`AgentState`)."""

    term: str
    crns: list[str]
    proposals: list[dict[str, Any]]
    """Per posting call: ``call_id``, ``crn``, ``student`` (pseudonym), proposed ``code``."""
    figures: dict[str, int]


def _scope(state: GradesState) -> dict[str, Any]:
    """Which sections to grade, from the event; anything else ends here with a reason."""
    try:
        event = parse_event(state.get("event"))
    except ValidationError as exc:
        return finish("dead_letter", f"invalid event: {exc.error_count()} problem(s)")
    if isinstance(event, CloseGrading):
        return {"term": event.term_code, "messages": [list_sections(event.term_code)]}
    if isinstance(event, CanvasGradeChange):
        section = section_of_course(event.course_id)
        if section is None:
            return finish(
                "noop",
                f"course {event.course_id} is not one section's SIS course; its sections are "
                "graded at close of grading",
            )
        term, crn = section
        return {
            "term": term,
            "crns": [crn],
            "messages": [_read_call(_GRADING, term, crn)],
        }
    return finish("dead_letter", f"the grades specialist does not handle {event.kind}")


def _grade_change(state: GradesState) -> CanvasGradeChange | None:
    """The run's event when it is a grade change: graded again only once passback has begun."""
    event = parse_event(state.get("event"))
    return event if isinstance(event, CanvasGradeChange) else None


def _read_call(tool: str, term: str, crn: str) -> AIMessage:
    return compose(tool, {"term": term, "crn": crn}, f"read:{crn}:{tool}")


def _sections(state: GradesState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
    """The term's active, gradable sections, or the grade change's section if it is due."""
    if "outcome" in state:
        return {}
    if _grade_change(state) is not None:
        return _unless_passback_pending(state, runtime.context)
    if "crns" in state:
        return {}
    term = state["term"]
    crns = active_sections(state["messages"], term)
    if isinstance(crns, str):
        return finish("dead_letter", f"term {term} could not be read: {crns}")
    if not crns:
        return finish("noop", f"term {term} has no active gradable section")
    return {"crns": crns}


def _unless_passback_pending(state: GradesState, ctx: ToolContext) -> dict[str, Any]:
    """End a grade change's run before Canvas is read, unless a final grade is in Banner.

    Decided on Banner's facts alone, so a change mid-term costs one read and asks nobody. A
    section Banner cannot read goes on, for ``plan`` to put before a person as it always has.
    """
    term, (crn,) = state["term"], state["crns"]
    call_id = f"read:{crn}:{_GRADING}"
    grading = results(state["messages"], [call_id]).get(call_id)
    if grading is None or not grading.ok or passback_begun(_students(grading.data, [], ctx)):
        return {}
    return finish(
        "noop",
        f"no final grade has been posted for section {term}/{crn} yet; final grades are "
        "proposed at close of grading",
    )


def _text(result: CallResult | None) -> str:
    return result.text if result is not None else "no answer"


def _read(state: GradesState) -> dict[str, Any]:
    """Three reads per section, dispatched together (less any a grade change already made)."""
    term = state["term"]
    wanted = {f"read:{crn}:{tool}": (tool, crn) for crn in state["crns"] for tool in _READS}
    made = results(state["messages"], wanted)
    calls = [_read_call(tool, term, crn) for key, (tool, crn) in wanted.items() if key not in made]
    return {"messages": calls}


def _students(
    grading: dict[str, Any], finals: list[dict[str, Any]], ctx: ToolContext
) -> list[StudentGrade]:
    """Banner registrations joined to Canvas scores on the (pseudonymised) Banner ID."""
    scores = {
        e.get("sis_user_id"): (e.get("grades") or {}).get("final_score")
        for e in finals
        if e.get("type") == "StudentEnrollment"
    }
    codes = grading["grade_codes"]
    students = []
    for reg in grading["registrations"]:
        if not reg["gradable"]:
            continue
        score = scores.get(reg["banner_id"])
        students.append(
            StudentGrade(
                pidm=real_pidm(ctx.vault, reg["pidm"]),
                sis_user_id=str(reg["pidm"]),  # the pseudonym names the student downstream
                final_score=None if score is None else Decimal(str(score)),
                banner_grade=reg["grade"],
                rolled_to_history=reg["rolled_to_history"],
                valid_grades=tuple(
                    ValidGrade(
                        code=c["code"],
                        quality_points=Decimal(str(c["quality_points"])),
                        counts_in_gpa=c["counts_in_gpa"],
                    )
                    for c in codes.get(reg["level"], [])
                ),
                gpa=None if reg["overall_gpa"] is None else Decimal(str(reg["overall_gpa"])),
                gpa_hours=Decimal(str(reg["overall_gpa_hours"] or 0)),
            )
        )
    return students


def _named_student(state: GradesState, ctx: ToolContext) -> str | None:
    """The run's pseudonym for the Banner ID a grade change names, if it names one.

    Read results carry Banner IDs as the vault's pseudonyms, so the event's raw ID is matched in
    the same form and no copy of it is added to state or a message. Derived when needed rather than
    kept in state, as a token stored there would mean nothing to another process's vault.
    """
    event = _grade_change(state)
    raw = event.user_sis_id.strip() if event is not None and event.user_sis_id else ""
    return ctx.vault.pseudonym(PiiType.BANNER_ID, raw) if raw else None


def _registration_of(grading: dict[str, Any], banner_id: str) -> str | None:
    """Decisions name a student by pseudonymised PIDM (see _students), an event by Banner ID."""
    return next(
        (
            str(reg["pidm"])
            for reg in grading["registrations"]
            if reg["gradable"] and reg["banner_id"] == banner_id
        ),
        None,
    )


class _Planner:
    """The ``plan`` node: rules → proposals, exceptions and posting calls."""

    def __init__(self, deps: GraphDeps, thresholds: AnomalyThresholds) -> None:
        self.deps = deps
        self.thresholds = thresholds

    def __call__(self, state: GradesState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
        term, ctx = state["term"], runtime.context
        calls, proposals, exceptions = [], [], []
        to_post: list[tuple[str, GradeDecision]] = []
        figures = {"sections": 0, "proposed": 0, "unchanged": 0, "refused": 0, "missing": 0}
        figures["sections_without_course"] = 0
        named, unmatched = _named_student(state, ctx), False
        for crn in state["crns"]:
            found = results(state["messages"], [f"read:{crn}:{tool}" for tool in _READS])
            grading, finals, standard = (found.get(f"read:{crn}:{tool}") for tool in _READS)
            if grading is None or not grading.ok:
                exceptions.append(_exception("grading_section_unreadable", grading, term, crn))
                continue
            if finals is None or not finals.ok or standard is None or not standard.ok:
                if len(state["crns"]) > 1:  # close of grading: not every section is in Canvas
                    figures["sections_without_course"] += 1
                else:
                    exceptions.append(_exception("grading_course_unreadable", finals, term, crn))
                continue
            figures["sections"] += 1
            only = None if named is None else _registration_of(grading.data, named)
            if named is not None and only is None:
                unmatched = True
                continue
            scheme = (
                None
                if standard.data is None
                else from_canvas_grading_standard(GradingStandardInfo.model_validate(standard.data))
            )
            batch = plan_passback(
                SectionGrading(term_code=term, crn=crn, scheme=scheme),
                _students(grading.data, finals.data, ctx),
                self.thresholds,
                only,
            )
            for decision in batch.decisions:
                if decision.refusal is not None or decision.code is None:
                    kind = "refused" if decision.refusal is not None else "missing"
                    figures[kind] += 1
                    exceptions.append(_decision_exception(decision, term, crn))
                elif decision.needs_posting:
                    to_post.append((crn, decision))
                else:
                    figures["unchanged"] += 1
        for (crn, decision), checks in zip(to_post, self._explain(to_post, term, ctx), strict=True):
            call_id = f"post:{crn}:{decision.sis_user_id}"
            calls.append(
                compose(
                    "banner_post_grade",
                    {"term": term, "crn": crn, "pidm": decision.pidm, "grade": decision.code},
                    call_id,
                    _reasoning(decision, checks),
                )
            )
            proposals.append(
                {"call_id": call_id, "crn": crn, "student": decision.sis_user_id,
                 "code": decision.code}
            )  # fmt: skip
        figures["proposed"] = len(calls)
        update: dict[str, Any] = {
            "messages": calls,
            "proposals": proposals,
            "exceptions": exceptions,
            "figures": figures,
        }
        if not calls:
            detail = (
                f"the student this grade change names has no gradable registration in section "
                f"{term}/{state['crns'][0]}; nothing to re-grade"
                if unmatched
                else "no grade to post"
            )
            update |= finish("noop", detail, figures)
        return update

    def _explain(
        self, to_post: list[tuple[str, GradeDecision]], term: str, ctx: ToolContext
    ) -> list[list[str]]:
        """Each decision's anomalies in drafted sentences, drafted concurrently for the batch."""
        requests = [
            DraftRequest(
                prompt_ref=ANOMALY_PROMPT,
                variables={
                    "student": decision.sis_user_id,
                    "course": f"CRN {crn} ({term})",
                    "grade": decision.code,
                    "check": anomaly.kind.value,
                    "evidence": anomaly.explanation,
                },
            )
            for crn, decision in to_post
            for anomaly in decision.anomalies
        ]
        drafts = iter(self.deps.drafter.draft_many(requests, ctx.vault))
        return [[next(drafts).text for _ in decision.anomalies] for _, decision in to_post]


def _reasoning(decision: GradeDecision, checks: list[str]) -> str:
    """What the instructor reads: the rule's path and each anomaly in a drafted sentence."""
    lines = [
        f"Canvas final score {decision.score}% gives {decision.letter} under the course's "
        f"grading scheme, Banner code {decision.code} (valid for the student's level); "
        f"Banner holds {decision.banner_grade or 'no grade'}."
    ]
    lines += [f"- Check: {text}" for text in checks]
    return "\n".join(lines)


def _exception(kind: str, result: CallResult | None, term: str, crn: str) -> dict[str, Any]:
    return PersonException(
        kind=kind, detail=f"Section {crn}: {_text(result)}", term=term, crn=crn
    ).model_dump()


def _decision_exception(decision: GradeDecision, term: str, crn: str) -> dict[str, Any]:
    if decision.refusal is not None:
        kind, detail = f"grade_{decision.refusal.value}", decision.refusal_explanation or ""
    else:
        kind = "grade_missing"
        detail = " ".join(a.explanation for a in decision.anomalies)
    return PersonException(
        kind=kind, detail=detail, term=term, crn=crn, pidm=decision.pidm
    ).model_dump()


def _verify(state: GradesState) -> dict[str, Any]:
    """Read back every section where a grade was posted."""
    posted = results(state["messages"], [p["call_id"] for p in state["proposals"]])
    crns = sorted({p["crn"] for p in state["proposals"] if posted[p["call_id"]].ok})
    return {
        "messages": [
            compose(
                "banner_get_section_grading",
                {"term": state["term"], "crn": crn},
                f"readback:{crn}",
                "Read back the posted grades to confirm Banner stored them.",
            )
            for crn in crns
        ]
    }


def _record(state: GradesState) -> dict[str, Any]:
    """Posted, edited, declined and confirmed counts; a mismatch is for a person."""
    proposals = state["proposals"]
    posted = results(state["messages"], [p["call_id"] for p in proposals])
    crns = {p["crn"] for p in proposals}
    backs = results(state["messages"], [f"readback:{crn}" for crn in crns])
    held: dict[tuple[str, str], str | None] = {}
    for crn in crns:
        back = backs.get(f"readback:{crn}")
        if back is not None and back.ok:
            for reg in back.data["registrations"]:
                held[(crn, reg["pidm"])] = reg["grade"]
    figures = dict(state.get("figures", {}))
    figures |= {"posted": 0, "edited": 0, "declined": 0, "confirmed": 0}
    exceptions = []
    for p in proposals:
        result = posted[p["call_id"]]
        if not result.ok:
            figures["declined"] += 1
            continue
        figures["posted"] += 1
        grade = result.data["grade"]
        figures["edited"] += grade != p["code"]
        if held.get((p["crn"], result.data["pidm"])) == grade:
            figures["confirmed"] += 1
        else:
            exceptions.append(
                PersonException(
                    kind="grade_not_confirmed",
                    detail=f"Banner does not show the posted grade {grade} after posting.",
                    term=state["term"],
                    crn=p["crn"],
                ).model_dump()
            )
    status: OutcomeStatus
    if exceptions:
        status = "needs_person"
    elif figures["posted"] == 0:
        status = "rejected"
    else:
        status = "done"
    detail = (
        f"{figures['posted']} grade(s) posted and {figures['confirmed']} confirmed by read-back; "
        f"{figures['declined']} declined"
    )
    return {"exceptions": exceptions} | finish(status, detail, figures)


def build(
    deps: GraphDeps,
    thresholds: AnomalyThresholds | None = None,
    checkpointer: BaseCheckpointSaver[str] | None = None,
) -> CompiledStateGraph[GradesState, ToolContext, AgentState, AgentState]:
    """The passback graph; without a checkpointer it uses its parent's (the router's)."""
    graph = StateGraph(
        GradesState, context_schema=ToolContext, input_schema=AgentState, output_schema=AgentState
    )
    steps = GuardedSteps(graph, deps.guard, ROLE)
    graph.add_node("scope", _scope)
    graph.add_node("sections", _sections)
    graph.add_node("read", _read)
    graph.add_node("plan", _Planner(deps, thresholds or AnomalyThresholds()))
    graph.add_node("verify", _verify)
    graph.add_node("record", _record)
    graph.add_edge(START, "scope")
    steps.add("scope", "list_tools", "sections")
    steps.unless_finished("sections", "read")
    steps.add("read", "read_tools", "plan")
    steps.add("plan", "post_tools", "verify")
    steps.add("verify", "verify_tools", "record")
    graph.add_edge("record", END)
    return graph.compile(checkpointer=checkpointer, name="grades")


__all__: Sequence[str] = ("GradesState", "build")
