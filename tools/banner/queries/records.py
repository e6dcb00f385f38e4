"""A student's record: standing (SGBSTDN), GPA (SHRTGPA/SHRLGPA), advisors (SGRADVR), holds, aid.

One student at a time, effective-dated by term; what the student-facing and advising tools read.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, select

from tools.banner.queries.base import CURRENT_NAME, SAMPLE_DAY, AnySelect, latest, statement, yes
from tools.banner.schema import (
    rfrbase,
    rorstat,
    rprawrd,
    sgbstdn,
    sgradvr,
    shrlgpa,
    shrtgpa,
    sprhold,
    spriden,
    stvhldd,
)


@statement(pidm=1001, term="202610")
def student_standing(pidm: int, term: str) -> AnySelect:
    """The SGBSTDN row effective for the term."""
    return select(
        sgbstdn.c.sgbstdn_pidm.label("pidm"),
        sgbstdn.c.sgbstdn_term_code_eff.label("effective_term"),
        sgbstdn.c.sgbstdn_stst_code.label("status"),
        sgbstdn.c.sgbstdn_levl_code.label("level"),
        sgbstdn.c.sgbstdn_styp_code.label("student_type"),
        sgbstdn.c.sgbstdn_majr_code_1.label("major"),
        sgbstdn.c.sgbstdn_astd_code.label("academic_standing"),
        sgbstdn.c.sgbstdn_term_code_astd.label("standing_term"),
        sgbstdn.c.sgbstdn_full_part_ind.label("full_part"),
    ).where(
        sgbstdn.c.sgbstdn_pidm == pidm,
        sgbstdn.c.sgbstdn_term_code_eff
        == latest(sgbstdn.c.sgbstdn_term_code_eff, term, sgbstdn.c.sgbstdn_pidm == pidm),
    )


@statement(pidm=1001, term="202610")
def term_gpa(pidm: int, term: str) -> AnySelect:
    """SHRTGPA rows of one term."""
    return (
        select(
            shrtgpa.c.shrtgpa_levl_code.label("level"),
            shrtgpa.c.shrtgpa_gpa_type_ind.label("gpa_type"),
            shrtgpa.c.shrtgpa_hours_attempted.label("hours_attempted"),
            shrtgpa.c.shrtgpa_hours_earned.label("hours_earned"),
            shrtgpa.c.shrtgpa_gpa_hours.label("gpa_hours"),
            shrtgpa.c.shrtgpa_quality_points.label("quality_points"),
            shrtgpa.c.shrtgpa_gpa.label("gpa"),
        )
        .where(shrtgpa.c.shrtgpa_pidm == pidm, shrtgpa.c.shrtgpa_term_code == term)
        .order_by(shrtgpa.c.shrtgpa_levl_code, shrtgpa.c.shrtgpa_gpa_type_ind)
    )


@statement(pidm=1001)
def overall_gpa(pidm: int) -> AnySelect:
    """SHRLGPA rows: cumulative GPA by level and type."""
    return (
        select(
            shrlgpa.c.shrlgpa_levl_code.label("level"),
            shrlgpa.c.shrlgpa_gpa_type_ind.label("gpa_type"),
            shrlgpa.c.shrlgpa_hours_attempted.label("hours_attempted"),
            shrlgpa.c.shrlgpa_hours_earned.label("hours_earned"),
            shrlgpa.c.shrlgpa_gpa_hours.label("gpa_hours"),
            shrlgpa.c.shrlgpa_quality_points.label("quality_points"),
            shrlgpa.c.shrlgpa_gpa.label("gpa"),
        )
        .where(shrlgpa.c.shrlgpa_pidm == pidm)
        .order_by(shrlgpa.c.shrlgpa_levl_code, shrlgpa.c.shrlgpa_gpa_type_ind)
    )


@statement(pidm=1001, term="202610")
def student_advisors(pidm: int, term: str) -> AnySelect:
    """A student's advisors effective for the term, the primary (PRIM_IND='Y') first."""
    return (
        select(
            sgradvr.c.sgradvr_pidm.label("student_pidm"),
            sgradvr.c.sgradvr_advr_pidm.label("advisor_pidm"),
            sgradvr.c.sgradvr_term_code_eff.label("effective_term"),
            sgradvr.c.sgradvr_advr_code.label("advisor_type"),
            sgradvr.c.sgradvr_prim_ind.label("primary_ind"),
            spriden.c.spriden_id.label("banner_id"),
            spriden.c.spriden_last_name.label("last_name"),
            spriden.c.spriden_first_name.label("first_name"),
        )
        .select_from(
            sgradvr.outerjoin(
                spriden, and_(spriden.c.spriden_pidm == sgradvr.c.sgradvr_advr_pidm, CURRENT_NAME)
            )
        )
        .where(
            sgradvr.c.sgradvr_pidm == pidm,
            sgradvr.c.sgradvr_term_code_eff
            == latest(sgradvr.c.sgradvr_term_code_eff, term, sgradvr.c.sgradvr_pidm == pidm),
        )
        .order_by(case((yes(sgradvr.c.sgradvr_prim_ind), 0), else_=1), sgradvr.c.sgradvr_advr_pidm)
    )


@statement(advisor_pidm=2001, term="202610", student_pidm=None)
def advisees(advisor_pidm: int, term: str, student_pidm: int | None = None) -> AnySelect:
    """Students whose advisors effective for the term include this person."""
    newer = sgradvr.alias("newer")
    stmt = (
        select(sgradvr.c.sgradvr_pidm.label("pidm"))
        .where(
            sgradvr.c.sgradvr_advr_pidm == advisor_pidm,
            sgradvr.c.sgradvr_term_code_eff
            == latest(
                newer.c.sgradvr_term_code_eff,
                term,
                newer.c.sgradvr_pidm == sgradvr.c.sgradvr_pidm,
                correlate=sgradvr,
            ),
        )
        .distinct()
        .order_by(sgradvr.c.sgradvr_pidm)
    )
    return stmt if student_pidm is None else stmt.where(sgradvr.c.sgradvr_pidm == student_pidm)


def _hold_select() -> AnySelect:
    return select(
        sprhold.c.sprhold_surrogate_id.label("hold_id"),
        sprhold.c.sprhold_pidm.label("pidm"),
        sprhold.c.sprhold_hldd_code.label("code"),
        stvhldd.c.stvhldd_desc.label("description"),
        sprhold.c.sprhold_from_date.label("from_date"),
        sprhold.c.sprhold_to_date.label("to_date"),
        sprhold.c.sprhold_reason.label("reason"),
        sprhold.c.sprhold_amount_owed.label("amount_owed"),
        sprhold.c.sprhold_user.label("placed_by"),
        sprhold.c.sprhold_release_ind.label("release_ind"),
        stvhldd.c.stvhldd_reg_hold_ind.label("reg_hold_ind"),
        stvhldd.c.stvhldd_grade_hold_ind.label("grade_hold_ind"),
        stvhldd.c.stvhldd_trans_hold_ind.label("trans_hold_ind"),
        stvhldd.c.stvhldd_grad_hold_ind.label("grad_hold_ind"),
        stvhldd.c.stvhldd_ar_hold_ind.label("ar_hold_ind"),
        sprhold.c.sprhold_orig_code.label("origin"),
    ).select_from(sprhold.outerjoin(stvhldd, stvhldd.c.stvhldd_code == sprhold.c.sprhold_hldd_code))


@statement(pidm=1001, as_of=SAMPLE_DAY)
def active_holds(pidm: int, as_of: date) -> AnySelect:
    """Holds in force on a day: FROM <= day < TO (TO is the first day it no longer applies)."""
    return (
        _hold_select()
        .where(
            sprhold.c.sprhold_pidm == pidm,
            sprhold.c.sprhold_from_date <= as_of,
            sprhold.c.sprhold_to_date > as_of,
        )
        .order_by(sprhold.c.sprhold_from_date, sprhold.c.sprhold_surrogate_id)
    )


@statement(hold_id=1)
def hold_by_id(hold_id: int) -> AnySelect:
    """One hold by its surrogate id."""
    return _hold_select().where(sprhold.c.sprhold_surrogate_id == hold_id)


@statement()
def hold_types() -> AnySelect:
    """Every hold type code (STVHLDD)."""
    return select(stvhldd.c.stvhldd_code.label("code")).order_by(stvhldd.c.stvhldd_code)


@statement(pidm=1001, aid_year="2526")
def aid_status(pidm: int, aid_year: str) -> AnySelect:
    """RORSTAT row of a student for an aid year."""
    return select(
        rorstat.c.rorstat_all_req_comp_date.label("requirements_complete_date"),
        rorstat.c.rorstat_pckg_comp_date.label("packaging_complete_date"),
    ).where(rorstat.c.rorstat_pidm == pidm, rorstat.c.rorstat_aidy_code == aid_year)


@statement(pidm=1001, aid_year="2526")
def aid_awards(pidm: int, aid_year: str) -> AnySelect:
    """RPRAWRD rows of a student for an aid year, with each fund's RFRBASE title."""
    return (
        select(
            rprawrd.c.rprawrd_fund_code.label("fund"),
            rfrbase.c.rfrbase_fund_title.label("fund_title"),
            rprawrd.c.rprawrd_awst_code.label("status"),
            func.coalesce(rprawrd.c.rprawrd_offer_amt, 0).label("offered"),
            func.coalesce(rprawrd.c.rprawrd_accept_amt, 0).label("accepted"),
            func.coalesce(rprawrd.c.rprawrd_paid_amt, 0).label("paid"),
        )
        .select_from(
            rprawrd.outerjoin(rfrbase, rfrbase.c.rfrbase_fund_code == rprawrd.c.rprawrd_fund_code)
        )
        .where(rprawrd.c.rprawrd_pidm == pidm, rprawrd.c.rprawrd_aidy_code == aid_year)
        .order_by(rprawrd.c.rprawrd_fund_code)
    )
