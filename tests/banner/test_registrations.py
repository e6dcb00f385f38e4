"""Rosters, the whole-term snapshot and grade codes: meanings come from STVRSTS and SHRGRDE."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, event, update

from tests.banner.conftest import TERM, add, person, register, section
from tools.banner import reads
from tools.banner import schema as s
from tools.banner.errors import RegistrationNotFound, SectionNotFound


@pytest.fixture
def roster_db(db: Engine) -> Engine:
    section(db, "10001")
    section(db, "10002")
    for pidm, last in [(1001, "Abbott"), (1002, "Baker"), (1003, "Chen"), (1004, "Diaz"),
                       (1005, "Evans"), (1006, "Flores"), (1007, "Gupta")]:  # fmt: skip
        person(db, pidm, f"A0000{pidm}", "Sam", last)
    register(db, 1001, "10001", "RE")
    register(db, 1002, "10001", "WL", wl_priority=2)
    register(db, 1003, "10001", "DD")
    register(db, 1004, "10001", "WL", wl_priority=1)
    register(db, 1005, "10001", "AU")
    register(db, 1006, "10001", "WD", grde_code="W")
    register(db, 1007, "10001", "RW", levl_code="GR")
    register(db, 1001, "10002", "RW")
    return db


def test_roster_splits_enrolled_and_waitlisted_by_stvrsts_flags(roster_db: Engine) -> None:
    roster = reads.section_roster(roster_db, TERM, "10001")
    assert [(e.pidm, e.rsts_code) for e in roster.enrolled] == [
        (1001, "RE"),
        (1005, "AU"),
        (1007, "RW"),
    ]
    assert [(e.pidm, e.waitlist_priority) for e in roster.waitlisted] == [(1004, 1), (1002, 2)]


def test_a_new_status_code_counts_by_its_flag_not_by_a_list(roster_db: Engine) -> None:
    add(
        roster_db,
        s.stvrsts,
        stvrsts_code="RX",
        stvrsts_desc="Registered by exception",
        stvrsts_incl_sect_enrl="Y",
        stvrsts_wait_ind="N",
        stvrsts_withdraw_ind="N",
        stvrsts_gradable_ind="Y",
    )
    register(roster_db, 1003, "10002", "RX")
    with roster_db.begin() as conn:  # the institution stops counting audits
        conn.execute(
            update(s.stvrsts)
            .where(s.stvrsts.c.stvrsts_code == "AU")
            .values(stvrsts_incl_sect_enrl="N")
        )
    assert {e.pidm for e in reads.section_roster(roster_db, TERM, "10002").enrolled} == {1001, 1003}
    assert 1005 not in {e.pidm for e in reads.section_roster(roster_db, TERM, "10001").enrolled}


def test_roster_of_unknown_section_is_not_found(roster_db: Engine) -> None:
    with pytest.raises(SectionNotFound, match="crn='55555'"):
        reads.section_roster(roster_db, TERM, "55555")


def test_empty_section_has_empty_roster(roster_db: Engine) -> None:
    section(roster_db, "10009")
    roster = reads.section_roster(roster_db, TERM, "10009")
    assert roster.enrolled == [] and roster.waitlisted == []


def test_term_snapshot_is_one_statement_with_every_registration(roster_db: Engine) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(roster_db, "before_cursor_execute", count)
    try:
        snapshot = reads.term_roster_snapshot(roster_db, TERM)
    finally:
        event.remove(roster_db, "before_cursor_execute", count)
    assert len(statements) == 1
    flags = {
        (r.pidm, r.crn): (r.rsts_code, r.enrolled, r.waitlisted, r.withdrawn) for r in snapshot
    }
    assert flags == {
        (1001, "10001"): ("RE", True, False, False),
        (1002, "10001"): ("WL", False, True, False),
        (1003, "10001"): ("DD", False, False, False),
        (1004, "10001"): ("WL", False, True, False),
        (1005, "10001"): ("AU", True, False, False),
        (1006, "10001"): ("WD", False, False, True),
        (1007, "10001"): ("RW", True, False, False),
        (1001, "10002"): ("RW", True, False, False),
    }
    by_key = {(r.pidm, r.crn): r for r in snapshot}
    assert by_key[(1006, "10001")].grade == "W"
    assert by_key[(1007, "10001")].level == "GR"
    assert by_key[(1001, "10001")].banner_id == "A00001001"
    assert by_key[(1001, "10001")].rsts_date == date(2025, 8, 10)
    assert reads.term_roster_snapshot(roster_db, "202620") == []


def test_sections_snapshot_is_the_term_snapshot_of_those_sections(roster_db: Engine) -> None:
    term = reads.term_roster_snapshot(roster_db, TERM)
    assert reads.sections_roster_snapshot(roster_db, TERM, ["10002"]) == [
        r for r in term if r.crn == "10002"
    ]
    both = reads.sections_roster_snapshot(roster_db, TERM, ["10001", "10002"])
    assert both == term
    one = reads.sections_roster_snapshot(roster_db, TERM, ["10001", "10002"], pidm=1001)
    assert [(r.crn, r.rsts_code) for r in one] == [("10001", "RE"), ("10002", "RW")]
    assert reads.sections_roster_snapshot(roster_db, TERM, ["10002"], pidm=1003) == []
    assert reads.sections_roster_snapshot(roster_db, "202620", ["10001"]) == []


@pytest.mark.parametrize(
    ("level", "term", "present", "absent"),
    [
        # plus/minus from 201010, D- expired in 201810, P web-enterable only from 202010
        ("UG", TERM, {"A", "A-", "B+", "F", "I", "P", "N"}, {"D-", "E", "W", "NR", "S"}),
        ("UG", "201510", {"A", "A-", "D-"}, {"P", "N", "E"}),
        ("UG", "200510", {"A", "E", "D"}, {"A-", "D-", "P"}),
        ("GR", TERM, {"A", "B-", "S", "U", "I"}, {"D", "P", "W"}),
        ("GR", "201010", {"A", "B"}, {"S", "U"}),
    ],
)
def test_grade_codes_by_level_and_term(
    db: Engine, level: str, term: str, present: set[str], absent: set[str]
) -> None:
    codes = set(reads.grade_codes_for_level(db, level, term).codes)
    assert present <= codes
    assert not absent & codes


def test_grade_codes_are_ordered_best_first(db: Engine) -> None:
    codes = reads.grade_codes_for_level(db, "UG", TERM).codes
    assert codes[:3] == ["A", "A-", "B+"]


def test_valid_grade_codes_follow_the_registration_level(roster_db: Engine) -> None:
    assert "S" in reads.valid_grade_codes(roster_db, TERM, 1007, "10001").codes
    ug = reads.valid_grade_codes(roster_db, TERM, 1001, "10001")
    assert (ug.level, "S" in ug.codes) == ("UG", False)
    with pytest.raises(RegistrationNotFound, match="pidm=1003, crn='10002'"):
        reads.valid_grade_codes(roster_db, TERM, 1003, "10002")
