"""Section provisioning: a Banner section becomes a Canvas course when the rule says it is due.

``read`` asks Banner for the section (``banner_get_section``); ``decide`` applies
:func:`agents.rules.provisioning.provisioning_due` (active, first class within the window);
``ensure`` makes the course from the department's template (``canvas_ensure_course``: one Canvas
section per CRN, a cross-list group in one course); ``staff`` enrolls the SIRASGN instructors
(``canvas_enroll_instructors``); ``record`` sets the outcome. An instructor with no Canvas
account becomes a :class:`PersonException`.

A cancelled section is handed to a person: whether its course is concluded or deleted, and what
students are told, is not a rule's call. ``decide`` then asks Canvas who still has access
(``canvas_list_enrollments`` on the CRN's section) instead of making a course, and the exception
names what the person needs: the course (title, Canvas SIS id, a cross-list group's shared
course), Banner's enrolled and wait-listed counts and Canvas's students with access. The counts
are in the outcome's figures too; the sentence carries them to the exceptions queue, whose
records have no room for more fields.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agents.deps import GraphDeps
from agents.events import SectionCancelled, SectionChanged, SectionCreated, parse_event
from agents.routing import ROLES, Specialist
from agents.rules.provisioning import not_due_reason, provisioning_due
from agents.specialists.calls import CallResult, GuardedSteps, compose, finish, results
from agents.specialists.sync import Compiled, exceptions_of, refused
from agents.state import AgentState, PersonException
from agents.toolbox import ToolContext
from core.ids import course_sis_id

READ, ENSURE, STAFF = "banner_get_section", "canvas_ensure_course", "canvas_enroll_instructors"
LIST = "canvas_list_enrollments"
ACCESS = frozenset({"active", "invited"})
"""Canvas enrollment states that still give a student the course."""


SectionEvent = SectionCreated | SectionChanged | SectionCancelled


def _event(state: AgentState) -> SectionEvent:
    event = parse_event(state["event"])
    assert isinstance(event, SectionEvent)
    return event


def _call(event: SectionEvent, tool: str, text: str) -> dict[str, Any]:
    args = {"term": event.term_code, "crn": event.crn}
    return {"messages": [compose(tool, args, f"{event.event_id}:{tool}", text)]}


def _read(state: AgentState) -> dict[str, Any]:
    event = _event(state)
    return _call(event, READ, f"{event.kind}: read section {event.term_code}/{event.crn}.")


def _decide(deps: GraphDeps) -> Any:
    def decide(state: AgentState) -> dict[str, Any]:
        event = _event(state)
        where = f"section {event.term_code}/{event.crn}"
        section = results(state.get("messages", []), [f"{event.event_id}:{READ}"])
        found = next(iter(section.values()))
        if not found.ok:
            return finish("dead_letter", f"{where}: {found.text}")
        status = str(found.data["status"])
        start = date.fromisoformat(found.data["start_date"]) if found.data["start_date"] else None
        if isinstance(event, SectionCancelled) or status == "C":
            return _call(event, LIST, f"{where} was cancelled: who still has its Canvas course?")
        window = deps.provisioning.window_days
        if not provisioning_due(status, start, deps.today(), window):
            return finish("noop", f"{where}: {not_due_reason(status, start, window)}")
        return _call(event, ENSURE, f"{where} is active and due: make its Canvas course.")

    return decide


def _handover(event: SectionEvent, section: dict[str, Any], listed: CallResult) -> dict[str, Any]:
    """A cancelled section for a person, with the course and who is (still) in it."""
    where = f"section {event.term_code}/{event.crn}"
    title = f" {section['title']}" if section["title"] else ""
    label = f"{section['subject']} {section['course_number']}-{section['sequence']}{title}"
    group = section["crosslist_group"]
    course = course_sis_id(event.term_code, event.crn, group)
    figures = {
        "banner_enrolled": int(section["enrollment"]),
        "banner_waitlisted": int(section["wait_count"]),
    }
    if listed.ok:
        figures["canvas_with_access"] = sum(
            e["type"] == "StudentEnrollment" and e["enrollment_state"] in ACCESS
            for e in listed.data
        )
        shared = f" (shared with cross-list group {group})" if group else ""
        canvas = (
            f"Canvas course {course}{shared}:"
            f" {figures['canvas_with_access']} students still have access"
        )
    else:
        canvas = f"Canvas could not say who has access ({listed.text})"
    exception = PersonException(
        kind="section_cancelled",
        detail=f"Banner cancelled {label} ({where}) with"
        f" {figures['banner_enrolled']} enrolled and {figures['banner_waitlisted']} wait-listed;"
        f" {canvas}. Decide whether the course is concluded or deleted and what students are"
        " told.",
        term=event.term_code,
        crn=event.crn,
    )
    return {
        **finish("needs_person", f"{where} was cancelled", figures),
        "exceptions": [exception.model_dump()],
    }


def _staff(state: AgentState) -> dict[str, Any]:
    """Teachers for the course just ensured; for a cancelled section, the handover instead."""
    event = _event(state)
    messages = state.get("messages", [])
    listed = results(messages, [f"{event.event_id}:{LIST}"])
    if listed:
        section = results(messages, [f"{event.event_id}:{READ}"])[f"{event.event_id}:{READ}"]
        return _handover(event, section.data, listed[f"{event.event_id}:{LIST}"])
    ensured = results(messages, [f"{event.event_id}:{ENSURE}"])
    course = next(iter(ensured.values()))
    if not course.ok:
        return {"outcome": refused(course).model_dump()}
    return _call(event, STAFF, "Enroll the section's Banner instructors as its Canvas teachers.")


def _record(state: AgentState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
    event = _event(state)
    ids = [f"{event.event_id}:{ENSURE}", f"{event.event_id}:{STAFF}"]
    found = results(state.get("messages", []), ids)
    course, staff = found[ids[0]], found[ids[1]]
    if not staff.ok:
        return {"outcome": refused(staff).model_dump()}
    made = {f"made_{k}": int(v) for k, v in course.data["applied"].items()}
    figures = {
        **made,
        "teachers_enrolled": int(staff.data["enrolled"]),
        "users_created": int(staff.data["users_created"]),
    }
    exceptions = exceptions_of(course, runtime) + exceptions_of(staff, runtime)
    where = f"section {event.term_code}/{event.crn}"
    if exceptions:
        update = finish("needs_person", f"{where} provisioned; some staff wait", figures)
        return {**update, "exceptions": exceptions}
    return finish("done", f"{where} provisioned in Canvas", figures)


def build(deps: GraphDeps) -> Compiled:
    """The provisioning specialist: read → decide → ensure → staff → record."""
    graph = StateGraph(AgentState, context_schema=ToolContext)
    graph.add_node("read", _read)
    graph.add_node("decide", _decide(deps))
    graph.add_node("staff", _staff)
    graph.add_node("record", _record)
    graph.add_edge(START, "read")
    steps = GuardedSteps(graph, deps.guard, ROLES[Specialist.PROVISIONING])
    steps.add("read", "read_tools", "decide")
    steps.add("decide", "ensure_tools", "staff")  # a cancelled section's LIST call too
    steps.add("staff", "staff_tools", "record")
    graph.add_edge("record", END)
    return graph.compile()
