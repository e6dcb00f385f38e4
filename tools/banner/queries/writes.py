"""Statements that change Banner: final grades, incomplete extensions, holds, advising comments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Insert, Update, select, update
from sqlalchemy import insert as sql_insert

from tools.banner.queries.base import OPEN_ENDED, SAMPLE_AT, SAMPLE_DAY, AnySelect, statement
from tools.banner.schema import sfrstcr, sprhold, szrcmnt


@statement(
    term="202610",
    pidm=1001,
    crn="10001",
    grade="A",
    grade_date=SAMPLE_DAY,
    user="bca",
    at=SAMPLE_AT,
)
def store_final_grade(
    term: str, pidm: int, crn: str, grade: str, grade_date: date, user: str, at: datetime
) -> Update:
    """Set the final grade of one registration."""
    return _change_registration(
        term, pidm, crn, user, at, sfrstcr_grde_code=grade, sfrstcr_grde_date=grade_date
    )


@statement(term="202610", pidm=1001, crn="10001", extend_to=SAMPLE_DAY, user="bca", at=SAMPLE_AT)
def extend_incomplete(
    term: str, pidm: int, crn: str, extend_to: date, user: str, at: datetime
) -> Update:
    """Move the extension date of one registration's incomplete."""
    return _change_registration(term, pidm, crn, user, at, sfrstcr_incomplete_ext_date=extend_to)


def _change_registration(
    term: str, pidm: int, crn: str, user: str, at: datetime, **values: Any
) -> Update:
    """Update one SFRSTCR row, stamped like any Banner change (activity date, user, version)."""
    return (
        update(sfrstcr)
        .where(
            sfrstcr.c.sfrstcr_term_code == term,
            sfrstcr.c.sfrstcr_pidm == pidm,
            sfrstcr.c.sfrstcr_crn == crn,
        )
        .values(
            **values,
            sfrstcr_activity_date=at,
            sfrstcr_user_id=user,
            sfrstcr_version=sfrstcr.c.sfrstcr_version + 1,
        )
    )


@statement(
    pidm=1001,
    code="AR",
    user="bca",
    reason="balance",
    from_date=SAMPLE_DAY,
    to_date=OPEN_ENDED,
    amount_owed=10.0,
    origin="BCA",
    release_ind="N",
    at=SAMPLE_AT,
)
def insert_hold(
    pidm: int,
    code: str,
    user: str,
    reason: str | None,
    from_date: date,
    to_date: date,
    amount_owed: float | None,
    origin: str | None,
    release_ind: str,
    at: datetime,
) -> Insert:
    """A new SPRHOLD row; the database assigns its surrogate id."""
    return sql_insert(sprhold).values(
        sprhold_pidm=pidm,
        sprhold_hldd_code=code,
        sprhold_user=user,
        sprhold_from_date=from_date,
        sprhold_to_date=to_date,
        sprhold_release_ind=release_ind,
        sprhold_reason=reason,
        sprhold_amount_owed=amount_owed,
        sprhold_orig_code=origin,
        sprhold_activity_date=at,
        sprhold_user_id=user,
        sprhold_data_origin="BCA",
        sprhold_version=0,
    )


@statement(hold_id=1, to_date=SAMPLE_DAY, user="bca", at=SAMPLE_AT)
def end_hold(hold_id: int, to_date: date, user: str, at: datetime) -> Update:
    """Release a hold the Banner way: its TO date becomes the release day."""
    return (
        update(sprhold)
        .where(sprhold.c.sprhold_surrogate_id == hold_id)
        .values(
            sprhold_to_date=to_date,
            sprhold_activity_date=at,
            sprhold_user_id=user,
            sprhold_version=sprhold.c.sprhold_version + 1,
        )
    )


@statement(
    pidm=1001,
    term="202610",
    advisor_pidm=2001,
    text="met to plan spring",
    confidential_ind="N",
    user="bca",
    at=SAMPLE_AT,
)
def insert_advising_comment(
    pidm: int,
    term: str,
    advisor_pidm: int,
    text: str,
    confidential_ind: str,
    user: str,
    at: datetime,
) -> Insert:
    """A new SZRCMNT row (local extension table)."""
    return sql_insert(szrcmnt).values(
        szrcmnt_pidm=pidm,
        szrcmnt_term_code=term,
        szrcmnt_advr_pidm=advisor_pidm,
        szrcmnt_text=text,
        szrcmnt_confid_ind=confidential_ind,
        szrcmnt_activity_date=at,
        szrcmnt_user_id=user,
        szrcmnt_data_origin="BCA",
        szrcmnt_version=0,
    )


@statement(comment_id=1)
def advising_comment(comment_id: int) -> AnySelect:
    """One advising comment by id."""
    return select(
        szrcmnt.c.szrcmnt_surrogate_id.label("comment_id"),
        szrcmnt.c.szrcmnt_pidm.label("pidm"),
        szrcmnt.c.szrcmnt_term_code.label("term"),
        szrcmnt.c.szrcmnt_advr_pidm.label("advisor_pidm"),
        szrcmnt.c.szrcmnt_text.label("text"),
        szrcmnt.c.szrcmnt_confid_ind.label("confidential_ind"),
        szrcmnt.c.szrcmnt_user_id.label("user"),
    ).where(szrcmnt.c.szrcmnt_surrogate_id == comment_id)
