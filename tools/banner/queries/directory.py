"""The staff directory: what the student search index is built from, and the profile's extras.

The search index (:mod:`tools.banner.search`) is filled from :func:`search_entries` and
:func:`search_emails` and kept fresh by :func:`changed_students`, which finds students whose
SPRIDEN, GOREMAL, SPBPERS or SGBSTDN rows changed since a cursor (Banner stamps every change in
``*_ACTIVITY_DATE``). These three are the only Banner SQL the search runs, and like every
statement here they compile for Oracle; the fuzzy matching itself runs on the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, union
from sqlalchemy.sql.expression import ScalarSelect

from tools.banner.queries.base import (
    CURRENT_NAME,
    SAMPLE_AT,
    SAMPLE_DAY,
    AnySelect,
    statement,
    yes,
)
from tools.banner.schema import (
    goremal,
    sfrstcr,
    sgbstdn,
    sirasgn,
    spbpers,
    spriden,
    ssbsect,
    stvrsts,
    stvterm,
)


def _latest_level() -> ScalarSelect[Any]:
    newest = sgbstdn.alias("newest")
    return (
        select(sgbstdn.c.sgbstdn_levl_code)
        .where(
            sgbstdn.c.sgbstdn_pidm == spriden.c.spriden_pidm,
            sgbstdn.c.sgbstdn_term_code_eff
            == select(func.max(newest.c.sgbstdn_term_code_eff))
            .where(newest.c.sgbstdn_pidm == sgbstdn.c.sgbstdn_pidm)
            .correlate(sgbstdn)
            .scalar_subquery(),
        )
        .correlate(spriden)
        .scalar_subquery()
    )


@statement(pidms=None)
def search_entries(pidms: Sequence[int] | None = None) -> AnySelect:
    """Current identity, preferred name, confidentiality and latest level of students.

    A student is a person with an SGBSTDN row; ``pidms`` limits the extract (a refresh).
    """
    is_student = (
        select(sgbstdn.c.sgbstdn_pidm)
        .where(sgbstdn.c.sgbstdn_pidm == spriden.c.spriden_pidm)
        .correlate(spriden)
        .exists()
    )
    preferred_email = (
        select(func.min(goremal.c.goremal_email_address))
        .where(
            goremal.c.goremal_pidm == spriden.c.spriden_pidm,
            goremal.c.goremal_status_ind == "A",
            yes(goremal.c.goremal_preferred_ind),
        )
        .correlate(spriden)
        .scalar_subquery()
    )
    stmt = (
        select(
            spriden.c.spriden_pidm.label("pidm"),
            spriden.c.spriden_id.label("banner_id"),
            spriden.c.spriden_first_name.label("first_name"),
            spriden.c.spriden_last_name.label("last_name"),
            spbpers.c.spbpers_pref_first_name.label("preferred_first_name"),
            spbpers.c.spbpers_confid_ind.label("confid_ind"),
            _latest_level().label("level"),
            preferred_email.label("email"),
        )
        .select_from(spriden.outerjoin(spbpers, spbpers.c.spbpers_pidm == spriden.c.spriden_pidm))
        .where(CURRENT_NAME, spriden.c.spriden_entity_ind == "P", is_student)
        .order_by(spriden.c.spriden_pidm)
    )
    return stmt if pidms is None else stmt.where(spriden.c.spriden_pidm.in_(pidms))


@statement(pidms=None)
def search_emails(pidms: Sequence[int] | None = None) -> AnySelect:
    """Every active GOREMAL address (any type), so search finds a personal address too."""
    stmt = (
        select(
            goremal.c.goremal_pidm.label("pidm"),
            goremal.c.goremal_email_address.label("address"),
        )
        .where(goremal.c.goremal_status_ind == "A")
        .order_by(goremal.c.goremal_pidm, goremal.c.goremal_email_address)
    )
    return stmt if pidms is None else stmt.where(goremal.c.goremal_pidm.in_(pidms))


@statement(since=SAMPLE_AT)
def changed_students(since: datetime) -> AnySelect:
    """PIDMs whose identity, e-mail, person or student rows changed after ``since``."""
    return (
        union(
            select(spriden.c.spriden_pidm.label("pidm")).where(
                spriden.c.spriden_activity_date > since
            ),
            select(goremal.c.goremal_pidm).where(goremal.c.goremal_activity_date > since),
            select(spbpers.c.spbpers_pidm).where(spbpers.c.spbpers_activity_date > since),
            select(sgbstdn.c.sgbstdn_pidm).where(sgbstdn.c.sgbstdn_activity_date > since),
        )
        .subquery()
        .select()
    )


@statement()
def latest_activity() -> AnySelect:
    """The newest activity stamp of the four tables the index reads: the next cursor."""
    return select(
        func.max(spriden.c.spriden_activity_date).label("spriden"),
        select(func.max(goremal.c.goremal_activity_date)).scalar_subquery().label("goremal"),
        select(func.max(spbpers.c.spbpers_activity_date)).scalar_subquery().label("spbpers"),
        select(func.max(sgbstdn.c.sgbstdn_activity_date)).scalar_subquery().label("sgbstdn"),
    )


@statement(pidm=1001)
def person_details(pidm: int) -> AnySelect:
    """A person's SPBPERS row."""
    return select(
        spbpers.c.spbpers_pidm.label("pidm"),
        spbpers.c.spbpers_pref_first_name.label("preferred_first_name"),
        spbpers.c.spbpers_confid_ind.label("confid_ind"),
        spbpers.c.spbpers_sex.label("sex"),
        spbpers.c.spbpers_ethn_cde.label("ethnicity"),
        spbpers.c.spbpers_birth_date.label("birth_date"),
        spbpers.c.spbpers_citz_code.label("citizenship"),
    ).where(spbpers.c.spbpers_pidm == pidm)


def _counts_on_roster() -> ColumnElement[bool]:
    return or_(yes(stvrsts.c.stvrsts_incl_sect_enrl), yes(stvrsts.c.stvrsts_wait_ind))


@statement(pidm=1001, term="202610")
def student_schedule(pidm: int, term: str) -> AnySelect:
    """A student's registrations of a term that count (enrolled or wait-listed, per STVRSTS)."""
    return (
        select(
            sfrstcr.c.sfrstcr_crn.label("crn"),
            ssbsect.c.ssbsect_subj_code.label("subject"),
            ssbsect.c.ssbsect_crse_numb.label("course_number"),
            ssbsect.c.ssbsect_seq_numb.label("sequence"),
            ssbsect.c.ssbsect_crse_title.label("title"),
            sfrstcr.c.sfrstcr_credit_hr.label("credit_hours"),
            sfrstcr.c.sfrstcr_rsts_code.label("status"),
            stvrsts.c.stvrsts_wait_ind.label("wait_ind"),
        )
        .select_from(
            sfrstcr.join(stvrsts, stvrsts.c.stvrsts_code == sfrstcr.c.sfrstcr_rsts_code).join(
                ssbsect,
                and_(
                    ssbsect.c.ssbsect_term_code == sfrstcr.c.sfrstcr_term_code,
                    ssbsect.c.ssbsect_crn == sfrstcr.c.sfrstcr_crn,
                ),
            )
        )
        .where(
            sfrstcr.c.sfrstcr_pidm == pidm,
            sfrstcr.c.sfrstcr_term_code == term,
            _counts_on_roster(),
        )
        .order_by(ssbsect.c.ssbsect_subj_code, ssbsect.c.ssbsect_crse_numb, sfrstcr.c.sfrstcr_crn)
    )


@statement(instructor_pidm=2001, term="202610")
def students_taught(instructor_pidm: int, term: str) -> AnySelect:
    """PIDMs on the rosters (enrolled or wait-listed) of sections the person teaches in a term."""
    return (
        select(sfrstcr.c.sfrstcr_pidm.label("pidm"), sfrstcr.c.sfrstcr_crn.label("crn"))
        .select_from(
            sirasgn.join(
                sfrstcr,
                and_(
                    sfrstcr.c.sfrstcr_term_code == sirasgn.c.sirasgn_term_code,
                    sfrstcr.c.sfrstcr_crn == sirasgn.c.sirasgn_crn,
                ),
            ).join(stvrsts, stvrsts.c.stvrsts_code == sfrstcr.c.sfrstcr_rsts_code)
        )
        .where(
            sirasgn.c.sirasgn_pidm == instructor_pidm,
            sirasgn.c.sirasgn_term_code == term,
            _counts_on_roster(),
        )
        .distinct()
        .order_by(sfrstcr.c.sfrstcr_pidm, sfrstcr.c.sfrstcr_crn)
    )


@statement(today=SAMPLE_DAY)
def current_term(today: date) -> AnySelect:
    """The latest term that has started by ``today`` and has registrations (STVTERM, SFRSTCR).

    Registrations make it the term staff screens are about: a term that started with nobody
    registered yet (or a sandbox seeded for an earlier term) would show empty schedules.
    """
    registered = (
        select(sfrstcr.c.sfrstcr_term_code)
        .where(sfrstcr.c.sfrstcr_term_code == stvterm.c.stvterm_code)
        .correlate(stvterm)
        .exists()
    )
    return select(func.max(stvterm.c.stvterm_code).label("term")).where(
        stvterm.c.stvterm_start_date <= today, registered
    )
