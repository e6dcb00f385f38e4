"""Persistent SQLite state of the simulator.

Each thread gets its own connection to one database file in WAL mode, so readers never wait for
writers. Writes open ``BEGIN IMMEDIATE`` transactions: SQLite serializes them, which makes every
check-then-insert (the idempotent enrollment create, unique SIS ids) atomic without a Python lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, parent_account_id INTEGER,
    sis_account_id TEXT UNIQUE, workflow_state TEXT NOT NULL DEFAULT 'active');
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, sortable_name TEXT, short_name TEXT,
    login_id TEXT UNIQUE, sis_user_id TEXT UNIQUE, integration_id TEXT UNIQUE, email TEXT,
    account_id INTEGER NOT NULL, workflow_state TEXT NOT NULL DEFAULT 'registered',
    created_at TEXT NOT NULL, sis_batch_id INTEGER);
CREATE TABLE IF NOT EXISTS terms (
    id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, name TEXT NOT NULL,
    sis_term_id TEXT UNIQUE, start_at TEXT, end_at TEXT,
    workflow_state TEXT NOT NULL DEFAULT 'active', created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS grading_standards (
    id INTEGER PRIMARY KEY, context_type TEXT NOT NULL, context_id INTEGER NOT NULL,
    title TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS courses (
    id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, name TEXT NOT NULL,
    course_code TEXT NOT NULL, sis_course_id TEXT UNIQUE, term_id INTEGER NOT NULL,
    workflow_state TEXT NOT NULL DEFAULT 'unpublished', start_at TEXT, end_at TEXT,
    grading_standard_id INTEGER, created_at TEXT NOT NULL, sis_batch_id INTEGER);
CREATE INDEX IF NOT EXISTS courses_term ON courses(term_id);
CREATE TABLE IF NOT EXISTS sections (
    id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL, nonxlist_course_id INTEGER,
    name TEXT NOT NULL, sis_section_id TEXT UNIQUE, start_at TEXT, end_at TEXT,
    default_section INTEGER NOT NULL DEFAULT 0, workflow_state TEXT NOT NULL DEFAULT 'active',
    created_at TEXT NOT NULL, sis_batch_id INTEGER,
    restrict_enrollments_to_section_dates INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS sections_course ON sections(course_id);
CREATE TABLE IF NOT EXISTS enrollments (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, course_id INTEGER NOT NULL,
    course_section_id INTEGER NOT NULL, type TEXT NOT NULL, workflow_state TEXT NOT NULL,
    limit_privileges INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, last_activity_at TEXT, total_activity_time INTEGER NOT NULL
    DEFAULT 0, sis_batch_id INTEGER, UNIQUE (user_id, course_section_id, type));
CREATE INDEX IF NOT EXISTS enrollments_course ON enrollments(course_id, type);
CREATE TABLE IF NOT EXISTS assignments (
    id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL, name TEXT NOT NULL, description TEXT,
    points_possible REAL, due_at TEXT, grading_type TEXT NOT NULL DEFAULT 'points',
    submission_types TEXT NOT NULL DEFAULT '["online_text_entry"]',
    published INTEGER NOT NULL DEFAULT 1, position INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS assignments_course ON assignments(course_id);
CREATE TABLE IF NOT EXISTS modules (
    id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL, name TEXT NOT NULL,
    position INTEGER NOT NULL, published INTEGER NOT NULL DEFAULT 0, unlock_at TEXT,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS modules_course ON modules(course_id);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, assignment_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
    submitted_at TEXT, submission_type TEXT, body TEXT, url TEXT, score REAL, grade TEXT,
    graded_at TEXT, grader_id INTEGER, excused INTEGER NOT NULL DEFAULT 0,
    attempt INTEGER, workflow_state TEXT NOT NULL DEFAULT 'unsubmitted',
    updated_at TEXT NOT NULL, UNIQUE (assignment_id, user_id));
CREATE TABLE IF NOT EXISTS activity (
    course_id INTEGER NOT NULL, user_id INTEGER NOT NULL, page_views INTEGER NOT NULL DEFAULT 0,
    participations INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (course_id, user_id));
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY, subject TEXT NOT NULL, body TEXT NOT NULL, author_id INTEGER NOT NULL,
    recipients TEXT NOT NULL, context_code TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS progress (
    id INTEGER PRIMARY KEY, context_type TEXT NOT NULL, context_id INTEGER NOT NULL,
    tag TEXT NOT NULL, workflow_state TEXT NOT NULL, completion REAL NOT NULL DEFAULT 0,
    message TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS content_migrations (
    id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL, migration_type TEXT NOT NULL,
    source_course_id INTEGER, workflow_state TEXT NOT NULL, progress_id INTEGER NOT NULL,
    created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT);
CREATE TABLE IF NOT EXISTS sis_imports (
    id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, workflow_state TEXT NOT NULL,
    progress INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL DEFAULT '{}',
    processing_errors TEXT, processing_warnings TEXT, batch_mode INTEGER NOT NULL DEFAULT 0,
    batch_mode_term_id INTEGER, change_threshold INTEGER, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, ended_at TEXT);
"""

ROOT_ACCOUNT_ID = 1
ADMIN_USER_ID = 1


def utcnow() -> str:
    """Canvas's timestamp format (ISO 8601, UTC, whole seconds, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """The simulator's database: one file, one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection().executescript(SCHEMA)
        self._add_columns()
        with self.write() as conn:
            self._seed(conn)

    def _add_columns(self) -> None:
        """Add the columns newer than a database file, so a sandbox kept in ``var/`` still works.

        ``CREATE TABLE IF NOT EXISTS`` leaves an old table as it was.
        """
        conn = self._connection()
        have = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
        if "integration_id" not in have:  # SQLite cannot add a UNIQUE column: an index holds it
            conn.execute("ALTER TABLE users ADD COLUMN integration_id TEXT")
            conn.execute(
                "CREATE UNIQUE INDEX IF NOT EXISTS users_integration_id ON users (integration_id)"
            )

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=60.0
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=60000")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for the duration of the block."""
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken at once so that reads inside it cannot go stale."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection (at shutdown)."""
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    @staticmethod
    def _seed(conn: sqlite3.Connection) -> None:
        now = utcnow()
        conn.execute(
            "INSERT OR IGNORE INTO accounts (id, name) VALUES (?, 'Simulated University')",
            (ROOT_ACCOUNT_ID,),
        )
        conn.execute(
            "INSERT OR IGNORE INTO users (id, name, sortable_name, short_name, login_id,"
            " account_id, created_at) VALUES (?, 'Simulator Admin', 'Admin, Simulator',"
            " 'Simulator Admin', 'admin', ?, ?)",
            (ADMIN_USER_ID, ROOT_ACCOUNT_ID, now),
        )
        conn.execute(
            "INSERT OR IGNORE INTO terms (id, account_id, name, created_at)"
            " VALUES (1, ?, 'Default Term', ?)",
            (ROOT_ACCOUNT_ID, now),
        )
