"""The staff student profile, assembled from facts already read: pure functions, no I/O.

Beside the rules because it decides things: which parts a caller sees (the parts come from
:mod:`policies.profile_fields` through :mod:`policies.student_scope`), what a confidential
student looks like, which Canvas courses an instructor may see, and the early-alert score of
each course (:func:`agents.rules.risk.assess_risk` on the same adapters the alert agent uses,
so the profile shows exactly the score and factors the agent would act on). The runtime reads
Banner and Canvas, hands the facts in, and returns what comes out; nothing is written back.

Help-desk cases are a seam: :class:`CaseSource` is the protocol the support-case store will
implement; until it exists the runtime passes :class:`NoCases`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agents.rules.adapters import from_banner_standing, from_canvas_engagement
from agents.rules.risk import RiskAssessment, assess_risk
from core.ids import banner_section_of
from policies.profile_fields import Part
from policies.student_scope import CONFIDENTIAL
from tools.banner.models import (
    Advisor,
    GpaSummary,
    HoldSummary,
    Person,
    PersonDetails,
    ScheduledCourse,
    StudentStanding,
)
from tools.canvas.models import CourseActivity


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ApprovalSummary(_Frozen):
    """An open approval request about the student: what waits, for whom, until when."""

    id: str
    action: str
    approver: str
    created_at: datetime
    expires_at: datetime


class CaseSummary(_Frozen):
    """An open help-desk case about the student (filled once support cases exist)."""

    id: str
    status: str
    summary: str
    opened_at: datetime


class CaseSource(Protocol):
    """Where open help-desk cases about a student come from (the support-case store)."""

    def open_cases(self, pidm: int) -> list[CaseSummary]:
        """The student's open cases, newest first."""
        ...


class NoCases:
    """:class:`CaseSource` until the support cases are built: there are none to show."""

    def open_cases(self, pidm: int) -> list[CaseSummary]:
        """Nothing yet."""
        return []


class BannerFacts(_Frozen):
    """What Banner says about the student (reads skipped for parts not shown stay empty)."""

    person: Person
    details: PersonDetails | None = None
    level: str | None = None
    standing: StudentStanding | None = None
    gpa: GpaSummary | None = None
    holds: HoldSummary | None = None
    advisors: list[Advisor] = Field(default_factory=list)
    schedule: list[ScheduledCourse] = Field(default_factory=list)


class CanvasFacts(_Frozen):
    """The student's Canvas courses, or why Canvas could not be read."""

    courses: list[CourseActivity] = Field(default_factory=list)
    unavailable: str | None = None


class ProfileFacts(_Frozen):
    """Everything read for one view of one student."""

    term: str
    as_of: datetime
    banner: BannerFacts
    canvas: CanvasFacts | None = None
    approvals: list[ApprovalSummary] = Field(default_factory=list)
    cases: list[CaseSummary] = Field(default_factory=list)


class CourseView(_Frozen):
    """One Canvas course as the profile shows it."""

    sis_section_id: str | None
    crn: str | None
    current_score: float | None
    current_grade: str | None
    last_activity_at: datetime | None
    page_views: int | None
    max_page_views: int | None
    participations: int | None
    missing: int | None
    late: int | None
    assignments_due: int | None
    risk: RiskAssessment | None = None


class StudentProfile(_Frozen):
    """The profile: ``banner`` and ``canvas`` parts, risk, approvals, cases, what was shown."""

    banner_id: str
    confidential: bool
    parts: list[Part]
    banner: dict[str, Any]
    canvas: dict[str, Any] | None = None
    risk: dict[str, Any] | None = None
    approvals: list[ApprovalSummary] | None = None
    cases: list[CaseSummary] | None = None


def _identity(banner: BannerFacts) -> dict[str, Any]:
    person, details = banner.person, banner.details
    return {
        "banner_id": person.banner_id,
        "first_name": person.first_name,
        "preferred_first_name": details.preferred_first_name if details else None,
        "last_name": person.last_name,
        "email": person.preferred_email,
        "level": banner.level,
    }


def _course(activity: CourseActivity, banner: BannerFacts, facts: ProfileFacts) -> CourseView:
    enrollment, summary = activity.enrollment, activity.summary
    sis = enrollment.sis_section_id
    where = banner_section_of(sis) if sis else None
    tardiness = summary.tardiness_breakdown if summary else None
    grades = enrollment.grades
    risk = None
    if summary is not None:
        risk = assess_risk(
            from_canvas_engagement(summary, enrollment, facts.as_of),
            from_banner_standing(banner.standing, banner.gpa, banner.holds),
        )
    return CourseView(
        sis_section_id=sis,
        crn=where[1] if where else None,
        current_score=grades.current_score if grades else None,
        current_grade=grades.current_grade if grades else None,
        last_activity_at=enrollment.last_activity_at,
        page_views=summary.page_views if summary else None,
        max_page_views=summary.max_page_views if summary else None,
        participations=summary.participations if summary else None,
        missing=tardiness.missing if tardiness else None,
        late=tardiness.late if tardiness else None,
        assignments_due=tardiness.total if tardiness else None,
        risk=risk,
    )


def _risk(courses: list[CourseView]) -> dict[str, Any]:
    """The highest course score is the student's: one struggling course is enough to reach out."""
    scored = [c for c in courses if c.risk is not None]
    if not scored:
        return {"score": None, "flagged": False, "course": None, "reasons": []}
    worst = max(scored, key=lambda c: c.risk.score if c.risk else 0.0)
    assert worst.risk is not None
    return {
        "score": worst.risk.score,
        "flagged": worst.risk.flagged,
        "course": worst.sis_section_id,
        "reasons": [r.model_dump(mode="json") for r in worst.risk.reasons],
    }


def assemble(
    facts: ProfileFacts,
    parts: frozenset[Part],
    *,
    crns: Collection[str] | None = None,
) -> StudentProfile:
    """The profile showing exactly ``parts``; ``crns`` limits Canvas courses (an instructor).

    Empty ``parts`` is the confidential view: the Banner ID the caller already had, the word
    "Confidential" and nothing else.
    """
    banner = facts.banner
    confidential = bool(banner.details and banner.details.confidential)
    if not parts:
        return StudentProfile(
            banner_id=banner.person.banner_id,
            confidential=True,
            parts=[],
            banner={"banner_id": banner.person.banner_id, "name": CONFIDENTIAL},
        )
    shown: dict[str, Any] = {}
    if Part.IDENTITY in parts:
        shown["identity"] = _identity(banner)
    if Part.DEMOGRAPHICS in parts and banner.details:
        shown["demographics"] = banner.details.model_dump(
            mode="json", include={"sex", "ethnicity", "birth_date", "citizenship"}
        )
    if Part.PROGRAM in parts:
        shown["program"] = banner.standing.model_dump(mode="json") if banner.standing else None
    if Part.ADVISORS in parts:
        shown["advisors"] = [a.model_dump(mode="json") for a in banner.advisors]
    if Part.GPA in parts:
        shown["gpa"] = banner.gpa.model_dump(mode="json") if banner.gpa else None
    if Part.HOLDS in parts:
        shown["holds"] = banner.holds.model_dump(mode="json") if banner.holds else None
    if Part.SCHEDULE in parts:
        shown["schedule"] = [c.model_dump(mode="json") for c in banner.schedule]
    courses: list[CourseView] = []
    canvas: dict[str, Any] | None = None
    if facts.canvas is not None and (Part.CANVAS in parts or Part.RISK in parts):
        courses = [_course(a, banner, facts) for a in facts.canvas.courses]
        if crns is not None:
            courses = [c for c in courses if c.crn in crns]
    if Part.CANVAS in parts and facts.canvas is not None:
        canvas = {
            "courses": [c.model_dump(mode="json", exclude={"risk"}) for c in courses],
            "unavailable": facts.canvas.unavailable,
        }
    return StudentProfile(
        banner_id=banner.person.banner_id,
        confidential=confidential,
        parts=sorted(parts),
        banner=shown,
        canvas=canvas,
        risk=_risk(courses) if Part.RISK in parts else None,
        approvals=facts.approvals if Part.APPROVALS in parts else None,
        cases=facts.cases if Part.CASES in parts else None,
    )
