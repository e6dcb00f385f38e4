"""Student records: effective-dated SGBSTDN and SGRADVR, GPA, holds by date and type, aid."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.banner.conftest import TERM, add, person
from tools.banner import reads
from tools.banner import schema as s
from tools.banner.errors import PersonNotFound, StudentRecordNotFound


def standing(db: Engine, eff: str, **extra: Any) -> None:
    add(
        db,
        s.sgbstdn,
        sgbstdn_pidm=1001,
        sgbstdn_term_code_eff=eff,
        sgbstdn_stst_code="AS",
        sgbstdn_levl_code="UG",
        sgbstdn_styp_code=extra.pop("styp", "C"),
        **{f"sgbstdn_{k}": v for k, v in extra.items()},
    )


def advisor(db: Engine, eff: str, advr: int, prim: str | None) -> None:
    add(
        db,
        s.sgradvr,
        sgradvr_pidm=1001,
        sgradvr_term_code_eff=eff,
        sgradvr_advr_pidm=advr,
        sgradvr_advr_code="ACAD",
        sgradvr_prim_ind=prim,
    )


@pytest.fixture
def student(db: Engine) -> Engine:
    person(db, 1001, "A00001001", "Ana", "Rivera")
    person(db, 2001, "@00002001", "Dana", "Kim")
    person(db, 2002, "@00002002", "Eli", "Santos")
    standing(db, "202410", styp="N", majr_code_1="BIOL")
    standing(db, "202520", majr_code_1="CHEM", astd_code="AP", term_code_astd="202510")
    standing(db, "202620", majr_code_1="MATH")  # decided for next term: not yet in force
    advisor(db, "202410", 2001, "Y")
    advisor(db, "202520", 2002, "Y")
    advisor(db, "202520", 2001, None)
    return db


@pytest.mark.parametrize(
    ("term", "effective", "major"),
    [("202410", "202410", "BIOL"), ("202510", "202410", "BIOL"), (TERM, "202520", "CHEM"),
     ("202620", "202620", "MATH")],
)  # fmt: skip
def test_standing_uses_the_row_effective_for_the_term(
    student: Engine, term: str, effective: str, major: str
) -> None:
    record = reads.student_standing(student, 1001, term)
    assert (record.effective_term, record.major) == (effective, major)


def test_standing_details(student: Engine) -> None:
    record = reads.student_standing(student, 1001, TERM)
    assert (record.academic_standing, record.standing_term, record.student_type) == (
        "AP",
        "202510",
        "C",
    )


def test_no_record_before_admission(student: Engine) -> None:
    with pytest.raises(StudentRecordNotFound, match="pidm=1001, term='202320'"):
        reads.student_standing(student, 1001, "202320")


def test_primary_advisor_is_effective_dated(student: Engine) -> None:
    now = reads.primary_advisor(student, 1001, TERM)
    assert now is not None and (now.advisor_pidm, now.last_name) == (2002, "Santos")
    before = reads.primary_advisor(student, 1001, "202510")
    assert before is not None and before.advisor_pidm == 2001
    assert [(a.advisor_pidm, a.primary) for a in reads.student_advisors(student, 1001, TERM)] == [
        (2002, True),
        (2001, False),
    ]
    assert reads.primary_advisor(student, 1001, "202310") is None


def test_advisor_scope(student: Engine) -> None:
    assert reads.advisees_of(student, 2002, TERM) == [1001]
    assert reads.advisees_of(student, 2002, "202510") == []
    assert reads.is_advisor_of(student, 2001, 1001, TERM)  # still a secondary advisor
    assert reads.is_advisor_of(student, 2001, 1001, "202510")
    assert not reads.is_advisor_of(student, 2002, 1001, "202510")
    assert not reads.is_advisor_of(student, 2002, 1999, TERM)


def test_gpa_by_term_and_overall(student: Engine) -> None:
    for term, gpa in [("202510", 3.5), ("202520", 2.5)]:
        add(student, s.shrtgpa, shrtgpa_pidm=1001, shrtgpa_term_code=term, shrtgpa_levl_code="UG",
            shrtgpa_gpa_type_ind="I", shrtgpa_gpa_hours=12.0, shrtgpa_gpa=gpa)  # fmt: skip
    add(student, s.shrlgpa, shrlgpa_pidm=1001, shrlgpa_levl_code="UG", shrlgpa_gpa_type_ind="O",
        shrlgpa_gpa_hours=24.0, shrlgpa_quality_points=72.0, shrlgpa_gpa=3.0)  # fmt: skip
    summary = reads.student_gpa(student, 1001, "202520")
    assert [(line.level, line.gpa) for line in summary.term_gpa] == [("UG", 2.5)]
    assert [(line.gpa_type, line.gpa) for line in summary.overall_gpa] == [("O", 3.0)]
    assert reads.student_gpa(student, 1001, TERM).term_gpa == []
    with pytest.raises(PersonNotFound):
        reads.student_gpa(student, 4242, TERM)


def hold(db: Engine, code: str, start: date, end: date, **extra: Any) -> None:
    add(
        db,
        s.sprhold,
        sprhold_pidm=1001,
        sprhold_hldd_code=code,
        sprhold_user="REGISTRAR",
        sprhold_from_date=start,
        sprhold_to_date=end,
        sprhold_release_ind=extra.pop("release_ind", "N"),
        **{f"sprhold_{k}": v for k, v in extra.items()},
    )


@pytest.mark.parametrize(
    ("as_of", "codes", "blocks"),
    [
        (date(2025, 7, 31), [], False),  # before FROM
        (date(2025, 8, 1), ["AR", "TR"], True),  # FROM day
        (date(2025, 8, 31), ["AR", "TR"], True),  # last day
        (date(2025, 9, 1), ["TR"], False),  # TO day: no longer in force; TR does not block
        (date(2026, 6, 1), [], False),
    ],
)
def test_holds_in_force_and_registration_block(
    student: Engine, as_of: date, codes: list[str], blocks: bool
) -> None:
    hold(student, "AR", date(2025, 8, 1), date(2025, 9, 1), amount_owed=125.5)
    hold(student, "TR", date(2025, 8, 1), date(2026, 1, 1))
    summary = reads.student_holds(student, 1001, as_of)
    assert [h.code for h in summary.holds] == codes
    assert summary.blocks_registration is blocks


def test_blocking_follows_the_stvhldd_flag(student: Engine) -> None:
    add(student, s.stvhldd, stvhldd_code="ZZ", stvhldd_desc="Local blocking hold",
        stvhldd_reg_hold_ind="Y")  # fmt: skip
    hold(student, "ZZ", date(2025, 8, 1), date(2099, 12, 31))
    summary = reads.student_holds(student, 1001, date(2025, 10, 1))
    assert summary.blocks_registration
    assert summary.holds[0].description == "Local blocking hold"


def test_aid_summary_totals(student: Engine) -> None:
    add(student, s.rorstat, rorstat_pidm=1001, rorstat_aidy_code="2526",
        rorstat_all_req_comp_date=date(2025, 5, 1), rorstat_pckg_comp_date=None)  # fmt: skip
    for fund, status, offer, accept, paid in [("PELL", "ACPT", 3000.0, 3000.0, 1500.0),
                                              ("DLSUB", "DECL", 2000.0, 0.0, 0.0)]:  # fmt: skip
        add(student, s.rprawrd, rprawrd_pidm=1001, rprawrd_aidy_code="2526",
            rprawrd_fund_code=fund, rprawrd_awst_code=status, rprawrd_offer_amt=offer,
            rprawrd_accept_amt=accept, rprawrd_paid_amt=paid)  # fmt: skip
    aid = reads.aid_summary(student, 1001, "2526")
    assert (aid.has_aid_record, aid.requirements_complete, aid.packaging_complete) == (
        True,
        True,
        False,
    )
    assert [a.fund for a in aid.awards] == ["DLSUB", "PELL"]
    assert (aid.total_offered, aid.total_accepted, aid.total_paid) == (5000.0, 3000.0, 1500.0)
    empty = reads.aid_summary(student, 1001, "2425")
    assert (empty.has_aid_record, empty.awards, empty.total_offered) == (False, [], 0.0)
