"""Importers for the course catalog: terms, courses, their sections and cross-listings.

These files describe what is taught and when, and each row upserts one object by its SIS id (a
cross-listing moves a section). They are applied before users' enrollments can name them; people
and enrollments have their own modules.
"""

from __future__ import annotations

from sandbox.canvas.routes.courses import move_section
from sandbox.canvas.sis_import.csv_files import CsvFile
from sandbox.canvas.sis_import.run import Run
from sandbox.canvas.storage import utcnow

COURSE_STATUSES = {"active", "deleted", "completed", "published", "unpublished"}


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


def import_courses(run: Run, file: CsvFile) -> None:
    """``course_id,short_name,long_name,account_id,term_id,status,start_date,end_date``."""
    terms = run.sis_ids("terms", "sis_term_id")
    accounts = run.sis_ids("accounts", "sis_account_id")
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
    courses = run.sis_ids("courses", "sis_course_id")
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
    courses = run.sis_ids("courses", "sis_course_id")
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
