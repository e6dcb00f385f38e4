"""Write tools: validated, transactional, refused after the roll, read back after writing."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine

from tests.banner.conftest import TERM, add, person, register, section
from tools.banner import reads, writes
from tools.banner import schema as s
from tools.banner.errors import (
    GradeAlreadyRolled,
    HoldNotFound,
    HoldReleaseRefused,
    InvalidGrade,
    NotGradable,
    PersonNotFound,
    RegistrationNotFound,
    UnknownHoldType,
)
from tools.banner.models import AdvisingCommentIn, FinalGradeIn, HoldIn

AT = datetime(2025, 12, 15, 10, 30)
GRADED = date(2025, 12, 15)


@pytest.fixture
def graded(db: Engine) -> Engine:
    section(db, "10001")
    person(db, 1001, "A00001001", "Ana", "Rivera")
    person(db, 1002, "A00001002", "Ben", "Okafor")
    person(db, 2001, "@00002001", "Dana", "Kim")
    register(db, 1001, "10001", "RE")
    register(db, 1002, "10001", "DD")
    return db


def grade_of(db: Engine, pidm: int) -> str | None:
    return {r.pidm: r.grade for r in reads.term_roster_snapshot(db, TERM)}[pidm]


def test_post_final_grade_stores_and_reads_back(graded: Engine) -> None:
    posted = writes.post_final_grade(
        graded, FinalGradeIn(term=TERM, pidm=1001, crn="10001", grade="B+"),
        user="dkim", grade_date=GRADED, at=AT,
    )  # fmt: skip
    assert (posted.grade, posted.grade_date, posted.level) == ("B+", GRADED, "UG")
    assert grade_of(graded, 1001) == "B+"


def test_invalid_grade_lists_valid_codes_and_writes_nothing(graded: Engine) -> None:
    with pytest.raises(InvalidGrade) as caught:
        writes.post_final_grade(
            graded, FinalGradeIn(term=TERM, pidm=1001, crn="10001", grade="S"),
            user="dkim", grade_date=GRADED,
        )  # fmt: skip
    message = str(caught.value)
    assert "level UG in term 202610" in message
    assert caught.value.valid_codes == reads.grade_codes_for_level(graded, "UG", TERM).codes
    assert "A-, B+" in message
    assert grade_of(graded, 1001) is None


def test_grade_refused_after_roll_to_history(graded: Engine) -> None:
    add(graded, s.shrtckn, shrtckn_pidm=1001, shrtckn_term_code=TERM, shrtckn_seq_no=1,
        shrtckn_crn="10001", shrtckn_subj_code="BIOL", shrtckn_crse_numb="101")  # fmt: skip
    with pytest.raises(GradeAlreadyRolled, match=r"already rolled.*grade change"):
        writes.post_final_grade(
            graded, FinalGradeIn(term=TERM, pidm=1001, crn="10001", grade="A"),
            user="dkim", grade_date=GRADED,
        )  # fmt: skip
    assert grade_of(graded, 1001) is None


def test_history_of_another_course_does_not_block(graded: Engine) -> None:
    add(graded, s.shrtckn, shrtckn_pidm=1001, shrtckn_term_code=TERM, shrtckn_seq_no=1,
        shrtckn_crn="10002", shrtckn_subj_code="CHEM", shrtckn_crse_numb="201")  # fmt: skip
    posted = writes.post_final_grade(
        graded, FinalGradeIn(term=TERM, pidm=1001, crn="10001", grade="A"),
        user="dkim", grade_date=GRADED,
    )  # fmt: skip
    assert posted.grade == "A"


def test_dropped_registration_takes_no_grade(graded: Engine) -> None:
    with pytest.raises(NotGradable, match="status 'DD'"):
        writes.post_final_grade(
            graded, FinalGradeIn(term=TERM, pidm=1002, crn="10001", grade="A"),
            user="dkim", grade_date=GRADED,
        )  # fmt: skip


def test_grade_for_missing_registration_is_not_found(graded: Engine) -> None:
    with pytest.raises(RegistrationNotFound, match="pidm=2001"):
        writes.post_final_grade(
            graded, FinalGradeIn(term=TERM, pidm=2001, crn="10001", grade="A"),
            user="dkim", grade_date=GRADED,
        )  # fmt: skip


def new_hold(**extra: object) -> HoldIn:
    values: dict[str, object] = {
        "pidm": 1001,
        "code": "AR",
        "user": "BURSAR",
        "reason": "Balance due",
        "from_date": date(2025, 9, 1),
        "amount_owed": 310.25,
    }
    values.update(extra)
    return HoldIn.model_validate(values)


def test_place_hold_writes_and_blocks_registration(graded: Engine) -> None:
    placed = writes.place_hold(graded, new_hold(), at=AT)
    assert (placed.code, placed.to_date, placed.amount_owed) == ("AR", date(2099, 12, 31), 310.25)
    assert placed.blocks_registration
    assert reads.student_holds(graded, 1001, date(2025, 8, 31)).holds == []
    in_force = reads.student_holds(graded, 1001, date(2025, 9, 1))
    assert [h.hold_id for h in in_force.holds] == [placed.hold_id] and in_force.blocks_registration


def test_place_hold_checks_type_and_person(graded: Engine) -> None:
    with pytest.raises(UnknownHoldType, match=r"'QQ'.*AD, AR, FA"):
        writes.place_hold(graded, new_hold(code="QQ"))
    with pytest.raises(PersonNotFound, match="pidm=4242"):
        writes.place_hold(graded, new_hold(pidm=4242))


def test_release_hold_ends_it_on_the_release_day(graded: Engine) -> None:
    placed = writes.place_hold(graded, new_hold())
    released = writes.release_hold(graded, placed.hold_id, user="BURSAR", as_of=date(2025, 10, 1))
    assert released.to_date == date(2025, 10, 1)
    assert reads.student_holds(graded, 1001, date(2025, 9, 30)).blocks_registration
    assert not reads.student_holds(graded, 1001, date(2025, 10, 1)).blocks_registration


def test_restricted_hold_is_released_only_by_its_owner(graded: Engine) -> None:
    placed = writes.place_hold(graded, new_hold(release_restricted=True))
    with pytest.raises(HoldReleaseRefused, match="only be released by 'BURSAR'"):
        writes.release_hold(graded, placed.hold_id, user="advisor1", as_of=date(2025, 10, 1))
    assert reads.get_hold(graded, placed.hold_id).to_date == date(2099, 12, 31)
    writes.release_hold(graded, placed.hold_id, user="BURSAR", as_of=date(2025, 10, 1))
    with pytest.raises(HoldNotFound, match="hold_id=999999"):
        writes.release_hold(graded, 999999, user="BURSAR", as_of=date(2025, 10, 1))


def test_add_advising_comment(graded: Engine) -> None:
    comment = writes.add_advising_comment(
        graded,
        AdvisingCommentIn(pidm=1001, term=TERM, advisor_pidm=2001, text="Plan reviewed."),
        user="dkim",
        at=AT,
    )
    assert (comment.pidm, comment.advisor_pidm, comment.text, comment.user) == (
        1001,
        2001,
        "Plan reviewed.",
        "dkim",
    )
    second = writes.add_advising_comment(
        graded,
        AdvisingCommentIn(pidm=1001, term=TERM, advisor_pidm=2001, text="Follow-up.",
                          confidential=True),
        user="dkim",
    )  # fmt: skip
    assert second.comment_id > comment.comment_id and second.confidential
    with pytest.raises(PersonNotFound, match="pidm=4242"):
        writes.add_advising_comment(
            graded,
            AdvisingCommentIn(pidm=4242, term=TERM, advisor_pidm=2001, text="x"),
            user="dkim",
        )
