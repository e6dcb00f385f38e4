"""Bulk loads through Canvas SIS imports: typed rows to CSVs, upload, wait, typed result.

Rows become one CSV per kind (``users.csv``, ``courses.csv``, ...) zipped into one upload. A SIS
import is an upsert keyed by SIS ids, so re-sending the same data after an ambiguous upload
leaves Canvas in the same state; the upload is therefore retried like any idempotent write.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from typing import Any

from canvasapi.sis_import import SisImport

from tools.canvas.client import CanvasClient, canvas_operation
from tools.canvas.lookup import missing_is
from tools.canvas.models import Input, SisImportMessage, SisImportResult, SisImportSpec

RUNNING_STATES = frozenset({"created", "initializing", "importing", "cleanup_batch", "restoring"})


def csv_bytes(rows: Sequence[Input]) -> bytes:
    """One CSV file: a header of the row model's fields, then the rows (None as empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(type(rows[0]).model_fields)
    for row in rows:
        writer.writerow("" if v is None else v for v in row.model_dump().values())
    return out.getvalue().encode("utf-8")


def sis_zip(spec: SisImportSpec) -> bytes:
    """The upload: each non-empty kind of rows as its Canvas CSV, zipped."""
    files: dict[str, Sequence[Input]] = {
        "users.csv": spec.users,
        "courses.csv": spec.courses,
        "sections.csv": spec.sections,
        "enrollments.csv": spec.enrollments,
        "xlists.csv": spec.xlists,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in files.items():
            if rows:
                archive.writestr(name, csv_bytes(rows))
    return out.getvalue()


@canvas_operation
def run_sis_import(client: CanvasClient, spec: SisImportSpec) -> SisImportResult:
    """Load many users, courses, sections and enrollments at once, and report what Canvas did.

    Returns when Canvas reaches a final ``workflow_state``; bad rows come back as ``errors``
    (Canvas names the file and row), a refused batch (``change_threshold``) as a failed state.
    """
    options: dict[str, Any] = {"import_type": "instructure_csv", "extension": "zip"}
    if spec.batch_mode_term_id is not None:
        options.update(batch_mode=True, batch_mode_term_id=spec.batch_mode_term_id)
    if spec.change_threshold is not None:
        options["change_threshold"] = spec.change_threshold
    if spec.diffing_data_set_identifier is not None:
        options["diffing_data_set_identifier"] = spec.diffing_data_set_identifier
    upload = sis_zip(spec)

    def start() -> SisImport:
        return client.account.create_sis_import(
            ("sis_import.zip", upload, "application/zip"), **options
        )

    started = client.retry_ambiguous(start)
    with missing_is("sis_import", canvas_id=started.id):
        finished = client.wait_for(
            lambda: client.account.get_sis_import(started.id),
            lambda sis_import: sis_import.workflow_state not in RUNNING_STATES,
            spec.timeout_seconds,
            f"SIS import {started.id}",
        )
    return sis_import_result(finished)


def sis_import_result(sis_import: SisImport) -> SisImportResult:
    """The typed view of Canvas's SIS import JSON (errors and warnings as file + message)."""
    data = getattr(sis_import, "data", None) or {}
    return SisImportResult(
        id=sis_import.id,
        workflow_state=sis_import.workflow_state,
        progress=getattr(sis_import, "progress", None),
        errors=_messages(getattr(sis_import, "processing_errors", None)),
        warnings=_messages(getattr(sis_import, "processing_warnings", None)),
        counts=data.get("counts") or {},
    )


def _messages(pairs: list[list[str]] | None) -> list[SisImportMessage]:
    return [SisImportMessage(file=file, message=message) for file, message in pairs or []]
