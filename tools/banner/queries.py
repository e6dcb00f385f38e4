"""Every SQL statement the Banner tools run, as builder functions.

Statements are SQLAlchemy Core, so one builder serves SQLite, PostgreSQL and Oracle. Each builder
registers itself with sample arguments in :data:`STATEMENTS`, which lets a test compile every
statement for the Oracle dialect without a server. The rules that live in SQL are here and only
here: the current SPRIDEN row, effective dating (largest effective term <= the term asked about),
status meanings through STVRSTS and STVHLDD flags, grade codes through SHRGRDE.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Delete,
    Insert,
    Select,
    Update,
    and_,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import insert as sql_insert
from sqlalchemy.sql.expression import FromClause, ScalarSelect

from tools.banner.schema import (
    goremal,
    rorstat,
    rprawrd,
    scbcrse,
    sfrstcr,
    sgbstdn,
    sgradvr,
    shrgrde,
    shrlgpa,
    shrtckn,
    shrtgpa,
    sirasgn,
    sprhold,
    spriden,
    ssbsect,
    ssrxlst,
    stvhldd,
    stvrsts,
    szrcmnt,
)

AnySelect = Select[*tuple[Any, ...]]
Statement = AnySelect | Insert | Update | Delete
B = TypeVar("B", bound=Callable[..., Statement])

STATEMENTS: list[tuple[Callable[..., Statement], dict[str, Any]]] = []
"""Every builder with sample arguments: the test suite compiles each for Oracle."""

OPEN_ENDED = date(2099, 12, 31)
"""Banner's conventional TO date of a hold without an end."""

_SAMPLE_DAY = date(2025, 9, 15)
_SAMPLE_AT = datetime(2025, 9, 15, 12, 0, 0)


def statement(**sample: Any) -> Callable[[B], B]:
    """Register a builder in :data:`STATEMENTS` with arguments that exercise it."""

    def register(builder: B) -> B:
        STATEMENTS.append((builder, sample))
        return builder

    return register


def _yes(column: ColumnElement[Any]) -> ColumnElement[bool]:
    return column == "Y"


_current_name = spriden.c.spriden_change_ind.is_(None)


def _latest(
    eff_column: ColumnElement[Any],
    term: Any,
    *same: ColumnElement[bool],
    correlate: FromClause | None = None,
) -> ScalarSelect[Any]:
    """Effective dating: the largest effective term <= ``term`` among the rows where ``same``."""
    stmt = select(func.max(eff_column)).where(eff_column <= term, *same)
    if correlate is not None:
        stmt = stmt.correlate(correlate)
    return stmt.scalar_subquery()


# --- persons -------------------------------------------------------------------------------


def _person_select() -> AnySelect:
    preferred_email = (
        select(func.min(goremal.c.goremal_email_address))
        .where(
            goremal.c.goremal_pidm == spriden.c.spriden_pidm,
            goremal.c.goremal_status_ind == "A",
            _yes(goremal.c.goremal_preferred_ind),
        )
        .scalar_subquery()
    )
    return select(
        spriden.c.spriden_pidm.label("pidm"),
        spriden.c.spriden_id.label("banner_id"),
        spriden.c.spriden_last_name.label("last_name"),
        spriden.c.spriden_first_name.label("first_name"),
        spriden.c.spriden_mi.label("middle_name"),
        spriden.c.spriden_entity_ind.label("entity"),
        preferred_email.label("preferred_email"),
    ).where(_current_name)


@statement(pidm=1001)
def person_by_pidm(pidm: int) -> AnySelect:
    """The current identity of a PIDM."""
    return _person_select().where(spriden.c.spriden_pidm == pidm)


@statement(banner_id="A00123456")
def person_by_id(banner_id: str) -> AnySelect:
    """The current identity carrying a Banner ID (history IDs do not match)."""
    return _person_select().where(spriden.c.spriden_id == banner_id)


@statement()
def current_person_names() -> AnySelect:
    """Current first/last names of every person (not corporations), in PIDM order."""
    return (
        select(
            spriden.c.spriden_pidm.label("pidm"),
            spriden.c.spriden_first_name.label("first_name"),
            spriden.c.spriden_last_name.label("last_name"),
        )
        .where(_current_name, spriden.c.spriden_entity_ind == "P")
        .order_by(spriden.c.spriden_pidm)
    )


# --- sections ------------------------------------------------------------------------------


def _section_select() -> AnySelect:
    catalog = scbcrse.alias("catalog")
    newer = scbcrse.alias("newer")
    catalog_effective = _latest(
        newer.c.scbcrse_eff_term,
        ssbsect.c.ssbsect_term_code,
        newer.c.scbcrse_subj_code == ssbsect.c.ssbsect_subj_code,
        newer.c.scbcrse_crse_numb == ssbsect.c.ssbsect_crse_numb,
        correlate=ssbsect,
    )
    return select(
        ssbsect.c.ssbsect_term_code.label("term"),
        ssbsect.c.ssbsect_crn.label("crn"),
        ssbsect.c.ssbsect_subj_code.label("subject"),
        ssbsect.c.ssbsect_crse_numb.label("course_number"),
        ssbsect.c.ssbsect_seq_numb.label("sequence"),
        ssbsect.c.ssbsect_ptrm_code.label("part_of_term"),
        ssbsect.c.ssbsect_ssts_code.label("status"),
        ssbsect.c.ssbsect_camp_code.label("campus"),
        func.coalesce(ssbsect.c.ssbsect_crse_title, catalog.c.scbcrse_title).label("title"),
        func.coalesce(ssbsect.c.ssbsect_credit_hrs, catalog.c.scbcrse_credit_hr_low).label(
            "credit_hours"
        ),
        ssbsect.c.ssbsect_max_enrl.label("max_enrollment"),
        ssbsect.c.ssbsect_enrl.label("enrollment"),
        ssbsect.c.ssbsect_wait_capacity.label("wait_capacity"),
        ssbsect.c.ssbsect_wait_count.label("wait_count"),
        ssbsect.c.ssbsect_ptrm_start_date.label("start_date"),
        ssbsect.c.ssbsect_ptrm_end_date.label("end_date"),
        ssbsect.c.ssbsect_gradable_ind.label("gradable"),
        ssrxlst.c.ssrxlst_xlst_group.label("crosslist_group"),
    ).select_from(
        ssbsect.outerjoin(
            catalog,
            and_(
                catalog.c.scbcrse_subj_code == ssbsect.c.ssbsect_subj_code,
                catalog.c.scbcrse_crse_numb == ssbsect.c.ssbsect_crse_numb,
                catalog.c.scbcrse_eff_term == catalog_effective,
            ),
        ).outerjoin(
            ssrxlst,
            and_(
                ssrxlst.c.ssrxlst_term_code == ssbsect.c.ssbsect_term_code,
                ssrxlst.c.ssrxlst_crn == ssbsect.c.ssbsect_crn,
            ),
        )
    )


@statement(term="202610", crn="10001")
def section(term: str, crn: str) -> AnySelect:
    """One section with its effective catalog title."""
    return _section_select().where(
        ssbsect.c.ssbsect_term_code == term, ssbsect.c.ssbsect_crn == crn
    )


@statement(term="202610")
def term_sections(term: str) -> AnySelect:
    """Every section of a term, in CRN order."""
    return (
        _section_select().where(ssbsect.c.ssbsect_term_code == term).order_by(ssbsect.c.ssbsect_crn)
    )


@statement(term="202610", crns=("10001", "10002"))
def sections_with_crosslists(term: str, crns: Sequence[str]) -> AnySelect:
    """The sections with these CRNs and every section cross-listed with one of them, by CRN.

    What one event's sync needs instead of the whole term: a cross-list group is provisioned
    and planned as one Canvas course, so its members come along.
    """
    groups = select(ssrxlst.c.ssrxlst_xlst_group).where(
        ssrxlst.c.ssrxlst_term_code == term, ssrxlst.c.ssrxlst_crn.in_(crns)
    )
    return (
        _section_select()
        .where(
            ssbsect.c.ssbsect_term_code == term,
            or_(ssbsect.c.ssbsect_crn.in_(crns), ssrxlst.c.ssrxlst_xlst_group.in_(groups)),
        )
        .order_by(ssbsect.c.ssbsect_crn)
    )


@statement(term="202610")
def term_first_class(term: str) -> AnySelect:
    """The earliest section start of a term (the census date's default pivot)."""
    return select(func.min(ssbsect.c.ssbsect_ptrm_start_date).label("first_class")).where(
        ssbsect.c.ssbsect_term_code == term
    )


@statement(term="202610", crn="10001")
def crosslist_members(term: str, crn: str) -> AnySelect:
    """The group of a CRN and every CRN in that group."""
    mine = ssrxlst.alias("mine")
    group = (
        select(mine.c.ssrxlst_xlst_group)
        .where(mine.c.ssrxlst_term_code == term, mine.c.ssrxlst_crn == crn)
        .scalar_subquery()
    )
    return (
        select(
            ssrxlst.c.ssrxlst_xlst_group.label("xlst_group"),
            ssrxlst.c.ssrxlst_crn.label("crn"),
        )
        .where(ssrxlst.c.ssrxlst_term_code == term, ssrxlst.c.ssrxlst_xlst_group == group)
        .order_by(ssrxlst.c.ssrxlst_crn)
    )


@statement(term="202610", crn="10001")
def section_instructors(term: str, crn: str) -> AnySelect:
    """Instructors of a section, the primary (SIRASGN_PRIMARY_IND='Y') first."""
    return (
        select(
            sirasgn.c.sirasgn_pidm.label("pidm"),
            spriden.c.spriden_id.label("banner_id"),
            spriden.c.spriden_last_name.label("last_name"),
            spriden.c.spriden_first_name.label("first_name"),
            sirasgn.c.sirasgn_primary_ind.label("primary_ind"),
            sirasgn.c.sirasgn_category.label("category"),
            sirasgn.c.sirasgn_percent_response.label("percent_response"),
        )
        .select_from(
            sirasgn.outerjoin(
                spriden, and_(spriden.c.spriden_pidm == sirasgn.c.sirasgn_pidm, _current_name)
            )
        )
        .where(sirasgn.c.sirasgn_term_code == term, sirasgn.c.sirasgn_crn == crn)
        .order_by(
            case((_yes(sirasgn.c.sirasgn_primary_ind), 0), else_=1),
            sirasgn.c.sirasgn_category,
            sirasgn.c.sirasgn_pidm,
        )
    )


@statement(pidm=2001, term="202610", crn=None)
def sections_taught(pidm: int, term: str, crn: str | None = None) -> AnySelect:
    """CRNs a person is assigned to teach in a term (optionally: just this CRN)."""
    stmt = (
        select(sirasgn.c.sirasgn_crn.label("crn"))
        .where(sirasgn.c.sirasgn_pidm == pidm, sirasgn.c.sirasgn_term_code == term)
        .distinct()
        .order_by(sirasgn.c.sirasgn_crn)
    )
    return stmt if crn is None else stmt.where(sirasgn.c.sirasgn_crn == crn)


# --- registrations -------------------------------------------------------------------------


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
        spriden, and_(spriden.c.spriden_pidm == sfrstcr.c.sfrstcr_pidm, _current_name)
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
            or_(_yes(stvrsts.c.stvrsts_incl_sect_enrl), _yes(stvrsts.c.stvrsts_wait_ind)),
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
            _yes(stvrsts.c.stvrsts_incl_sect_enrl),
        )
        .order_by(sfrstcr.c.sfrstcr_pidm)
    )


def _enterable_grade_rows(term: str) -> tuple[ColumnElement[bool], ...]:
    """The SHRGRDE rule: each code's row effective for the term, not expired, web-enterable."""
    newer = shrgrde.alias("newer")
    effective = _latest(
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
        _yes(shrgrde.c.shrgrde_web_entry_ind),
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


# --- student records -----------------------------------------------------------------------


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
        == _latest(sgbstdn.c.sgbstdn_term_code_eff, term, sgbstdn.c.sgbstdn_pidm == pidm),
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
                spriden, and_(spriden.c.spriden_pidm == sgradvr.c.sgradvr_advr_pidm, _current_name)
            )
        )
        .where(
            sgradvr.c.sgradvr_pidm == pidm,
            sgradvr.c.sgradvr_term_code_eff
            == _latest(sgradvr.c.sgradvr_term_code_eff, term, sgradvr.c.sgradvr_pidm == pidm),
        )
        .order_by(case((_yes(sgradvr.c.sgradvr_prim_ind), 0), else_=1), sgradvr.c.sgradvr_advr_pidm)
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
            == _latest(
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


# --- holds ---------------------------------------------------------------------------------


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
        sprhold.c.sprhold_orig_code.label("origin"),
    ).select_from(sprhold.outerjoin(stvhldd, stvhldd.c.stvhldd_code == sprhold.c.sprhold_hldd_code))


@statement(pidm=1001, as_of=_SAMPLE_DAY)
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


# --- financial aid -------------------------------------------------------------------------


@statement(pidm=1001, aid_year="2526")
def aid_status(pidm: int, aid_year: str) -> AnySelect:
    """RORSTAT row of a student for an aid year."""
    return select(
        rorstat.c.rorstat_all_req_comp_date.label("requirements_complete_date"),
        rorstat.c.rorstat_pckg_comp_date.label("packaging_complete_date"),
    ).where(rorstat.c.rorstat_pidm == pidm, rorstat.c.rorstat_aidy_code == aid_year)


@statement(pidm=1001, aid_year="2526")
def aid_awards(pidm: int, aid_year: str) -> AnySelect:
    """RPRAWRD rows of a student for an aid year."""
    return (
        select(
            rprawrd.c.rprawrd_fund_code.label("fund"),
            rprawrd.c.rprawrd_awst_code.label("status"),
            func.coalesce(rprawrd.c.rprawrd_offer_amt, 0).label("offered"),
            func.coalesce(rprawrd.c.rprawrd_accept_amt, 0).label("accepted"),
            func.coalesce(rprawrd.c.rprawrd_paid_amt, 0).label("paid"),
        )
        .where(rprawrd.c.rprawrd_pidm == pidm, rprawrd.c.rprawrd_aidy_code == aid_year)
        .order_by(rprawrd.c.rprawrd_fund_code)
    )


# --- writes --------------------------------------------------------------------------------


@statement(
    term="202610",
    pidm=1001,
    crn="10001",
    grade="A",
    grade_date=_SAMPLE_DAY,
    user="bca",
    at=_SAMPLE_AT,
)
def store_final_grade(
    term: str, pidm: int, crn: str, grade: str, grade_date: date, user: str, at: datetime
) -> Update:
    """Set the final grade of one registration."""
    return _change_registration(
        term, pidm, crn, user, at, sfrstcr_grde_code=grade, sfrstcr_grde_date=grade_date
    )


@statement(
    term="202610", pidm=1001, crn="10001", extend_to=_SAMPLE_DAY, user="bca", at=_SAMPLE_AT
)
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
    from_date=_SAMPLE_DAY,
    to_date=OPEN_ENDED,
    amount_owed=10.0,
    origin="BCA",
    release_ind="N",
    at=_SAMPLE_AT,
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


@statement(hold_id=1, to_date=_SAMPLE_DAY, user="bca", at=_SAMPLE_AT)
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
    at=_SAMPLE_AT,
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
