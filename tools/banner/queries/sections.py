"""Sections of a term (SSBSECT over the effective SCBCRSE row), cross-lists and instructors."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, case, func, or_, select

from tools.banner.queries.base import CURRENT_NAME, AnySelect, latest, statement, yes
from tools.banner.schema import scbcrse, sirasgn, spriden, ssbsect, ssrxlst


@statement()
def section_select() -> AnySelect:
    """Every section with its effective catalog title and credit hours, to filter or join.

    The title is SSBSECT_CRSE_TITLE, else the SCBCRSE_TITLE effective for the section's term
    (the largest SCBCRSE_EFF_TERM <= the term); credit hours likewise.
    """
    catalog = scbcrse.alias("catalog")
    newer = scbcrse.alias("newer")
    catalog_effective = latest(
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
        catalog.c.scbcrse_coll_code.label("college"),
        catalog.c.scbcrse_dept_code.label("department"),
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
    return section_select().where(ssbsect.c.ssbsect_term_code == term, ssbsect.c.ssbsect_crn == crn)


@statement(term="202610")
def term_sections(term: str) -> AnySelect:
    """Every section of a term, in CRN order."""
    return (
        section_select().where(ssbsect.c.ssbsect_term_code == term).order_by(ssbsect.c.ssbsect_crn)
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
        section_select()
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
                spriden, and_(spriden.c.spriden_pidm == sirasgn.c.sirasgn_pidm, CURRENT_NAME)
            )
        )
        .where(sirasgn.c.sirasgn_term_code == term, sirasgn.c.sirasgn_crn == crn)
        .order_by(
            case((yes(sirasgn.c.sirasgn_primary_ind), 0), else_=1),
            sirasgn.c.sirasgn_category,
            sirasgn.c.sirasgn_pidm,
        )
    )


@statement(pidm=2001, term="202610", crn=None)
def sections_taught(
    pidm: int, term: str, crn: str | None = None, *, primary: bool = False
) -> AnySelect:
    """CRNs a person is assigned to teach in a term.

    ``crn`` narrows it to that section; ``primary`` to sections where the person is the
    instructor of record (SIRASGN_PRIMARY_IND = 'Y').
    """
    stmt = (
        select(sirasgn.c.sirasgn_crn.label("crn"))
        .where(sirasgn.c.sirasgn_pidm == pidm, sirasgn.c.sirasgn_term_code == term)
        .distinct()
        .order_by(sirasgn.c.sirasgn_crn)
    )
    if primary:
        stmt = stmt.where(yes(sirasgn.c.sirasgn_primary_ind))
    return stmt if crn is None else stmt.where(sirasgn.c.sirasgn_crn == crn)
