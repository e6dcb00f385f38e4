"""The state of one SIS import while it is processed, shared by every importer.

Messages are ``[file name, "Row N: ..."]`` with N the line in the file (header is row 1): bad
rows (missing or invalid fields) are ``processing_errors``, rows naming unknown objects are
``processing_warnings``; the other rows are still applied. ``Run`` keeps them, the counts for
``data.counts`` and the Live Events awaiting commit, so the importers only decide about rows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from sandbox.canvas.simulator import Tx
from sandbox.canvas.sis_import.csv_files import CsvFile


@dataclass
class Run:
    """The state of one import while it is processed."""

    import_id: int
    conn: sqlite3.Connection
    batch_term_id: int | None
    change_threshold: int | None
    errors: list[list[str]] = field(default_factory=list)
    warnings: list[list[str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    events: Tx | None = None  # set when Live Events are delivered: collects them until commit

    def error(self, file: CsvFile, line: int, message: str) -> None:
        """A refused row."""
        self.errors.append([file.name, f"Row {line}: {message}"])

    def warning(self, file: CsvFile, line: int, message: str) -> None:
        """A row naming something that does not exist."""
        self.warnings.append([file.name, f"Row {line}: {message}"])

    def count(self, kind: str, n: int) -> None:
        """Add to ``data.counts``."""
        self.counts[kind] = self.counts.get(kind, 0) + n

    def sis_ids(self, table: str, column: str) -> dict[str, int]:
        """Canvas id by SIS id for the rows of ``table`` that have one."""
        return {
            r[0]: r[1]
            for r in self.conn.execute(
                f"SELECT {column}, id FROM {table} WHERE {column} IS NOT NULL"
            )
        }
