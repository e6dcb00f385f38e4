"""Every SQL statement the Banner tools run, as builder functions, one module per concept.

Statements are SQLAlchemy Core, so one builder serves SQLite, PostgreSQL and Oracle. Each builder
registers itself with sample arguments in :data:`STATEMENTS`, which lets a test compile every
statement for the Oracle dialect without a server. The rules that live in SQL are here and only
here: the current SPRIDEN row, effective dating (largest effective term <= the term asked about),
status meanings through STVRSTS and STVHLDD flags, grade codes through SHRGRDE.
"""

from tools.banner.queries.base import OPEN_ENDED, STATEMENTS, AnySelect, Statement, statement
from tools.banner.queries.directory import (
    changed_students,
    current_term,
    latest_activity,
    person_details,
    search_emails,
    search_entries,
    student_schedule,
    students_taught,
)
from tools.banner.queries.persons import (
    current_person_names,
    person_by_id,
    person_by_pidm,
)
from tools.banner.queries.records import (
    active_holds,
    advisees,
    aid_awards,
    aid_status,
    hold_by_id,
    hold_types,
    overall_gpa,
    student_advisors,
    student_standing,
    term_gpa,
)
from tools.banner.queries.registrations import (
    OVERALL_GPA,
    grade_codes,
    grade_codes_with_worth,
    incomplete_state,
    registration,
    rolled_courses,
    section_grading_registrations,
    section_roster,
    sections_roster_snapshot,
    student_registrations,
    term_roster_snapshot,
)
from tools.banner.queries.sections import (
    crosslist_members,
    section,
    section_instructors,
    sections_taught,
    sections_with_crosslists,
    term_first_class,
    term_sections,
)
from tools.banner.queries.writes import (
    advising_comment,
    end_hold,
    extend_incomplete,
    insert_advising_comment,
    insert_hold,
    store_final_grade,
)

__all__ = [
    "OPEN_ENDED",
    "OVERALL_GPA",
    "STATEMENTS",
    "AnySelect",
    "Statement",
    "active_holds",
    "advisees",
    "advising_comment",
    "aid_awards",
    "aid_status",
    "changed_students",
    "crosslist_members",
    "current_person_names",
    "current_term",
    "end_hold",
    "extend_incomplete",
    "grade_codes",
    "grade_codes_with_worth",
    "hold_by_id",
    "hold_types",
    "incomplete_state",
    "insert_advising_comment",
    "insert_hold",
    "latest_activity",
    "overall_gpa",
    "person_by_id",
    "person_by_pidm",
    "person_details",
    "registration",
    "rolled_courses",
    "search_emails",
    "search_entries",
    "section",
    "section_grading_registrations",
    "section_instructors",
    "section_roster",
    "sections_roster_snapshot",
    "sections_taught",
    "sections_with_crosslists",
    "statement",
    "store_final_grade",
    "student_advisors",
    "student_registrations",
    "student_schedule",
    "student_standing",
    "students_taught",
    "term_first_class",
    "term_gpa",
    "term_roster_snapshot",
    "term_sections",
]
