"""Conversations: sending messages (Canvas answers with a JSON array) and listing them."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from fastapi import Request, Response

from sandbox.canvas import refs
from sandbox.canvas.errors import CanvasError, field_error
from sandbox.canvas.pagination import Page
from sandbox.canvas.routes.common import Form, Sim, api_router
from sandbox.canvas.storage import ADMIN_USER_ID, utcnow

router = api_router()

MAX_SUBJECT = 255


def _refused(attribute: str, message: str) -> CanvasError:
    """A refusal as canvas-lms ``ConversationsController#render_error`` renders it.

    400 with a JSON *array* ``[{"attribute": ..., "message": ...}]``.
    """
    return CanvasError(400, [{"attribute": attribute, "message": message}])


def _json(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    recipients = json.loads(row["recipients"])
    names = {
        r["id"]: r["name"]
        for r in conn.execute(
            f"SELECT id, name FROM users WHERE id IN ({','.join('?' * (len(recipients) + 1))})",
            [ADMIN_USER_ID, *recipients],
        )
    }
    return {
        "id": row["id"],
        "subject": row["subject"],
        "workflow_state": "read",
        "last_message": row["body"],
        "last_message_at": row["created_at"],
        "message_count": 1,
        "context_code": row["context_code"],
        "audience": recipients,
        "participants": [{"id": i, "name": names.get(i)} for i in [ADMIN_USER_ID, *recipients]],
        "messages": [
            {
                "id": row["id"],
                "author_id": row["author_id"],
                "body": row["body"],
                "created_at": row["created_at"],
                "generated": False,
            }
        ],
    }


@router.post("/conversations", status_code=201)
def create_conversation(sim: Sim, params: Form) -> list[dict[str, Any]]:
    """Send ``body`` with ``subject`` (≤ 255 characters) to ``recipients[]``; 201 Created.

    Recipients are user ids or SIS refs; one conversation per recipient unless
    ``group_conversation`` is true. As in canvas-lms ``ConversationsController#create``:
    no recipients → 400 ``[{"attribute": "recipients", "message": "blank"}]``; recipients of
    which none resolves to a user → 400 ``[{"attribute": "recipients", "message":
    "invalid"}]`` (unknown ones among known ones are dropped, Canvas's ``@recipients`` holds only
    the users it found); no body → 400 ``[{"attribute": "body", "message": "blank"}]``. A
    subject over 255 characters fails ``Conversation``'s length validation in ``save!``, which
    the action rescues into 400 with the model's errors.
    """
    recipients = params.strings("recipients")
    if not recipients:
        raise _refused("recipients", "blank")
    subject = params.text("subject") or ""
    with sim.transaction() as tx:
        found = [refs.find(tx.conn, "users", r) for r in recipients]
        users = list(dict.fromkeys(int(u["id"]) for u in found if u is not None))
        if not users:
            raise _refused("recipients", "invalid")
        body = params.text("body")
        if not body:
            raise _refused("body", "blank")
        if len(subject) > MAX_SUBJECT:
            raise field_error(
                400,
                [],
                "subject",
                "too_long",
                f"is too long (maximum is {MAX_SUBJECT} characters)",
            )
        groups = [users] if params.flag("group_conversation") else [[u] for u in users]
        created = []
        for group in groups:
            cursor = tx.conn.execute(
                "INSERT INTO conversations (subject, body, author_id, recipients, context_code,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    subject,
                    body,
                    ADMIN_USER_ID,
                    json.dumps(group),
                    params.text("context_code"),
                    utcnow(),
                ),
            )
            row = tx.conn.execute(
                "SELECT * FROM conversations WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
            created.append(_json(tx.conn, row))
        return created


@router.get("/conversations")
def list_conversations(request: Request, response: Response, sim: Sim) -> list[Any]:
    """Conversations the admin sent, newest first."""
    with sim.store.read() as conn:
        rows = conn.execute("SELECT * FROM conversations ORDER BY id DESC").fetchall()
        return Page(request).slice(response, rows, lambda r: _json(conn, r))
