"""Importer for the enrollments file, and the Live Events its changes cause.

Live Events: Canvas emits them for SIS-imported enrollments too, because they come from
``LiveEventsObserver`` (an ActiveRecord observer on ``Enrollment``, run after the transaction
commits), not from the API controllers; an update that only touches ``updated_at`` /
``sis_batch_id`` is a no-op and emits nothing (``NOP_UPDATE_FIELDS``). So when a webhook is
configured, each import sends ``enrollment_created`` for the enrollments it created and
``enrollment_updated`` for those whose state it changed, after its transaction commits. The
diffing that decides which is which lives here, beside the only importer that needs it.
"""

from __future__ import annotations

from sandbox.canvas.routes.courses import default_section
from sandbox.canvas.routes.enrollments import emit_enrollment
from sandbox.canvas.sis_import.csv_files import CsvFile
from sandbox.canvas.sis_import.run import Run
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


def import_enrollments(run: Run, file: CsvFile) -> None:
    """``course_id,section_id,user_id,role,status`` (course or section required)."""
    users = run.sis_ids("users", "sis_user_id")
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
