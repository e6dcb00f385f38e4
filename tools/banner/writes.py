"""Write tools over Banner: each runs in one transaction and returns what it wrote, read back.

The rules Banner's own forms enforce are checked inside the same transaction as the write, so a
concurrent change cannot slip between check and write on a database with row locking: a final
grade must be a valid SHRGRDE code for the registration's level and term, and is refused once the
course has rolled to academic history; a hold type must exist in STVHLDD; a hold placed with the
release indicator may only be released by the user who placed it.

Time stamps (``*_ACTIVITY_DATE``) take ``at`` when given, else the current UTC time; the days
that rules depend on (grade date, hold dates) are explicit arguments.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CursorResult, Engine

from core.clock import utcnow
from tools.banner import queries, reads
from tools.banner.errors import (
    GradeAlreadyRolled,
    HoldReleaseRefused,
    InvalidGrade,
    NotGradable,
    RegistrationNotFound,
    UnknownHoldType,
)
from tools.banner.models import (
    AdvisingComment,
    AdvisingCommentIn,
    FinalGradeIn,
    Hold,
    HoldIn,
    PostedGrade,
)


def _stamp(at: datetime | None) -> datetime:
    return (at or utcnow()).replace(tzinfo=None, microsecond=0)


def _new_id(result: CursorResult[Any]) -> int:
    """The surrogate id the database assigned to the row just inserted."""
    key = result.inserted_primary_key
    if key is None or key[0] is None:
        raise RuntimeError("the database returned no primary key for the inserted row")
    return int(key[0])


def post_final_grade(
    engine: Engine, grade: FinalGradeIn, *, user: str, grade_date: date, at: datetime | None = None
) -> PostedGrade:
    """Store a final grade on SFRSTCR after the checks Banner's grade entry makes."""
    term, pidm, crn = grade.term, grade.pidm, grade.crn
    with engine.begin() as conn:
        reg = conn.execute(queries.registration(term, pidm, crn)).first()
        if reg is None:
            raise RegistrationNotFound(term=term, pidm=pidm, crn=crn)
        if conn.execute(queries.rolled_courses(term, pidm, crn)).scalar_one():
            raise GradeAlreadyRolled(term=term, pidm=pidm, crn=crn)
        if reg.gradable_ind != "Y":
            raise NotGradable(term=term, pidm=pidm, crn=crn, rsts_code=reg.rsts_code)
        options = reads.grade_codes_for_level(conn, reg.level, term)
        if grade.grade not in options.codes:
            raise InvalidGrade(grade.grade, reg.level, term, options.codes)
        conn.execute(
            queries.store_final_grade(
                term, pidm, crn, grade.grade, grade_date, user=user, at=_stamp(at)
            )
        )
        stored = conn.execute(queries.registration(term, pidm, crn)).one()
    return PostedGrade(
        term=term,
        pidm=pidm,
        crn=crn,
        grade=stored.grade,
        grade_date=stored.grade_date,
        level=stored.level,
    )


def extend_incomplete(
    engine: Engine,
    *,
    term: str,
    pidm: int,
    crn: str,
    extend_to: date,
    user: str,
    at: datetime | None = None,
) -> None:
    """Move a registration's incomplete extension date (``SFRSTCR_INCOMPLETE_EXT_DATE``).

    Refused once the course has rolled to academic history. Like every change to a Banner row it
    stamps ``SFRSTCR_ACTIVITY_DATE``, ``_USER_ID`` and ``_VERSION``, so change capture that
    watches the activity date (the DB poller) sees the extension.
    """
    with engine.begin() as conn:
        if conn.execute(queries.registration(term, pidm, crn)).first() is None:
            raise RegistrationNotFound(term=term, pidm=pidm, crn=crn)
        if conn.execute(queries.rolled_courses(term, pidm, crn)).scalar_one():
            raise GradeAlreadyRolled(term=term, pidm=pidm, crn=crn)
        conn.execute(queries.extend_incomplete(term, pidm, crn, extend_to, user, _stamp(at)))


def place_hold(engine: Engine, hold: HoldIn, *, at: datetime | None = None) -> Hold:
    """Insert a SPRHOLD row for an existing person and a hold type known to STVHLDD."""
    with engine.begin() as conn:
        reads.person_by_pidm(conn, hold.pidm)
        known = [row.code for row in conn.execute(queries.hold_types())]
        if hold.code not in known:
            raise UnknownHoldType(hold.code, known)
        result = conn.execute(
            queries.insert_hold(
                pidm=hold.pidm,
                code=hold.code,
                user=hold.user,
                reason=hold.reason,
                from_date=hold.from_date,
                to_date=hold.to_date or queries.OPEN_ENDED,
                amount_owed=hold.amount_owed,
                origin=hold.origin,
                release_ind="Y" if hold.release_restricted else "N",
                at=_stamp(at),
            )
        )
        return reads.get_hold(conn, _new_id(result))


def release_hold(
    engine: Engine, hold_id: int, *, user: str, as_of: date, at: datetime | None = None
) -> Hold:
    """End a hold from ``as_of`` on (its TO date), honouring a release restricted to its owner.

    A hold that already ended before ``as_of`` keeps its earlier TO date.
    """
    with engine.begin() as conn:
        hold = reads.get_hold(conn, hold_id)
        if hold.release_restricted and hold.placed_by != user:
            raise HoldReleaseRefused(hold_id=hold_id, owner=hold.placed_by, user=user)
        if hold.to_date > as_of:
            conn.execute(queries.end_hold(hold_id, max(as_of, hold.from_date), user, _stamp(at)))
        return reads.get_hold(conn, hold_id)


def add_advising_comment(
    engine: Engine, comment: AdvisingCommentIn, *, user: str, at: datetime | None = None
) -> AdvisingComment:
    """Record an advising comment in SZRCMNT, the local extension table."""
    with engine.begin() as conn:
        reads.person_by_pidm(conn, comment.pidm)
        reads.person_by_pidm(conn, comment.advisor_pidm)
        result = conn.execute(
            queries.insert_advising_comment(
                pidm=comment.pidm,
                term=comment.term,
                advisor_pidm=comment.advisor_pidm,
                text=comment.text,
                confidential_ind="Y" if comment.confidential else "N",
                user=user,
                at=_stamp(at),
            )
        )
        row = conn.execute(queries.advising_comment(_new_id(result))).one()
    values = dict(row._mapping)
    values["confidential"] = values.pop("confidential_ind") == "Y"
    return AdvisingComment(**values)
