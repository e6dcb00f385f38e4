"""Early alerts: engagement and standing → a transparent risk score → outreach an advisor approves.

The score and who is flagged come from :func:`agents.rules.risk.assess_risk`; the drafter (model
or template) only words the outreach, from pseudonyms and the score's reasons. All through the
guard:

1. ``scope``: ``scheduled.scan_engagement`` lists the term's sections; ``canvas.submission`` on a
   course addressed by its one-section SIS id scans that section; hold events need no scan of
   their own (holds are a feature of the next scan) and end as ``noop``;
2. ``read``: per section, the Canvas analytics summaries and enrollments and the Banner roster;
3. ``standing``: per rostered student active in Canvas, Banner standing, GPA and holds;
4. ``assess``: the score; each flagged student gets a drafted ``canvas_send_message`` for their
   advisor to approve, edit or reject (parallel interrupts);
5. ``follow_up``: for each message sent, an advising comment (SZRCMNT) recording it, for the
   advisor to approve; for each suggested hold, ``banner_place_hold`` for a registrar;
6. ``record``: the figures.

Outreach bodies carry the run's pseudonyms until the guard re-identifies them at the last step.
The runtime keeps each thread's vault encrypted in the app database (``runtime.vaults``), so a
paused outreach can be resumed by another process; a vault that is missing all the same makes
the send refused ("pseudonyms this run never issued") and recorded as declined, never sent with
placeholders.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from pydantic import ValidationError

from agents.deps import GraphDeps
from agents.drafting import DraftRequest, drafted_by
from agents.events import CanvasSubmission, HoldPlaced, HoldReleased, ScanEngagement, parse_event
from agents.routing import ROLES, Specialist
from agents.rules.adapters import from_banner_standing, from_canvas_engagement
from agents.rules.risk import RiskAssessment, RiskPolicy, assess_risk
from agents.specialists.calls import (
    GuardedSteps,
    active_sections,
    compose,
    finish,
    list_sections,
    real_pidm,
    results,
    section_of_course,
)
from agents.state import AgentState, OutcomeStatus
from agents.toolbox import ToolContext
from tools.banner.models import GpaSummary, HoldSummary, StudentStanding
from tools.canvas.models import EnrollmentInfo, StudentSummary

ROLE = ROLES[Specialist.ALERTS]
OUTREACH_PROMPT = "outreach_draft@1"
_SECTION_READS = ("canvas_get_student_summaries", "canvas_list_enrollments", "banner_get_roster")
_STANDING_READS = ("banner_get_standing", "banner_get_gpa", "banner_get_holds")


class AlertsState(AgentState, total=False):
    """Private channels of the scan (the router sees only :class:`AgentState`)."""

    term: str
    crns: list[str]
    students: list[dict[str, Any]]
    """Per rostered student active in Canvas: ``crn``, ``student`` (pseudonym), ``name``
    (pseudonym), ``pidm`` (real), ``summary`` and ``enrollment`` (redacted Canvas JSON)."""
    flagged: list[dict[str, Any]]
    """Per outreach call: ``call_id``, ``pidm``, ``student``, ``score``, ``reasons``, ``hold``."""
    figures: dict[str, int]


def _scope(state: AlertsState) -> dict[str, Any]:
    try:
        event = parse_event(state.get("event"))
    except ValidationError as exc:
        return finish("dead_letter", f"invalid event: {exc.error_count()} problem(s)")
    if isinstance(event, ScanEngagement):
        return {"term": event.term_code, "messages": [list_sections(event.term_code)]}
    if isinstance(event, CanvasSubmission):
        section = section_of_course(event.course_id)
        if section is None:
            return finish("noop", f"course {event.course_id} is scanned with its term")
        return {"term": section[0], "crns": [section[1]]}
    if isinstance(event, HoldPlaced | HoldReleased):
        return finish("noop", f"hold {event.hold_code} counts in the student's next scan")
    return finish("dead_letter", f"the alerts specialist does not handle {event.kind}")


def _sections(state: AlertsState) -> dict[str, Any]:
    if "crns" in state or "outcome" in state:
        return {}
    crns = active_sections(state["messages"], state["term"])
    if isinstance(crns, str):
        return finish("dead_letter", f"term {state['term']} could not be read: {crns}")
    return {"crns": crns} if crns else finish("noop", "no active section to scan")


def _read(state: AlertsState) -> dict[str, Any]:
    term = state["term"]
    return {
        "messages": [
            compose(tool, {"term": term, "crn": crn}, f"read:{crn}:{tool}")
            for crn in state["crns"]
            for tool in _SECTION_READS
        ]
    }


def _standing(state: AlertsState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
    """Join Canvas and Banner per student; ask Banner for the standing of each one."""
    students: list[dict[str, Any]] = []
    calls: list[AIMessage] = []
    asked: set[str] = set()
    for crn in state["crns"]:
        found = results(state["messages"], [f"read:{crn}:{t}" for t in _SECTION_READS])
        summaries, enrollments, roster = (found.get(f"read:{crn}:{t}") for t in _SECTION_READS)
        if not all(r is not None and r.ok for r in (summaries, enrollments, roster)):
            continue  # no Canvas course for this section (or no section): nothing to score
        assert summaries is not None and enrollments is not None and roster is not None
        by_user = {s["id"]: s for s in summaries.data}
        by_sis = {
            e["sis_user_id"]: e
            for e in enrollments.data
            if e.get("type") == "StudentEnrollment" and e.get("enrollment_state") == "active"
        }
        for entry in roster.data["enrolled"]:
            enrollment = by_sis.get(entry["banner_id"])
            if enrollment is None or enrollment["user_id"] not in by_user:
                continue
            token = entry["pidm"]
            pidm = real_pidm(runtime.context.vault, token)
            students.append(
                {"crn": crn, "student": token, "name": entry.get("first_name") or token,
                 "pidm": pidm, "summary": by_user[enrollment["user_id"]],
                 "enrollment": enrollment}
            )  # fmt: skip
            if token not in asked:  # a student in two scanned sections is read once
                asked.add(token)
                calls += [
                    compose(tool, {"pidm": pidm, "term": state["term"]}, f"standing:{token}:{tool}")
                    for tool in _STANDING_READS
                ]
    figures = {"sections_scanned": len({s["crn"] for s in students}), "students": len(students)}
    if not students:
        return finish(
            "noop", "no student to score: no scanned section has a Canvas course", figures
        )
    return {"students": students, "messages": calls, "figures": figures}


def _with_pidm(data: Any, pidm: int) -> Any:
    """A redacted Banner record with its PIDM fields given back, to validate as the tool model."""
    if isinstance(data, dict):
        return {k: pidm if k == "pidm" else _with_pidm(v, pidm) for k, v in data.items()}
    if isinstance(data, list):
        return [_with_pidm(v, pidm) for v in data]
    return data


class _Assessor:
    """The ``assess`` node: score, then an outreach draft per flagged student."""

    def __init__(self, deps: GraphDeps, policy: RiskPolicy) -> None:
        self.deps = deps
        self.policy = policy

    def _assess(self, student: dict[str, Any], messages: list[Any]) -> RiskAssessment:
        token, pidm = student["student"], student["pidm"]
        found = results(messages, [f"standing:{token}:{t}" for t in _STANDING_READS])
        standing, gpa, holds = (found.get(f"standing:{token}:{t}") for t in _STANDING_READS)
        as_of = datetime.combine(self.deps.today(), time(12), UTC)
        return assess_risk(
            from_canvas_engagement(
                StudentSummary.model_validate(student["summary"]),
                EnrollmentInfo.model_validate(student["enrollment"]),
                as_of,
            ),
            from_banner_standing(
                StudentStanding.model_validate(_with_pidm(standing.data, pidm))
                if standing and standing.ok
                else None,
                GpaSummary.model_validate(_with_pidm(gpa.data, pidm)) if gpa and gpa.ok else None,
                HoldSummary.model_validate(_with_pidm(holds.data, pidm))
                if holds and holds.ok
                else None,
            ),
            self.policy,
        )

    def __call__(self, state: AlertsState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
        """Score every student, then draft the flagged ones' outreach concurrently."""
        scored = [(s, self._assess(s, state["messages"])) for s in state["students"]]
        flagged_students = [(s, risk) for s, risk in scored if risk.flagged]
        drafts = self.deps.drafter.draft_many(
            [
                DraftRequest(
                    prompt_ref=OUTREACH_PROMPT,
                    variables={
                        "student": student["name"],
                        "course": f"your course (CRN {student['crn']})",
                        "reasons": [r.explanation for r in risk.reasons],
                        "advisor": "Your advisor",
                    },
                )
                for student, risk in flagged_students
            ],
            runtime.context.vault,
        )
        calls, flagged = [], []
        for (student, risk), draft in zip(flagged_students, drafts, strict=True):
            reasons = [r.explanation for r in risk.reasons]
            call_id = f"outreach:{student['crn']}:{student['student']}"
            why = (
                f"Early-alert score {risk.score:.2f} (flag at {self.policy.flag_at}) from: "
                + "; ".join(f"{r.feature.value} +{r.contribution:.2f}" for r in risk.reasons)
                + f". {drafted_by(draft)}"
            )
            calls.append(
                compose(
                    "canvas_send_message",
                    {"pidm": student["pidm"], "subject": "Checking in about your course",
                     "body": draft.text},
                    call_id,
                    why,
                )
            )  # fmt: skip
            flagged.append(
                {"call_id": call_id, "pidm": student["pidm"], "student": student["student"],
                 "score": risk.score, "reasons": reasons, "hold": risk.suggest_hold}
            )  # fmt: skip
        figures = dict(state["figures"]) | {"flagged": len(flagged)}
        if not flagged:
            return finish("noop", "no student reached the alert threshold", figures)
        return {"messages": calls, "flagged": flagged, "figures": figures}


class _FollowUp:
    """Comments for sent messages (advisor approves) and suggested holds (registrar approves)."""

    def __init__(self, policy: RiskPolicy) -> None:
        self.policy = policy

    def __call__(self, state: AlertsState) -> dict[str, Any]:
        flagged = state["flagged"]
        sent = results(state["messages"], [f["call_id"] for f in flagged])
        calls = []
        for f in flagged:
            if sent[f["call_id"]].ok:
                text = (
                    f"Early-alert outreach sent through Canvas (risk score {f['score']:.2f}). "
                    + " ".join(f["reasons"])
                )
                calls.append(
                    compose(
                        "banner_add_advising_comment",
                        {"pidm": f["pidm"], "term": state["term"], "text": text},
                        f"comment:{f['student']}",
                        "Record the approved outreach in the advising notes.",
                    )
                )
            if f["hold"]:
                calls.append(
                    compose(
                        "banner_place_hold",
                        {"pidm": f["pidm"], "code": self.policy.advising_hold_code,
                         "reason": "Early alert: see advisor"},
                        f"hold:{f['student']}",
                        f"Risk score {f['score']:.2f} reached the advising-hold suggestion at "
                        f"{self.policy.suggest_hold_at}.",
                    )
                )  # fmt: skip
        return {"messages": calls}


def _record(state: AlertsState) -> dict[str, Any]:
    flagged = state["flagged"]
    ids = [f["call_id"] for f in flagged]
    ids += [f"{kind}:{f['student']}" for f in flagged for kind in ("comment", "hold")]
    done = results(state["messages"], ids)

    def count(prefix: str, ok: bool) -> int:
        return sum(1 for i, r in done.items() if i.startswith(prefix) and r.ok is ok)

    figures = dict(state["figures"]) | {
        "sent": count("outreach:", True),
        "declined": count("outreach:", False),
        "comments": count("comment:", True),
        "holds_placed": count("hold:", True),
        "holds_declined": count("hold:", False),
    }
    status: OutcomeStatus = "done" if figures["sent"] else "rejected"
    detail = f"{figures['flagged']} flagged, {figures['sent']} outreach sent"
    return finish(status, detail, figures)


def build(
    deps: GraphDeps,
    policy: RiskPolicy | None = None,
    checkpointer: BaseCheckpointSaver[str] | None = None,
) -> CompiledStateGraph[AlertsState, ToolContext, AgentState, AgentState]:
    """The early-alert graph; without a checkpointer it uses its parent's (the router's)."""
    rules = policy or RiskPolicy()
    graph = StateGraph(
        AlertsState, context_schema=ToolContext, input_schema=AgentState, output_schema=AgentState
    )
    steps = GuardedSteps(graph, deps.guard, ROLE)
    graph.add_node("scope", _scope)
    graph.add_node("sections", _sections)
    graph.add_node("read", _read)
    graph.add_node("standing", _standing)
    graph.add_node("assess", _Assessor(deps, rules))
    graph.add_node("follow_up", _FollowUp(rules))
    graph.add_node("record", _record)
    graph.add_edge(START, "scope")
    steps.add("scope", "list_tools", "sections")
    steps.unless_finished("sections", "read")
    steps.add("read", "read_tools", "standing")
    steps.add("standing", "standing_tools", "assess")
    steps.add("assess", "outreach_tools", "follow_up")
    steps.add("follow_up", "follow_up_tools", "record")
    graph.add_edge("record", END)
    return graph.compile(checkpointer=checkpointer, name="alerts")
