"""Canvas object references: a numeric id or a SIS id (``sis_course_id:X`` and friends)."""

from __future__ import annotations

import sqlite3
from typing import Literal

from sandbox.canvas.errors import not_found

Kind = Literal["accounts", "users", "courses", "sections", "terms"]

_SIS_PREFIX: dict[Kind, tuple[str, str]] = {
    "accounts": ("sis_account_id:", "sis_account_id"),
    "users": ("sis_user_id:", "sis_user_id"),
    "courses": ("sis_course_id:", "sis_course_id"),
    "sections": ("sis_section_id:", "sis_section_id"),
    "terms": ("sis_term_id:", "sis_term_id"),
}


def find(conn: sqlite3.Connection, kind: Kind, ref: str | int) -> sqlite3.Row | None:
    """The row a reference names, or None. Deleted courses still resolve, as in Canvas."""
    text = str(ref).strip()
    prefix, column = _SIS_PREFIX[kind]
    if text.startswith(prefix):
        sql = f"SELECT * FROM {kind} WHERE {column} = ?"
        return conn.execute(sql, (text[len(prefix) :],)).fetchone()  # type: ignore[no-any-return]
    if not text.isdigit():
        return None
    return conn.execute(f"SELECT * FROM {kind} WHERE id = ?", (int(text),)).fetchone()  # type: ignore[no-any-return]


def get(conn: sqlite3.Connection, kind: Kind, ref: str | int) -> sqlite3.Row:
    """The row a reference names, or Canvas's 404."""
    row = find(conn, kind, ref)
    if row is None:
        raise not_found()
    return row
