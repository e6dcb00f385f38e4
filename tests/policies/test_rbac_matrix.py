"""Every role × every tool through the guard, in scope and out of scope, on the seeded sandbox.

The expected table is written out by hand (it is the policy as a person reads it); the guard's
decisions come from ``policies/rbac.yaml`` and Banner. Tools are stand-ins with the real names
and argument schemas that record whether they ran, so the table tests decisions, not Canvas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import StructuredTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from sqlalchemy import Engine

from agents.toolbox import CATALOGUE, SPECS
from policies.audit import AuditLog
from policies.guard import Guard
from policies.guard_bench import PassThroughRedactor
from policies.pii import PseudonymVault
from policies.rbac import AGENT_ROLES, Principal, Role
from policies.scope import BannerDirectory
from tests.policies.conftest import Cast

ROLES = [
    "provisioning", "roster", "grade", "alert", "support",
    "student", "advisor", "instructor", "registrar", "admin", "evaluator", "helpdesk",
    "chair", "research", "lms_admin",
]  # fmt: skip

# A allow, P needs approval, - deny; "X/Y": X in scope, Y for another student or section.
EXPECTED = """
tool                         prov rostr grade alert supp stud advis instr regis admin eval help chair resrc lms
banner_get_person            -    -     A     -     A/-  A/-  A/-   A/-   A     A     -     -     -     -     A
banner_get_standing          -    -     -     A     A/-  A/-  A/-   -     A     -     -     -     -     -     -
banner_get_gpa               -    -     -     A     A/-  A/-  A/-   -     -     -     -     -     -     -     -
banner_get_holds             -    -     -     A     A/-  A/-  A/-   -     A     -     -     -     -     -     -
banner_get_advisors          -    -     -     A     A/-  A/-  A/-   -     -     -     -     -     -     -     -
banner_get_aid               -    -     -     -     A/-  A/-  -     -     -     -     -     -     -     -     -
banner_get_section           A    A     A     -     A    A    A     A/-   A     A     A     -     -     -     A
banner_get_roster            A    A     A     A     -    -    -     A/-   A     A     -     -     -     -     A
banner_get_instructors       A    -     A     -     -    -    -     A/-   A     A     -     -     -     -     -
banner_post_grade            -    -     P     -     -    -    -     P/-   -     -     -     -     -     -     -
banner_place_hold            -    -     -     P     -    -    -     -     P     -     -     -     -     -     -
banner_release_hold          -    -     -     -     -    -    -     -     P     -     -     -     -     -     -
banner_get_section_grading   -    -     A     -     -    -    -     -     -     -     -     -     -     -     -
banner_get_term_sections     -    -     A     A     -    -    -     -     -     -     -     -     -     -     -
banner_resolve_incomplete    -    -     P     -     -    -    -     -     -     -     -     -     -     -     -
banner_add_advising_comment  -    -     -     P     -    -    P/-   -     -     -     -     -     -     -     -
canvas_enroll_student        A    A     -     -     -    -    -     -     -     A     -     -     -     -     -
canvas_end_enrollments       P    P     -     -     -    -    -     -     P     P     -     -     -     -     -
canvas_list_enrollments      A    A     -     A     -    -    -     A/-   A     A     -     -     -     -     A
canvas_get_final_grades      -    -     A     -     -    -    -     A/-   -     -     -     -     -     -     -
canvas_get_grading_standard  -    -     A     -     -    -    -     -     -     -     -     -     -     -     -
canvas_get_student_summaries -    -     -     A     -    -    -     A/-   -     -     -     -     -     -     -
canvas_get_submissions       -    -     A     A     A/-  A/-  -     A/-   -     -     -     -     -     -     -
canvas_send_message          -    -     -     P     -    -    P/-   -     -     -     -     -     -     -     -
canvas_plan_roster           A    A     -     -     -    -    -     -     A     A     -     -     -     -     A
canvas_apply_roster_plan     P    P     -     -     -    -    -     -     -     -     -     -     -     -     -
canvas_ensure_course         A    -     -     -     -    -    -     -     -     -     -     -     -     -     -
canvas_enroll_instructors    A    -     -     -     -    -    -     -     -     -     -     -     -     -     -
canvas_locate_enrollment     -    A     -     -     -    -    -     -     -     -     -     -     -     -     -
canvas_extend_access         -    -     A     -     -    -    -     -     -     -     -     -     -     -     -
canvas_send_contract         -    -     A     -     -    -    -     -     -     -     -     -     -     -     -
my_holds                     -    -     -     -     A    A    -     -     -     -     -     -     -     -     -
my_registration              -    -     -     -     A    A    -     -     -     -     -     -     -     -     -
my_aid                       -    -     -     -     A    A    -     -     -     -     -     -     -     -     -
my_assignments               -    -     -     -     A    A    -     -     -     -     -     -     -     -     -
my_grades                    -    -     -     -     A    A    -     -     -     -     -     -     -     -     -
course_modules               -    -     -     -     A    A    -     -     -     -     -     -     -     -     -
kb_search                    -    -     -     -     A    A    -     -     -     -     -     -     -     -     -
request_person               -    -     -     -     A    A    -     -     -     -     -     -     -     -     -
"""


def _table() -> dict[tuple[str, str], tuple[str, str]]:
    rows = [line.split() for line in EXPECTED.strip().splitlines()[1:]]
    table = {}
    for tool, *cells in rows:
        assert len(cells) == len(ROLES), tool
        for role, cell in zip(ROLES, cells, strict=True):
            inside, _, outside = cell.partition("/")
            table[(role, tool)] = (inside, outside or inside)
    return table


TABLE = _table()
DECISION = {"A": "allow", "P": "needs-approval", "-": "deny"}


def test_the_table_covers_every_role_and_tool() -> None:
    assert {t for _, t in TABLE} == set(CATALOGUE)
    assert {r for r, _ in TABLE} == {r.value for r in Role}


def _args(tool: str, student: int, crn: str, term: str) -> dict[str, Any]:
    traits = CATALOGUE[tool]
    args: dict[str, Any] = {}
    if traits.student_arg:
        args["pidm"] = student
    if traits.section_args:
        args.update(term=term, crn=crn)
    elif tool == "banner_get_term_sections":
        args["term"] = term
    extra: dict[str, dict[str, Any]] = {
        "banner_get_aid": {"aid_year": "2526"},
        "banner_post_grade": {"grade": "A"},
        "banner_resolve_incomplete": {"grade": "B"},
        "banner_place_hold": {"code": "RH", "reason": "Records"},
        "banner_release_hold": {"hold_id": 1},
        "banner_add_advising_comment": {"text": "Met to plan next term."},
        "canvas_end_enrollments": {"pidms": [student]},
        "canvas_send_message": {"subject": "Checking in", "body": "How is the term going?"},
        "canvas_plan_roster": {"term": term},
        "canvas_apply_roster_plan": {"term": term, "crns": [crn]},
        "canvas_locate_enrollment": {"course_id": 1, "section_id": 1, "user_id": 1},
        "canvas_extend_access": {"until": "2027-03-01"},
        "canvas_send_contract": {"contract": "0" * 24},
        "course_modules": {"course": "BIOL 101"},
        "kb_search": {"query": "holds"},
        "request_person": {"reason": "wants a person"},
    }
    return {**args, **extra.get(tool, {})}


def principal_for(role: str, cast: Cast) -> Principal:
    r = Role(role)
    pidm = {
        Role.STUDENT: cast.student,
        Role.ADVISOR: cast.advisor,
        Role.INSTRUCTOR: cast.instructor,
        Role.REGISTRAR: cast.registrar,
    }.get(r)
    actor = f"agent:{role}" if r in AGENT_ROLES else f"person:{role}"
    on_behalf_of = cast.student if r is Role.SUPPORT else None
    department = "MATH" if r is Role.CHAIR else None
    return Principal(
        actor=actor, role=r, pidm=pidm, on_behalf_of=on_behalf_of, term=cast.term,
        department=department,
    )  # fmt: skip


@dataclass(frozen=True)
class MatrixContext:
    """A RunContext over the sandbox whose bulk calls change half a section."""

    principal: Principal
    directory: BannerDirectory
    redactor: PassThroughRedactor = field(default_factory=PassThroughRedactor)
    vault: PseudonymVault = field(default_factory=PseudonymVault)
    share: float = 0.5

    def bulk_share(self, tool: str, args: Any) -> float | None:
        bulk = {"canvas_end_enrollments", "canvas_apply_roster_plan"}
        return self.share if tool in bulk else None


def stand_ins(ran: list[str]) -> list[StructuredTool]:
    def make(name: str, args_schema: Any) -> StructuredTool:
        def record(**kwargs: Any) -> str:
            ran.append(name)
            return "ok"

        return StructuredTool.from_function(
            record, name=name, description=name, args_schema=args_schema
        )

    return [make(s.traits.name, s.args) for s in SPECS]


def run_call(guard: Guard, context: Any, tool: str, args: dict[str, Any], ran: list[str]) -> Any:
    graph = StateGraph(MessagesState)
    graph.add_node("tools", guard.tool_node(stand_ins(ran)))
    graph.add_edge(START, "tools")
    app = graph.compile(checkpointer=InMemorySaver())
    call = {"name": tool, "args": args, "id": "call-1"}
    return app.invoke(
        {"messages": [AIMessage("", tool_calls=[call])]},
        {"configurable": {"thread_id": f"{tool}-{context.principal.role}"}},
        context=context,
    )


def outcome(result: dict[str, Any], ran: list[str]) -> str:
    if "__interrupt__" in result:
        assert ran == []
        return "P"
    message = result["messages"][-1]
    assert isinstance(message, ToolMessage)
    if message.status == "error":
        assert isinstance(message.content, str)
        assert message.content.startswith("Denied by policy: ")
        assert ran == []
        return "-"
    assert len(ran) == 1
    return "A"


@pytest.mark.parametrize("where", ["in_scope", "out_of_scope"])
@pytest.mark.parametrize(("role", "tool"), sorted(TABLE))
def test_role_tool_decision(
    role: str, tool: str, where: str, cast: Cast, banner: Engine, guard: Guard, audit: AuditLog
) -> None:
    inside, outside = TABLE[(role, tool)]
    expected = inside if where == "in_scope" else outside
    student, crn = (
        (cast.student, cast.section)
        if where == "in_scope"
        else (cast.other_student, cast.other_section)
    )
    context = MatrixContext(principal_for(role, cast), BannerDirectory(banner))
    ran: list[str] = []
    result = run_call(guard, context, tool, _args(tool, student, crn, cast.term), ran)
    assert outcome(result, ran) == expected
    [event] = audit.tail(5)
    assert (event.role, event.tool, event.decision) == (role, tool, DECISION[expected])


@pytest.mark.parametrize("tool", ["canvas_end_enrollments", "canvas_apply_roster_plan"])
@pytest.mark.parametrize(("share", "expected"), [(0.05, "A"), (0.10, "A"), (0.11, "P")])
def test_ending_enrollments_needs_a_registrar_only_above_the_threshold(
    tool: str, share: float, expected: str, cast: Cast, banner: Engine, guard: Guard
) -> None:
    context = MatrixContext(
        principal_for("provisioning", cast), BannerDirectory(banner), share=share
    )
    ran: list[str] = []
    args = _args(tool, cast.student, cast.section, cast.term)
    assert outcome(run_call(guard, context, tool, args, ran), ran) == expected
