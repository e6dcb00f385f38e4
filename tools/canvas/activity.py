"""What students do in a course: analytics summaries and submissions (read-only)."""

from __future__ import annotations

from typing import Any

from canvasapi.course import Course
from canvasapi.user import User

from tools.canvas.client import CanvasClient, canvas_operation
from tools.canvas.lookup import get_course, missing_is
from tools.canvas.models import (
    CourseActivity,
    EnrollmentInfo,
    StudentSummary,
    SubmissionInfo,
    SubmissionQuery,
)


@canvas_operation
def student_summaries(client: CanvasClient, sis_course_id: str) -> list[StudentSummary]:
    """Page views, participations and late/missing counts per student, to spot who struggles."""
    course = get_course(client, sis_course_id)
    return [StudentSummary.of(s) for s in course.get_course_level_student_summary_data()]


@canvas_operation
def submissions(client: CanvasClient, query: SubmissionQuery) -> list[SubmissionInfo]:
    """Submissions (grade, score, late, missing) of some or all students in a course."""
    course = get_course(client, query.sis_course_id)
    filters: dict[str, Any] = {"student_ids": query.student_ids or ["all"]}
    if query.assignment_ids:
        filters["assignment_ids"] = query.assignment_ids
    return [SubmissionInfo.of(s) for s in course.get_multiple_submissions(**filters)]


@canvas_operation
def student_activity(client: CanvasClient, sis_user_id: str) -> list[CourseActivity]:
    """A student's active course enrollments, each with current grade and analytics.

    One request for the enrollments (``/users/sis_user_id:X/enrollments`` carries grades and
    last activity) and one analytics summary per course, filtered to the student, so a profile
    costs a request per course rather than a course's whole roster.
    """
    user = User(client.requester, {"id": f"sis_user_id:{sis_user_id}"})
    with missing_is("user", sis_user_id):
        enrollments = [
            EnrollmentInfo.of(e)
            for e in user.get_enrollments(type=["StudentEnrollment"], state=["active"])
        ]
    found = []
    for enrollment in enrollments:
        course = Course(client.requester, {"id": enrollment.course_id})
        summaries = course.get_course_level_student_summary_data(student_id=enrollment.user_id)
        summary = next((StudentSummary.of(s) for s in summaries), None)
        found.append(CourseActivity(enrollment=enrollment, summary=summary))
    return found
