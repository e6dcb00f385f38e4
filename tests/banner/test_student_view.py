"""What a student may read of their own record: term registrations, hold effects, fund titles.

Each test inserts its own rows; the ``db`` fixture runs them on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from tests.banner.conftest import TERM, add, person, register, section
from tools.banner import reads
from tools.banner import schema as s
from tools.banner.errors import PersonNotFound


@pytest.fixture
def schedule(db: Engine) -> Engine:
    person(db, 1001, "A00001001", "Ana", "Rivera")
    person(db, 1002, "A00001002", "Ben", "Ortiz")
    add(db, s.scbcrse, scbcrse_subj_code="CHEM", scbcrse_crse_numb="110", scbcrse_eff_term="200010",
        scbcrse_title="General Chemistry", scbcrse_credit_hr_low=4.0)  # fmt: skip
    section(db, "10001", "BIOL", "101", crse_title="Cells and Life", credit_hrs=3.0)
    section(db, "10002", "CHEM", "110")  # no section title: the catalog's
    section(db, "10003", "MATH", "201", crse_title="Calculus II")
    section(db, "10004", "HIST", "150", crse_title="World History")
    register(db, 1001, "10001", "RE")
    register(db, 1001, "10002", "RW", credit_hr=None)  # no registration hours: the catalog's
    register(db, 1001, "10003", "WL")
    register(db, 1001, "10004", "DD")
    register(db, 1002, "10003", "RE")  # another student: never in 1001's schedule
    return db


def test_registrations_carry_course_status_and_enrolled_hours(schedule: Engine) -> None:
    mine = reads.student_registrations(schedule, 1001, TERM)
    rows = [
        (c.crn, c.subject, c.course_number, c.title, c.status, c.enrolled, c.waitlisted)
        for c in mine.courses
    ]
    assert rows == [
        ("10001", "BIOL", "101", "Cells and Life", "**Registered**", True, False),
        ("10002", "CHEM", "110", "General Chemistry", "**Web Registered**", True, False),
        ("10004", "HIST", "150", "World History", "Drop/Delete", False, False),
        ("10003", "MATH", "201", "Calculus II", "Wait Listed", False, True),
    ]
    assert [c.credit_hours for c in mine.courses] == [3.0, 4.0, 3.0, 3.0]
    assert mine.enrolled_credit_hours == 7.0  # the wait-listed and dropped courses add nothing
    assert mine.pidm == 1001 and mine.term == TERM


def test_registrations_of_another_term_or_person(schedule: Engine) -> None:
    assert reads.student_registrations(schedule, 1001, "202520").courses == []
    assert reads.student_registrations(schedule, 1001, "202520").enrolled_credit_hours == 0
    with pytest.raises(PersonNotFound):
        reads.student_registrations(schedule, 4242, TERM)


def test_holds_say_everything_their_type_blocks(schedule: Engine) -> None:
    for code in ("AR", "TR", "FA"):
        add(schedule, s.sprhold, sprhold_pidm=1001, sprhold_hldd_code=code,
            sprhold_user="BURSAR", sprhold_from_date=date(2025, 8, 1),
            sprhold_to_date=date(2099, 12, 31), sprhold_release_ind="N")  # fmt: skip
    summary = reads.student_holds(schedule, 1001, date(2025, 10, 1))
    effects = {h.code: (h.description, h.blocks) for h in summary.holds}
    assert effects == {
        "AR": ("Accounts Receivable", ["registration", "transcript", "graduation",
                                       "accounts_receivable"]),
        "TR": ("Transcript Hold", ["transcript"]),
        "FA": ("Financial Aid Documents", []),
    }  # fmt: skip
    assert summary.blocks_registration


def test_awards_carry_the_rfrbase_fund_title(schedule: Engine) -> None:
    for fund in ("PELL", "LOCAL1"):  # LOCAL1 has no RFRBASE row: the award is still listed
        add(schedule, s.rprawrd, rprawrd_pidm=1001, rprawrd_aidy_code="2526",
            rprawrd_fund_code=fund, rprawrd_awst_code="ACPT", rprawrd_offer_amt=1000.0,
            rprawrd_accept_amt=1000.0, rprawrd_paid_amt=0.0)  # fmt: skip
    aid = reads.aid_summary(schedule, 1001, "2526")
    assert [(a.fund, a.fund_title) for a in aid.awards] == [
        ("LOCAL1", None),
        ("PELL", "Federal Pell Grant"),
    ]
