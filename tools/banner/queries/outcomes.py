"""Course outcomes for program review, counted in SQL: no statement here returns a student.

Institutional research asks how many students in a course and term earned a DFW grade, by
demographic group and by the grade earned in the course's prerequisite. Every builder groups
and counts in the database, so the rows that reach Python are counts per cell (which the
analytics then suppress where small), never a row per student.

The final grade of an academic-history course is its SHRTCKG row with the highest sequence
number (a grade change adds a row). DFW means the grades in :data:`DFW_GRADES`.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from tools.banner.queries.base import AnySelect, statement
from tools.banner.schema import rprawrd, scbcrse, scrrtst, sgbstdn, shrtckg, shrtckn, spbpers

DFW_GRADES = ("D+", "D", "D-", "E", "F", "W")
Dimension = Literal["all", "sex", "ethnicity", "pell", "load"]
DIMENSIONS: tuple[Dimension, ...] = ("all", "sex", "ethnicity", "pell", "load")
"""``load`` is full or part time (SGBSTDN effective for the term); ``pell`` is a Pell award
accepted in any aid year (RPRAWRD)."""

_TERMS = ["202510", "202520"]


def _final_grade() -> AnySelect:
    """One row per history course: pidm, term, course, final grade."""
    later = aliased(shrtckg)
    return (
        select(
            shrtckn.c.shrtckn_pidm.label("pidm"),
            shrtckn.c.shrtckn_term_code.label("term"),
            shrtckn.c.shrtckn_subj_code.label("subj"),
            shrtckn.c.shrtckn_crse_numb.label("numb"),
            shrtckg.c.shrtckg_grde_code_final.label("grade"),
        )
        .join(
            shrtckg,
            and_(
                shrtckg.c.shrtckg_pidm == shrtckn.c.shrtckn_pidm,
                shrtckg.c.shrtckg_term_code == shrtckn.c.shrtckn_term_code,
                shrtckg.c.shrtckg_tckn_seq_no == shrtckn.c.shrtckn_seq_no,
            ),
        )
        .where(
            shrtckg.c.shrtckg_seq_no
            == select(func.max(later.c.shrtckg_seq_no))
            .where(
                later.c.shrtckg_pidm == shrtckg.c.shrtckg_pidm,
                later.c.shrtckg_term_code == shrtckg.c.shrtckg_term_code,
                later.c.shrtckg_tckn_seq_no == shrtckg.c.shrtckg_tckn_seq_no,
            )
            .scalar_subquery()
        )
    )


def _outcome(grade: ColumnElement[str]) -> ColumnElement[str]:
    return case((grade.in_(DFW_GRADES), literal("DFW")), else_=literal("completed"))


def _group(
    dimension: Dimension, pidm: ColumnElement[int], term: ColumnElement[str]
) -> ColumnElement[str]:
    """The group a course enrolment counts in, by ``dimension``."""
    match dimension:
        case "all":
            return literal("all")
        case "sex":
            value = select(spbpers.c.spbpers_sex).where(spbpers.c.spbpers_pidm == pidm)
            return func.coalesce(value.scalar_subquery(), literal("not reported"))
        case "ethnicity":
            code = select(spbpers.c.spbpers_ethn_cde).where(spbpers.c.spbpers_pidm == pidm)
            return case(
                (code.scalar_subquery() == "2", literal("Hispanic or Latino")),
                (code.scalar_subquery() == "1", literal("Not Hispanic or Latino")),
                else_=literal("not reported"),
            )
        case "pell":
            pell = exists().where(
                rprawrd.c.rprawrd_pidm == pidm,
                rprawrd.c.rprawrd_fund_code == "PELL",
                rprawrd.c.rprawrd_accept_amt > 0,
            )
            return case((pell, literal("Pell")), else_=literal("no Pell"))
        case "load":
            eff = aliased(sgbstdn)
            effective = (
                select(func.max(eff.c.sgbstdn_term_code_eff))
                .where(eff.c.sgbstdn_pidm == pidm, eff.c.sgbstdn_term_code_eff <= term)
                .correlate_except(eff)
                .scalar_subquery()
            )
            load = (
                select(sgbstdn.c.sgbstdn_full_part_ind)
                .where(sgbstdn.c.sgbstdn_pidm == pidm, sgbstdn.c.sgbstdn_term_code_eff == effective)
                .correlate_except(sgbstdn)
                .scalar_subquery()
            )
            return case(
                (load == "F", literal("full time")),
                (load == "P", literal("part time")),
                else_=literal("not reported"),
            )


@statement(terms=_TERMS, dimension="pell")
def course_outcomes(terms: list[str], dimension: Dimension) -> AnySelect:
    """Counts per course, term, group and outcome (DFW or completed) over ``terms``."""
    graded = _final_grade().where(shrtckn.c.shrtckn_term_code.in_(terms)).subquery("graded")
    group = _group(dimension, graded.c.pidm, graded.c.term).label("grp")
    outcome = _outcome(graded.c.grade).label("outcome")
    inner = select(graded.c.subj, graded.c.numb, graded.c.term, group, outcome).subquery("cells")
    return (
        select(
            inner.c.subj,
            inner.c.numb,
            inner.c.term,
            inner.c.grp,
            inner.c.outcome,
            func.count().label("n"),
        )
        .group_by(inner.c.subj, inner.c.numb, inner.c.term, inner.c.grp, inner.c.outcome)
        .order_by(inner.c.subj, inner.c.numb, inner.c.term, inner.c.grp, inner.c.outcome)
    )


@statement(terms=_TERMS)
def grade_distribution(terms: list[str]) -> AnySelect:
    """Counts per course and final grade over ``terms``."""
    graded = _final_grade().where(shrtckn.c.shrtckn_term_code.in_(terms)).subquery("graded")
    return (
        select(graded.c.subj, graded.c.numb, graded.c.grade, func.count().label("n"))
        .group_by(graded.c.subj, graded.c.numb, graded.c.grade)
        .order_by(graded.c.subj, graded.c.numb, graded.c.grade)
    )


@statement(terms=_TERMS)
def prerequisite_outcomes(terms: list[str]) -> AnySelect:
    """Counts per SCRRTST pair, prerequisite band and outcome in the target course.

    The band is the prerequisite's grade taken in an earlier term (``AB``, ``C``, ``DFW``;
    ``none`` when it was not taken); with several attempts, the last one counts.
    """
    final = _final_grade().subquery("final")
    target = aliased(final, name="target")
    prior = aliased(final, name="prior")
    last_prior = aliased(final, name="last_prior")
    latest_attempt = (
        select(func.max(last_prior.c.term))
        .where(
            last_prior.c.pidm == target.c.pidm,
            last_prior.c.subj == scrrtst.c.scrrtst_subj_code_preq,
            last_prior.c.numb == scrrtst.c.scrrtst_crse_numb_preq,
            last_prior.c.term < target.c.term,
        )
        .scalar_subquery()
    )
    band = case(
        (prior.c.grade.is_(None), literal("none")),
        (prior.c.grade.in_(DFW_GRADES), literal("DFW")),
        (or_(prior.c.grade.like("A%"), prior.c.grade.like("B%")), literal("AB")),
        (prior.c.grade.like("C%"), literal("C")),
        else_=literal("other"),
    ).label("band")
    rows = (
        select(
            scrrtst.c.scrrtst_subj_code.label("subj"),
            scrrtst.c.scrrtst_crse_numb.label("numb"),
            scrrtst.c.scrrtst_subj_code_preq.label("preq_subj"),
            scrrtst.c.scrrtst_crse_numb_preq.label("preq_numb"),
            band,
            _outcome(target.c.grade).label("outcome"),
        )
        .select_from(target)
        .join(
            scrrtst,
            and_(
                scrrtst.c.scrrtst_subj_code == target.c.subj,
                scrrtst.c.scrrtst_crse_numb == target.c.numb,
                scrrtst.c.scrrtst_subj_code_preq.is_not(None),
            ),
        )
        .outerjoin(
            prior,
            and_(
                prior.c.pidm == target.c.pidm,
                prior.c.subj == scrrtst.c.scrrtst_subj_code_preq,
                prior.c.numb == scrrtst.c.scrrtst_crse_numb_preq,
                prior.c.term == latest_attempt,
            ),
        )
        .where(target.c.term.in_(terms))
        .subquery("pairs")
    )
    keys = (rows.c.subj, rows.c.numb, rows.c.preq_subj, rows.c.preq_numb, rows.c.band,
            rows.c.outcome)  # fmt: skip
    return select(*keys, func.count().label("n")).group_by(*keys).order_by(*keys)


@statement(up_to="202710", limit=6)
def history_terms(up_to: str, limit: int) -> AnySelect:
    """The latest ``limit`` terms up to ``up_to`` that have academic history, latest first."""
    term = shrtckn.c.shrtckn_term_code
    return select(term).where(term <= up_to).group_by(term).order_by(term.desc()).limit(limit)


@statement()
def course_departments() -> AnySelect:
    """Each catalog course's department (SCBCRSE, its latest effective row)."""
    later = aliased(scbcrse)
    newest = (
        select(func.max(later.c.scbcrse_eff_term))
        .where(
            later.c.scbcrse_subj_code == scbcrse.c.scbcrse_subj_code,
            later.c.scbcrse_crse_numb == scbcrse.c.scbcrse_crse_numb,
        )
        .scalar_subquery()
    )
    return select(
        scbcrse.c.scbcrse_subj_code, scbcrse.c.scbcrse_crse_numb, scbcrse.c.scbcrse_dept_code
    ).where(scbcrse.c.scbcrse_eff_term == newest)
