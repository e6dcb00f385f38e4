"""Grading facts of a section and the incomplete-resolution write, for the grade agents.

Grade passback and the incomplete workflow need, per registration, more than the roster shows:
whether the status is gradable, whether the grade already rolled to academic history (SHRTCKN),
the incomplete's extension date and lapse grade, the student's overall GPA for the level
(SHRLGPA) and the SHRGRDE codes valid for the level with their quality points. One read gathers
them so an agent makes one guarded call per section instead of one per student and fact.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field
from sqlalchemy import Connection, Engine, and_, select, update

from runtime.errors import ValidationFailed
from tools.banner import queries, reads
from tools.banner.errors import GradeAlreadyRolled, RegistrationNotFound
from tools.banner.models import BannerModel, FinalGradeIn
from tools.banner.schema import sfrstcr, shrgrde, spriden, stvrsts
from tools.banner.writes import post_final_grade

OVERALL = "O"


class GradeCode(BannerModel):
    """A SHRGRDE code enterable for a level in the term, with what it is worth."""

    code: str
    quality_points: float
    counts_in_gpa: bool


class GradingRegistration(BannerModel):
    """One enrolled registration with the facts grade posting and incompletes depend on."""

    pidm: int
    banner_id: str | None
    level: str
    rsts_code: str
    gradable: bool
    grade: str | None = Field(description="SFRSTCR_GRDE_CODE as it stands.")
    rolled_to_history: bool
    incomplete_final_grade: str | None
    incomplete_ext_date: date | None
    overall_gpa: float | None = Field(description="SHRLGPA overall GPA for the level.")
    overall_gpa_hours: float | None


class SectionGradingFacts(BannerModel):
    """A section's enrolled registrations and the grade codes valid for their levels."""

    term: str
    crn: str
    registrations: list[GradingRegistration]
    grade_codes: dict[str, list[GradeCode]] = Field(description="By level code.")


def _codes(conn: Connection, level: str, term: str) -> list[GradeCode]:
    """The valid codes (the SHRGRDE rule of :mod:`tools.banner.queries`) with their worth."""
    valid = reads.grade_codes_for_level(conn, level, term).codes
    rows = conn.execute(
        select(shrgrde.c.shrgrde_code, shrgrde.c.shrgrde_quality_points, shrgrde.c.shrgrde_gpa_ind)
        .where(
            shrgrde.c.shrgrde_levl_code == level,
            shrgrde.c.shrgrde_code.in_(valid),
            shrgrde.c.shrgrde_term_code_effective <= term,
        )
        .order_by(shrgrde.c.shrgrde_term_code_effective)
    ).all()
    worth = {row[0]: (float(row[1] or 0), row[2] == "Y") for row in rows}  # latest wins
    return [GradeCode(code=c, quality_points=worth[c][0], counts_in_gpa=worth[c][1]) for c in valid]


def section_grading(db: Engine | Connection, term: str, crn: str) -> SectionGradingFacts:
    """Every enrolled registration of the section with its grading facts."""
    with reads.connection(db) as conn:
        reads.get_section(conn, term, crn)
        rows = conn.execute(
            select(
                sfrstcr.c.sfrstcr_pidm.label("pidm"),
                spriden.c.spriden_id.label("banner_id"),
                sfrstcr.c.sfrstcr_levl_code.label("level"),
                sfrstcr.c.sfrstcr_rsts_code.label("rsts_code"),
                stvrsts.c.stvrsts_gradable_ind.label("gradable_ind"),
                sfrstcr.c.sfrstcr_grde_code.label("grade"),
                sfrstcr.c.sfrstcr_grde_code_incmp_final.label("incomplete_final_grade"),
                sfrstcr.c.sfrstcr_incomplete_ext_date.label("incomplete_ext_date"),
            )
            .select_from(
                sfrstcr.join(
                    stvrsts, stvrsts.c.stvrsts_code == sfrstcr.c.sfrstcr_rsts_code
                ).outerjoin(
                    spriden,
                    and_(
                        spriden.c.spriden_pidm == sfrstcr.c.sfrstcr_pidm,
                        spriden.c.spriden_change_ind.is_(None),
                    ),
                )
            )
            .where(
                sfrstcr.c.sfrstcr_term_code == term,
                sfrstcr.c.sfrstcr_crn == crn,
                stvrsts.c.stvrsts_incl_sect_enrl == "Y",
            )
            .order_by(sfrstcr.c.sfrstcr_pidm)
        ).all()
        registrations = [_registration(conn, term, crn, row._mapping) for row in rows]
        levels = sorted({r.level for r in registrations})
        codes = {level: _codes(conn, level, term) for level in levels}
    return SectionGradingFacts(term=term, crn=crn, registrations=registrations, grade_codes=codes)


def _registration(conn: Connection, term: str, crn: str, row: Any) -> GradingRegistration:
    pidm = int(row["pidm"])
    rolled = conn.execute(queries.rolled_courses(term, pidm, crn)).scalar_one() > 0
    overall = next(
        (
            line
            for line in reads.student_gpa(conn, pidm, term).overall_gpa
            if line.gpa_type == OVERALL and line.level == row["level"]
        ),
        None,
    )
    return GradingRegistration(
        pidm=pidm,
        banner_id=row["banner_id"],
        level=row["level"],
        rsts_code=row["rsts_code"],
        gradable=row["gradable_ind"] == "Y",
        grade=row["grade"],
        rolled_to_history=rolled,
        incomplete_final_grade=row["incomplete_final_grade"],
        incomplete_ext_date=row["incomplete_ext_date"],
        overall_gpa=overall.gpa if overall else None,
        overall_gpa_hours=overall.gpa_hours if overall else None,
    )


class IncompleteResolution(BannerModel):
    """What became of an incomplete: its registration as read back after the write."""

    term: str
    pidm: int
    crn: str
    grade: str | None
    incomplete_ext_date: date | None


def resolve_incomplete(
    engine: Engine,
    *,
    term: str,
    pidm: int,
    crn: str,
    grade: str | None,
    extend_to: date | None,
    user: str,
    today: date,
    at: datetime | None = None,
) -> IncompleteResolution:
    """Replace an incomplete with a final grade, or move its extension date later.

    Exactly one of ``grade`` and ``extend_to`` is given. A grade goes through the same checks as
    any final grade (:func:`tools.banner.writes.post_final_grade`); an extension must lie after
    today and is refused once the grade has rolled to academic history.
    """
    if (grade is None) == (extend_to is None):
        raise ValidationFailed("give either a final grade or a new extension date, not both")
    if grade is not None:
        post_final_grade(
            engine,
            FinalGradeIn(term=term, pidm=pidm, crn=crn, grade=grade),
            user=user,
            grade_date=today,
            at=at,
        )
    else:
        assert extend_to is not None
        if extend_to <= today:
            raise ValidationFailed(f"the new extension date {extend_to} must lie after {today}")
        with engine.begin() as conn:
            if conn.execute(queries.registration(term, pidm, crn)).first() is None:
                raise RegistrationNotFound(term=term, pidm=pidm, crn=crn)
            if conn.execute(queries.rolled_courses(term, pidm, crn)).scalar_one():
                raise GradeAlreadyRolled(term=term, pidm=pidm, crn=crn)
            conn.execute(
                update(sfrstcr)
                .where(
                    sfrstcr.c.sfrstcr_term_code == term,
                    sfrstcr.c.sfrstcr_pidm == pidm,
                    sfrstcr.c.sfrstcr_crn == crn,
                )
                .values(sfrstcr_incomplete_ext_date=extend_to, sfrstcr_user_id=user)
            )
    with reads.connection(engine) as conn:
        row = conn.execute(
            select(sfrstcr.c.sfrstcr_grde_code, sfrstcr.c.sfrstcr_incomplete_ext_date).where(
                sfrstcr.c.sfrstcr_term_code == term,
                sfrstcr.c.sfrstcr_pidm == pidm,
                sfrstcr.c.sfrstcr_crn == crn,
            )
        ).one()
    return IncompleteResolution(
        term=term, pidm=pidm, crn=crn, grade=row[0], incomplete_ext_date=row[1]
    )
