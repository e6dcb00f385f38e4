"""Registrations (SFRSTCR through STVRSTS flags): rosters, snapshots, grading facts, grade codes.

"Enrolled" is a status whose STVRSTS_INCL_SECT_ENRL is Y, never a hard-coded list of codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from tools.banner.queries.base import CURRENT_NAME, AnySelect, latest, statement, yes
from tools.banner.queries.sections import section_select
from tools.banner.schema import sfrstcr, shrgrde, shrlgpa, shrtckn, spriden, stvrsts


def _registration_columns() -> tuple[Any, ...]:
    return (
        sfrstcr.c.sfrstcr_pidm.label("pidm"),
        spriden.c.spriden_id.label("banner_id"),
        sfrstcr.c.sfrstcr_crn.label("crn"),
        sfrstcr.c.sfrstcr_rsts_code.label("rsts_code"),
        sfrstcr.c.sfrstcr_rsts_date.label("rsts_date"),
        stvrsts.c.stvrsts_incl_sect_enrl.label("incl_sect_enrl"),
        stvrsts.c.stvrsts_wait_ind.label("wait_ind"),
        stvrsts.c.stvrsts_withdraw_ind.label("withdraw_ind"),
        sfrstcr.c.sfrstcr_levl_code.label("level"),
        sfrstcr.c.sfrstcr_grde_code.label("grade"),
    )


def _registrations_from() -> Any:
    return sfrstcr.join(stvrsts, stvrsts.c.stvrsts_code == sfrstcr.c.sfrstcr_rsts_code).outerjoin(
        spriden, and_(spriden.c.spriden_pidm == sfrstcr.c.sfrstcr_pidm, CURRENT_NAME)
    )


@statement(term="202610", crn="10001")
def section_roster(term: str, crn: str) -> AnySelect:
    """Registrations of a section that count as enrolled or wait-listed per STVRSTS."""
    return (
        select(
            *_registration_columns(),
            spriden.c.spriden_last_name.label("last_name"),
            spriden.c.spriden_first_name.label("first_name"),
            sfrstcr.c.sfrstcr_wl_priority.label("waitlist_priority"),
        )
        .select_from(_registrations_from())
        .where(
            sfrstcr.c.sfrstcr_term_code == term,
            sfrstcr.c.sfrstcr_crn == crn,
            or_(yes(stvrsts.c.stvrsts_incl_sect_enrl), yes(stvrsts.c.stvrsts_wait_ind)),
        )
        .order_by(spriden.c.spriden_last_name, spriden.c.spriden_first_name, sfrstcr.c.sfrstcr_pidm)
    )


def _snapshot_select(term: str) -> AnySelect:
    return (
        select(*_registration_columns(), sfrstcr.c.sfrstcr_credit_hr.label("credit_hours"))
        .select_from(_registrations_from())
        .where(sfrstcr.c.sfrstcr_term_code == term)
        .order_by(sfrstcr.c.sfrstcr_crn, sfrstcr.c.sfrstcr_pidm)
    )


@statement(term="202610")
def term_roster_snapshot(term: str) -> AnySelect:
    """Every registration row of a term with its status meaning, in one statement."""
    return _snapshot_select(term)


@statement(term="202610", crns=("10001", "10002"), pidm=1001)
def sections_roster_snapshot(term: str, crns: Sequence[str], pidm: int | None = None) -> AnySelect:
    """The term snapshot's rows for some sections (optionally one student): an event's share.

    Same columns and meanings as :func:`term_roster_snapshot`, read through the (term, CRN)
    index, so a single registration event costs a few rows instead of the whole term.
    """
    stmt = _snapshot_select(term).where(sfrstcr.c.sfrstcr_crn.in_(crns))
    return stmt if pidm is None else stmt.where(sfrstcr.c.sfrstcr_pidm == pidm)


@statement(pidm=1001, term="202610")
def student_registrations(pidm: int, term: str) -> AnySelect:
    """A student's registration rows of a term, every status, with course and status meaning.

    Each SFRSTCR row joins its section (title and credit hours with the SCBCRSE fall-back, see
    :func:`~tools.banner.queries.sections.section_select`) and its STVRSTS row: the status
    description and whether it counts as enrolled (STVRSTS_INCL_SECT_ENRL) or wait-listed
    (STVRSTS_WAIT_IND). Credit hours are the registration's, else the section's.
    """
    sect = section_select().subquery("sect")
    return (
        select(
            sfrstcr.c.sfrstcr_crn.label("crn"),
            sect.c.subject,
            sect.c.course_number,
            sect.c.sequence,
            sect.c.title,
            sfrstcr.c.sfrstcr_rsts_code.label("status_code"),
            stvrsts.c.stvrsts_desc.label("status"),
            sfrstcr.c.sfrstcr_rsts_date.label("status_date"),
            stvrsts.c.stvrsts_incl_sect_enrl.label("incl_sect_enrl"),
            stvrsts.c.stvrsts_wait_ind.label("wait_ind"),
            stvrsts.c.stvrsts_withdraw_ind.label("withdraw_ind"),
            func.coalesce(sfrstcr.c.sfrstcr_credit_hr, sect.c.credit_hours).label("credit_hours"),
            sfrstcr.c.sfrstcr_levl_code.label("level"),
            sfrstcr.c.sfrstcr_grde_code.label("grade"),
            sect.c.start_date,
            sect.c.end_date,
        )
        .select_from(
            sfrstcr.join(stvrsts, stvrsts.c.stvrsts_code == sfrstcr.c.sfrstcr_rsts_code).outerjoin(
                sect,
                and_(
                    sect.c.term == sfrstcr.c.sfrstcr_term_code,
                    sect.c.crn == sfrstcr.c.sfrstcr_crn,
                ),
            )
        )
        .where(sfrstcr.c.sfrstcr_pidm == pidm, sfrstcr.c.sfrstcr_term_code == term)
        .order_by(sect.c.subject, sect.c.course_number, sfrstcr.c.sfrstcr_crn)
    )


@statement(term="202610", pidm=1001, crn="10001")
def registration(term: str, pidm: int, crn: str) -> AnySelect:
    """One registration with the facts grade entry needs."""
    return (
        select(
            sfrstcr.c.sfrstcr_levl_code.label("level"),
            sfrstcr.c.sfrstcr_rsts_code.label("rsts_code"),
            stvrsts.c.stvrsts_gradable_ind.label("gradable_ind"),
            sfrstcr.c.sfrstcr_grde_code.label("grade"),
            sfrstcr.c.sfrstcr_grde_date.label("grade_date"),
        )
        .select_from(
            sfrstcr.outerjoin(stvrsts, stvrsts.c.stvrsts_code == sfrstcr.c.sfrstcr_rsts_code)
        )
        .where(
            sfrstcr.c.sfrstcr_term_code == term,
            sfrstcr.c.sfrstcr_pidm == pidm,
            sfrstcr.c.sfrstcr_crn == crn,
        )
    )


@statement(term="202610", pidm=1001, crn="10001")
def rolled_courses(term: str, pidm: int, crn: str) -> AnySelect:
    """Academic history rows (SHRTCKN) of a registration: any row means the grade rolled."""
    return (
        select(func.count())
        .select_from(shrtckn)
        .where(
            shrtckn.c.shrtckn_pidm == pidm,
            shrtckn.c.shrtckn_term_code == term,
            shrtckn.c.shrtckn_crn == crn,
        )
    )


@statement(term="202610", pidm=1001, crn="10001")
def incomplete_state(term: str, pidm: int, crn: str) -> AnySelect:
    """A registration's grade and incomplete extension date, as they stand."""
    return select(
        sfrstcr.c.sfrstcr_grde_code.label("grade"),
        sfrstcr.c.sfrstcr_incomplete_ext_date.label("incomplete_ext_date"),
    ).where(
        sfrstcr.c.sfrstcr_term_code == term,
        sfrstcr.c.sfrstcr_pidm == pidm,
        sfrstcr.c.sfrstcr_crn == crn,
    )


OVERALL_GPA = "O"
"""SHRLGPA_GPA_TYPE_IND of the overall (institutional plus transfer) GPA."""


@statement(term="202610", crn="10001")
def section_grading_registrations(term: str, crn: str) -> AnySelect:
    """A section's enrolled registrations with everything grading needs, in one statement.

    Per registration, in PIDM order: its status meaning (STVRSTS), whether its grade rolled to
    academic history (any SHRTCKN row of the term and CRN, as :func:`rolled_courses`), the
    incomplete's lapse grade and extension date, and the student's overall SHRLGPA row for the
    registration's level (NULLs when there is none). ``person_pidm`` is NULL when the student has
    no current SPRIDEN row.
    """
    history = (
        select(shrtckn.c.shrtckn_pidm)
        .where(
            shrtckn.c.shrtckn_pidm == sfrstcr.c.sfrstcr_pidm,
            shrtckn.c.shrtckn_term_code == sfrstcr.c.sfrstcr_term_code,
            shrtckn.c.shrtckn_crn == sfrstcr.c.sfrstcr_crn,
        )
        .correlate(sfrstcr)
        .exists()
    )
    return (
        select(
            sfrstcr.c.sfrstcr_pidm.label("pidm"),
            spriden.c.spriden_pidm.label("person_pidm"),
            spriden.c.spriden_id.label("banner_id"),
            sfrstcr.c.sfrstcr_levl_code.label("level"),
            sfrstcr.c.sfrstcr_rsts_code.label("rsts_code"),
            stvrsts.c.stvrsts_gradable_ind.label("gradable_ind"),
            sfrstcr.c.sfrstcr_grde_code.label("grade"),
            case((history, "Y"), else_="N").label("rolled_ind"),
            sfrstcr.c.sfrstcr_grde_code_incmp_final.label("incomplete_final_grade"),
            sfrstcr.c.sfrstcr_incomplete_ext_date.label("incomplete_ext_date"),
            shrlgpa.c.shrlgpa_gpa.label("overall_gpa"),
            shrlgpa.c.shrlgpa_gpa_hours.label("overall_gpa_hours"),
        )
        .select_from(
            _registrations_from().outerjoin(
                shrlgpa,
                and_(
                    shrlgpa.c.shrlgpa_pidm == sfrstcr.c.sfrstcr_pidm,
                    shrlgpa.c.shrlgpa_levl_code == sfrstcr.c.sfrstcr_levl_code,
                    shrlgpa.c.shrlgpa_gpa_type_ind == OVERALL_GPA,
                ),
            )
        )
        .where(
            sfrstcr.c.sfrstcr_term_code == term,
            sfrstcr.c.sfrstcr_crn == crn,
            yes(stvrsts.c.stvrsts_incl_sect_enrl),
        )
        .order_by(sfrstcr.c.sfrstcr_pidm)
    )


def _enterable_grade_rows(term: str) -> tuple[ColumnElement[bool], ...]:
    """The SHRGRDE rule: each code's row effective for the term, not expired, web-enterable."""
    newer = shrgrde.alias("newer")
    effective = latest(
        newer.c.shrgrde_term_code_effective,
        term,
        newer.c.shrgrde_code == shrgrde.c.shrgrde_code,
        newer.c.shrgrde_levl_code == shrgrde.c.shrgrde_levl_code,
        correlate=shrgrde,
    )
    return (
        shrgrde.c.shrgrde_term_code_effective == effective,
        or_(
            shrgrde.c.shrgrde_term_code_expired.is_(None),
            shrgrde.c.shrgrde_term_code_expired > term,
        ),
        yes(shrgrde.c.shrgrde_web_entry_ind),
    )


@statement(level="UG", term="202610")
def grade_codes(level: str, term: str) -> AnySelect:
    """Web-enterable grade codes of a level, using each code's row effective for the term."""
    return (
        select(shrgrde.c.shrgrde_code.label("code"))
        .where(shrgrde.c.shrgrde_levl_code == level, *_enterable_grade_rows(term))
        .order_by(shrgrde.c.shrgrde_quality_points.desc(), shrgrde.c.shrgrde_code)
    )


@statement(levels=("UG", "GR"), term="202610")
def grade_codes_with_worth(levels: Sequence[str], term: str) -> AnySelect:
    """:func:`grade_codes` of several levels at once, with each code's quality points and GPA flag.

    The worth is that of the same effective row that makes the code valid; codes come by level,
    then in :func:`grade_codes` order.
    """
    return (
        select(
            shrgrde.c.shrgrde_levl_code.label("level"),
            shrgrde.c.shrgrde_code.label("code"),
            shrgrde.c.shrgrde_quality_points.label("quality_points"),
            shrgrde.c.shrgrde_gpa_ind.label("gpa_ind"),
        )
        .where(shrgrde.c.shrgrde_levl_code.in_(levels), *_enterable_grade_rows(term))
        .order_by(
            shrgrde.c.shrgrde_levl_code,
            shrgrde.c.shrgrde_quality_points.desc(),
            shrgrde.c.shrgrde_code,
        )
    )
