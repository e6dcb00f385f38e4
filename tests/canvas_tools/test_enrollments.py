"""Enroll, end with each task, reactivate, list by state and type, final grades, over HTTP."""

from __future__ import annotations

import pytest

from tests.canvas_tools.helpers import make_section, make_user, unique
from tools.canvas.client import CanvasClient
from tools.canvas.enrollments import (
    end_enrollment,
    enroll,
    final_grades,
    list_enrollments,
    reactivate_enrollment,
)
from tools.canvas.errors import CanvasNotFound
from tools.canvas.lookup import get_course
from tools.canvas.models import EndEnrollment, EnrollmentKey, EnrollmentQuery, EnrollmentSpec


def test_enroll_by_sis_or_canvas_id_is_idempotent(client: CanvasClient) -> None:
    _, section = make_section(client, "ENR")
    ann = make_user(client, unique("A"))
    bob = make_user(client, unique("B"))

    first = enroll(client, EnrollmentSpec(sis_section_id=section, sis_user_id=ann.sis_user_id))
    again = enroll(client, EnrollmentSpec(sis_section_id=section, sis_user_id=ann.sis_user_id))
    teacher = enroll(
        client,
        EnrollmentSpec(sis_section_id=section, user_id=bob.id, type="TeacherEnrollment"),
    )

    assert first.id == again.id and first.user_id == ann.id
    assert first.enrollment_state == "active" and first.type == "StudentEnrollment"
    assert teacher.type == "TeacherEnrollment" and teacher.user_id == bob.id
    listed = list_enrollments(client, EnrollmentQuery(sis_id=section, scope="section"))
    assert sorted(e.id for e in listed) == sorted([first.id, teacher.id])


@pytest.mark.parametrize(
    ("task", "state"),
    [("conclude", "completed"), ("delete", "deleted"), ("inactivate", "inactive")],
)
def test_end_enrollment_with_a_task(client: CanvasClient, task, state: str) -> None:
    _, section = make_section(client, "END")
    user = make_user(client, unique("E"))
    key = {"sis_section_id": section, "sis_user_id": user.sis_user_id}
    enrolled = enroll(client, EnrollmentSpec(**key))

    ended = end_enrollment(client, EndEnrollment(**key, task=task))
    repeated = end_enrollment(client, EndEnrollment(**key, task=task))

    assert ended.id == enrolled.id and ended.enrollment_state == state
    assert repeated.enrollment_state == state
    only_this_state = list_enrollments(
        client, EnrollmentQuery(sis_id=section, scope="section", states=[state])
    )
    assert [e.id for e in only_this_state] == [enrolled.id]
    assert list_enrollments(client, EnrollmentQuery(sis_id=section, scope="section")) == []


def test_reactivate_an_inactive_enrollment(client: CanvasClient) -> None:
    _, section = make_section(client, "REACT")
    user = make_user(client, unique("R"))
    key = EnrollmentKey(sis_section_id=section, sis_user_id=user.sis_user_id)
    enroll(client, EnrollmentSpec(**key.model_dump()))
    end_enrollment(client, EndEnrollment(**key.model_dump(), task="inactivate"))

    back = reactivate_enrollment(client, key)

    assert back.enrollment_state == "active"
    assert reactivate_enrollment(client, key) == back


def test_list_enrollments_by_type_and_user(client: CanvasClient) -> None:
    course, section = make_section(client, "LIST")
    users = [make_user(client, unique("L")) for _ in range(3)]
    for user in users[:2]:
        enroll(client, EnrollmentSpec(sis_section_id=section, user_id=user.id))
    enroll(client, EnrollmentSpec(sis_section_id=section, user_id=users[2].id, type="TaEnrollment"))

    students = list_enrollments(client, EnrollmentQuery(sis_id=course, types=["StudentEnrollment"]))
    tas = list_enrollments(client, EnrollmentQuery(sis_id=course, types=["TaEnrollment"]))
    one = list_enrollments(client, EnrollmentQuery(sis_id=course, user_id=users[1].id))

    assert sorted(e.user_id for e in students) == sorted(u.id for u in users[:2])
    assert [e.user_id for e in tas] == [users[2].id]
    assert [e.user_id for e in one] == [users[1].id]


def test_missing_user_section_or_enrollment_is_typed_not_found(client: CanvasClient) -> None:
    _, section = make_section(client, "MISS")
    user = make_user(client, unique("M"))
    cases = [
        (EnrollmentSpec(sis_section_id=section, sis_user_id="GHOST"), "user", "GHOST"),
        (EnrollmentSpec(sis_section_id="NO-SECTION", user_id=user.id), "section", "NO-SECTION"),
    ]
    for spec, kind, sis_id in cases:
        with pytest.raises(CanvasNotFound) as caught:
            enroll(client, spec)
        assert (caught.value.kind, caught.value.sis_id) == (kind, sis_id)
    with pytest.raises(CanvasNotFound) as caught:
        end_enrollment(client, EndEnrollment(sis_section_id=section, user_id=user.id))
    assert caught.value.kind == "enrollment" and section in (caught.value.sis_id or "")


def test_final_grades_follow_the_grading_scheme(client: CanvasClient) -> None:
    sis_course, section = make_section(client, "GRADES")
    course = get_course(client, sis_course)
    standard = course.add_grading_standards(
        "Letters",
        [{"name": "A", "value": 90}, {"name": "B", "value": 80}, {"name": "F", "value": 0}],
    )
    course.update(course={"grading_standard_id": standard.id})
    assignment = course.create_assignment(
        {"name": "Final", "points_possible": 100, "published": True}
    )
    ann, bob = make_user(client, unique("G")), make_user(client, unique("G"))
    for user in (ann, bob):
        enroll(client, EnrollmentSpec(sis_section_id=section, user_id=user.id))
    assignment.get_submission(ann.id).edit(submission={"posted_grade": "95"})
    assignment.get_submission(bob.id).edit(submission={"posted_grade": "85"})

    grades = {e.user_id: e.grades for e in final_grades(client, sis_course)}

    ann_grades, bob_grades = grades[ann.id], grades[bob.id]
    assert ann_grades is not None and bob_grades is not None
    assert ann_grades.final_score == pytest.approx(95) and ann_grades.final_grade == "A"
    assert bob_grades.final_score == pytest.approx(85) and bob_grades.final_grade == "B"
