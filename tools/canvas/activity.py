"""What students do in a course: analytics summaries and submissions (read-only)."""

from __future__ import annotations

from typing import Any

from tools.canvas.client import CanvasClient, canvas_operation
from tools.canvas.lookup import get_course
from tools.canvas.models import StudentSummary, SubmissionInfo, SubmissionQuery


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
