"""Person and section reads: the current SPRIDEN row, preferred e-mail, effective catalog titles,
instructors, cross-lists and teaching scope."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from tests.banner.conftest import TERM, add, person, section
from tools.banner import reads
from tools.banner import schema as s
from tools.banner.errors import PersonNotFound, SectionNotFound


def email(db: Engine, pidm: int, code: str, address: str, status: str, preferred: str) -> None:
    add(
        db,
        s.goremal,
        goremal_pidm=pidm,
        goremal_emal_code=code,
        goremal_email_address=address,
        goremal_status_ind=status,
        goremal_preferred_ind=preferred,
    )


@pytest.fixture
def people(db: Engine) -> Engine:
    # Ana changed her last name and her ID: two history rows and the current row.
    person(db, 1001, "A00000001", "Ana", "Oldname", change_ind="N")
    person(db, 1001, "A00000099", "Ana", "Rivera", change_ind="I")
    person(db, 1001, "A00000001", "Ana", "Rivera", spriden_mi="M")
    email(db, 1001, "PERS", "ana@mail.example.com", "A", "N")
    email(db, 1001, "UNIV", "arivera@example.edu", "A", "Y")
    # Ben's only preferred address is inactive; Cy has none at all.
    person(db, 1002, "A00000002", "Ben", "Okafor")
    email(db, 1002, "UNIV", "bokafor@example.edu", "I", "Y")
    person(db, 1003, "A00000003", "Cy", "Tran")
    person(db, 9001, "@00000901", None, "Scholarship Fund", entity="C")
    return db


def test_person_by_pidm_returns_current_name_and_preferred_active_email(people: Engine) -> None:
    ana = reads.person_by_pidm(people, 1001)
    assert (ana.banner_id, ana.first_name, ana.last_name, ana.middle_name) == (
        "A00000001",
        "Ana",
        "Rivera",
        "M",
    )
    assert ana.preferred_email == "arivera@example.edu"


def test_person_without_active_preferred_email_has_none(people: Engine) -> None:
    assert reads.person_by_pidm(people, 1002).preferred_email is None
    assert reads.person_by_pidm(people, 1003).preferred_email is None


def test_person_by_id_matches_current_id_only(people: Engine) -> None:
    assert reads.person_by_id(people, "A00000001").pidm == 1001
    with pytest.raises(PersonNotFound, match="banner_id='A00000099'"):
        reads.person_by_id(people, "A00000099")


def test_unknown_pidm_names_the_key(people: Engine) -> None:
    with pytest.raises(PersonNotFound, match="person not found: pidm=4242"):
        reads.person_by_pidm(people, 4242)


def test_current_person_names_skip_history_rows_and_corporations(people: Engine) -> None:
    names = [(n.pidm, n.first_name, n.last_name) for n in reads.current_person_names(people)]
    assert names == [(1001, "Ana", "Rivera"), (1002, "Ben", "Okafor"), (1003, "Cy", "Tran")]


def catalog(db: Engine, subj: str, numb: str, eff: str, title: str) -> None:
    add(
        db,
        s.scbcrse,
        scbcrse_subj_code=subj,
        scbcrse_crse_numb=numb,
        scbcrse_eff_term=eff,
        scbcrse_title=title,
        scbcrse_credit_hr_low=3.0,
    )


def assign(db: Engine, crn: str, pidm: int, category: str, primary: str | None) -> None:
    add(
        db,
        s.sirasgn,
        sirasgn_term_code=TERM,
        sirasgn_crn=crn,
        sirasgn_pidm=pidm,
        sirasgn_category=category,
        sirasgn_primary_ind=primary,
        sirasgn_percent_response=50,
    )


def crosslist(db: Engine, crn: str, group: str) -> None:
    add(db, s.ssrxlst, ssrxlst_term_code=TERM, ssrxlst_crn=crn, ssrxlst_xlst_group=group)


@pytest.fixture
def sections(people: Engine) -> Engine:
    db = people
    catalog(db, "BIOL", "101", "199910", "Old Biology")
    catalog(db, "BIOL", "101", "202410", "Intro to Biology")
    catalog(db, "BIOL", "101", "202620", "Future Biology")
    catalog(db, "CHEM", "201", "199910", "Organic Chemistry")
    section(db, "10001", ptrm_start_date=date(2025, 8, 25))
    section(db, "10002", crse_title="Special Topics Lab")
    section(db, "10003", subj="CHEM", numb="201")
    section(db, "10004", subj="CHEM", numb="201", ssts_code="C")
    crosslist(db, "10001", "X1")
    crosslist(db, "10003", "X1")
    person(db, 2001, "@00000001", "Dana", "Kim")
    person(db, 2002, "@00000002", "Eli", "Santos")
    assign(db, "10001", 2002, "02", None)
    assign(db, "10001", 2001, "01", "Y")
    return db


def test_section_title_falls_back_to_catalog_row_effective_for_the_term(sections: Engine) -> None:
    sec = reads.get_section(sections, TERM, "10001")
    assert sec.title == "Intro to Biology"  # not the older row, not the future one
    assert sec.credit_hours == 3.0
    assert sec.crosslist_group == "X1"
    assert sec.start_date == date(2025, 8, 25)


def test_section_own_title_wins_over_catalog(sections: Engine) -> None:
    assert reads.get_section(sections, TERM, "10002").title == "Special Topics Lab"


def test_catalog_title_of_an_earlier_term_uses_the_row_effective_then(sections: Engine) -> None:
    add(
        sections,
        s.ssbsect,
        ssbsect_term_code="202310",
        ssbsect_crn="10001",
        ssbsect_subj_code="BIOL",
        ssbsect_crse_numb="101",
        ssbsect_seq_numb="001",
        ssbsect_ssts_code="A",
        ssbsect_max_enrl=10,
        ssbsect_enrl=0,
        ssbsect_seats_avail=10,
        ssbsect_wait_capacity=0,
        ssbsect_wait_count=0,
    )
    assert reads.get_section(sections, "202310", "10001").title == "Old Biology"


def test_unknown_section_names_term_and_crn(sections: Engine) -> None:
    with pytest.raises(SectionNotFound, match="term='202610', crn='99999'"):
        reads.get_section(sections, TERM, "99999")


def test_term_sections_lists_every_section_with_status_and_group(sections: Engine) -> None:
    listed = reads.term_sections(sections, TERM)
    assert [(x.crn, x.status, x.crosslist_group) for x in listed] == [
        ("10001", "A", "X1"),
        ("10002", "A", None),
        ("10003", "A", "X1"),
        ("10004", "C", None),
    ]


def test_sections_with_crosslists_brings_the_whole_group_and_nothing_else(
    sections: Engine,
) -> None:
    # the same group name in another term stays out
    add(sections, s.ssrxlst, ssrxlst_term_code="202620", ssrxlst_crn="10002",
        ssrxlst_xlst_group="X1")  # fmt: skip
    found = reads.sections_with_crosslists(sections, TERM, ["10003"])
    assert [(x.crn, x.crosslist_group) for x in found] == [("10001", "X1"), ("10003", "X1")]
    assert found == [x for x in reads.term_sections(sections, TERM) if x.crosslist_group == "X1"]
    alone = reads.sections_with_crosslists(sections, TERM, ["10002", "99999"])
    assert [x.crn for x in alone] == ["10002"]  # an unknown CRN is simply absent
    assert reads.sections_with_crosslists(sections, "202620", ["10002"]) == []


def test_term_first_class_is_the_earliest_dated_section(sections: Engine) -> None:
    assert reads.term_first_class(sections, TERM) == date(2025, 8, 25)
    section(sections, "10005", ptrm_start_date=date(2025, 8, 18))
    assert reads.term_first_class(sections, TERM) == date(2025, 8, 18)
    assert reads.term_first_class(sections, "202620") is None


def test_crosslist_group_lists_members_or_none(sections: Engine) -> None:
    group = reads.crosslist_group(sections, TERM, "10003")
    assert group is not None
    assert (group.group, group.crns) == ("X1", ["10001", "10003"])
    assert reads.crosslist_group(sections, TERM, "10002") is None
    with pytest.raises(SectionNotFound):
        reads.crosslist_group(sections, TERM, "77777")


def test_instructors_primary_first_and_null_indicator_is_secondary(sections: Engine) -> None:
    found = reads.section_instructors(sections, TERM, "10001")
    assert [(i.pidm, i.primary, i.last_name) for i in found] == [
        (2001, True, "Kim"),
        (2002, False, "Santos"),
    ]
    assert reads.section_instructors(sections, TERM, "10002") == []
    with pytest.raises(SectionNotFound):
        reads.section_instructors(sections, TERM, "77777")


def test_teaching_scope(sections: Engine) -> None:
    assert reads.sections_taught_by(sections, 2002, TERM) == ["10001"]
    assert reads.teaches(sections, 2002, TERM, "10001")
    assert not reads.teaches(sections, 2002, TERM, "10002")
    assert reads.sections_taught_by(sections, 2001, "202620") == []


def test_account_records_read_name_login_and_both_addresses(db: Engine) -> None:
    person(db, 5001, "A00005001", "Lee", "Kim")
    person(db, 5001, "A00000999", "Lee", "Park", change_ind="N")  # an earlier name: not read
    add(db, s.gobtpac, gobtpac_pidm=5001, gobtpac_external_user="lkim5001")
    add(db, s.spbpers, spbpers_pidm=5001, spbpers_pref_first_name="Sunny", spbpers_confid_ind="Y")
    email(db, 5001, "PERS", "lee@mail.example.com", "A", "Y")
    email(db, 5001, "UNIV", "old@example.edu", "I", "N")
    email(db, 5001, "UNIV", "lkim5001@example.edu", "A", "N")
    person(db, 5002, "A00005002", None, "Nolan")  # no login, no e-mail, no SPBPERS row
    by_pidm = {r.pidm: r for r in reads.account_records(db, [5002, 5001, 7777], "UNIV")}
    assert set(by_pidm) == {5001, 5002}
    kim = by_pidm[5001]
    assert (kim.banner_id, kim.last_name, kim.preferred_first_name) == ("A00005001", "Kim", "Sunny")
    assert (kim.login, kim.confidential) == ("lkim5001", True)
    assert (kim.typed_email, kim.preferred_email) == (
        "lkim5001@example.edu",
        "lee@mail.example.com",
    )
    nolan = by_pidm[5002]
    assert (nolan.login, nolan.typed_email, nolan.preferred_email) == (None, None, None)
    assert nolan.confidential is False


def test_account_records_read_more_pidms_than_oracle_lists_in_one_in(db: Engine) -> None:
    for pidm in range(6000, 6003):
        person(db, pidm, f"A0000{pidm}", "Ana", "Diaz")
    pidms = [*range(1, 1200), 6000, 6001, 6002]
    assert [r.pidm for r in reads.account_records(db, pidms, "UNIV")] == [6000, 6001, 6002]
