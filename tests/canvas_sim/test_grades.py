"""Assignments, submissions, grading schemes, enrollment grades, analytics, conversations,
course copies: all through canvasapi over HTTP."""

from __future__ import annotations

import time

import pytest
from canvasapi import Canvas
from canvasapi.exceptions import BadRequest

PAST = "2020-01-10T23:59:00Z"
FUTURE = "2099-01-10T23:59:00Z"


@pytest.fixture
def course_with_students(canvas: Canvas):
    account = canvas.get_account(1)
    standard = account.add_grading_standards(
        "Letters",
        [
            {"name": "A", "value": 90},
            {"name": "B", "value": 80},
            {"name": "C", "value": 70},
            {"name": "F", "value": 0},
        ],
    )
    course = account.create_course(
        course={"name": "Chem", "sis_course_id": "CHEM-1", "grading_standard_id": standard.id}
    )
    students = []
    for i in range(3):
        user = account.create_user(
            {"unique_id": f"s{i}", "sis_user_id": f"S{i}"}, user={"name": f"Student {i}"}
        )
        course.enroll_user(user, enrollment={"enrollment_state": "active"})
        students.append(user)
    return course, students, standard


def test_grading_standard_shape(canvas: Canvas, course_with_students) -> None:
    _, _, standard = course_with_students
    assert standard.grading_scheme[0] == {"name": "A", "value": 0.9}
    listed = canvas.get_account(1).get_grading_standards()
    assert [s.id for s in listed] == [standard.id]


def test_submissions_grades_and_flags(canvas: Canvas, course_with_students) -> None:
    course, (s0, s1, s2), _ = course_with_students
    hw1 = course.create_assignment({"name": "HW1", "points_possible": 10, "due_at": PAST})
    hw2 = course.create_assignment({"name": "HW2", "points_possible": 10, "due_at": FUTURE})
    assert [a.id for a in course.get_assignments()] == [hw1.id, hw2.id]
    assert course.get_assignment(hw1.id).name == "HW1"

    sub = hw1.submit(
        {
            "submission_type": "online_text_entry",
            "body": "x",
            "user_id": s0.id,
            "submitted_at": "2020-01-11T00:59:00Z",
        }
    )
    assert sub.late and sub.seconds_late == 3600 and sub.workflow_state == "submitted"
    graded = hw1.get_submission(s0.id).edit(submission={"posted_grade": "9"})
    assert graded.score == 9.0 and graded.workflow_state == "graded"
    hw1.get_submission(s1.id).edit(submission={"posted_grade": "75%"})
    hw2.get_submission(s0.id).edit(submission={"posted_grade": "B"})

    subs = list(course.get_multiple_submissions(student_ids=["all"], assignment_ids=[hw1.id]))
    by_user = {s.user_id: s for s in subs}
    assert set(by_user) == {s0.id, s1.id, s2.id}
    assert by_user[s1.id].score == 7.5 and not by_user[s1.id].missing
    assert by_user[s2.id].missing and by_user[s2.id].workflow_state == "unsubmitted"
    only = list(course.get_multiple_submissions(student_ids=[s2.id]))
    assert {(s.assignment_id, s.missing) for s in only} == {(hw1.id, True), (hw2.id, False)}
    assert list(course.get_multiple_submissions()) == []

    grades = {e.user_id: e.grades for e in course.get_enrollments(type=["StudentEnrollment"])}
    # s0: 9/10, and "B" posts the top of the B band (90% of 10): 18/20 = 90% -> A
    assert grades[s0.id]["current_score"] == 90.0 and grades[s0.id]["current_grade"] == "A"
    assert grades[s1.id]["current_score"] == 75.0 and grades[s1.id]["current_grade"] == "C"
    assert grades[s1.id]["final_score"] == 37.5 and grades[s1.id]["final_grade"] == "F"
    assert grades[s2.id]["current_score"] is None and grades[s2.id]["final_score"] == 0.0

    summaries = {s.id: s for s in course.get_course_level_student_summary_data()}
    assert summaries[s0.id].tardiness_breakdown == {
        "total": 2,
        "on_time": 1,
        "late": 1,
        "missing": 0,
        "floating": 0,
    }
    assert summaries[s2.id].tardiness_breakdown["missing"] == 1
    assert summaries[s2.id].tardiness_breakdown["floating"] == 1


def test_bad_posted_grade_is_400(canvas: Canvas, course_with_students) -> None:
    course, (s0, *_), _ = course_with_students
    hw = course.create_assignment({"name": "HW", "points_possible": 10})
    with pytest.raises(BadRequest):
        hw.get_submission(s0.id).edit(submission={"posted_grade": "Z-"})


def test_conversations(canvas: Canvas, course_with_students) -> None:
    _, (s0, s1, _), _ = course_with_students
    sent = canvas.create_conversation([str(s0.id), "sis_user_id:S1"], "Hello", subject="Hi")
    assert isinstance(sent, list) and len(sent) == 2
    assert sent[0].subject == "Hi" and sent[0].audience == [s0.id]
    group = canvas.create_conversation([s0.id, s1.id], "All", subject="G", group_conversation=True)
    assert len(group) == 1 and group[0].audience == [s0.id, s1.id]
    with pytest.raises(BadRequest):
        canvas.create_conversation([s0.id], "Body", subject="x" * 256)


def test_course_copy_migration(canvas: Canvas) -> None:
    account = canvas.get_account(1)
    template = account.create_course(course={"name": "Template"})
    template.create_assignment({"name": "Essay", "points_possible": 20})
    template.create_assignment({"name": "Quiz", "points_possible": 5})
    shell = account.create_course(course={"name": "Shell"})
    migration = shell.create_content_migration(
        "course_copy_importer", settings={"source_course_id": template.id}
    )
    assert migration.workflow_state in {"queued", "running"}
    deadline = time.monotonic() + 10
    while shell.get_content_migration(migration.id).workflow_state != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert migration.get_progress().workflow_state == "completed"
    assert [a.name for a in shell.get_assignments()] == ["Essay", "Quiz"]
    assert [m.id for m in shell.get_content_migrations()] == [migration.id]
