"""SIS import endpoints: start one (multipart ``attachment`` or a raw body), poll, list, abort."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import Request, Response

from sandbox.canvas import refs
from sandbox.canvas.errors import CanvasError, bad_request, not_found, record_invalid
from sandbox.canvas.pagination import Page
from sandbox.canvas.routes.common import Form, Sim, api_router
from sandbox.canvas.sis_import import (
    FINAL_STATES,
    SisImporter,
    read_attachment,
    sis_import_json,
)
from sandbox.canvas.storage import utcnow

router = api_router()

# SisBatch validates ``diffing_data_set_identifier`` to 128 characters and the API saves the batch
# with ``save!`` outside any rescue (canvas-lms ``SisBatch.create_with_attachment``), so a longer
# one is Rails' RecordInvalid → 422 with the model's errors.
MAX_DATA_SET_IDENTIFIER = 128


def _importer(request: Request) -> SisImporter:
    importer: SisImporter = request.app.state.sis_importer
    return importer


def _json(request: Request, row: sqlite3.Row) -> dict[str, Any]:
    return sis_import_json(row, _importer(request).progress(row["id"]))


@router.post("/accounts/{account_ref}/sis_imports")
async def create_sis_import(
    account_ref: str, request: Request, sim: Sim, params: Form
) -> dict[str, Any]:
    """Queue an import of ``attachment`` (a CSV or a zip), or of the raw request body.

    Options: ``import_type`` (instructure_csv), ``batch_mode`` with ``batch_mode_term_id``
    (id or ``sis_term_id:``), ``change_threshold`` (percent, 1-100).
    """
    import_type = params.text("import_type") or "instructure_csv"
    if import_type != "instructure_csv":
        raise bad_request(f"import_type {import_type!r} is not supported")
    upload = params.files.get("attachment")
    if upload is not None:
        name, payload = upload.filename or "attachment.csv", await upload.read()
    elif request.headers.get("content-type", "").startswith("multipart/form-data"):
        # Canvas: "don't interpret the form itself as a SIS batch".
        raise CanvasError(400, {"error": True, "error_message": "Missing attachment"})
    else:
        payload = await request.body()
        name = f"attachment.{params.text('extension') or 'csv'}"
    if not payload:
        raise bad_request("No SIS records were imported. The import failed with no attachment")
    threshold = params.integer("change_threshold")
    if threshold is not None and not 1 <= threshold <= 100:
        raise bad_request("change_threshold must be between 1 and 100")
    data_set = params.text("diffing_data_set_identifier")
    if data_set is not None and len(data_set) > MAX_DATA_SET_IDENTIFIER:
        raise record_invalid(
            "diffing_data_set_identifier",
            "too_long",
            f"is too long (maximum is {MAX_DATA_SET_IDENTIFIER} characters)",
        )
    batch_mode = params.flag("batch_mode")
    term_ref = params.text("batch_mode_term_id")
    try:
        files = read_attachment(name, payload)
    except ValueError as exc:
        # Canvas accepts any upload and fails the batch while processing it.
        files = [(name, b"")]
        unreadable: str | None = f"Error while importing CSV. Please contact support. ({exc})"
    else:
        unreadable = None
    with sim.transaction() as tx:
        account = refs.get(tx.conn, "accounts", account_ref)
        term_id = None
        if batch_mode:
            term = refs.find(tx.conn, "terms", term_ref) if term_ref else None
            if term is None:
                raise CanvasError(
                    400,
                    {
                        "message": "Batch mode specified, but the given batch_mode_term_id"
                        " cannot be found."
                    },
                )
            term_id = term["id"]
        now = utcnow()
        cursor = tx.conn.execute(
            "INSERT INTO sis_imports (account_id, workflow_state, batch_mode, batch_mode_term_id,"
            " change_threshold, created_at, updated_at) VALUES (?, 'created', ?, ?, ?, ?, ?)",
            (account["id"], batch_mode, term_id, threshold, now, now),
        )
        row = tx.conn.execute(
            "SELECT * FROM sis_imports WHERE id = ?", (cursor.lastrowid,)
        ).fetchone()
    if unreadable is not None:
        _importer(request).fail(row["id"], name, unreadable)
        return _json(request, row)
    _importer(request).start(row["id"], files)
    return _json(request, row)


def _row(sim: Sim, account_ref: str, import_id: int) -> sqlite3.Row:
    with sim.store.read() as conn:
        account = refs.get(conn, "accounts", account_ref)
        row = conn.execute(
            "SELECT * FROM sis_imports WHERE id = ? AND account_id = ?", (import_id, account["id"])
        ).fetchone()
    if row is None:
        raise not_found()
    return row  # type: ignore[no-any-return]


@router.get("/accounts/{account_ref}/sis_imports/{import_id}")
def get_sis_import(account_ref: str, import_id: int, request: Request, sim: Sim) -> dict[str, Any]:
    """One import: ``workflow_state``, ``progress``, ``data.counts``, messages."""
    return _json(request, _row(sim, account_ref, import_id))


@router.get("/accounts/{account_ref}/sis_imports")
def list_sis_imports(
    account_ref: str, request: Request, response: Response, sim: Sim
) -> dict[str, Any]:
    """Imports newest first, wrapped in ``{"sis_imports": [...]}`` as Canvas does."""
    with sim.store.read() as conn:
        account = refs.get(conn, "accounts", account_ref)
        rows = conn.execute(
            "SELECT * FROM sis_imports WHERE account_id = ? ORDER BY id DESC", (account["id"],)
        ).fetchall()
    return {"sis_imports": Page(request).slice(response, rows, lambda r: _json(request, r))}


@router.put("/accounts/{account_ref}/sis_imports/{import_id}/abort")
def abort_sis_import(
    account_ref: str, import_id: int, request: Request, sim: Sim
) -> dict[str, Any]:
    """Abort an import that has not finished.

    Canvas looks the import up in ``sis_batches.not_completed``, so a finished one is a 404.
    """
    row = _row(sim, account_ref, import_id)
    if row["workflow_state"] in FINAL_STATES:
        raise not_found()
    with sim.store.write() as conn:
        conn.execute(
            "UPDATE sis_imports SET workflow_state = 'aborted', updated_at = ?"
            " WHERE id = ? AND workflow_state = 'created'",
            (utcnow(), row["id"]),
        )
    return _json(request, _row(sim, account_ref, import_id))
