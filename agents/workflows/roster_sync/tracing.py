"""The Banner side of single Canvas enrollments: where one came from, and teachers from SIRASGN.

:func:`locate_enrollment` traces a Canvas Live Event's enrollment back to the registration it
mirrors; :func:`enroll_instructors` gives a section's Banner instructors their teacher
enrollments.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from agents.state import PersonException
from core.ids import banner_section_of, section_sis_id
from tools.banner import reads
from tools.canvas import enrollments, lookup
from tools.canvas.client import CanvasClient
from tools.canvas.models import EnrollmentSpec


class EnrollmentOrigin(BaseModel):
    """The Banner registration a Canvas enrollment mirrors, or why it mirrors none."""

    model_config = ConfigDict(frozen=True)

    term: str | None = None
    crn: str | None = None
    pidm: int | None = None
    unmanaged: str | None = Field(
        None, description="Why the enrollment is not Banner's to decide (set when term is None)."
    )


def locate_enrollment(
    db: Engine,
    client: CanvasClient,
    course_id: int,
    section_id: int | None,
    user_id: int | None,
    user_sis_id: str | None,
) -> EnrollmentOrigin:
    """Trace a Canvas enrollment (Live Event ids) back to the Banner term, CRN and student.

    The section's SIS id names the term and CRN (the course's, when the event names no section
    and the course holds one CRN); the user's SIS id is the Banner ID, whose PIDM Banner knows.
    A section or user without a SIS id was made by hand in Canvas: not Banner's to decide.

    Raises:
        CanvasNotFound: Canvas has no such section, course or user.
        PersonNotFound: the user's SIS id is no current Banner ID.
    """
    if section_id is not None:
        place = f"Canvas section {section_id}"
        sis_id = lookup.find_section_by_id(client, section_id).sis_section_id
    else:
        place = f"Canvas course {course_id}"
        sis_id = lookup.find_course_by_id(client, course_id).sis_course_id
    section = banner_section_of(sis_id) if sis_id else None
    if section is None:
        return EnrollmentOrigin(unmanaged=f"{place} names no single Banner section ({sis_id})")
    if user_sis_id is None and user_id is not None:
        user_sis_id = lookup.find_user_by_id(client, user_id).sis_user_id
    if user_sis_id is None:
        return EnrollmentOrigin(unmanaged="the Canvas user has no SIS id (no Banner person)")
    term, crn = section
    return EnrollmentOrigin(term=term, crn=crn, pidm=reads.person_by_id(db, user_sis_id).pidm)


class InstructorReport(BaseModel):
    """Instructors enrolled as teachers in a section, and those waiting for a person."""

    model_config = ConfigDict(frozen=True)

    section: str
    enrolled: int
    exceptions: list[PersonException]


def enroll_instructors(db: Engine, client: CanvasClient, term: str, crn: str) -> InstructorReport:
    """Enroll the section's SIRASGN instructors as teachers in its Canvas section."""
    section = section_sis_id(term, crn)
    instructors = reads.section_instructors(db, term, crn)
    exceptions = [
        PersonException(
            kind="banner_id_missing",
            detail="The instructor has no current Banner ID, so Canvas cannot be matched.",
            term=term,
            crn=crn,
            pidm=i.pidm,
        )
        for i in instructors
        if i.banner_id is None
    ]
    pidms = {i.banner_id: i.pidm for i in instructors if i.banner_id is not None}
    specs = [
        EnrollmentSpec(sis_section_id=section, sis_user_id=banner_id, type="TeacherEnrollment")
        for banner_id in pidms
    ]
    results = enrollments.enroll_many(client, specs)
    exceptions += [
        PersonException(
            kind=f"canvas_{r.missing.kind}_missing",
            detail=f"Canvas has no {r.missing.kind} for this teacher enrollment yet.",
            term=term,
            crn=crn,
            pidm=pidms.get(r.spec.sis_user_id or ""),
        )
        for r in results
        if r.missing is not None
    ]
    enrolled = sum(r.missing is None for r in results)
    return InstructorReport(section=section, enrolled=enrolled, exceptions=exceptions)
