"""The Banner side of single Canvas enrollments: where one came from, and teachers from SIRASGN.

:func:`locate_enrollment` traces a Canvas Live Event's enrollment back to the registration it
mirrors; :func:`enroll_instructors` gives a section's Banner instructors their accounts and
teacher or TA enrollments.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from agents.rules.accounts import AccountMapping, plan_accounts
from agents.rules.roster_plan import instructor_role
from agents.state import PersonException
from agents.workflows.roster_sync.accounts import enroll_making_users
from core.ids import banner_section_of, section_sis_id
from tools.banner import reads
from tools.canvas import lookup
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
    """Instructors enrolled in a section, the accounts made for them, and those waiting."""

    model_config = ConfigDict(frozen=True)

    section: str
    enrolled: int
    users_created: int = 0
    exceptions: list[PersonException]


def enroll_instructors(
    db: Engine, client: CanvasClient, term: str, crn: str, mapping: AccountMapping
) -> InstructorReport:
    """Enroll the section's SIRASGN instructors (primary: teacher, secondary: TA).

    An instructor Canvas does not know yet gets an account from Banner first (as students do);
    one whose Banner record cannot give an account is an exception with that record.
    """
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
    known = [i for i in instructors if i.banner_id is not None]
    planned = plan_accounts(
        reads.account_records(db, {i.pidm for i in known}, mapping.email_code), mapping
    )
    exceptions += [
        PersonException(
            kind=p.kind.value, detail=p.detail, term=term, crn=crn, pidm=p.pidm, record=p.record
        )
        for p in planned.problems
    ]
    blocked = planned.blocked
    ready = [i for i in known if i.pidm not in blocked]
    specs = [
        EnrollmentSpec(
            sis_section_id=section, sis_user_id=i.banner_id, type=instructor_role(i.primary).value
        )
        for i in ready
    ]
    accounts = {a.sis_user_id: a for a in planned.accounts}
    made = enroll_making_users(client, specs, accounts)
    for instructor, outcome in zip(ready, made.outcomes, strict=True):
        if outcome.refused is not None:
            exceptions.append(
                PersonException(
                    kind="account_login_taken",
                    detail=f"Canvas refused the account: {outcome.refused}",
                    term=term,
                    crn=crn,
                    pidm=instructor.pidm,
                    record=accounts[instructor.banner_id or ""].record,
                )
            )
        elif outcome.missing is not None:
            exceptions.append(
                PersonException(
                    kind=f"canvas_{outcome.missing}_missing",
                    detail=f"Canvas has no {outcome.missing} for this instructor enrollment yet.",
                    term=term,
                    crn=crn,
                    pidm=instructor.pidm,
                )
            )
    enrolled = sum(o.missing is None and o.refused is None for o in made.outcomes)
    return InstructorReport(
        section=section, enrolled=enrolled, users_created=made.users_created, exceptions=exceptions
    )
