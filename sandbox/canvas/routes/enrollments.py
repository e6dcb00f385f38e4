"""Enrollments: create (idempotent per user, section and type), list, end, reactivate."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import Request, Response

from sandbox.canvas import grading, refs, shapes
from sandbox.canvas.errors import CanvasError, bad_request, not_found
from sandbox.canvas.pagination import Page
from sandbox.canvas.routes.common import Form, Sim, api_router, base_url
from sandbox.canvas.routes.courses import default_section
from sandbox.canvas.simulator import Tx
from sandbox.canvas.storage import utcnow

router = api_router()

TYPES = set(shapes.ROLE_OF_TYPE)
CREATE_STATES = {"active", "invited", "inactive", "creation_pending"}
TASK_STATES = {
    "conclude": "completed",
    "delete": "deleted",
    "inactivate": "inactive",
    "deactivate": "inactive",
}
DEFAULT_LIST_STATES = ("active", "invited")


def render(conn: sqlite3.Connection, rows: list[sqlite3.Row], base: str) -> list[dict[str, Any]]:
    """Enrollment JSON with ``grades`` for student enrollments, computed per course."""
    students: dict[int, list[int]] = {}
    for row in rows:
        if row["type"] == "StudentEnrollment":
            students.setdefault(row["course_id"], []).append(row["user_id"])
    grades = {
        (course_id, user_id): g
        for course_id, user_ids in students.items()
        for user_id, g in grading.course_grades(conn, course_id, user_ids).items()
    }
    return [
        shapes.enrollment(row, base, grades.get((row["course_id"], row["user_id"]))) for row in rows
    ]


def _one(conn: sqlite3.Connection, enrollment_id: int, base: str) -> dict[str, Any]:
    row = conn.execute(shapes.ENROLLMENT_SQL + " WHERE e.id = ?", (enrollment_id,)).fetchone()
    if row is None:
        raise not_found()
    return render(conn, [row], base)[0]


def emit_enrollment(tx: Tx, name: str, enrollment_id: int) -> None:
    """Queue ``enrollment_created`` / ``enrollment_updated`` for a committed change."""
    row = tx.conn.execute(shapes.ENROLLMENT_SQL + " WHERE e.id = ?", (enrollment_id,)).fetchone()
    tx.emit(
        name,
        {
            "enrollment_id": row["id"],
            "course_id": row["course_id"],
            "user_id": row["user_id"],
            "user_name": row["u_name"],
            "type": row["type"],
            "workflow_state": row["workflow_state"],
            "course_section_id": row["course_section_id"],
            "associated_user_id": None,
            "limit_privileges_to_course_section": bool(row["limit_privileges"]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        },
        context_type="Course",
        context_id=row["course_id"],
    )


def _create(tx: Tx, course: sqlite3.Row, section_id: int, params: Form) -> int:
    user_ref = params.required("enrollment", "user_id")
    user = refs.get(tx.conn, "users", user_ref)
    kind = params.text("enrollment", "type") or "StudentEnrollment"
    if kind not in TYPES:
        # canvas-lms EnrollmentsApiController#create: render_create_errors → 400 {"message"}.
        raise CanvasError(400, {"message": "Invalid type"})
    state = params.text("enrollment", "enrollment_state")
    if state is not None and state not in CREATE_STATES:
        raise bad_request(f"invalid enrollment[enrollment_state] {state!r}")
    limit = params.flag("enrollment", "limit_privileges_to_course_section")
    now = utcnow()
    existing = tx.conn.execute(
        "SELECT id, workflow_state FROM enrollments WHERE user_id = ? AND course_section_id = ?"
        " AND type = ?",
        (user["id"], section_id, kind),
    ).fetchone()
    if existing is None:
        enrollment_id = (
            tx.conn.execute(
                "INSERT INTO enrollments (user_id, course_id, course_section_id, type,"
                " workflow_state, limit_privileges, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (user["id"], course["id"], section_id, kind, state or "invited", limit, now, now),
            ).lastrowid
            or 0
        )
        emit_enrollment(tx, "enrollment_created", enrollment_id)
        return enrollment_id
    wanted = state or (
        existing["workflow_state"] if existing["workflow_state"] == "active" else "invited"
    )
    if wanted != existing["workflow_state"]:
        tx.conn.execute(
            "UPDATE enrollments SET workflow_state = ?, updated_at = ? WHERE id = ?",
            (wanted, now, existing["id"]),
        )
        emit_enrollment(tx, "enrollment_updated", existing["id"])
    return int(existing["id"])


@router.post("/courses/{course_ref}/enrollments")
def enroll_in_course(course_ref: str, request: Request, sim: Sim, params: Form) -> dict[str, Any]:
    """Enroll a user (id or ``sis_user_id:``) in a course.

    The section is ``enrollment[course_section_id]`` or the course's default one. An existing
    enrollment of the same user, section and type is returned (and its state updated) instead
    of a duplicate, as Canvas does: that makes client retries idempotent.
    """
    with sim.transaction() as tx:
        course = refs.get(tx.conn, "courses", course_ref)
        section_ref = params.text("enrollment", "course_section_id")
        if section_ref:
            section = refs.get(tx.conn, "sections", section_ref)
            if section["course_id"] != course["id"]:
                raise bad_request("course_section_id does not belong to this course")
            section_id = int(section["id"])
        else:
            section_id = default_section(tx.conn, course)
        enrollment_id = _create(tx, course, section_id, params)
        return _one(tx.conn, enrollment_id, base_url(request))


@router.post("/sections/{section_ref}/enrollments")
def enroll_in_section(section_ref: str, request: Request, sim: Sim, params: Form) -> dict[str, Any]:
    """Enroll a user in a section (and so in the course the section is in now)."""
    with sim.transaction() as tx:
        section = refs.get(tx.conn, "sections", section_ref)
        if section["workflow_state"] == "deleted":
            raise not_found()
        course = refs.get(tx.conn, "courses", section["course_id"])
        enrollment_id = _create(tx, course, int(section["id"]), params)
        return _one(tx.conn, enrollment_id, base_url(request))


def _list(
    request: Request,
    response: Response,
    sim: Sim,
    params: Form,
    column: str,
    kind: refs.Kind,
    ref: str,
) -> list[Any]:
    page = Page(request)
    with sim.store.read() as conn:
        owner = refs.get(conn, kind, "1" if kind == "users" and ref == "self" else ref)
        where, args = [f"e.{column} = ?"], [owner["id"]]
        states = params.strings("state") or list(DEFAULT_LIST_STATES)
        if "current_and_invited" in states:
            states = [*states, "active", "invited"]
        if "current_and_concluded" in states:
            states = [*states, "active", "completed"]
        where.append(f"e.workflow_state IN ({','.join('?' * len(states))})")
        args += states
        types = params.strings("type") or params.strings("role")
        if types:
            where.append(f"e.type IN ({','.join('?' * len(types))})")
            args += types
        user_ref = params.text("user_id")
        if user_ref:
            user = refs.find(conn, "users", user_ref)
            where.append("e.user_id = ?")
            args.append(user["id"] if user else -1)
        sis_users = params.strings("sis_user_id")
        if sis_users:
            where.append(f"u.sis_user_id IN ({','.join('?' * len(sis_users))})")
            args += sis_users
        sis_sections = params.strings("sis_section_id")
        if sis_sections:
            where.append(f"s.sis_section_id IN ({','.join('?' * len(sis_sections))})")
            args += sis_sections
        clause = " AND ".join(where)
        count_sql = (
            "SELECT COUNT(*) FROM enrollments e JOIN users u ON u.id = e.user_id"
            f" JOIN sections s ON s.id = e.course_section_id WHERE {clause}"
        )
        total = conn.execute(count_sql, args).fetchone()[0]
        rows = conn.execute(
            f"{shapes.ENROLLMENT_SQL} WHERE {clause} ORDER BY e.id LIMIT ? OFFSET ?",
            [*args, page.per_page, page.offset],
        ).fetchall()
        return page.respond(response, total, render(conn, rows, base_url(request)))


@router.get("/courses/{course_ref}/enrollments")
def list_course_enrollments(
    course_ref: str, request: Request, response: Response, sim: Sim, params: Form
) -> list[Any]:
    """A course's enrollments, filtered.

    Filters: ``state[]`` (default active and invited), ``type[]``, ``role[]``, ``user_id``,
    ``sis_user_id[]``, ``sis_section_id[]``.
    """
    return _list(request, response, sim, params, "course_id", "courses", course_ref)


@router.get("/sections/{section_ref}/enrollments")
def list_section_enrollments(
    section_ref: str, request: Request, response: Response, sim: Sim, params: Form
) -> list[Any]:
    """A section's enrollments, with the same filters."""
    return _list(request, response, sim, params, "course_section_id", "sections", section_ref)


@router.get("/users/{user_ref}/enrollments")
def list_user_enrollments(
    user_ref: str, request: Request, response: Response, sim: Sim, params: Form
) -> list[Any]:
    """A user's enrollments, with the same filters."""
    return _list(request, response, sim, params, "user_id", "users", user_ref)


def _course_enrollment(tx: Tx, course_ref: str, enrollment_id: int) -> sqlite3.Row:
    course = refs.get(tx.conn, "courses", course_ref)
    row = tx.conn.execute(
        "SELECT * FROM enrollments WHERE id = ? AND course_id = ?", (enrollment_id, course["id"])
    ).fetchone()
    if row is None:
        raise not_found()
    return row  # type: ignore[no-any-return]


def _set_state(tx: Tx, row: sqlite3.Row, state: str) -> None:
    if row["workflow_state"] == state:
        return
    tx.conn.execute(
        "UPDATE enrollments SET workflow_state = ?, updated_at = ? WHERE id = ?",
        (state, utcnow(), row["id"]),
    )
    emit_enrollment(tx, "enrollment_updated", row["id"])


@router.delete("/courses/{course_ref}/enrollments/{enrollment_id}")
def end_enrollment(
    course_ref: str, enrollment_id: int, request: Request, sim: Sim, params: Form
) -> dict[str, Any]:
    """End an enrollment with the ``task`` read from the form body.

    conclude (default) → completed, delete → deleted, inactivate/deactivate → inactive.
    """
    task = params.text("task") or "conclude"
    if task not in TASK_STATES:
        raise bad_request(f"invalid task {task!r}")
    with sim.transaction() as tx:
        row = _course_enrollment(tx, course_ref, enrollment_id)
        _set_state(tx, row, TASK_STATES[task])
        return _one(tx.conn, enrollment_id, base_url(request))


@router.put("/courses/{course_ref}/enrollments/{enrollment_id}/reactivate")
def reactivate_enrollment(
    course_ref: str, enrollment_id: int, request: Request, sim: Sim
) -> dict[str, Any]:
    """Make an inactive enrollment active again (Canvas refuses other states)."""
    with sim.transaction() as tx:
        row = _course_enrollment(tx, course_ref, enrollment_id)
        if row["workflow_state"] not in {"inactive", "active"}:
            raise bad_request("enrollment is not inactive")
        _set_state(tx, row, "active")
        return _one(tx.conn, enrollment_id, base_url(request))


def _in_account(conn: sqlite3.Connection, account_id: int, course_account_id: int) -> bool:
    """Whether a course's account is ``account_id`` or below it."""
    current: int | None = course_account_id
    while current is not None:
        if current == account_id:
            return True
        row = conn.execute(
            "SELECT parent_account_id FROM accounts WHERE id = ?", (current,)
        ).fetchone()
        current = row["parent_account_id"] if row else None
    return False


@router.get("/accounts/{account_ref}/enrollments/{enrollment_id}")
def get_account_enrollment(
    account_ref: str, enrollment_id: int, request: Request, sim: Sim
) -> dict[str, Any]:
    """One enrollment by id (canvasapi ``Account.get_enrollment``), in any state.

    Canvas's ``enrollments_api#show`` looks the id up among the account's enrollments, so one in
    a course of another account is a 404.
    """
    with sim.store.read() as conn:
        account = refs.get(conn, "accounts", account_ref)
        row = conn.execute(
            "SELECT c.account_id FROM enrollments e JOIN courses c ON c.id = e.course_id"
            " WHERE e.id = ?",
            (enrollment_id,),
        ).fetchone()
        if row is None or not _in_account(conn, int(account["id"]), int(row["account_id"])):
            raise not_found()
        return _one(conn, enrollment_id, base_url(request))


@router.get("/courses/{course_ref}/users")
@router.get("/courses/{course_ref}/search_users")
def list_course_users(
    course_ref: str, request: Request, response: Response, sim: Sim, params: Form
) -> list[Any]:
    """Users with a live enrollment in the course (canvasapi's ``Course.get_users``).

    Filters: ``enrollment_type[]`` (student, teacher, ta, observer, designer), ``search_term``.
    """
    page = Page(request)
    types = [f"{t.capitalize()}Enrollment" for t in params.strings("enrollment_type")]
    where = ["e.course_id = ?", "e.workflow_state IN ('active', 'invited')"]
    with sim.store.read() as conn:
        args: list[Any] = [refs.get(conn, "courses", course_ref)["id"]]
        if types:
            where.append(f"e.type IN ({','.join('?' * len(types))})")
            args += types
        search = params.text("search_term")
        if search:
            where.append("(u.name LIKE ? OR u.login_id LIKE ? OR u.sis_user_id LIKE ?)")
            args += [f"%{search}%"] * 3
        clause = " AND ".join(where)
        users = (
            "FROM users u WHERE u.id IN (SELECT e.user_id FROM enrollments e"
            f" JOIN users u ON u.id = e.user_id WHERE {clause})"
        )
        total = conn.execute(f"SELECT COUNT(*) {users}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT u.* {users} ORDER BY u.sortable_name, u.id LIMIT ? OFFSET ?",
            [*args, page.per_page, page.offset],
        ).fetchall()
    return page.respond(response, total, [shapes.user(r) for r in rows])
