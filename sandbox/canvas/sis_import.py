"""SIS imports: Canvas's bulk CSV loader, processed asynchronously.

An import is ``created`` when posted, then a background job moves it to ``importing`` and
finally to ``imported`` (no messages), ``imported_with_messages`` (some rows refused or
warned about), ``failed_with_messages`` (nothing usable, or the change threshold refused it)
or ``failed`` (an unexpected error). The attachment is one CSV or a zip of CSVs; each file's
kind is recognised from its header row as Canvas does: terms, users, courses, sections,
xlists, enrollments, applied in that order. Rows are upserted by SIS id in bulk
(``executemany`` with ``ON CONFLICT``), inside one transaction per import, so a 100,000-row
file takes seconds and a refused import leaves nothing behind.

Messages are ``[file name, "Row N: ..."]`` with N the line in the file (header is row 1): bad
rows (missing or invalid fields) are ``processing_errors``, rows naming unknown objects are
``processing_warnings``; the other rows are still applied.

``batch_mode`` with ``batch_mode_term_id``: SIS-created courses, sections and enrollments of
that term that this import did not mention are deleted afterwards. ``change_threshold`` (a
percentage, evaluated for courses, sections and enrollments independently, as Canvas does)
refuses the whole import when a batch would delete more than that share of the term's
SIS-created objects of one kind; unlike Canvas, which still applies the rows and only skips the
deletions, the simulator then applies nothing, which is the safer reading.

Live Events: Canvas emits them for SIS-imported enrollments too, because they come from
``LiveEventsObserver`` (an ActiveRecord observer on ``Enrollment``, run after the transaction
commits), not from the API controllers; an update that only touches ``updated_at`` /
``sis_batch_id`` is a no-op and emits nothing (``NOP_UPDATE_FIELDS``). So when a webhook is
configured, each import sends ``enrollment_created`` for the enrollments it created and
``enrollment_updated`` for those whose state it changed (batch-mode deletions included), after
its transaction commits.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.canvas.routes.courses import default_section, move_section
from sandbox.canvas.routes.enrollments import emit_enrollment
from sandbox.canvas.simulator import Simulator, Tx
from sandbox.canvas.storage import utcnow

ROLE_TYPES = {
    "student": "StudentEnrollment",
    "teacher": "TeacherEnrollment",
    "ta": "TaEnrollment",
    "observer": "ObserverEnrollment",
    "designer": "DesignerEnrollment",
}
ENROLLMENT_STATUSES = {
    "active": "active",
    "deleted": "deleted",
    "completed": "completed",
    "inactive": "inactive",
}
COURSE_STATUSES = {"active", "deleted", "completed", "published", "unpublished"}
FINAL_STATES = {"imported", "imported_with_messages", "failed", "failed_with_messages", "aborted"}

Row = dict[str, str]


class ThresholdExceeded(Exception):
    """A batch would delete more than ``change_threshold`` percent of a kind of object."""


@dataclass
class CsvFile:
    """One CSV of the attachment."""

    name: str
    kind: str
    rows: list[tuple[int, Row]]  # (line in the file, fields)


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


def _kind(header: list[str]) -> str | None:
    cols = set(header)
    if {"xlist_course_id", "section_id"} <= cols:
        return "xlists"
    if "user_id" in cols and "role" in cols:
        return "enrollments"
    if {"section_id", "course_id", "name"} <= cols:
        return "sections"
    if {"course_id", "short_name"} <= cols or {"course_id", "long_name"} <= cols:
        return "courses"
    if {"user_id", "login_id"} <= cols:
        return "users"
    if {"term_id", "name"} <= cols:
        return "terms"
    return None


def read_attachment(name: str, payload: bytes) -> list[tuple[str, bytes]]:
    """The CSV files of an attachment (a single CSV or a zip of them)."""
    if payload[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                return [
                    (member, archive.read(member))
                    for member in sorted(archive.namelist())
                    if member.lower().endswith(".csv")
                ]
        except zipfile.BadZipFile as exc:
            raise ValueError(f"not a readable zip file: {exc}") from None
    return [(name, payload)]


def parse(files: list[tuple[str, bytes]], errors: list[list[str]]) -> list[CsvFile]:
    """Classify and read each CSV; unrecognised files become errors."""
    parsed = []
    for name, payload in files:
        reader = csv.reader(io.StringIO(payload.decode("utf-8-sig")))
        header = [h.strip().lower() for h in next(reader, [])]
        kind = _kind(header)
        if kind is None:
            errors.append([name, "Couldn't find Canvas CSV import headers"])
            continue
        rows = []
        for record in reader:
            if any(cell.strip() for cell in record):
                padded = record + [""] * (len(header) - len(record))
                rows.append((reader.line_num, {h: padded[i].strip() for i, h in enumerate(header)}))
        parsed.append(CsvFile(name, kind, rows))
    return parsed


def _sis_map(conn: sqlite3.Connection, table: str, column: str) -> dict[str, int]:
    return {
        r[0]: r[1]
        for r in conn.execute(f"SELECT {column}, id FROM {table} WHERE {column} IS NOT NULL")
    }


def import_terms(run: Run, file: CsvFile) -> None:
    """``term_id,name,status,start_date,end_date``."""
    now, values = utcnow(), []
    for line, row in file.rows:
        if not row.get("term_id"):
            run.error(file, line, "No term_id given for a term")
        elif row.get("status") not in {"active", "deleted"}:
            run.error(
                file, line, f'Improper status "{row.get("status")}" for term {row["term_id"]}'
            )
        else:
            values.append(
                (
                    row["term_id"],
                    row.get("name") or row["term_id"],
                    row.get("start_date") or None,
                    row.get("end_date") or None,
                    row["status"],
                    now,
                )
            )
    run.conn.executemany(
        "INSERT INTO terms (account_id, sis_term_id, name, start_at, end_at, workflow_state,"
        " created_at) VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT(sis_term_id) DO UPDATE SET"
        " name = excluded.name, start_at = excluded.start_at, end_at = excluded.end_at,"
        " workflow_state = excluded.workflow_state",
        values,
    )
    run.count("terms", len(values))


def import_users(run: Run, file: CsvFile) -> None:
    """``user_id,login_id,first_name,last_name,full_name,sortable_name,short_name,email,status``."""
    owners = {
        r[0]: r[1]
        for r in run.conn.execute(
            "SELECT login_id, sis_user_id FROM users WHERE login_id IS NOT NULL"
        )
    }
    now, values = utcnow(), []
    for line, row in file.rows:
        sis_id, login = row.get("user_id", ""), row.get("login_id", "")
        status = row.get("status", "")
        if not sis_id:
            run.error(file, line, "No user_id given for a user")
        elif not login:
            run.error(file, line, f"No login_id given for user {sis_id}")
        elif status not in {"active", "deleted", "suspended"}:
            run.error(file, line, f'Improper status "{status}" for user {sis_id}')
        elif owners.get(login, sis_id) != sis_id:
            run.error(file, line, f"An existing Canvas user with the login {login} already exists")
        else:
            owners[login] = sis_id
            first, last = row.get("first_name", ""), row.get("last_name", "")
            name = row.get("full_name") or f"{first} {last}".strip() or login
            sortable = row.get("sortable_name") or (f"{last}, {first}" if last else name)
            values.append(
                (
                    name,
                    sortable,
                    row.get("short_name") or name,
                    login,
                    sis_id,
                    row.get("email") or None,
                    "deleted" if status == "deleted" else "registered",
                    now,
                    run.import_id,
                )
            )
    run.conn.executemany(
        "INSERT INTO users (name, sortable_name, short_name, login_id, sis_user_id, email,"
        " workflow_state, created_at, sis_batch_id, account_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT(sis_user_id) DO UPDATE SET"
        " name = excluded.name, sortable_name = excluded.sortable_name,"
        " short_name = excluded.short_name, login_id = excluded.login_id,"
        " email = COALESCE(excluded.email, email), workflow_state = excluded.workflow_state,"
        " sis_batch_id = excluded.sis_batch_id",
        values,
    )
    run.count("users", len(values))


def import_courses(run: Run, file: CsvFile) -> None:
    """``course_id,short_name,long_name,account_id,term_id,status,start_date,end_date``."""
    terms = _sis_map(run.conn, "terms", "sis_term_id")
    accounts = _sis_map(run.conn, "accounts", "sis_account_id")
    now, values = utcnow(), []
    for line, row in file.rows:
        sis_id, status = row.get("course_id", ""), row.get("status", "")
        term_ref, account_ref = row.get("term_id", ""), row.get("account_id", "")
        if not sis_id:
            run.error(file, line, "No course_id given for a course")
        elif status not in COURSE_STATUSES:
            run.error(file, line, f'Improper status "{status}" for course {sis_id}')
        elif term_ref and term_ref not in terms:
            run.warning(
                file, line, f"Course {sis_id} references term {term_ref} which doesn't exist"
            )
        elif account_ref and account_ref not in accounts:
            run.warning(
                file, line, f"Course {sis_id} references account {account_ref} which doesn't exist"
            )
        else:
            name = row.get("long_name") or row.get("short_name") or sis_id
            state = {
                "active": None,
                "published": "available",
                "deleted": "deleted",
                "completed": "completed",
                "unpublished": "unpublished",
            }[status]
            values.append(
                (
                    accounts.get(account_ref, 1),
                    name,
                    row.get("short_name") or name,
                    sis_id,
                    terms.get(term_ref, 1),
                    state,
                    row.get("start_date") or None,
                    row.get("end_date") or None,
                    now,
                    run.import_id,
                )
            )
    run.conn.executemany(
        "INSERT INTO courses (account_id, name, course_code, sis_course_id, term_id,"
        " workflow_state, start_at, end_at, created_at, sis_batch_id)"
        " VALUES (?, ?, ?, ?, ?, COALESCE(?6, 'unpublished'), ?, ?, ?, ?)"
        " ON CONFLICT(sis_course_id) DO UPDATE SET account_id = excluded.account_id,"
        " name = excluded.name, course_code = excluded.course_code, term_id = excluded.term_id,"
        " workflow_state = CASE WHEN ?6 IS NULL AND workflow_state != 'deleted'"
        " THEN workflow_state ELSE excluded.workflow_state END,"
        " start_at = excluded.start_at, end_at = excluded.end_at,"
        " sis_batch_id = excluded.sis_batch_id",
        values,
    )
    run.count("courses", len(values))


def import_sections(run: Run, file: CsvFile) -> None:
    """``section_id,course_id,name,status,start_date,end_date``."""
    courses = _sis_map(run.conn, "courses", "sis_course_id")
    now, values = utcnow(), []
    for line, row in file.rows:
        sis_id, course_ref, status = (
            row.get("section_id", ""),
            row.get("course_id", ""),
            row.get("status", ""),
        )
        if not sis_id:
            run.error(file, line, "No section_id given for a section")
        elif not course_ref:
            run.error(file, line, f"No course_id given for section {sis_id}")
        elif status not in {"active", "deleted"}:
            run.error(file, line, f'Improper status "{status}" for section {sis_id}')
        elif course_ref not in courses:
            run.warning(
                file, line, f"Section {sis_id} references course {course_ref} which doesn't exist"
            )
        else:
            values.append(
                (
                    courses[course_ref],
                    row.get("name") or sis_id,
                    sis_id,
                    row.get("start_date") or None,
                    row.get("end_date") or None,
                    status,
                    now,
                    run.import_id,
                )
            )
    run.conn.executemany(
        "INSERT INTO sections (course_id, name, sis_section_id, start_at, end_at, workflow_state,"
        " created_at, sis_batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(sis_section_id) DO UPDATE SET name = excluded.name,"
        " course_id = CASE WHEN nonxlist_course_id IS NULL THEN excluded.course_id"
        " ELSE course_id END,"
        " nonxlist_course_id = CASE WHEN nonxlist_course_id IS NULL THEN NULL"
        " ELSE excluded.course_id END,"
        " start_at = excluded.start_at, end_at = excluded.end_at,"
        " workflow_state = excluded.workflow_state, sis_batch_id = excluded.sis_batch_id",
        values,
    )
    run.count("sections", len(values))


def import_xlists(run: Run, file: CsvFile) -> None:
    """``xlist_course_id,section_id,status``: cross-list (active) or undo it (deleted)."""
    courses = _sis_map(run.conn, "courses", "sis_course_id")
    done = 0
    for line, row in file.rows:
        course_ref, section_ref, status = (
            row.get("xlist_course_id", ""),
            row.get("section_id", ""),
            row.get("status", ""),
        )
        section = run.conn.execute(
            "SELECT * FROM sections WHERE sis_section_id = ?", (section_ref,)
        ).fetchone()
        if not course_ref or not section_ref:
            run.error(file, line, "An xlist needs both xlist_course_id and section_id")
        elif status not in {"active", "deleted"}:
            run.error(file, line, f'Improper status "{status}" for xlist {course_ref}')
        elif section is None:
            run.warning(
                file, line, f"A cross-listing referenced a non-existent section {section_ref}"
            )
        elif course_ref not in courses:
            run.warning(
                file, line, f"A cross-listing referenced a non-existent course {course_ref}"
            )
        else:
            home = section["nonxlist_course_id"] or section["course_id"]
            if status == "active" and courses[course_ref] != section["course_id"]:
                target = courses[course_ref]
                move_section(run.conn, section["id"], target, None if target == home else home)
            elif status == "deleted" and section["nonxlist_course_id"] is not None:
                move_section(run.conn, section["id"], home, None)
            done += 1
    run.count("xlists", done)


def import_enrollments(run: Run, file: CsvFile) -> None:
    """``course_id,section_id,user_id,role,status`` (course or section required)."""
    users = _sis_map(run.conn, "users", "sis_user_id")
    sections = {
        r[0]: (r[1], r[2])
        for r in run.conn.execute(
            "SELECT sis_section_id, id, course_id FROM sections WHERE sis_section_id IS NOT NULL"
        )
    }
    courses = {
        r[0]: r
        for r in run.conn.execute(
            "SELECT sis_course_id, id, name FROM courses WHERE sis_course_id IS NOT NULL"
        )
    }
    defaults: dict[str, tuple[int, int]] = {}
    now, values = utcnow(), []
    for line, row in file.rows:
        course_ref, section_ref = row.get("course_id", ""), row.get("section_id", "")
        user_ref, role, status = (
            row.get("user_id", ""),
            row.get("role", "").lower(),
            row.get("status", ""),
        )
        if not user_ref:
            run.error(file, line, "No user_id given for an enrollment")
        elif not course_ref and not section_ref:
            run.error(
                file, line, f"No course_id or section_id given for an enrollment of {user_ref}"
            )
        elif role not in ROLE_TYPES:
            run.error(file, line, f'Improper role "{row.get("role", "")}" for an enrollment')
        elif status not in ENROLLMENT_STATUSES:
            run.error(file, line, f'Improper status "{status}" for an enrollment')
        elif user_ref not in users:
            run.warning(file, line, f"User not found for enrollment (User ID: {user_ref})")
        elif (section_ref and section_ref not in sections) or (
            not section_ref and course_ref not in courses
        ):
            run.warning(
                file,
                line,
                "Neither course nor section existed for user enrollment"
                f" (Course ID: {course_ref}, Section ID: {section_ref}, User ID: {user_ref})",
            )
        else:
            if section_ref:
                section_id, course_id = sections[section_ref]
            else:
                if course_ref not in defaults:
                    course = courses[course_ref]
                    defaults[course_ref] = (default_section(run.conn, course), course["id"])
                section_id, course_id = defaults[course_ref]
            values.append(
                (
                    users[user_ref],
                    course_id,
                    section_id,
                    ROLE_TYPES[role],
                    ENROLLMENT_STATUSES[status],
                    now,
                    now,
                    run.import_id,
                )
            )
    before = _enrollment_states(run) if run.events is not None else {}
    run.conn.executemany(
        "INSERT INTO enrollments (user_id, course_id, course_section_id, type, workflow_state,"
        " created_at, updated_at, sis_batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(user_id, course_section_id, type) DO UPDATE SET"
        " workflow_state = excluded.workflow_state, updated_at = excluded.updated_at,"
        " sis_batch_id = excluded.sis_batch_id",
        values,
    )
    run.count("enrollments", len(values))
    if run.events is not None:
        _emit_enrollment_changes(run, before, {(v[0], v[2], v[3]): v[4] for v in values})


EnrollmentKey = tuple[int, int, str]  # (user_id, course_section_id, type)


def _enrollment_states(run: Run) -> dict[EnrollmentKey, tuple[int, str]]:
    return {
        (r[0], r[1], r[2]): (r[3], r[4])
        for r in run.conn.execute(
            "SELECT user_id, course_section_id, type, id, workflow_state FROM enrollments"
        )
    }


def _emit_enrollment_changes(
    run: Run,
    before: dict[EnrollmentKey, tuple[int, str]],
    written: dict[EnrollmentKey, str],
) -> None:
    """``enrollment_created`` for new rows, ``enrollment_updated`` for changed states."""
    assert run.events is not None
    created = {key for key in written if key not in before}
    ids: dict[EnrollmentKey, int] = {}
    if created:
        ids = {k: v[0] for k, v in _enrollment_states(run).items() if k in created}
    for key, state in written.items():
        if key not in before:
            emit_enrollment(run.events, "enrollment_created", ids[key])
        elif before[key][1] != state:
            emit_enrollment(run.events, "enrollment_updated", before[key][0])


IMPORTERS: dict[str, Callable[[Run, CsvFile], None]] = {
    "terms": import_terms,
    "users": import_users,
    "courses": import_courses,
    "sections": import_sections,
    "xlists": import_xlists,
    "enrollments": import_enrollments,
}

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
        data = {
            "import_type": "instructure_csv",
            "supplied_batches": [k.rstrip("s") for k in kinds],
            "counts": {
                k: counts.get(k, 0)
                for k in (
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
            }
            | {"error_count": len(errors), "warning_count": len(warnings)},
        }
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
