"""Batch mode: deleting a term's SIS objects that an import did not mention.

``batch_mode`` with ``batch_mode_term_id``: SIS-created courses, sections and enrollments of
that term that this import did not mention are deleted afterwards. ``change_threshold`` (a
percentage, evaluated for courses, sections and enrollments independently, as Canvas does)
refuses the whole import when a batch would delete more than that share of the term's
SIS-created objects of one kind; unlike Canvas, which still applies the rows and only skips the
deletions, the simulator then applies nothing, which is the safer reading. Deleted enrollments
send ``enrollment_updated`` like any other state change. This runs once per import, after every
file, so it is kept apart from the per-file importers.
"""

from __future__ import annotations

from sandbox.canvas.routes.enrollments import emit_enrollment
from sandbox.canvas.sis_import.run import Run


class ThresholdExceeded(Exception):
    """A batch would delete more than ``change_threshold`` percent of a kind of object."""


# Batch-mode scope per kind: SIS-created rows of the term, and the statement deleting them.
_IN_TERM = {
    "courses": "FROM courses WHERE term_id = :term",
    "sections": "FROM sections WHERE course_id IN (SELECT id FROM courses WHERE term_id = :term)",
    "enrollments": "FROM enrollments WHERE course_id IN"
    " (SELECT id FROM courses WHERE term_id = :term)",
}


def batch_delete(run: Run) -> None:
    """Delete the term's SIS objects this batch did not mention, within the change threshold."""
    params = {"term": run.batch_term_id, "batch": run.import_id}
    stale_rows: dict[str, int] = {}
    for kind, scope in _IN_TERM.items():
        live = f"{scope} AND sis_batch_id IS NOT NULL AND workflow_state != 'deleted'"
        total = run.conn.execute(f"SELECT COUNT(*) {live}", params).fetchone()[0]
        stale = run.conn.execute(
            f"SELECT COUNT(*) {live} AND sis_batch_id != :batch", params
        ).fetchone()[0]
        if (
            run.change_threshold is not None
            and total
            and stale * 100 > run.change_threshold * total
        ):
            raise ThresholdExceeded(
                f"Batch mode would delete {stale} of {total} {kind} in the term, more than the"
                f" change_threshold of {run.change_threshold}%; nothing was changed"
            )
        stale_rows[kind] = stale
    for kind, scope in _IN_TERM.items():
        table = kind
        dropped = []
        if kind == "enrollments" and run.events is not None:
            dropped = [
                r[0]
                for r in run.conn.execute(
                    f"SELECT id {scope} AND sis_batch_id IS NOT NULL"
                    " AND workflow_state != 'deleted' AND sis_batch_id != :batch",
                    params,
                )
            ]
        run.conn.execute(
            f"UPDATE {table} SET workflow_state = 'deleted' WHERE id IN (SELECT id {scope}"
            " AND sis_batch_id IS NOT NULL AND workflow_state != 'deleted'"
            " AND sis_batch_id != :batch)",
            params,
        )
        run.count(f"batch_{kind}_deleted", stale_rows[kind])
        if run.events is not None:
            for enrollment_id in dropped:
                emit_enrollment(run.events, "enrollment_updated", enrollment_id)
