"""Student summaries, submissions and conversations through the tools, over HTTP."""

from __future__ import annotations

import httpx
import pytest

from sandbox.canvas.testing import SimulatorHandle
from tests.canvas_tools.helpers import make_section, make_user, unique
from tools.canvas.activity import student_summaries, submissions
from tools.canvas.client import CanvasClient
from tools.canvas.enrollments import enroll
from tools.canvas.errors import CanvasNotFound
from tools.canvas.lookup import get_course
from tools.canvas.messages import send_conversation
from tools.canvas.models import ConversationSpec, EnrollmentSpec, SubmissionQuery


@pytest.fixture
def active_course(sim: SimulatorHandle, client: CanvasClient) -> tuple[str, list[int]]:
    """A course with four students and two weeks of simulated activity."""
    course, section = make_section(client, "ACT")
    students = [make_user(client, unique("ST")).id for _ in range(4)]
    for user_id in students:
        enroll(client, EnrollmentSpec(sis_section_id=section, user_id=user_id))
    canvas_id = get_course(client, course).id
    httpx.post(
        f"{sim.base_url}/sim/courses/{canvas_id}/activity",
        json={"days": 14, "seed": 11},
        headers={"Authorization": f"Bearer {sim.token}"},
    ).raise_for_status()
    return course, students


def test_student_summaries(client: CanvasClient, active_course: tuple[str, list[int]]) -> None:
    course, students = active_course
    summaries = {s.id: s for s in student_summaries(client, course)}
    assert set(summaries) == set(students)
    assert any((s.page_views or 0) > 0 for s in summaries.values())
    for s in summaries.values():
        t = s.tardiness_breakdown
        assert t is not None and t.on_time + t.late + t.missing + t.floating <= t.total


def test_submissions_for_some_students_and_assignments(
    client: CanvasClient, active_course: tuple[str, list[int]]
) -> None:
    course, students = active_course
    everything = submissions(client, SubmissionQuery(sis_course_id=course))
    assert {s.user_id for s in everything} == set(students)
    first = everything[0].assignment_id
    narrowed = submissions(
        client,
        SubmissionQuery(sis_course_id=course, student_ids=students[:1], assignment_ids=[first]),
    )
    assert [(s.user_id, s.assignment_id) for s in narrowed] == [(students[0], first)]
    assert any(s.late or s.missing or s.submitted_at for s in everything)


def test_submissions_of_a_missing_course_is_not_found(client: CanvasClient) -> None:
    with pytest.raises(CanvasNotFound) as caught:
        submissions(client, SubmissionQuery(sis_course_id="GONE"))
    assert caught.value.kind == "course"


def test_send_conversation(client: CanvasClient) -> None:
    ann, bob = make_user(client, unique("MSG")), make_user(client, unique("MSG"))
    sent = send_conversation(
        client,
        ConversationSpec(recipients=[ann.id, bob.id], subject="Missing work", body="Please check"),
    )
    assert sent.conversation_ids and all(i > 0 for i in sent.conversation_ids)


def test_conversation_to_an_unknown_user_is_not_found(client: CanvasClient) -> None:
    with pytest.raises(CanvasNotFound) as caught:
        send_conversation(client, ConversationSpec(recipients=[987654], subject="x", body="y"))
    assert (caught.value.kind, caught.value.canvas_id) == ("user", 987654)


def test_overlong_subject_is_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="255"):
        ConversationSpec(recipients=[1], subject="x" * 256, body="y")
