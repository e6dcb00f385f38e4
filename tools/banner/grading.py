"""Grading facts of a section and the incomplete-resolution write, for the grade agents.

Grade passback and the incomplete workflow need, per registration, more than the roster shows:
whether the status is gradable, whether the grade already rolled to academic history (SHRTCKN),
the incomplete's extension date and lapse grade, the student's overall GPA for the level
(SHRLGPA) and the SHRGRDE codes valid for the level with their quality points. One call gathers
them in a fixed number of statements (builders of :mod:`tools.banner.queries`), so an agent
makes one guarded call per section and Banner sees no per-student reads.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field
from sqlalchemy import Connection, Engine

from core.errors import ValidationFailed
from tools.banner import queries, reads
from tools.banner.errors import PersonNotFound
from tools.banner.models import BannerModel, FinalGradeIn
from tools.banner.writes import extend_incomplete, post_final_grade

OVERALL = queries.OVERALL_GPA


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


def _codes(conn: Connection, levels: list[str], term: str) -> dict[str, list[GradeCode]]:
    """The valid codes of each level (the SHRGRDE rule of :mod:`tools.banner.queries`).

    Each with the worth of its effective row; one statement for all levels.
    """
    codes: dict[str, list[GradeCode]] = {level: [] for level in levels}
    if levels:
        for row in conn.execute(queries.grade_codes_with_worth(levels, term)):
            codes[row.level].append(
                GradeCode(
                    code=row.code,
                    quality_points=float(row.quality_points or 0),
                    counts_in_gpa=row.gpa_ind == "Y",
                )
            )
    return codes


def section_grading(db: Engine | Connection, term: str, crn: str) -> SectionGradingFacts:
    """Every enrolled registration of the section with its grading facts.

    Three statements whatever the class size: the section, its registrations with their rolled
    flag and overall GPA, and the grade codes of the levels present.
    """
    with reads.connection(db) as conn:
        reads.get_section(conn, term, crn)
        rows = conn.execute(queries.section_grading_registrations(term, crn)).all()
        registrations = [_registration(row._mapping) for row in rows]
        codes = _codes(conn, sorted({r.level for r in registrations}), term)
    return SectionGradingFacts(term=term, crn=crn, registrations=registrations, grade_codes=codes)


def _registration(row: Any) -> GradingRegistration:
    pidm = int(row["pidm"])
    if row["person_pidm"] is None:  # as the GPA read it replaces: a student needs an identity
        raise PersonNotFound(pidm=pidm)
    return GradingRegistration(
        pidm=pidm,
        banner_id=row["banner_id"],
        level=row["level"],
        rsts_code=row["rsts_code"],
        gradable=row["gradable_ind"] == "Y",
        grade=row["grade"],
        rolled_to_history=row["rolled_ind"] == "Y",
        incomplete_final_grade=row["incomplete_final_grade"],
        incomplete_ext_date=row["incomplete_ext_date"],
        overall_gpa=row["overall_gpa"],
        overall_gpa_hours=row["overall_gpa_hours"],
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
    today and is refused once the grade has rolled to academic history
    (:func:`tools.banner.writes.extend_incomplete`). Either write stamps the row's activity date
    with ``at`` (else now), so change capture on ``SFRSTCR_ACTIVITY_DATE`` sees it.
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
        extend_incomplete(
            engine, term=term, pidm=pidm, crn=crn, extend_to=extend_to, user=user, at=at
        )
    with reads.connection(engine) as conn:
        row = conn.execute(queries.incomplete_state(term, pidm, crn)).one()
    return IncompleteResolution(
        term=term, pidm=pidm, crn=crn, grade=row.grade, incomplete_ext_date=row.incomplete_ext_date
    )
