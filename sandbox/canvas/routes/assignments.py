"""Assignments, submissions (submit, grade, list) and course analytics."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response

from sandbox.canvas import grading, refs, shapes
from sandbox.canvas.errors import bad_request, not_found
from sandbox.canvas.pagination import Page
from sandbox.canvas.routes.common import Form, Sim, api_router, base_url
from sandbox.canvas.simulator import Tx
from sandbox.canvas.storage import ADMIN_USER_ID, utcnow

router = api_router()

GRADING_TYPES = {"points", "percent", "letter_grade", "pass_fail", "gpa_scale", "not_graded"}


def _assignment(conn: sqlite3.Connection, course_id: int, assignment_id: int) -> sqlite3.Row:
    row = conn.execute(
        "SELECT * FROM assignments WHERE id = ? AND course_id = ?", (assignment_id, course_id)
    ).fetchone()
    if row is None:
        raise not_found()
    return row  # type: ignore[no-any-return]


@router.post("/courses/{course_ref}/assignments")
def create_assignment(course_ref: str, request: Request, sim: Sim, params: Form) -> dict[str, Any]:
    """An assignment (``assignment[name|points_possible|due_at|grading_type|published]``)."""
    name = params.required("assignment", "name")
    grading_type = params.text("assignment", "grading_type") or "points"
    if grading_type not in GRADING_TYPES:
        raise bad_request(f"invalid assignment[grading_type] {grading_type!r}")
    types = params.strings("assignment", "submission_types") or ["online_text_entry"]
    with sim.transaction() as tx:
        course = refs.get(tx.conn, "courses", course_ref)
        now = utcnow()
        position = tx.conn.execute(
            "SELECT COUNT(*) + 1 FROM assignments WHERE course_id = ?", (course["id"],)
        ).fetchone()[0]
        assignment_id = tx.conn.execute(
            "INSERT INTO assignments (course_id, name, description, points_possible, due_at,"
            " grading_type, submission_types, published, position, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                course["id"],
                name,
                params.text("assignment", "description"),
                params.number("assignment", "points_possible") or 0.0,
                params.text("assignment", "due_at") or None,
                grading_type,
                json.dumps(types),
                params.flag("assignment", "published", default=True),
                position,
                now,
                now,
            ),
        ).lastrowid
        row = _assignment(tx.conn, course["id"], assignment_id or 0)
        return shapes.assignment(row, base_url(request))


@router.get("/courses/{course_ref}/assignments")
def list_assignments(course_ref: str, request: Request, response: Response, sim: Sim) -> list[Any]:
    """A course's assignments in position order."""
    base = base_url(request)
    with sim.store.read() as conn:
        course = refs.get(conn, "courses", course_ref)
        rows = conn.execute(
            "SELECT * FROM assignments WHERE course_id = ? ORDER BY position, id", (course["id"],)
        ).fetchall()
    return Page(request).slice(response, rows, lambda r: shapes.assignment(r, base))


@router.get("/courses/{course_ref}/assignments/{assignment_id}")
def get_assignment(
    course_ref: str, assignment_id: int, request: Request, sim: Sim
) -> dict[str, Any]:
    """One assignment."""
    with sim.store.read() as conn:
        course = refs.get(conn, "courses", course_ref)
        return shapes.assignment(_assignment(conn, course["id"], assignment_id), base_url(request))


# -- submissions ---------------------------------------------------------------------------


def ensure_submissions(
    conn: sqlite3.Connection, assignment_ids: list[int], user_ids: list[int]
) -> None:
    """Materialize the unsubmitted rows Canvas keeps for every student and assignment."""
    now = utcnow()
    conn.executemany(
        "INSERT OR IGNORE INTO submissions (assignment_id, user_id, updated_at) VALUES (?, ?, ?)",
        [(a, u, now) for a in assignment_ids for u in user_ids],
    )


def submission_row(conn: sqlite3.Connection, assignment_id: int, user_id: int) -> sqlite3.Row:
    """The submission of one student for one assignment, created unsubmitted if absent."""
    ensure_submissions(conn, [assignment_id], [user_id])
    row = conn.execute(
        shapes.SUBMISSION_SQL + " WHERE s.assignment_id = ? AND s.user_id = ?",
        (assignment_id, user_id),
    ).fetchone()
    return row  # type: ignore[no-any-return]


def _student(conn: sqlite3.Connection, course_id: int, user_ref: str) -> sqlite3.Row:
    user = refs.get(conn, "users", user_ref)
    enrolled = conn.execute(
        "SELECT 1 FROM enrollments WHERE course_id = ? AND user_id = ?"
        " AND type = 'StudentEnrollment' AND workflow_state != 'deleted'",
        (course_id, user["id"]),
    ).fetchone()
    if enrolled is None:
        raise not_found()
    return user


def emit_submission(tx: Tx, name: str, row: sqlite3.Row) -> None:
    """Queue ``submission_created`` / ``submission_updated``."""
    data = shapes.submission(row)
    tx.emit(
        name,
        {
            "submission_id": row["id"],
            "assignment_id": row["assignment_id"],
            "user_id": row["user_id"],
            "submitted_at": row["submitted_at"],
            "graded_at": row["graded_at"],
            "updated_at": row["updated_at"],
            "score": row["score"],
            "grade": row["grade"],
            "submission_type": row["submission_type"],
            "body": row["body"],
            "url": row["url"],
            "attempt": row["attempt"],
            "late": data["late"],
            "missing": data["missing"],
            "workflow_state": row["workflow_state"],
            "group_id": None,
        },
        context_type="Course",
        context_id=row["course_id"],
        user_id=row["user_id"],
    )


def submit(
    tx: Tx,
    assignment_id: int,
    user_id: int,
    kind: str,
    body: str | None,
    url: str | None,
    submitted_at: str,
) -> sqlite3.Row:
    """Record a submission attempt (shared by the API and the activity simulation)."""
    before = submission_row(tx.conn, assignment_id, user_id)
    tx.conn.execute(
        "UPDATE submissions SET submitted_at = ?, submission_type = ?, body = ?, url = ?,"
        " attempt = COALESCE(attempt, 0) + 1, workflow_state = CASE WHEN score IS NULL"
        " THEN 'submitted' ELSE 'pending_review' END, updated_at = ? WHERE id = ?",
        (submitted_at, kind, body, url, utcnow(), before["id"]),
    )
    after = submission_row(tx.conn, assignment_id, user_id)
    emit_submission(
        tx, "submission_created" if before["attempt"] is None else "submission_updated", after
    )
    return after


def grade(
    tx: Tx,
    assignment: sqlite3.Row,
    user: sqlite3.Row,
    posted: str | None,
    excuse: bool,
    grader_id: int = ADMIN_USER_ID,
) -> sqlite3.Row:
    """Grade (or excuse) a submission and emit ``grade_change`` (API and activity simulation)."""
    course = tx.conn.execute(
        "SELECT grading_standard_id FROM courses WHERE id = ?", (assignment["course_id"],)
    ).fetchone()
    before = submission_row(tx.conn, assignment["id"], user["id"])
    if excuse:
        score, letter = None, None
    elif posted is None:
        return before
    else:
        scheme = grading.scheme_of(tx.conn, course["grading_standard_id"])
        score, letter = grading.posted_grade_to_score(
            posted, assignment["points_possible"], assignment["grading_type"], scheme
        )
    now = utcnow()
    tx.conn.execute(
        "UPDATE submissions SET score = ?, grade = ?, excused = ?, graded_at = ?, grader_id = ?,"
        " workflow_state = ?, updated_at = ? WHERE id = ?",
        (
            score,
            letter,
            excuse,
            now if score is not None or excuse else None,
            grader_id if score is not None or excuse else None,
            "graded"
            if score is not None or excuse
            else ("submitted" if before["submitted_at"] else "unsubmitted"),
            now,
            before["id"],
        ),
    )
    after = submission_row(tx.conn, assignment["id"], user["id"])
    tx.emit(
        "grade_change",
        {
            "submission_id": after["id"],
            "assignment_id": assignment["id"],
            "grade": after["grade"],
            "old_grade": before["grade"],
            "score": after["score"],
            "old_score": before["score"],
            "points_possible": assignment["points_possible"],
            "old_points_possible": assignment["points_possible"],
            "grader_id": grader_id,
            "student_id": user["id"],
            "student_sis_id": user["sis_user_id"],
            "user_id": user["id"],
            "grading_complete": score is not None or excuse,
            "muted": False,
        },
        context_type="Course",
        context_id=assignment["course_id"],
        user_id=grader_id,
    )
    emit_submission(tx, "submission_updated", after)
    return after


@router.post("/courses/{course_ref}/assignments/{assignment_id}/submissions")
def create_submission(
    course_ref: str, assignment_id: int, sim: Sim, params: Form
) -> dict[str, Any]:
    """Submit for a student: ``submission[submission_type|body|url]``.

    The token is an admin's, so ``submission[user_id]`` names the student;
    ``submission[submitted_at]`` may back-date the attempt.
    """
    kind = params.required("submission", "submission_type")
    user_ref = params.required("submission", "user_id")
    with sim.transaction() as tx:
        course = refs.get(tx.conn, "courses", course_ref)
        assignment = _assignment(tx.conn, course["id"], assignment_id)
        user = _student(tx.conn, course["id"], user_ref)
        row = submit(
            tx,
            assignment["id"],
            user["id"],
            kind,
            params.text("submission", "body"),
            params.text("submission", "url"),
            params.text("submission", "submitted_at") or utcnow(),
        )
        return shapes.submission(row)


@router.put("/courses/{course_ref}/assignments/{assignment_id}/submissions/{user_ref}")
def grade_submission(
    course_ref: str, assignment_id: int, user_ref: str, sim: Sim, params: Form
) -> dict[str, Any]:
    """Grade with ``submission[posted_grade]`` (points, ``85%``, a letter, pass/fail).

    ``submission[excuse]=true`` excuses instead.
    """
    with sim.transaction() as tx:
        course = refs.get(tx.conn, "courses", course_ref)
        assignment = _assignment(tx.conn, course["id"], assignment_id)
        user = _student(tx.conn, course["id"], user_ref)
        row = grade(
            tx,
            assignment,
            user,
            params.text("submission", "posted_grade"),
            params.flag("submission", "excuse"),
        )
        return shapes.submission(row)


@router.get("/courses/{course_ref}/assignments/{assignment_id}/submissions/{user_ref}")
def get_submission(course_ref: str, assignment_id: int, user_ref: str, sim: Sim) -> dict[str, Any]:
    """One student's submission for one assignment."""
    with sim.store.write() as conn:
        course = refs.get(conn, "courses", course_ref)
        assignment = _assignment(conn, course["id"], assignment_id)
        user = _student(conn, course["id"], user_ref)
        return shapes.submission(submission_row(conn, assignment["id"], user["id"]))


def _students(conn: sqlite3.Connection, course_id: int) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT user_id FROM enrollments WHERE course_id = ?"
            " AND type = 'StudentEnrollment'"
            " AND workflow_state IN ('active', 'invited', 'completed', 'inactive')"
            " ORDER BY user_id",
            (course_id,),
        )
    ]


def _paged_submissions(
    request: Request,
    response: Response,
    sim: Sim,
    course_ref: str,
    assignment_ids: list[str],
    student_ids: list[str],
) -> list[Any]:
    page = Page(request)
    with sim.store.write() as conn:
        course = refs.get(conn, "courses", course_ref)
        all_students = _students(conn, course["id"])
        if "all" in student_ids:
            users = all_students
        else:
            wanted = {int(u["id"]) for ref in student_ids if (u := refs.find(conn, "users", ref))}
            users = [u for u in all_students if u in wanted]
        assignments = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM assignments WHERE course_id = ? ORDER BY position, id",
                (course["id"],),
            )
        ]
        if assignment_ids:
            chosen = {int(a) for a in assignment_ids if a.isdigit()}
            assignments = [a for a in assignments if a in chosen]
        pairs = [(u, a) for u in users for a in assignments]
        window = pairs[page.offset : page.offset + page.per_page]
        ensure_submissions(conn, sorted({a for _, a in window}), sorted({u for u, _ in window}))
        now = datetime.now(UTC)
        items = []
        for user_id, assignment_id in window:
            row = conn.execute(
                shapes.SUBMISSION_SQL + " WHERE s.assignment_id = ? AND s.user_id = ?",
                (assignment_id, user_id),
            ).fetchone()
            items.append(shapes.submission(row, now))
    return page.respond(response, len(pairs), items)


@router.get("/courses/{course_ref}/students/submissions")
def list_student_submissions(
    course_ref: str, request: Request, response: Response, sim: Sim, params: Form
) -> list[Any]:
    """Submissions of ``student_ids[]`` (ids, SIS refs or ``all``) for ``assignment_ids[]``.

    Canvas returns the caller's own submissions when ``student_ids`` is omitted: for the admin
    token that is nothing. Every (student, assignment) pair has a row, unsubmitted if need be.
    """
    return _paged_submissions(
        request,
        response,
        sim,
        course_ref,
        params.strings("assignment_ids"),
        params.strings("student_ids"),
    )


@router.get("/courses/{course_ref}/assignments/{assignment_id}/submissions")
def list_assignment_submissions(
    course_ref: str, assignment_id: int, request: Request, response: Response, sim: Sim
) -> list[Any]:
    """Every student's submission for one assignment."""
    return _paged_submissions(request, response, sim, course_ref, [str(assignment_id)], ["all"])


# -- analytics -----------------------------------------------------------------------------


@router.get("/courses/{course_ref}/analytics/student_summaries")
def student_summaries(
    course_ref: str, request: Request, response: Response, sim: Sim, params: Form
) -> list[Any]:
    """Per-student page views, participations and tardiness, with the course maxima."""
    now = datetime.now(UTC)
    with sim.store.read() as conn:
        course = refs.get(conn, "courses", course_ref)
        users = _students(conn, course["id"])
        only = params.text("student_id")
        activity = {
            r["user_id"]: (r["page_views"], r["participations"])
            for r in conn.execute("SELECT * FROM activity WHERE course_id = ?", (course["id"],))
        }
        assignments = conn.execute(
            "SELECT id, due_at FROM assignments WHERE course_id = ? AND published = 1",
            (course["id"],),
        ).fetchall()
        subs = {
            (r["user_id"], r["assignment_id"]): r
            for r in conn.execute(shapes.SUBMISSION_SQL + " WHERE a.course_id = ?", (course["id"],))
        }
    max_views = max((activity.get(u, (0, 0))[0] for u in users), default=0)
    max_parts = max((activity.get(u, (0, 0))[1] for u in users), default=0)

    def summary(user_id: int) -> dict[str, Any]:
        tardiness = {"on_time": 0, "late": 0, "missing": 0, "floating": 0}
        for a in assignments:
            row = subs.get((user_id, a["id"]))
            submitted = row["submitted_at"] if row else None
            graded = row is not None and row["score"] is not None
            flags = grading.status(
                a["due_at"], submitted, graded, bool(row and row["excused"]), now
            )
            if flags.late:
                tardiness["late"] += 1
            elif flags.missing:
                tardiness["missing"] += 1
            elif submitted or graded:
                tardiness["on_time"] += 1
            else:
                tardiness["floating"] += 1
        views, parts = activity.get(user_id, (0, 0))
        return {
            "id": user_id,
            "page_views": views,
            "max_page_views": max_views,
            "page_views_level": _level(views, max_views),
            "participations": parts,
            "max_participations": max_parts,
            "participations_level": _level(parts, max_parts),
            "tardiness_breakdown": {"total": len(assignments), **tardiness},
        }

    chosen = [u for u in users if only is None or str(u) == only]
    return Page(request).slice(response, chosen, summary)


def _level(value: int, maximum: int) -> int:
    """Canvas's 0-3 activity level relative to the course maximum."""
    if value == 0 or maximum == 0:
        return 0
    return min(3, 1 + int(3 * value / (maximum + 1)))
