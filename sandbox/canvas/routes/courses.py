"""Courses, sections (with cross-listing), course-copy content migrations and progress."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from fastapi import Request, Response

from sandbox.canvas import refs, shapes
from sandbox.canvas.errors import bad_request, field_error, not_found
from sandbox.canvas.pagination import Page
from sandbox.canvas.routes.common import Form, Sim, api_router, base_url
from sandbox.canvas.simulator import Simulator
from sandbox.canvas.storage import utcnow

router = api_router()

COURSE_EVENTS = {
    "offer": "available",
    "claim": "unpublished",
    "conclude": "completed",
    "delete": "deleted",
    "undelete": "unpublished",
}


def _check_course_sis(conn: sqlite3.Connection, sis_id: str | None, own_id: int | None) -> None:
    if sis_id is None:
        return
    row = conn.execute("SELECT id FROM courses WHERE sis_course_id = ?", (sis_id,)).fetchone()
    if row is not None and row["id"] != own_id:
        raise field_error(400, [], "sis_source_id", "taken", f'SIS ID "{sis_id}" is already in use')


def _term_id(conn: sqlite3.Connection, params: Form, default: int) -> int:
    ref = params.text("course", "term_id") or params.text("course", "enrollment_term_id")
    if not ref:
        return default
    term = refs.find(conn, "terms", ref)
    if term is None:
        raise bad_request(f"term {ref} does not exist")
    return int(term["id"])


def _standard_id(conn: sqlite3.Connection, params: Form, default: int | None) -> int | None:
    value = params.text("course", "grading_standard_id")
    if value is None:
        return default
    if value == "":
        return None
    row = conn.execute("SELECT id FROM grading_standards WHERE id = ?", (value,)).fetchone()
    if row is None:
        raise bad_request(f"grading standard {value} does not exist")
    return int(row["id"])


@router.post("/accounts/{account_ref}/courses")
def create_course(account_ref: str, request: Request, sim: Sim, params: Form) -> dict[str, Any]:
    """A course: ``course[name|course_code|sis_course_id|term_id]``, ``offer``."""
    name = params.text("course", "name") or "Unnamed Course"
    sis_id = params.text("course", "sis_course_id") or None
    with sim.transaction() as tx:
        account = refs.get(tx.conn, "accounts", account_ref)
        _check_course_sis(tx.conn, sis_id, None)
        state = "available" if params.flag("offer") else "unpublished"
        event = params.text("course", "event")
        if event in COURSE_EVENTS:
            state = COURSE_EVENTS[event]
        cursor = tx.conn.execute(
            "INSERT INTO courses (account_id, name, course_code, sis_course_id, term_id,"
            " workflow_state, start_at, end_at, grading_standard_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account["id"],
                name,
                params.text("course", "course_code") or name,
                sis_id,
                _term_id(tx.conn, params, 1),
                state,
                params.text("course", "start_at"),
                params.text("course", "end_at"),
                _standard_id(tx.conn, params, None),
                utcnow(),
            ),
        )
        return shapes.course(refs.get(tx.conn, "courses", cursor.lastrowid or 0), base_url(request))


@router.get("/courses/{course_ref}")
def get_course(course_ref: str, request: Request, sim: Sim) -> dict[str, Any]:
    """One course by id or ``sis_course_id:`` (deleted ones too, with their state)."""
    with sim.store.read() as conn:
        return shapes.course(refs.get(conn, "courses", course_ref), base_url(request))


@router.put("/courses/{course_ref}")
def update_course(course_ref: str, request: Request, sim: Sim, params: Form) -> dict[str, Any]:
    """Edit a course; ``course[event]`` offer/claim/conclude/delete/undelete moves its state."""
    with sim.transaction() as tx:
        row = refs.get(tx.conn, "courses", course_ref)
        sis_id = params.text("course", "sis_course_id")
        if sis_id is not None:
            _check_course_sis(tx.conn, sis_id or None, row["id"])
        event = params.text("course", "event")
        if event is not None and event not in COURSE_EVENTS:
            raise bad_request(f"invalid course[event] {event!r}")
        tx.conn.execute(
            "UPDATE courses SET name = ?, course_code = ?, sis_course_id = ?, term_id = ?,"
            " workflow_state = ?, start_at = ?, end_at = ?, grading_standard_id = ? WHERE id = ?",
            (
                params.text("course", "name") or row["name"],
                params.text("course", "course_code") or row["course_code"],
                row["sis_course_id"] if sis_id is None else (sis_id or None),
                _term_id(tx.conn, params, row["term_id"]),
                COURSE_EVENTS[event] if event else row["workflow_state"],
                params.text("course", "start_at") or row["start_at"],
                params.text("course", "end_at") or row["end_at"],
                _standard_id(tx.conn, params, row["grading_standard_id"]),
                row["id"],
            ),
        )
        return shapes.course(refs.get(tx.conn, "courses", row["id"]), base_url(request))


@router.delete("/courses/{course_ref}")
def delete_course(course_ref: str, sim: Sim, params: Form) -> dict[str, bool]:
    """``event=delete`` or ``event=conclude`` (form body); answers ``{event: true}``."""
    event = params.required("event")
    if event not in {"delete", "conclude"}:
        raise bad_request("event must be delete or conclude")
    with sim.transaction() as tx:
        row = refs.get(tx.conn, "courses", course_ref)
        tx.conn.execute(
            "UPDATE courses SET workflow_state = ? WHERE id = ?", (COURSE_EVENTS[event], row["id"])
        )
        if event == "conclude":
            tx.conn.execute(
                "UPDATE enrollments SET workflow_state = 'completed', updated_at = ?"
                " WHERE course_id = ? AND workflow_state IN ('active', 'invited')",
                (utcnow(), row["id"]),
            )
    return {event: True}


@router.get("/accounts/{account_ref}/courses")
def list_account_courses(
    account_ref: str, request: Request, response: Response, sim: Sim, params: Form
) -> list[Any]:
    """An account's courses, filtered as Canvas does.

    Filters: ``enrollment_term_id``, ``state[]`` (default: all but deleted), ``search_term``
    and ``with_enrollments``.
    """
    page = Page(request)
    where, args = ["account_id = ?"], []
    states = params.strings("state")
    with sim.store.read() as conn:
        args.append(refs.get(conn, "accounts", account_ref)["id"])
        term_ref = params.text("enrollment_term_id")
        if term_ref:
            where.append("term_id = ?")
            args.append(refs.get(conn, "terms", term_ref)["id"])
        if states and "all" not in states:
            where.append(f"workflow_state IN ({','.join('?' * len(states))})")
            args += states
        elif not states:
            where.append("workflow_state != 'deleted'")
        search = params.text("search_term")
        if search:
            where.append("(name LIKE ? OR course_code LIKE ? OR sis_course_id LIKE ?)")
            args += [f"%{search}%"] * 3
        if params.text("with_enrollments") is not None:
            exists = (
                "EXISTS (SELECT 1 FROM enrollments e WHERE e.course_id = courses.id"
                " AND e.workflow_state != 'deleted')"
            )
            where.append(exists if params.flag("with_enrollments") else f"NOT {exists}")
        clause = " AND ".join(where)
        total = conn.execute(f"SELECT COUNT(*) FROM courses WHERE {clause}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT * FROM courses WHERE {clause} ORDER BY id LIMIT ? OFFSET ?",
            [*args, page.per_page, page.offset],
        ).fetchall()
    base = base_url(request)
    return page.respond(response, total, [shapes.course(r, base) for r in rows])


# -- sections ------------------------------------------------------------------------------


def default_section(conn: sqlite3.Connection, course: sqlite3.Row) -> int:
    """The course's default section, created on first need as Canvas does."""
    row = conn.execute(
        "SELECT id FROM sections WHERE course_id = ? AND default_section = 1", (course["id"],)
    ).fetchone()
    if row is not None:
        return int(row["id"])
    cursor = conn.execute(
        "INSERT INTO sections (course_id, name, default_section, created_at) VALUES (?, ?, 1, ?)",
        (course["id"], course["name"], utcnow()),
    )
    return cursor.lastrowid or 0


def section_json(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """A section with its current course's SIS id."""
    course = conn.execute(
        "SELECT sis_course_id FROM courses WHERE id = ?", (row["course_id"],)
    ).fetchone()
    return shapes.section(row, course["sis_course_id"] if course else None)


def _live_section(conn: sqlite3.Connection, ref: str) -> sqlite3.Row:
    row = refs.get(conn, "sections", ref)
    if row["workflow_state"] == "deleted":
        raise not_found()
    return row


@router.post("/courses/{course_ref}/sections")
def create_section(course_ref: str, sim: Sim, params: Form) -> dict[str, Any]:
    """A section (``course_section[name]``, ``[sis_section_id]``, ``[start_at]``, ``[end_at]``).

    ``[restrict_enrollments_to_section_dates]`` makes its dates, not the course's, bound access.
    """
    sis_id = params.text("course_section", "sis_section_id") or None
    with sim.transaction() as tx:
        course = refs.get(tx.conn, "courses", course_ref)
        if (
            sis_id
            and tx.conn.execute(
                "SELECT 1 FROM sections WHERE sis_section_id = ?", (sis_id,)
            ).fetchone()
        ):
            raise field_error(
                400, [], "sis_source_id", "taken", f'SIS ID "{sis_id}" is already in use'
            )
        cursor = tx.conn.execute(
            "INSERT INTO sections (course_id, name, sis_section_id, start_at, end_at,"
            " restrict_enrollments_to_section_dates, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                course["id"],
                params.text("course_section", "name") or "Section",
                sis_id,
                params.text("course_section", "start_at"),
                params.text("course_section", "end_at"),
                params.flag("course_section", "restrict_enrollments_to_section_dates"),
                utcnow(),
            ),
        )
        return section_json(tx.conn, refs.get(tx.conn, "sections", cursor.lastrowid or 0))


@router.get("/courses/{course_ref}/sections")
def list_sections(course_ref: str, request: Request, response: Response, sim: Sim) -> list[Any]:
    """A course's sections (including those cross-listed into it)."""
    with sim.store.read() as conn:
        course = refs.get(conn, "courses", course_ref)
        rows = conn.execute(
            "SELECT * FROM sections WHERE course_id = ? AND workflow_state != 'deleted'"
            " ORDER BY id",
            (course["id"],),
        ).fetchall()
        return Page(request).slice(
            response, rows, lambda r: shapes.section(r, course["sis_course_id"])
        )


@router.get("/sections/{section_ref}")
def get_section(section_ref: str, sim: Sim) -> dict[str, Any]:
    """One section by id or ``sis_section_id:``."""
    with sim.store.read() as conn:
        return section_json(conn, _live_section(conn, section_ref))


@router.get("/courses/{course_ref}/sections/{section_ref}")
def get_course_section(course_ref: str, section_ref: str, sim: Sim) -> dict[str, Any]:
    """One section, looked up under its course."""
    with sim.store.read() as conn:
        course = refs.get(conn, "courses", course_ref)
        row = _live_section(conn, section_ref)
        if row["course_id"] != course["id"]:
            raise not_found()
        return section_json(conn, row)


@router.put("/sections/{section_ref}")
def update_section(section_ref: str, sim: Sim, params: Form) -> dict[str, Any]:
    """Rename a section or change its SIS id or dates."""
    with sim.transaction() as tx:
        row = _live_section(tx.conn, section_ref)
        sis_id = params.text("course_section", "sis_section_id")
        tx.conn.execute(
            "UPDATE sections SET name = ?, sis_section_id = ?, start_at = ?, end_at = ?,"
            " restrict_enrollments_to_section_dates = ? WHERE id = ?",
            (
                params.text("course_section", "name") or row["name"],
                row["sis_section_id"] if sis_id is None else (sis_id or None),
                params.text("course_section", "start_at") or row["start_at"],
                params.text("course_section", "end_at") or row["end_at"],
                params.flag(
                    "course_section",
                    "restrict_enrollments_to_section_dates",
                    default=bool(row["restrict_enrollments_to_section_dates"]),
                ),
                row["id"],
            ),
        )
        return section_json(tx.conn, refs.get(tx.conn, "sections", row["id"]))


@router.delete("/sections/{section_ref}")
def delete_section(section_ref: str, sim: Sim) -> dict[str, Any]:
    """Delete a section; Canvas refuses while it has live enrollments."""
    with sim.transaction() as tx:
        row = _live_section(tx.conn, section_ref)
        if tx.conn.execute(
            "SELECT 1 FROM enrollments WHERE course_section_id = ? AND workflow_state != 'deleted'",
            (row["id"],),
        ).fetchone():
            raise bad_request("Sections with enrollments cannot be deleted")
        tx.conn.execute("UPDATE sections SET workflow_state = 'deleted' WHERE id = ?", (row["id"],))
        return section_json(tx.conn, refs.get(tx.conn, "sections", row["id"]))


def move_section(
    conn: sqlite3.Connection, section_id: int, course_id: int, home: int | None
) -> None:
    """Put a section (and its enrollments) in another course; ``home`` is the original course."""
    conn.execute(
        "UPDATE sections SET course_id = ?, nonxlist_course_id = ? WHERE id = ?",
        (course_id, home, section_id),
    )
    conn.execute(
        "UPDATE enrollments SET course_id = ?, updated_at = ? WHERE course_section_id = ?",
        (course_id, utcnow(), section_id),
    )


@router.post("/sections/{section_ref}/crosslist/{course_ref}")
def crosslist(section_ref: str, course_ref: str, sim: Sim) -> dict[str, Any]:
    """Cross-list a section into another course (which may be addressed by SIS id)."""
    with sim.transaction() as tx:
        row = _live_section(tx.conn, section_ref)
        target = refs.get(tx.conn, "courses", course_ref)
        if target["workflow_state"] == "deleted":
            raise not_found()
        if target["id"] != row["course_id"]:
            home = row["nonxlist_course_id"] or row["course_id"]
            move_section(tx.conn, row["id"], target["id"], None if home == target["id"] else home)
        return section_json(tx.conn, refs.get(tx.conn, "sections", row["id"]))


@router.delete("/sections/{section_ref}/crosslist")
def decrosslist(section_ref: str, sim: Sim) -> dict[str, Any]:
    """Return a cross-listed section to its original course."""
    with sim.transaction() as tx:
        row = _live_section(tx.conn, section_ref)
        if row["nonxlist_course_id"] is None:
            raise bad_request("section is not cross-listed")
        move_section(tx.conn, row["id"], row["nonxlist_course_id"], None)
        return section_json(tx.conn, refs.get(tx.conn, "sections", row["id"]))


# -- content migrations (course copy) ------------------------------------------------------


def _migration_json(conn: sqlite3.Connection, row: sqlite3.Row, base: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "course_id": row["course_id"],
        "migration_type": row["migration_type"],
        "migration_type_title": "Copy a Canvas Course",
        "workflow_state": row["workflow_state"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "created_at": row["created_at"],
        "progress_url": f"{base}/api/v1/progress/{row['progress_id']}",
        "migration_issues_url": f"{base}/api/v1/courses/{row['course_id']}"
        f"/content_migrations/{row['id']}/migration_issues",
        "settings": {"source_course_id": row["source_course_id"]},
    }


def _run_copy(sim: Simulator, migration_id: int) -> None:
    """The background half of a course copy: running, copy assignments and modules, completed."""
    with sim.store.write() as conn:
        row = conn.execute(
            "SELECT * FROM content_migrations WHERE id = ?", (migration_id,)
        ).fetchone()
        now = utcnow()
        conn.execute(
            "UPDATE content_migrations SET workflow_state = 'running', started_at = ? WHERE id = ?",
            (now, migration_id),
        )
        conn.execute(
            "UPDATE progress SET workflow_state = 'running', completion = 50, updated_at = ?"
            " WHERE id = ?",
            (now, row["progress_id"]),
        )
    time.sleep(sim.config.migration_delay_s)
    with sim.store.write() as conn:
        now = utcnow()
        conn.execute(
            "INSERT INTO assignments (course_id, name, description, points_possible, due_at,"
            " grading_type, submission_types, published, position, created_at, updated_at)"
            " SELECT ?, name, description, points_possible, due_at, grading_type,"
            " submission_types, published, position, ?, ? FROM assignments WHERE course_id = ?"
            " ORDER BY id",
            (row["course_id"], now, now, row["source_course_id"]),
        )
        conn.execute(
            "INSERT INTO modules (course_id, name, position, published, unlock_at, created_at)"
            " SELECT ?, name, position, published, unlock_at, ? FROM modules WHERE course_id = ?"
            " ORDER BY position, id",
            (row["course_id"], now, row["source_course_id"]),
        )
        conn.execute(
            "UPDATE content_migrations SET workflow_state = 'completed', finished_at = ?"
            " WHERE id = ?",
            (now, migration_id),
        )
        conn.execute(
            "UPDATE progress SET workflow_state = 'completed', completion = 100, updated_at = ?"
            " WHERE id = ?",
            (now, row["progress_id"]),
        )


@router.post("/courses/{course_ref}/content_migrations")
def create_migration(course_ref: str, request: Request, sim: Sim, params: Form) -> dict[str, Any]:
    """Start a ``course_copy_importer`` migration from ``settings[source_course_id]``."""
    kind = params.required("migration_type")
    if kind != "course_copy_importer":
        raise bad_request(f"migration_type {kind!r} is not supported by the simulator")
    source_ref = params.required("settings", "source_course_id")
    with sim.transaction() as tx:
        course = refs.get(tx.conn, "courses", course_ref)
        source = refs.find(tx.conn, "courses", source_ref)
        if source is None:
            raise bad_request(f"source course {source_ref} does not exist")
        now = utcnow()
        progress = tx.conn.execute(
            "INSERT INTO progress (context_type, context_id, tag, workflow_state, created_at,"
            " updated_at) VALUES ('ContentMigration', 0, 'content_migration', 'queued', ?, ?)",
            (now, now),
        ).lastrowid
        migration_id = (
            tx.conn.execute(
                "INSERT INTO content_migrations (course_id, migration_type, source_course_id,"
                " workflow_state, progress_id, created_at) VALUES (?, ?, ?, 'queued', ?, ?)",
                (course["id"], kind, source["id"], progress, now),
            ).lastrowid
            or 0
        )
        tx.conn.execute("UPDATE progress SET context_id = ? WHERE id = ?", (migration_id, progress))
        row = tx.conn.execute(
            "SELECT * FROM content_migrations WHERE id = ?", (migration_id,)
        ).fetchone()
        result = _migration_json(tx.conn, row, base_url(request))
    sim.submit_job(lambda: _run_copy(sim, migration_id))
    return result


@router.get("/courses/{course_ref}/content_migrations/{migration_id}")
def get_migration(course_ref: str, migration_id: int, request: Request, sim: Sim) -> dict[str, Any]:
    """One migration and its ``workflow_state``."""
    with sim.store.read() as conn:
        course = refs.get(conn, "courses", course_ref)
        row = conn.execute(
            "SELECT * FROM content_migrations WHERE id = ? AND course_id = ?",
            (migration_id, course["id"]),
        ).fetchone()
        if row is None:
            raise not_found()
        return _migration_json(conn, row, base_url(request))


@router.get("/courses/{course_ref}/content_migrations")
def list_migrations(course_ref: str, request: Request, response: Response, sim: Sim) -> list[Any]:
    """A course's migrations."""
    base = base_url(request)
    with sim.store.read() as conn:
        course = refs.get(conn, "courses", course_ref)
        rows = conn.execute(
            "SELECT * FROM content_migrations WHERE course_id = ? ORDER BY id", (course["id"],)
        ).fetchall()
        return Page(request).slice(response, rows, lambda r: _migration_json(conn, r, base))


@router.get("/progress/{progress_id}")
def get_progress(progress_id: int, request: Request, sim: Sim) -> dict[str, Any]:
    """An asynchronous job's progress."""
    with sim.store.read() as conn:
        row = conn.execute("SELECT * FROM progress WHERE id = ?", (progress_id,)).fetchone()
        if row is None:
            raise not_found()
        return shapes.progress(row, base_url(request))
