"""Accounts, users, enrollment terms and grading standards."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from fastapi import Request, Response

from sandbox.canvas import refs, shapes
from sandbox.canvas.errors import bad_request, field_error, not_found
from sandbox.canvas.pagination import Page
from sandbox.canvas.routes.common import Form, Sim, api_router
from sandbox.canvas.storage import utcnow

router = api_router()


@router.get("/accounts")
def list_accounts(request: Request, response: Response, sim: Sim) -> list[Any]:
    """Accounts the admin manages (all of them)."""
    with sim.store.read() as conn:
        rows = conn.execute("SELECT * FROM accounts ORDER BY id").fetchall()
    return Page(request).slice(response, rows, shapes.account)


@router.get("/accounts/{account_ref}")
def get_account(account_ref: str, sim: Sim) -> dict[str, Any]:
    """One account, by id or ``sis_account_id:``."""
    with sim.store.read() as conn:
        return shapes.account(refs.get(conn, "accounts", account_ref))


@router.post("/accounts/{account_ref}/sub_accounts")
def create_sub_account(account_ref: str, sim: Sim, params: Form) -> dict[str, Any]:
    """A sub-account (``account[name]``, ``account[sis_account_id]``)."""
    name = params.required("account", "name")
    sis_id = params.text("account", "sis_account_id") or None
    with sim.transaction() as tx:
        parent = refs.get(tx.conn, "accounts", account_ref)
        _unique(tx.conn, "accounts", "sis_account_id", sis_id, ["account"])
        cursor = tx.conn.execute(
            "INSERT INTO accounts (name, parent_account_id, sis_account_id) VALUES (?, ?, ?)",
            (name, parent["id"], sis_id),
        )
        return shapes.account(refs.get(tx.conn, "accounts", cursor.lastrowid or 0))


def _unique(
    conn: sqlite3.Connection, table: str, column: str, value: str | None, path: list[str]
) -> None:
    """Canvas's 400 when a SIS or login id is already used by another object."""
    if value is None:
        return
    if conn.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (value,)).fetchone():
        attribute = "sis_source_id" if column.startswith("sis_") else column
        message = (
            f'SIS ID "{value}" is already in use'
            if column.startswith("sis_")
            else "ID already in use for this account and authentication provider"
        )
        raise field_error(400, path, attribute, "taken", message)


@router.post("/accounts/{account_ref}/users")
def create_user(account_ref: str, sim: Sim, params: Form) -> dict[str, Any]:
    """A user with a login: ``user[name]``, ``pseudonym[unique_id|sis_user_id|integration_id]``."""
    login = params.required("pseudonym", "unique_id")
    name = params.text("user", "name") or login
    sis_id = params.text("pseudonym", "sis_user_id") or None
    integration_id = params.text("pseudonym", "integration_id") or None
    with sim.transaction() as tx:
        account = refs.get(tx.conn, "accounts", account_ref)
        _unique(tx.conn, "users", "login_id", login, ["pseudonym"])
        _unique(tx.conn, "users", "sis_user_id", sis_id, ["pseudonym"])
        _unique(tx.conn, "users", "integration_id", integration_id, ["pseudonym"])
        cursor = tx.conn.execute(
            "INSERT INTO users (name, sortable_name, short_name, login_id, sis_user_id,"
            " integration_id, email, account_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                params.text("user", "sortable_name") or _sortable(name),
                params.text("user", "short_name") or name,
                login,
                sis_id,
                integration_id,
                params.text("communication_channel", "address"),
                account["id"],
                utcnow(),
            ),
        )
        return shapes.user(refs.get(tx.conn, "users", cursor.lastrowid or 0))


def _sortable(name: str) -> str:
    first, _, last = name.rpartition(" ")
    return f"{last}, {first}" if first else name


@router.get("/accounts/{account_ref}/users")
def list_account_users(
    account_ref: str, request: Request, response: Response, sim: Sim, params: Form
) -> list[Any]:
    """Users of an account, optionally matching ``search_term`` (name, login, SIS id, email)."""
    page = Page(request)
    where, args = "account_id = ? AND workflow_state != 'deleted'", []
    search = params.text("search_term")
    if search is not None and len(search) < 2:
        raise bad_request("search_term of 2 or more characters is required")
    with sim.store.read() as conn:
        args.append(refs.get(conn, "accounts", account_ref)["id"])
        if search:
            where += " AND (name LIKE ? OR login_id LIKE ? OR sis_user_id LIKE ? OR email LIKE ?)"
            args += [f"%{search}%"] * 4
        order = "sortable_name, id" if params.text("sort") in {None, "username"} else "id"
        total = conn.execute(f"SELECT COUNT(*) FROM users WHERE {where}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT * FROM users WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*args, page.per_page, page.offset],
        ).fetchall()
    return page.respond(response, total, [shapes.user(r) for r in rows])


@router.get("/users/{user_ref}")
def get_user(user_ref: str, sim: Sim) -> dict[str, Any]:
    """One user, by id, ``sis_user_id:`` or ``self``."""
    with sim.store.read() as conn:
        return shapes.user(_user(conn, user_ref))


def _user(conn: sqlite3.Connection, user_ref: str) -> sqlite3.Row:
    """The user a path names: an id, ``sis_user_id:X``, or ``self`` (the admin)."""
    return refs.get(conn, "users", "1" if user_ref == "self" else user_ref)


@router.put("/users/{user_ref}")
def update_user(user_ref: str, sim: Sim, params: Form) -> dict[str, Any]:
    """Edit ``user[name|short_name|sortable_name|email]``; omitted fields stay.

    As in Canvas, a short or sortable name that was derived from the old name follows a new
    name unless it is given too; one set on its own stays.
    """
    with sim.transaction() as tx:
        row = _user(tx.conn, user_ref)
        old = row["name"]
        name = params.text("user", "name") or old
        short = params.text("user", "short_name") or (
            name if row["short_name"] in {None, old} else row["short_name"]
        )
        sortable = params.text("user", "sortable_name") or (
            _sortable(name)
            if row["sortable_name"] in {None, _sortable(old)}
            else row["sortable_name"]
        )
        email = params.text("user", "email")
        tx.conn.execute(
            "UPDATE users SET name = ?, short_name = ?, sortable_name = ?, email = ? WHERE id = ?",
            (name, short, sortable, row["email"] if email is None else email or None, row["id"]),
        )
        return shapes.user(refs.get(tx.conn, "users", row["id"]))


@router.post("/accounts/{account_ref}/terms")
def create_term(account_ref: str, sim: Sim, params: Form) -> dict[str, Any]:
    """An enrollment term: ``enrollment_term[name]``, ``[sis_term_id]``, ``[start_at|end_at]``."""
    name = params.required("enrollment_term", "name")
    sis_id = params.text("enrollment_term", "sis_term_id") or None
    with sim.transaction() as tx:
        account = refs.get(tx.conn, "accounts", account_ref)
        _unique(tx.conn, "terms", "sis_term_id", sis_id, [])
        cursor = tx.conn.execute(
            "INSERT INTO terms (account_id, name, sis_term_id, start_at, end_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                account["id"],
                name,
                sis_id,
                params.text("enrollment_term", "start_at"),
                params.text("enrollment_term", "end_at"),
                utcnow(),
            ),
        )
        return shapes.term(refs.get(tx.conn, "terms", cursor.lastrowid or 0))


@router.get("/accounts/{account_ref}/terms")
def list_terms(account_ref: str, request: Request, response: Response, sim: Sim) -> dict[str, Any]:
    """Terms, wrapped in ``{"enrollment_terms": [...]}`` as Canvas does."""
    with sim.store.read() as conn:
        refs.get(conn, "accounts", account_ref)
        rows = conn.execute(
            "SELECT * FROM terms WHERE workflow_state != 'deleted' ORDER BY id"
        ).fetchall()
    return {"enrollment_terms": Page(request).slice(response, rows, shapes.term)}


def _create_standard(
    sim: Sim, params: Form, context_type: str, context_kind: refs.Kind, ref: str
) -> dict[str, Any]:
    title = params.required("title")
    entries = params.records("grading_scheme_entry")
    if not entries:
        raise bad_request("grading_scheme_entry is required")
    try:
        data = [[str(e["name"]), round(float(e["value"]) / 100.0, 4)] for e in entries]
    except (KeyError, ValueError):
        raise bad_request("each grading_scheme_entry needs a name and a numeric value") from None
    with sim.transaction() as tx:
        context = refs.get(tx.conn, context_kind, ref)
        cursor = tx.conn.execute(
            "INSERT INTO grading_standards (context_type, context_id, title, data)"
            " VALUES (?, ?, ?, ?)",
            (context_type, context["id"], title, json.dumps(data)),
        )
        row = tx.conn.execute(
            "SELECT * FROM grading_standards WHERE id = ?", (cursor.lastrowid,)
        ).fetchone()
        return shapes.grading_standard(row)


def _list_standards(
    request: Request, response: Response, sim: Sim, context_kind: refs.Kind, ref: str
) -> list[Any]:
    with sim.store.read() as conn:
        context = refs.get(conn, context_kind, ref)
        rows = conn.execute(
            "SELECT * FROM grading_standards WHERE context_id = ? AND context_type = ?"
            " OR context_type = 'Account' ORDER BY id",
            (context["id"], "Account" if context_kind == "accounts" else "Course"),
        ).fetchall()
    return Page(request).slice(response, rows, shapes.grading_standard)


@router.post("/accounts/{account_ref}/grading_standards")
def create_account_standard(account_ref: str, sim: Sim, params: Form) -> dict[str, Any]:
    """An account's grading standard: ``title``, ``grading_scheme_entry[][name|value]``."""
    return _create_standard(sim, params, "Account", "accounts", account_ref)


@router.post("/courses/{course_ref}/grading_standards")
def create_course_standard(course_ref: str, sim: Sim, params: Form) -> dict[str, Any]:
    """A grading standard owned by a course."""
    return _create_standard(sim, params, "Course", "courses", course_ref)


@router.get("/accounts/{account_ref}/grading_standards")
def list_account_standards(
    account_ref: str, request: Request, response: Response, sim: Sim
) -> list[Any]:
    """Grading standards visible in an account."""
    return _list_standards(request, response, sim, "accounts", account_ref)


@router.get("/courses/{course_ref}/grading_standards")
def list_course_standards(
    course_ref: str, request: Request, response: Response, sim: Sim
) -> list[Any]:
    """Grading standards visible in a course (its own and the accounts')."""
    return _list_standards(request, response, sim, "courses", course_ref)


def _one_standard(sim: Sim, context_kind: refs.Kind, ref: str, standard_id: int) -> dict[str, Any]:
    """A standard of the context or of an account (Canvas's ``GradingStandard.for(context)``)."""
    context_type = "Account" if context_kind == "accounts" else "Course"
    with sim.store.read() as conn:
        context = refs.get(conn, context_kind, ref)
        row = conn.execute(
            "SELECT * FROM grading_standards WHERE id = ?"
            " AND ((context_type = ? AND context_id = ?) OR context_type = 'Account')",
            (standard_id, context_type, context["id"]),
        ).fetchone()
    if row is None:
        raise not_found()
    return shapes.grading_standard(row)


@router.get("/accounts/{account_ref}/grading_standards/{standard_id}")
def get_account_standard(account_ref: str, standard_id: int, sim: Sim) -> dict[str, Any]:
    """One grading standard of an account (``Account.get_single_grading_standard``)."""
    return _one_standard(sim, "accounts", account_ref, standard_id)


@router.get("/courses/{course_ref}/grading_standards/{standard_id}")
def get_course_standard(course_ref: str, standard_id: int, sim: Sim) -> dict[str, Any]:
    """One grading standard visible in a course (``Course.get_single_grading_standard``)."""
    return _one_standard(sim, "courses", course_ref, standard_id)
