"""The chatbot's tools: none takes a student, and the Canvas ones read the caller's own Canvas.

The Canvas tests run the support agent over a real Canvas simulator (HTTP, canvasapi) in which
the sandbox student is enrolled in the section of one of their Banner registrations, beside a
classmate whose records must never appear.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from langchain_core.messages import AIMessage, ToolMessage
from sqlalchemy import Engine

from agents.toolbox.student_tools import CHAT_TOOLS, STUDENT_TOOLS
from core.ids import section_sis_id
from policies.guard import Guard
from policies.pii import Redactor
from sandbox.canvas.testing import running_simulator
from tests.canvas_tools.helpers import FAST_RETRY
from tests.policies.agent_harness import call, scripted
from tests.policies.conftest import TERM, Cast
from tests.support.conftest import support_agent, support_context
from tools.banner import reads
from tools.canvas.client import CanvasClient
from tools.canvas.courses import ensure_course_shell, ensure_section
from tools.canvas.enrollments import enroll
from tools.canvas.lookup import get_course, get_user
from tools.canvas.models import CourseShellSpec, EnrollmentSpec, SectionSpec
from tools.canvas.student_view import student_courses
from tools.kb.embedding import Embedder
from tools.kb.store import KnowledgeBase

NAMES_A_PERSON = {
    "pidm", "student", "student_id", "student_pidm", "banner_id", "sis_user_id", "user_id",
    "email", "name", "login_id", "on_behalf_of", "subject",
}  # fmt: skip


def test_no_chat_tool_accepts_a_student() -> None:
    """Every tool the chatbot binds is caller-bound or student-free, and no field names a person."""
    assert {name for name, *_ in STUDENT_TOOLS} == CHAT_TOOLS
    for name, traits, schema, _run, _desc in STUDENT_TOOLS:
        fields = set(schema.model_fields)
        assert not fields & NAMES_A_PERSON, (name, fields)
        assert not any("pidm" in f or "student" in f for f in fields), (name, fields)
        assert traits.get("caller_bound") or name == "kb_search", name


@dataclass(frozen=True)
class CanvasCourse:
    """The student's course in Canvas: its code in Banner and the Canvas client."""

    client: CanvasClient
    code: str
    sis_user_id: str
    classmate_id: str


def _when(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def canvas(
    cast: Cast, banner: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CanvasCourse]:
    registration = next(
        r for r in reads.student_registrations(banner, cast.student, TERM).courses if r.enrolled
    )
    code = f"{registration.subject} {registration.course_number}"
    db: Path = tmp_path_factory.mktemp("canvas") / "canvas.db"
    with running_simulator(db) as sim:
        client = CanvasClient(sim.base_url, sim.token, retry=FAST_RETRY)
        sis_course, sis_section = (
            f"{TERM}.{registration.crn}",
            section_sis_id(TERM, registration.crn),
        )
        ensure_course_shell(
            client, CourseShellSpec(sis_course_id=sis_course, name=code, course_code=code)
        )
        ensure_section(
            client, SectionSpec(sis_course_id=sis_course, sis_section_id=sis_section, name=code)
        )
        people = []
        for pidm in (cast.student, cast.other_student):
            person = reads.person_by_pidm(banner, pidm)
            client.account.create_user(
                {"unique_id": f"u{pidm}@example.edu", "sis_user_id": person.banner_id},
                user={"name": f"{person.first_name} {person.last_name}"},
            )
            user = get_user(client, person.banner_id)
            enroll(client, EnrollmentSpec(sis_section_id=sis_section, user_id=user.id))
            people.append(person.banner_id)
        course = get_course(client, sis_course)
        headers = {"Authorization": f"Bearer {sim.token}"}
        httpx.post(
            f"{sim.base_url}/sim/courses/{course.id}/activity",
            json={"days": 14, "seed": 5},
            headers=headers,
        ).raise_for_status()
        course.create_assignment({"name": "Lab report", "points_possible": 20, "due_at": _when(3)})
        yield CanvasCourse(client, code, people[0], people[1])
        client.close()


def test_template_mode_lists_the_work_due_in_the_students_course(
    guard: Guard, embedder: Embedder, cast: Cast, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase, canvas: CanvasCourse,
) -> None:  # fmt: skip
    ctx = support_context(cast.student, banner, redactor, kb, canvas=canvas.client)
    result = support_agent(guard, embedder).answer(
        ctx, message="what assignments are due this week?", thread_id="due"
    )
    assert "my_assignments" in result.tools_used
    assert "Lab report" in result.answer and canvas.code in result.answer, result.answer
    assert "not handed in yet" in result.answer
    assert canvas.classmate_id not in result.answer


def test_template_mode_gives_the_current_canvas_grade(
    guard: Guard, embedder: Embedder, cast: Cast, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase, canvas: CanvasCourse,
) -> None:  # fmt: skip
    [mine] = student_courses(canvas.client, canvas.sis_user_id)
    ctx = support_context(cast.student, banner, redactor, kb, canvas=canvas.client)
    result = support_agent(guard, embedder).answer(
        ctx, message="what are my grades?", thread_id="grades"
    )
    assert "my_grades" in result.tools_used
    crn = (mine.sis_section_id or "").rsplit("-", 1)[-1]
    expected = f"{canvas.code} (CRN {crn}): current score {mine.current_score}"
    assert expected in result.answer, result.answer


def test_template_mode_links_the_modules_of_a_course_the_student_takes(
    guard: Guard, embedder: Embedder, cast: Cast, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase, canvas: CanvasCourse,
) -> None:  # fmt: skip
    ctx = support_context(cast.student, banner, redactor, kb, canvas=canvas.client)
    result = support_agent(guard, embedder).answer(
        ctx, message=f"where are the modules for {canvas.code}?", thread_id="modules"
    )
    assert "course_modules" in result.tools_used
    assert "Module Week 1: http" in result.answer and "/modules#module_" in result.answer


def test_a_course_the_student_does_not_take_is_an_honest_refusal(
    guard: Guard, embedder: Embedder, cast: Cast, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase, canvas: CanvasCourse,
) -> None:  # fmt: skip
    model = scripted(
        call("course_modules", {"course": "ZZZZ 999"}, "m1"),
        AIMessage("I could not find that course among yours (course_modules)."),
    )
    agent = support_agent(guard, embedder, model)
    ctx = support_context(cast.student, banner, redactor, kb, canvas=canvas.client)
    agent.answer(ctx, message="modules of ZZZZ 999", thread_id="not-mine")
    state = agent.graph.get_state({"configurable": {"thread_id": "not-mine"}})
    [result] = [m for m in state.values["messages"] if isinstance(m, ToolMessage)]
    assert result.status == "error"
    assert "not registered in ZZZZ 999" in str(result.content)
