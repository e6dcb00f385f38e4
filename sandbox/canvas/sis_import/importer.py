"""The SIS import job runner: queues an import, applies its files, records the outcome.

An import is ``created`` when posted, then a background job moves it to ``importing`` and
finally to ``imported`` (no messages), ``imported_with_messages`` (some rows refused or
warned about), ``failed_with_messages`` (nothing usable, or the change threshold refused it)
or ``failed`` (an unexpected error). The files are applied in the order of :data:`IMPORTERS`
inside one transaction per import, then batch mode runs; Live Events are published only once
that transaction has committed. Reading, the per-file importers and batch mode live in their
own modules; this one holds the lifecycle and the live progress.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from sandbox.canvas.simulator import Simulator, Tx
from sandbox.canvas.sis_import.batch_mode import ThresholdExceeded, batch_delete
from sandbox.canvas.sis_import.catalog import (
    import_courses,
    import_sections,
    import_terms,
    import_xlists,
)
from sandbox.canvas.sis_import.csv_files import CsvFile, parse
from sandbox.canvas.sis_import.enrollments import import_enrollments
from sandbox.canvas.sis_import.run import Run
from sandbox.canvas.sis_import.shape import import_data
from sandbox.canvas.sis_import.users import import_users
from sandbox.canvas.storage import utcnow

FINAL_STATES = {"imported", "imported_with_messages", "failed", "failed_with_messages", "aborted"}

IMPORTERS: dict[str, Callable[[Run, CsvFile], None]] = {
    "terms": import_terms,
    "users": import_users,
    "courses": import_courses,
    "sections": import_sections,
    "xlists": import_xlists,
    "enrollments": import_enrollments,
}


class SisImporter:
    """Starts imports, runs them in the background, and reports their progress."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._progress: dict[int, int] = {}
        self._lock = threading.Lock()

    def progress(self, import_id: int) -> int | None:
        """Live progress (percent) of an import being processed, else None."""
        with self._lock:
            return self._progress.get(import_id)

    def start(self, import_id: int, files: list[tuple[str, bytes]]) -> None:
        """Queue an import created by the route."""
        self.sim.submit_job(lambda: self._process(import_id, files))

    def fail(self, import_id: int, name: str, message: str) -> None:
        """Fail an import whose attachment could not be read, as Canvas's job would."""
        self.sim.submit_job(
            lambda: self._finish(import_id, "failed_with_messages", [[name, message]], [], {}, [])
        )

    def _set_progress(self, import_id: int, value: int | None) -> None:
        with self._lock:
            if value is None:
                self._progress.pop(import_id, None)
            else:
                self._progress[import_id] = value

    def _process(self, import_id: int, files: list[tuple[str, bytes]]) -> None:
        store = self.sim.store
        with store.write() as conn:
            row = conn.execute("SELECT * FROM sis_imports WHERE id = ?", (import_id,)).fetchone()
            if row["workflow_state"] != "created":
                return
            conn.execute(
                "UPDATE sis_imports SET workflow_state = 'importing', updated_at = ? WHERE id = ?",
                (utcnow(), import_id),
            )
        self._set_progress(import_id, 0)
        errors: list[list[str]] = []
        try:
            parsed = parse(files, errors)
            kinds = sorted({f.kind for f in parsed}, key=list(IMPORTERS).index)
            run: Run | None = None
            try:
                with store.write() as conn:
                    run = Run(
                        import_id,
                        conn,
                        row["batch_mode_term_id"] if row["batch_mode"] else None,
                        row["change_threshold"],
                        errors,
                        events=Tx(conn) if self.sim.events.config.webhook_url else None,
                    )
                    ordered = sorted(parsed, key=lambda f: list(IMPORTERS).index(f.kind))
                    for index, file in enumerate(ordered):
                        IMPORTERS[file.kind](run, file)
                        self._set_progress(import_id, int(90 * (index + 1) / len(ordered)))
                    if run.batch_term_id is not None:
                        batch_delete(run)
                if run.events is not None:  # committed: deliver, as Canvas does after commit
                    self.sim.events.publish(run.events.events)
                state = "imported_with_messages" if run.errors or run.warnings else "imported"
                if not parsed:
                    state = "failed_with_messages"
                self._finish(import_id, state, run.errors, run.warnings, run.counts, kinds)
            except ThresholdExceeded as exc:
                self._finish(
                    import_id,
                    "failed_with_messages",
                    [*errors, ["", str(exc)]],
                    run.warnings if run else [],
                    {},
                    kinds,
                )
        except Exception as exc:  # an unexpected failure is the import's, not the server's
            self._finish(import_id, "failed", [["", f"{type(exc).__name__}: {exc}"]], [], {}, [])
        finally:
            self._set_progress(import_id, None)

    def _finish(
        self,
        import_id: int,
        state: str,
        errors: list[list[str]],
        warnings: list[list[str]],
        counts: dict[str, int],
        kinds: list[str],
    ) -> None:
        now = utcnow()
        data = import_data(kinds, counts, errors, warnings)
        with self.sim.store.write() as conn:
            conn.execute(
                "UPDATE sis_imports SET workflow_state = ?, progress = 100, data = ?,"
                " processing_errors = ?, processing_warnings = ?, updated_at = ?, ended_at = ?"
                " WHERE id = ?",
                (
                    state,
                    json.dumps(data),
                    json.dumps(errors) if errors else None,
                    json.dumps(warnings) if warnings else None,
                    now,
                    now,
                    import_id,
                ),
            )
