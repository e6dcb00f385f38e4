"""A student's own Canvas through the tools, over HTTP: courses and grades, due work, modules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sandbox.canvas.testing import SimulatorHandle
from tests.canvas_tools.helpers import make_section, make_user, unique
from tools.canvas.client import CanvasClient
from tools.canvas.enrollments import enroll
from tools.canvas.errors import CanvasNotFound
from tools.canvas.lookup import get_course
from tools.canvas.models import EnrollmentSpec
from tools.canvas.student_view import section_modules, student_courses, upcoming_assignments

NOW = datetime.now(UTC).replace(microsecond=0)


def _when(days: float) -> str:
    return (NOW + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def learner(sim: SimulatorHandle, client: CanvasClient) -> dict[str, object]:
    """A student in two courses: one with past activity and modules, one with work due soon."""
    sis_user = unique("SV")
    user = make_user(client, sis_user)
    other = make_user(client, unique("SV"))
    active_course, active_section = make_section(client, "SVA")
    due_course, due_section = make_section(client, "SVB")
    for section in (active_section, due_section):
        enroll(client, EnrollmentSpec(sis_section_id=section, user_id=user.id))
        enroll(client, EnrollmentSpec(sis_section_id=section, user_id=other.id))
    headers = {"Authorization": f"Bearer {sim.token}"}
    active_id = get_course(client, active_course).id
    httpx.post(
        f"{sim.base_url}/sim/courses/{active_id}/activity",
        json={"days": 14, "seed": 3},
        headers=headers,
    ).raise_for_status()
    course = get_course(client, due_course)
    soon = course.create_assignment({"name": "Lab report", "due_at": _when(2)})
    course.create_assignment({"name": "Essay", "points_possible": 50, "due_at": _when(5)})
    course.create_assignment({"name": "Final project", "due_at": _when(40)})
    course.create_assignment({"name": "Last week's quiz", "due_at": _when(-3)})
    soon.submit({"submission_type": "online_text_entry", "body": "done", "user_id": user.id})
    httpx.post(
        f"{sim.base_url}/api/v1/courses/{course.id}/modules",
        data={"module[name]": "Draft", "module[published]": "false"},
        headers=headers,
    ).raise_for_status()
    return {
        "sis_user": sis_user,
        "active_section": active_section,
        "due_section": due_section,
        "due_course": course.id,
    }


def test_courses_carry_the_current_grade_of_the_student_only(
    client: CanvasClient, learner: dict[str, object]
) -> None:
    courses = {c.sis_section_id: c for c in student_courses(client, str(learner["sis_user"]))}
    assert set(courses) == {learner["active_section"], learner["due_section"]}
    graded = courses[str(learner["active_section"])]
    assert graded.course_code and graded.current_score is not None
    assert graded.url.endswith(f"/courses/{graded.course_id}")


def test_upcoming_work_is_the_window_soonest_first_with_what_is_handed_in(
    client: CanvasClient, learner: dict[str, object]
) -> None:
    due = upcoming_assignments(client, str(learner["sis_user"]), NOW, 14)
    assert [(a.name, a.submitted) for a in due] == [("Lab report", True), ("Essay", False)]
    assert all(a.url and f"/courses/{learner['due_course']}/assignments/" in a.url for a in due)
    assert [a.name for a in upcoming_assignments(client, str(learner["sis_user"]), NOW, 60)][
        -1
    ] == "Final project"


def test_modules_are_the_published_ones_of_the_students_own_section(
    client: CanvasClient, learner: dict[str, object]
) -> None:
    week = section_modules(client, str(learner["sis_user"]), {str(learner["active_section"])})
    assert [m.name for m in week.modules] == ["Week 1", "Week 2"]
    assert all(m.url.startswith(week.modules_url + "#module_") for m in week.modules)
    drafts = section_modules(client, str(learner["sis_user"]), {str(learner["due_section"])})
    assert drafts.modules == []
    with pytest.raises(CanvasNotFound):
        section_modules(client, str(learner["sis_user"]), {"SOMEONE-ELSES-SECTION"})


def test_a_student_canvas_does_not_know_is_not_found(client: CanvasClient) -> None:
    with pytest.raises(CanvasNotFound):
        student_courses(client, unique("NOBODY"))
