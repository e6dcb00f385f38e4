"""Grading facts of a section and incomplete resolution, on each backend.

Pins the rules :mod:`tools.banner.grading` serves the grade agents: enrolled registrations only,
the rolled-to-history flag per registration (SHRTCKN of that term and CRN), the overall GPA of
the registration's level (SHRLGPA, type O), the SHRGRDE codes valid for the level and term with
the worth of each code's effective row, the two ways an incomplete is resolved and their
refusals, and that one section costs a fixed number of statements however large the class.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from core.db import make_engine
from core.errors import ValidationFailed
from runtime.inbox import Inbox
from runtime.intake.cursors import CursorStore
from runtime.intake.db_poller import DbPoller
from tests.banner.conftest import TERM, add, person, register, section
from tools.banner import reads
from tools.banner import schema as s
from tools.banner.errors import (
    GradeAlreadyRolled,
    InvalidGrade,
    PersonNotFound,
    RegistrationNotFound,
    SectionNotFound,
)
from tools.banner.grading import (
    GradeCode,
    IncompleteResolution,
    resolve_incomplete,
    section_grading,
)

TODAY = date(2025, 12, 20)
AT = datetime(2025, 12, 20, 9, 0)
EXTENDED = date(2026, 5, 1)


def rolled(db: Engine, pidm: int, crn: str, term: str = TERM, seq: int = 1) -> None:
    add(db, s.shrtckn, shrtckn_pidm=pidm, shrtckn_term_code=term, shrtckn_seq_no=seq,
        shrtckn_crn=crn, shrtckn_subj_code="BIOL", shrtckn_crse_numb="101")  # fmt: skip


def gpa(db: Engine, pidm: int, level: str, kind: str, value: float, hours: float) -> None:
    add(db, s.shrlgpa, shrlgpa_pidm=pidm, shrlgpa_levl_code=level, shrlgpa_gpa_type_ind=kind,
        shrlgpa_gpa_hours=hours, shrlgpa_quality_points=value * hours,
        shrlgpa_gpa=value)  # fmt: skip


def grade_row(db: Engine, level: str, code: str, eff: str, points: float, gpa_ind: str) -> None:
    add(db, s.shrgrde, shrgrde_code=code, shrgrde_levl_code=level,
        shrgrde_term_code_effective=eff, shrgrde_quality_points=points,
        shrgrde_attempted_ind="Y", shrgrde_completed_ind="Y", shrgrde_passed_ind="Y",
        shrgrde_gpa_ind=gpa_ind, shrgrde_grde_status_ind="A",
        shrgrde_web_entry_ind="Y")  # fmt: skip


@pytest.fixture
def course(db: Engine) -> Engine:
    """Section 10001: two graded students (UG, GR), an auditor, a drop and a wait-list."""
    section(db, "10001")
    section(db, "10002", numb="102")
    for pidm, first in ((1001, "Ana"), (1002, "Ben"), (1003, "Cy"), (1004, "Di"), (1005, "Ed")):
        person(db, pidm, f"A0000{pidm}", first, "Student")
    register(db, 1001, "10001", "RE")
    register(db, 1002, "10001", "RW", level="GR", grde_code="I", grde_code_incmp_final="F",
             incomplete_ext_date=date(2026, 1, 15))  # fmt: skip
    register(db, 1003, "10001", "DD")
    register(db, 1004, "10001", "AU")
    register(db, 1005, "10001", "WL")
    register(db, 1001, "10002", "RE")
    return db


def facts_by_pidm(db: Engine) -> dict[int, Any]:
    return {r.pidm: r for r in section_grading(db, TERM, "10001").registrations}


# --- section_grading -----------------------------------------------------------------------


def test_only_enrolled_registrations_with_their_status_facts(course: Engine) -> None:
    facts = section_grading(course, TERM, "10001")
    assert (facts.term, facts.crn) == (TERM, "10001")
    assert [r.pidm for r in facts.registrations] == [1001, 1002, 1004]  # not DD, not WL
    ana, ben, di = facts.registrations
    assert (ana.banner_id, ana.level, ana.rsts_code, ana.gradable, ana.grade) == (
        "A00001001", "UG", "RE", True, None,
    )  # fmt: skip
    assert (ben.level, ben.rsts_code, ben.gradable, ben.grade) == ("GR", "RW", True, "I")
    assert (ben.incomplete_final_grade, ben.incomplete_ext_date) == ("F", date(2026, 1, 15))
    assert (di.rsts_code, di.gradable) == ("AU", False)
    assert (ana.incomplete_final_grade, ana.incomplete_ext_date) == (None, None)


def test_rolled_flag_is_per_registration_term_and_crn(course: Engine) -> None:
    rolled(course, 1001, "10001")
    rolled(course, 1001, "10001", seq=2)  # two history rows still make one registration
    rolled(course, 1002, "10001", term="202520")  # an earlier term's history of the same CRN
    rolled(course, 1004, "10002")  # the same term, another course
    facts = facts_by_pidm(course)
    assert len(section_grading(course, TERM, "10001").registrations) == 3
    assert {pidm: r.rolled_to_history for pidm, r in facts.items()} == {
        1001: True, 1002: False, 1004: False,
    }  # fmt: skip


def test_overall_gpa_is_the_registrations_level(course: Engine) -> None:
    gpa(course, 1001, "UG", "O", 3.0, 24.0)
    gpa(course, 1001, "UG", "I", 3.5, 12.0)  # institutional, not overall
    gpa(course, 1001, "GR", "O", 3.9, 9.0)  # another level
    gpa(course, 1002, "UG", "O", 2.1, 120.0)
    gpa(course, 1002, "GR", "O", 3.4, 18.0)
    facts = facts_by_pidm(course)
    assert (facts[1001].overall_gpa, facts[1001].overall_gpa_hours) == (3.0, 24.0)
    assert (facts[1002].overall_gpa, facts[1002].overall_gpa_hours) == (3.4, 18.0)
    assert (facts[1004].overall_gpa, facts[1004].overall_gpa_hours) == (None, None)


def test_codes_by_level_with_the_worth_of_their_effective_row(course: Engine) -> None:
    grade_row(course, "UG", "A", "202510", 4.3, "Y")  # in force for the term: its worth counts
    grade_row(course, "UG", "B", "202710", 3.1, "N")  # a later term's row: not yet
    codes = section_grading(course, TERM, "10001").grade_codes
    assert set(codes) == {"UG", "GR"}
    for level in ("UG", "GR"):  # the same codes, in the same order, as grade entry accepts
        assert [c.code for c in codes[level]] == reads.grade_codes_for_level(
            course, level, TERM
        ).codes
    ug = {c.code: c for c in codes["UG"]}
    assert ug["A"] == GradeCode(code="A", quality_points=4.3, counts_in_gpa=True)
    assert ug["B"] == GradeCode(code="B", quality_points=3.0, counts_in_gpa=True)
    assert ug["I"] == GradeCode(code="I", quality_points=0.0, counts_in_gpa=False)
    assert ug["P"] == GradeCode(code="P", quality_points=0.0, counts_in_gpa=False)  # web: 202010
    assert {"E", "D-", "W", "NR", "S"}.isdisjoint(ug)  # expired, not web-enterable, other level
    gr = {c.code: c for c in codes["GR"]}
    assert gr["S"] == GradeCode(code="S", quality_points=0.0, counts_in_gpa=False)
    assert gr["B+"] == GradeCode(code="B+", quality_points=3.3, counts_in_gpa=True)


def test_codes_only_for_levels_present(db: Engine) -> None:
    section(db, "10001")
    person(db, 1001, "A00001001", "Ana", "Rivera")
    register(db, 1001, "10001", "RE")
    assert set(section_grading(db, TERM, "10001").grade_codes) == {"UG"}


def test_empty_section_has_no_registrations_or_codes(db: Engine) -> None:
    section(db, "10001")
    facts = section_grading(db, TERM, "10001")
    assert (facts.registrations, facts.grade_codes) == ([], {})


def test_unknown_section_is_refused(course: Engine) -> None:
    with pytest.raises(SectionNotFound):
        section_grading(course, TERM, "99999")


def test_registration_without_a_current_identity_is_refused(course: Engine) -> None:
    person(course, 1006, "A00001006", "Old", "Name", change_ind="N")  # history row only
    register(course, 1006, "10001", "RE")
    with pytest.raises(PersonNotFound):
        section_grading(course, TERM, "10001")


def test_reads_on_the_callers_connection(course: Engine) -> None:
    with course.connect() as conn:
        facts = section_grading(conn, TERM, "10001")
    assert [r.pidm for r in facts.registrations] == [1001, 1002, 1004]


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(sql)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def big_class(db: Engine, crn: str, size: int) -> None:
    section(db, crn, numb=f"2{size:02d}")
    for n in range(size):
        pidm = 10_000 * size + n
        level = "GR" if n % 3 == 0 else "UG"
        person(db, pidm, f"B{pidm:08d}", "S", f"Student{n}")
        register(db, pidm, crn, "RE", level=level)
        gpa(db, pidm, level, "O", 3.0, 30.0)
        if n % 4 == 0:
            rolled(db, pidm, crn)


def test_statement_count_does_not_grow_with_the_class(db: Engine) -> None:
    big_class(db, "20001", 2)
    big_class(db, "20040", 40)
    with counted(db) as small:
        section_grading(db, TERM, "20001")
    with counted(db) as large:
        facts = section_grading(db, TERM, "20040")
    assert len(facts.registrations) == 40
    assert sum(r.rolled_to_history for r in facts.registrations) == 10
    assert all(r.overall_gpa == 3.0 for r in facts.registrations)
    assert set(facts.grade_codes) == {"UG", "GR"}
    assert len(large) == len(small) == 3  # the section, its registrations, the codes


# --- resolve_incomplete --------------------------------------------------------------------


def stored(db: Engine, pidm: int) -> tuple[str | None, date | None, str]:
    with db.connect() as conn:
        row = conn.execute(
            select(s.sfrstcr.c.sfrstcr_grde_code, s.sfrstcr.c.sfrstcr_incomplete_ext_date,
                   s.sfrstcr.c.sfrstcr_user_id)
            .where(s.sfrstcr.c.sfrstcr_pidm == pidm, s.sfrstcr.c.sfrstcr_crn == "10001")
        ).one()  # fmt: skip
    return row[0], row[1], row[2]


def resolve(db: Engine, pidm: int = 1002, **change: Any) -> IncompleteResolution:
    values: dict[str, Any] = {"grade": None, "extend_to": None, **change}
    return resolve_incomplete(
        db, term=TERM, pidm=pidm, crn="10001", user="dkim", today=TODAY, at=AT, **values
    )


def test_final_grade_replaces_the_incomplete(course: Engine) -> None:
    result = resolve(course, grade="B")
    assert result == IncompleteResolution(
        term=TERM, pidm=1002, crn="10001", grade="B", incomplete_ext_date=date(2026, 1, 15)
    )
    assert stored(course, 1002) == ("B", date(2026, 1, 15), "dkim")


def test_final_grade_goes_through_grade_validation(course: Engine) -> None:
    with pytest.raises(InvalidGrade):
        resolve(course, grade="D")  # not a GR code
    assert stored(course, 1002)[0] == "I"


def test_extension_moves_the_date_and_keeps_the_incomplete(course: Engine) -> None:
    result = resolve(course, extend_to=EXTENDED)
    assert result == IncompleteResolution(
        term=TERM, pidm=1002, crn="10001", grade="I", incomplete_ext_date=EXTENDED
    )
    assert stored(course, 1002) == ("I", EXTENDED, "dkim")
    assert stored(course, 1001)[1] is None  # only that registration


def activity(db: Engine, pidm: int) -> tuple[datetime, int]:
    """SFRSTCR_ACTIVITY_DATE and _VERSION of the registration in 10001."""
    with db.connect() as conn:
        row = conn.execute(
            select(s.sfrstcr.c.sfrstcr_activity_date, s.sfrstcr.c.sfrstcr_version)
            .where(s.sfrstcr.c.sfrstcr_pidm == pidm, s.sfrstcr.c.sfrstcr_crn == "10001")
        ).one()  # fmt: skip
    return row[0], row[1]


@pytest.mark.parametrize("change", [{"extend_to": EXTENDED}, {"grade": "B"}])
def test_resolution_stamps_activity_date_and_version(
    course: Engine, change: dict[str, Any]
) -> None:
    before, version = activity(course, 1002)
    assert before < AT
    resolve(course, **change)
    assert activity(course, 1002) == (AT, version + 1)
    assert activity(course, 1001)[0] == before  # only that registration


def test_extension_is_seen_by_the_db_poller(course: Engine, tmp_path: Any) -> None:
    """The poller watches SFRSTCR_ACTIVITY_DATE: an extension must move it to become an event."""
    app = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    inbox = Inbox(app)
    inbox.create_schema()
    cursors = CursorStore(app)
    cursors.create_schema()
    poller = DbPoller(inbox, cursors, course)
    assert poller.poll_once() > 0  # the seeded rows; the watermark now sits at their stamp
    assert poller.poll_once() == 0
    seen = {r.event_id for r in inbox.list_events(limit=1000)}

    resolve(course, extend_to=EXTENDED)

    assert poller.poll_once() == 1
    new = [r for r in inbox.list_events(limit=1000) if r.event_id not in seen]
    assert len(new) == 1
    assert new[0].event_id.endswith(f":{AT.isoformat()}")
    assert new[0].subject_key == f"registration:{TERM}:10001:1002"
    assert new[0].kind == "banner.grade.entered"  # still an 'I': the incompletes agent re-reads
    assert new[0].occurred_at.replace(tzinfo=None) == AT
    app.dispose()


@pytest.mark.parametrize(
    "change", [{"grade": "B", "extend_to": EXTENDED}, {}], ids=["both", "neither"]
)
def test_exactly_one_of_grade_and_extension(course: Engine, change: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed, match="either a final grade or a new extension date"):
        resolve(course, **change)
    assert stored(course, 1002)[:2] == ("I", date(2026, 1, 15))


@pytest.mark.parametrize("day", [TODAY, date(2025, 12, 1)], ids=["today", "past"])
def test_extension_must_lie_after_today(course: Engine, day: date) -> None:
    with pytest.raises(ValidationFailed, match="must lie after 2025-12-20"):
        resolve(course, extend_to=day)
    assert stored(course, 1002)[1] == date(2026, 1, 15)


@pytest.mark.parametrize("change", [{"extend_to": EXTENDED}, {"grade": "B"}])
def test_refused_after_roll_to_history(course: Engine, change: dict[str, Any]) -> None:
    rolled(course, 1002, "10001")
    with pytest.raises(GradeAlreadyRolled):
        resolve(course, **change)
    assert stored(course, 1002)[:2] == ("I", date(2026, 1, 15))


@pytest.mark.parametrize("change", [{"extend_to": EXTENDED}, {"grade": "B"}])
def test_unknown_registration_is_refused(course: Engine, change: dict[str, Any]) -> None:
    with pytest.raises(RegistrationNotFound):
        resolve(course, pidm=4242, **change)
