"""The JSON shapes Canvas returns for each object, built from database rows.

Only fields that canvasapi or our tools read, plus the ones Canvas always sends, are included;
ids are integers (the REST API's default), timestamps ISO 8601 strings.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from sandbox.canvas import grading
from sandbox.canvas.storage import ROOT_ACCOUNT_ID

Json = dict[str, Any]


def account(row: sqlite3.Row) -> Json:
    """An account."""
    return {
        "id": row["id"],
        "name": row["name"],
        "parent_account_id": row["parent_account_id"],
        "root_account_id": None if row["id"] == ROOT_ACCOUNT_ID else ROOT_ACCOUNT_ID,
        "sis_account_id": row["sis_account_id"],
        "workflow_state": row["workflow_state"],
        "default_time_zone": "Etc/UTC",
    }


def user(row: sqlite3.Row) -> Json:
    """A user as an account admin sees it (with SIS, integration and login ids).

    ``workflow_state`` is ``suspended`` for a user whose login a SIS import suspended: Canvas
    suspends the pseudonym, not the user, but the simulator keeps one login per user.
    """
    return {
        "id": row["id"],
        "name": row["name"],
        "sortable_name": row["sortable_name"] or row["name"],
        "short_name": row["short_name"] or row["name"],
        "sis_user_id": row["sis_user_id"],
        "integration_id": row["integration_id"],
        "login_id": row["login_id"],
        "email": row["email"],
        "created_at": row["created_at"],
        "workflow_state": row["workflow_state"],
    }


def term(row: sqlite3.Row) -> Json:
    """An enrollment term."""
    return {
        "id": row["id"],
        "name": row["name"],
        "sis_term_id": row["sis_term_id"],
        "start_at": row["start_at"],
        "end_at": row["end_at"],
        "workflow_state": row["workflow_state"],
        "created_at": row["created_at"],
        "grading_period_group_id": None,
    }


def grading_standard(row: sqlite3.Row) -> Json:
    """A grading standard with its scheme (bounds as fractions)."""
    return {
        "id": row["id"],
        "title": row["title"],
        "context_type": row["context_type"],
        "context_id": row["context_id"],
        "workflow_state": "active",
        "grading_scheme": [{"name": n, "value": v} for n, v in json.loads(row["data"])],
    }


def course(row: sqlite3.Row, base: str) -> Json:
    """A course."""
    return {
        "id": row["id"],
        "name": row["name"],
        "course_code": row["course_code"],
        "sis_course_id": row["sis_course_id"],
        "integration_id": None,
        "workflow_state": row["workflow_state"],
        "account_id": row["account_id"],
        "root_account_id": ROOT_ACCOUNT_ID,
        "enrollment_term_id": row["term_id"],
        "start_at": row["start_at"],
        "end_at": row["end_at"],
        "grading_standard_id": row["grading_standard_id"],
        "created_at": row["created_at"],
        "default_view": "modules",
        "is_public": False,
        "html_url": f"{base}/courses/{row['id']}",
    }


def section(row: sqlite3.Row, sis_course_id: str | None) -> Json:
    """A course section; ``nonxlist_course_id`` is set while it is cross-listed."""
    return {
        "id": row["id"],
        "course_id": row["course_id"],
        "name": row["name"],
        "sis_section_id": row["sis_section_id"],
        "sis_course_id": sis_course_id,
        "integration_id": None,
        "nonxlist_course_id": row["nonxlist_course_id"],
        "start_at": row["start_at"],
        "end_at": row["end_at"],
        "restrict_enrollments_to_section_dates": bool(row["restrict_enrollments_to_section_dates"]),
        "created_at": row["created_at"],
    }


ROLE_OF_TYPE = {
    "StudentEnrollment": "StudentEnrollment",
    "TeacherEnrollment": "TeacherEnrollment",
    "TaEnrollment": "TaEnrollment",
    "ObserverEnrollment": "ObserverEnrollment",
    "DesignerEnrollment": "DesignerEnrollment",
}


def enrollment(row: sqlite3.Row, base: str, grades: grading.Grades | None) -> Json:
    """An enrollment; ``row`` joins the user, course and section columns (see ENROLLMENT_SQL)."""
    data: Json = {
        "id": row["id"],
        "user_id": row["user_id"],
        "course_id": row["course_id"],
        "course_section_id": row["course_section_id"],
        "type": row["type"],
        "role": row["type"],
        "role_id": list(ROLE_OF_TYPE).index(row["type"]) + 1,
        "enrollment_state": row["workflow_state"],
        "root_account_id": ROOT_ACCOUNT_ID,
        "associated_user_id": None,
        "limit_privileges_to_course_section": bool(row["limit_privileges"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "start_at": None,
        "end_at": None,
        "last_activity_at": row["last_activity_at"],
        "last_attended_at": None,
        "total_activity_time": row["total_activity_time"],
        "sis_user_id": row["u_sis_user_id"],
        "sis_course_id": row["c_sis_course_id"],
        "sis_section_id": row["s_sis_section_id"],
        "sis_account_id": None,
        "html_url": f"{base}/courses/{row['course_id']}/users/{row['user_id']}",
        "user": {
            "id": row["user_id"],
            "name": row["u_name"],
            "sortable_name": row["u_sortable_name"] or row["u_name"],
            "short_name": row["u_short_name"] or row["u_name"],
            "sis_user_id": row["u_sis_user_id"],
            "login_id": row["u_login_id"],
        },
    }
    if grades is not None:
        data["grades"] = grades.as_json(data["html_url"] + "/grades")
    return data


ENROLLMENT_SQL = (
    "SELECT e.*, u.name AS u_name, u.sortable_name AS u_sortable_name,"
    " u.short_name AS u_short_name, u.sis_user_id AS u_sis_user_id, u.login_id AS u_login_id,"
    " c.sis_course_id AS c_sis_course_id, s.sis_section_id AS s_sis_section_id"
    " FROM enrollments e JOIN users u ON u.id = e.user_id JOIN courses c ON c.id = e.course_id"
    " JOIN sections s ON s.id = e.course_section_id"
)


def assignment(row: sqlite3.Row, base: str) -> Json:
    """An assignment."""
    return {
        "id": row["id"],
        "course_id": row["course_id"],
        "name": row["name"],
        "description": row["description"],
        "points_possible": row["points_possible"],
        "due_at": row["due_at"],
        "lock_at": None,
        "unlock_at": None,
        "grading_type": row["grading_type"],
        "submission_types": json.loads(row["submission_types"]),
        "published": bool(row["published"]),
        "workflow_state": "published" if row["published"] else "unpublished",
        "position": row["position"],
        "omit_from_final_grade": False,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "html_url": f"{base}/courses/{row['course_id']}/assignments/{row['id']}",
    }


def module(row: sqlite3.Row, base: str) -> Json:
    """A context module (Canvas gives no ``html_url``: its page is the course's modules page).

    The simulator's modules hold no items; ``items_count`` is there so the shape is Canvas's.
    """
    return {
        "id": row["id"],
        "name": row["name"],
        "position": row["position"],
        "published": bool(row["published"]),
        "workflow_state": "active" if row["published"] else "unpublished",
        "unlock_at": row["unlock_at"],
        "require_sequential_progress": False,
        "prerequisite_module_ids": [],
        "items_count": 0,
        "items_url": f"{base}/api/v1/courses/{row['course_id']}/modules/{row['id']}/items",
    }


def submission(row: sqlite3.Row, now: datetime | None = None) -> Json:
    """A submission; ``row`` joins the assignment's ``due_at`` and ``course_id``."""
    graded = row["score"] is not None or row["grade"] is not None
    flags = grading.status(
        row["due_at"], row["submitted_at"], graded, bool(row["excused"]), now or datetime.now(UTC)
    )
    return {
        "id": row["id"],
        "assignment_id": row["assignment_id"],
        "user_id": row["user_id"],
        "course_id": row["course_id"],
        "submitted_at": row["submitted_at"],
        "submission_type": row["submission_type"],
        "body": row["body"],
        "url": row["url"],
        "score": row["score"],
        "grade": row["grade"],
        "entered_score": row["score"],
        "entered_grade": row["grade"],
        "graded_at": row["graded_at"],
        "grader_id": row["grader_id"],
        "attempt": row["attempt"],
        "workflow_state": row["workflow_state"],
        "excused": bool(row["excused"]),
        "late": flags.late,
        "missing": flags.missing,
        "seconds_late": flags.seconds_late,
        "late_policy_status": None,
        "grade_matches_current_submission": True,
        "posted_at": row["graded_at"],
    }


SUBMISSION_SQL = (
    "SELECT s.*, a.due_at, a.course_id FROM submissions s"
    " JOIN assignments a ON a.id = s.assignment_id"
)


def progress(row: sqlite3.Row, base: str) -> Json:
    """A Progress object (async job status)."""
    return {
        "id": row["id"],
        "context_id": row["context_id"],
        "context_type": row["context_type"],
        "user_id": None,
        "tag": row["tag"],
        "completion": row["completion"],
        "workflow_state": row["workflow_state"],
        "message": row["message"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "url": f"{base}/api/v1/progress/{row['id']}",
    }
