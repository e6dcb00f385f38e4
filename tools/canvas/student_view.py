"""A student's own Canvas, as the student would see it: courses and grades, what is due, modules.

Read-only, and addressed by the student's SIS user id (the Banner ID), which trusted code
supplies: these functions never decide whose data to read.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from canvasapi.course import Course
from canvasapi.user import User

from tools.canvas.client import CanvasClient, canvas_operation
from tools.canvas.errors import CanvasNotFound
from tools.canvas.lookup import missing_is
from tools.canvas.models import (
    CourseInfo,
    CourseModules,
    EnrollmentInfo,
    Grades,
    ModuleLink,
    StudentCourse,
    UpcomingAssignment,
)

SUBMITTED_STATES = frozenset({"submitted", "graded", "pending_review"})


def _active_enrollments(client: CanvasClient, sis_user_id: str) -> list[EnrollmentInfo]:
    """The student's active enrollments, one per course (a cross-listed course counts once)."""
    user = User(client.requester, {"id": f"sis_user_id:{sis_user_id}"})
    with missing_is("user", sis_user_id):
        found = [
            EnrollmentInfo.of(e)
            for e in user.get_enrollments(type=["StudentEnrollment"], state=["active"])
        ]
    unique: dict[int, EnrollmentInfo] = {}
    for enrollment in found:
        unique.setdefault(enrollment.course_id, enrollment)
    return list(unique.values())


def _course(client: CanvasClient, enrollment: EnrollmentInfo) -> StudentCourse:
    course = CourseInfo.of(client.canvas.get_course(enrollment.course_id))
    grades = enrollment.grades or Grades()
    return StudentCourse(
        course_id=course.id,
        sis_section_id=enrollment.sis_section_id,
        course_code=course.course_code,
        name=course.name,
        current_score=grades.current_score,
        current_grade=grades.current_grade,
        url=f"{client.base_url}/courses/{course.id}",
    )


@canvas_operation
def student_courses(client: CanvasClient, sis_user_id: str) -> list[StudentCourse]:
    """Active courses with the current score and grade.

    A request for the enrollments (which carry the grades) and one per course for its code.
    """
    return [_course(client, e) for e in _active_enrollments(client, sis_user_id)]


def _due(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@canvas_operation
def upcoming_assignments(
    client: CanvasClient, sis_user_id: str, now: datetime, days_ahead: int
) -> list[UpcomingAssignment]:
    """Published assignments due from ``now`` to ``days_ahead`` days later, soonest first.

    Per course: its assignments, then (only when something is due) the student's submissions
    to those, so a course with nothing due costs one request.
    """
    until = now + timedelta(days=days_ahead)
    found: list[UpcomingAssignment] = []
    for enrollment in _active_enrollments(client, sis_user_id):
        course = Course(client.requester, {"id": enrollment.course_id})
        due = {
            a.id: (a, when)
            for a in course.get_assignments()
            if getattr(a, "published", True)
            and (when := _due(getattr(a, "due_at", None))) is not None
            and now <= when < until
        }
        if not due:
            continue
        code = _course(client, enrollment).course_code
        handed_in = {
            s.assignment_id
            for s in course.get_multiple_submissions(
                student_ids=[enrollment.user_id], assignment_ids=list(due)
            )
            if getattr(s, "workflow_state", None) in SUBMITTED_STATES
        }
        found += [
            UpcomingAssignment(
                course_code=code,
                name=a.name,
                due_at=when,
                points_possible=getattr(a, "points_possible", None),
                submitted=a.id in handed_in,
                url=getattr(a, "html_url", None),
            )
            for a, when in due.values()
        ]
    return sorted(found, key=lambda a: (a.due_at, a.course_code or "", a.name))


@canvas_operation
def section_modules(
    client: CanvasClient, sis_user_id: str, sis_section_ids: Collection[str]
) -> CourseModules:
    """The published modules of the course the student is in through one of these sections.

    The course is found among the student's own active enrollments, so a student reaches only
    their own courses' modules; none of them is :class:`CanvasNotFound`.
    """
    enrollment = next(
        (
            e
            for e in _active_enrollments(client, sis_user_id)
            if e.sis_section_id in sis_section_ids
        ),
        None,
    )
    if enrollment is None:
        raise CanvasNotFound("course", sis_id=", ".join(sorted(sis_section_ids)))
    course_id = enrollment.course_id
    course = client.canvas.get_course(course_id)
    page = f"{client.base_url}/courses/{course_id}/modules"
    modules = [
        ModuleLink(name=m.name, position=m.position, url=f"{page}#module_{m.id}")
        for m in course.get_modules()
        if getattr(m, "published", True)
    ]
    return CourseModules(
        course_code=getattr(course, "course_code", None), modules_url=page, modules=modules
    )
