"""The JSON an SIS import is reported as: its ``data`` summary and the SisImport object.

Both are Canvas's wire format, kept apart from the processing so the job runner stores the
``data`` summary and the routes render the object from the same definitions.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

COUNTED = (
    "accounts",
    "terms",
    "users",
    "courses",
    "sections",
    "xlists",
    "enrollments",
    "batch_courses_deleted",
    "batch_sections_deleted",
    "batch_enrollments_deleted",
)


def import_data(
    kinds: list[str],
    counts: dict[str, int],
    errors: list[list[str]],
    warnings: list[list[str]],
) -> dict[str, Any]:
    """The ``data`` of a finished import: its supplied batches and counts."""
    return {
        "import_type": "instructure_csv",
        "supplied_batches": [k.rstrip("s") for k in kinds],
        "counts": {k: counts.get(k, 0) for k in COUNTED}
        | {"error_count": len(errors), "warning_count": len(warnings)},
    }


def sis_import_json(row: sqlite3.Row, live_progress: int | None) -> dict[str, Any]:
    """The SisImport object."""
    data: dict[str, Any] = {
        "id": row["id"],
        "account_id": row["account_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "ended_at": row["ended_at"],
        "workflow_state": row["workflow_state"],
        "progress": row["progress"] if live_progress is None else live_progress,
        "data": json.loads(row["data"]),
        "batch_mode": bool(row["batch_mode"]),
        "batch_mode_term_id": row["batch_mode_term_id"],
        "change_threshold": row["change_threshold"],
        "multi_term_batch_mode": False,
        "skip_deletes": False,
        "override_sis_stickiness": None,
        "diffing_data_set_identifier": None,
        "diffed_against_import_id": None,
        "errors_attachment": None,
        "csv_attachments": [],
    }
    if row["processing_errors"]:
        data["processing_errors"] = json.loads(row["processing_errors"])
    if row["processing_warnings"]:
        data["processing_warnings"] = json.loads(row["processing_warnings"])
    return data
