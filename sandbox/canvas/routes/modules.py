"""Context modules: create, list and read (what the chatbot links a student to)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from sandbox.canvas import refs, shapes
from sandbox.canvas.errors import not_found
from sandbox.canvas.pagination import Page
from sandbox.canvas.routes.common import Form, Sim, api_router, base_url
from sandbox.canvas.storage import utcnow

router = api_router()


@router.post("/courses/{course_ref}/modules")
def create_module(course_ref: str, request: Request, sim: Sim, params: Form) -> dict[str, Any]:
    """A module (``module[name|position|unlock_at|published]``), unpublished unless asked."""
    name = params.required("module", "name")
    with sim.transaction() as tx:
        course = refs.get(tx.conn, "courses", course_ref)
        position = (
            params.integer("module", "position")
            or tx.conn.execute(
                "SELECT COUNT(*) + 1 FROM modules WHERE course_id = ?", (course["id"],)
            ).fetchone()[0]
        )
        module_id = tx.conn.execute(
            "INSERT INTO modules (course_id, name, position, published, unlock_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                course["id"],
                name,
                position,
                params.flag("module", "published"),
                params.text("module", "unlock_at") or None,
                utcnow(),
            ),
        ).lastrowid
        row = tx.conn.execute("SELECT * FROM modules WHERE id = ?", (module_id,)).fetchone()
        return shapes.module(row, base_url(request))


@router.get("/courses/{course_ref}/modules")
def list_modules(course_ref: str, request: Request, response: Response, sim: Sim) -> list[Any]:
    """A course's modules in position order."""
    base = base_url(request)
    with sim.store.read() as conn:
        course = refs.get(conn, "courses", course_ref)
        rows = conn.execute(
            "SELECT * FROM modules WHERE course_id = ? ORDER BY position, id", (course["id"],)
        ).fetchall()
        return Page(request).slice(response, rows, lambda r: shapes.module(r, base))


@router.get("/courses/{course_ref}/modules/{module_id}")
def get_module(course_ref: str, module_id: int, request: Request, sim: Sim) -> dict[str, Any]:
    """One module of the course."""
    with sim.store.read() as conn:
        course = refs.get(conn, "courses", course_ref)
        row = conn.execute(
            "SELECT * FROM modules WHERE id = ? AND course_id = ?", (module_id, course["id"])
        ).fetchone()
        if row is None:
            raise not_found()
        return shapes.module(row, base_url(request))
