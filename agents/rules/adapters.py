"""Thin adapters from the Banner and Canvas tool models to the rules' own inputs.

The rules define their own small input models so they stay pure and testable without the
tools; these functions are the only place that knows both sides. Each maps fields one to one
and decides nothing, except where a row cannot be used (no SIS id), which is returned or
reported rather than dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal

from agents.rules.grades import GradingScheme, SchemeEntry
from agents.rules.risk import EngagementFacts, StandingFacts
from agents.rules.roster_plan import (
    BannerSection,
    CanvasEnrollment,
    CanvasSnapshot,
    EnrollmentRole,
    EnrollmentState,
    RosterRegistration,
)
from tools.banner.models import GpaSummary, HoldSummary, Registration, Section, StudentStanding
from tools.canvas.models import (
    EnrollmentInfo,
    GradingStandardInfo,
    SectionInfo,
    StudentSummary,
    SubmissionInfo,
)

OVERALL_GPA = "O"
"""SHRLGPA_GPA_TYPE_IND of the overall (institutional and transfer) GPA."""


def from_banner_section(section: Section) -> BannerSection:
    """A Banner section as the roster planner sees it: CRN and cross-list group."""
    return BannerSection(crn=section.crn, xlist_group=section.crosslist_group)


def from_banner_registrations(
    rows: Iterable[Registration],
) -> tuple[list[RosterRegistration], list[Registration]]:
    """The registrations the planner can key by Banner ID, and those it cannot (for a person)."""
    usable: list[RosterRegistration] = []
    without_id: list[Registration] = []
    for row in rows:
        if row.banner_id is None:
            without_id.append(row)
            continue
        usable.append(
            RosterRegistration(
                pidm=row.pidm,
                sis_user_id=row.banner_id,
                crn=row.crn,
                enrolled=row.enrolled,
                waitlisted=row.waitlisted,
                withdrawn=row.withdrawn,
                status_date=row.rsts_date,
            )
        )
    return usable, without_id


def from_canvas_enrollment(enrollment: EnrollmentInfo) -> CanvasEnrollment | None:
    """A Canvas enrollment addressed by SIS ids; None when it has none (not SIS-managed)."""
    if enrollment.sis_user_id is None or enrollment.sis_section_id is None:
        return None
    return CanvasEnrollment(
        user_sis_id=enrollment.sis_user_id,
        section_sis_id=enrollment.sis_section_id,
        role=EnrollmentRole(enrollment.type),
        state=EnrollmentState(enrollment.enrollment_state),
    )


def from_canvas_term(
    courses: Mapping[str, Iterable[SectionInfo]],
    enrollments: Iterable[EnrollmentInfo],
) -> CanvasSnapshot:
    """The planner's snapshot from each course found (by SIS id) with its listed sections.

    Enrollments and sections without SIS ids were made by hand in Canvas: not Banner's.
    """
    rows = (from_canvas_enrollment(e) for e in enrollments)
    return CanvasSnapshot(
        course_sis_ids=frozenset(courses),
        sections={
            s.sis_section_id: course
            for course, listed in courses.items()
            for s in listed
            if s.sis_section_id is not None
        },
        enrollments=tuple(row for row in rows if row is not None),
    )


def from_canvas_grading_standard(standard: GradingStandardInfo) -> GradingScheme:
    """A Canvas grading standard (lower bounds as shares 0..1) in percent, as the rules use."""
    return GradingScheme(
        entries=tuple(
            SchemeEntry(name=entry.name, min_percent=Decimal(str(entry.value)) * 100)
            for entry in standard.grading_scheme
        )
    )


def from_canvas_engagement(
    summary: StudentSummary, enrollment: EnrollmentInfo, as_of: datetime
) -> EngagementFacts:
    """Engagement from the analytics summary and the enrollment's last activity."""
    tardiness = summary.tardiness_breakdown
    last = enrollment.last_activity_at
    return EngagementFacts(
        page_views=summary.page_views or 0,
        max_page_views=summary.max_page_views or 0,
        participations=summary.participations or 0,
        max_participations=summary.max_participations or 0,
        assignments_due=tardiness.total if tardiness else 0,
        late=tardiness.late if tardiness else 0,
        missing=tardiness.missing if tardiness else 0,
        days_since_last_activity=None if last is None else max((as_of - last).days, 0),
    )


def from_banner_standing(
    standing: StudentStanding | None, gpa: GpaSummary | None, holds: HoldSummary | None
) -> StandingFacts:
    """Standing, the overall GPA for the student's level, and the hold codes in force."""
    level = standing.level if standing else None
    overall = next(
        (
            line.gpa
            for line in (gpa.overall_gpa if gpa else [])
            if line.gpa_type == OVERALL_GPA and line.level == level
        ),
        None,
    )
    return StandingFacts(
        gpa=overall,
        academic_standing=standing.academic_standing if standing else None,
        active_holds=frozenset(h.code for h in holds.holds) if holds else frozenset(),
    )


def late_work_dates(submissions: Iterable[SubmissionInfo], zone: tzinfo) -> tuple[date, ...]:
    """The institution-local dates on which late work was submitted (for the incompletes rule)."""
    return tuple(
        s.submitted_at.astimezone(zone).date()
        for s in submissions
        if s.late and s.submitted_at is not None
    )
