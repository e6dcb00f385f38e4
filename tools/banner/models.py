"""Typed inputs and outputs of the Banner tools.

Every model is frozen: a tool result is a snapshot of Banner at read time, and the policy guard
may hash or redact it but never edit it in place. Field names are the project's vocabulary; the
docstring of each field names the Banner column it comes from where that is not obvious.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

HoldEffect = Literal["registration", "grades", "transcript", "graduation", "accounts_receivable"]
"""What a hold type stops (STVHLDD_REG/GRADE/TRANS/GRAD/AR_HOLD_IND = 'Y')."""


class BannerModel(BaseModel):
    """Base of the Banner tool models: immutable, built from rows."""

    model_config = ConfigDict(frozen=True)


class Person(BannerModel):
    """A person's current identity: the SPRIDEN row with CHANGE_IND NULL."""

    pidm: int
    banner_id: str
    last_name: str
    first_name: str | None
    middle_name: str | None
    entity: str = Field(description="SPRIDEN_ENTITY_IND: P person, C corporation.")
    preferred_email: str | None = Field(
        description="Active GOREMAL address marked preferred, or None when there is none."
    )


class AccountRecord(BannerModel):
    """The Banner facts a Canvas account is built from (see ``queries.account_records``)."""

    pidm: int
    banner_id: str
    last_name: str
    first_name: str | None
    preferred_first_name: str | None = Field(description="SPBPERS_PREF_FIRST_NAME.")
    confidential: bool = Field(description="SPBPERS_CONFID_IND = 'Y' (FERPA: release nothing).")
    login: str | None = Field(description="GOBTPAC_EXTERNAL_USER: the campus login.")
    typed_email: str | None = Field(description="Active GOREMAL address of the mapped type.")
    preferred_email: str | None = Field(description="Active GOREMAL address marked preferred.")


class PersonName(BannerModel):
    """A current first/last name pair, for the PII recognizer's directory of known names."""

    pidm: int
    first_name: str | None
    last_name: str


class Section(BannerModel):
    """A section of a term (SSBSECT) with its effective catalog title and cross-list group."""

    term: str
    crn: str
    subject: str
    course_number: str
    sequence: str
    part_of_term: str | None
    status: str = Field(description="SSBSECT_SSTS_CODE: A active, C cancelled, I inactive.")
    campus: str | None
    college: str | None = Field(None, description="SCBCRSE_COLL_CODE of the effective row.")
    department: str | None = Field(None, description="SCBCRSE_DEPT_CODE of the effective row.")
    title: str | None = Field(description="SSBSECT_CRSE_TITLE, else the effective SCBCRSE_TITLE.")
    credit_hours: float | None
    max_enrollment: int
    enrollment: int
    wait_capacity: int
    wait_count: int
    start_date: date | None
    end_date: date | None
    gradable: bool
    crosslist_group: str | None


class Registration(BannerModel):
    """One SFRSTCR row with the meaning of its status code from STVRSTS."""

    term: str
    pidm: int
    banner_id: str | None
    crn: str
    rsts_code: str
    rsts_date: date
    enrolled: bool = Field(description="STVRSTS_INCL_SECT_ENRL = 'Y'.")
    waitlisted: bool = Field(description="STVRSTS_WAIT_IND = 'Y'.")
    withdrawn: bool = Field(description="STVRSTS_WITHDRAW_IND = 'Y'.")
    level: str
    credit_hours: float | None
    grade: str | None = Field(description="SFRSTCR_GRDE_CODE, the final grade if posted.")


class RosterEntry(BannerModel):
    """A student on a section roster."""

    pidm: int
    banner_id: str | None
    last_name: str | None
    first_name: str | None
    rsts_code: str
    rsts_date: date
    level: str
    grade: str | None
    waitlist_priority: int | None


class SectionRoster(BannerModel):
    """Who counts in a section's enrollment and who waits, decided by STVRSTS flags."""

    term: str
    crn: str
    enrolled: list[RosterEntry]
    waitlisted: list[RosterEntry]


class Instructor(BannerModel):
    """An instructor assigned to a section (SIRASGN), primary first."""

    pidm: int
    banner_id: str | None
    last_name: str | None
    first_name: str | None
    primary: bool
    category: str
    percent_response: int | None


class CrossListGroup(BannerModel):
    """The SSRXLST group a CRN belongs to and every CRN in it."""

    term: str
    group: str
    crns: list[str]


class StudentStanding(BannerModel):
    """The SGBSTDN row effective for a term (largest TERM_CODE_EFF <= term)."""

    pidm: int
    term: str
    effective_term: str
    status: str
    level: str
    student_type: str
    major: str | None
    academic_standing: str | None
    standing_term: str | None
    full_part: str | None


class GpaLine(BannerModel):
    """One GPA row (SHRTGPA for a term, SHRLGPA cumulative)."""

    level: str
    gpa_type: str
    hours_attempted: float | None
    hours_earned: float | None
    gpa_hours: float | None
    quality_points: float | None
    gpa: float | None


class GpaSummary(BannerModel):
    """A student's term GPA rows and cumulative (SHRLGPA) rows."""

    pidm: int
    term: str
    term_gpa: list[GpaLine]
    overall_gpa: list[GpaLine]


class Hold(BannerModel):
    """A SPRHOLD row with the meaning of its type (STVHLDD)."""

    hold_id: int = Field(description="SPRHOLD_SURROGATE_ID.")
    pidm: int
    code: str
    description: str | None
    from_date: date
    to_date: date
    reason: str | None
    amount_owed: float | None
    placed_by: str
    release_restricted: bool = Field(
        description="SPRHOLD_RELEASE_IND='Y': only the placing user may release it."
    )
    blocks_registration: bool = Field(description="STVHLDD_REG_HOLD_IND = 'Y'.")
    blocks: list[HoldEffect] = Field(
        description="Everything the hold type stops, from its STVHLDD indicators."
    )
    origin: str | None


class HoldSummary(BannerModel):
    """The holds in force on a date and whether any blocks registration."""

    pidm: int
    as_of: date
    holds: list[Hold]
    blocks_registration: bool


class Advisor(BannerModel):
    """A student's advisor effective for a term (SGRADVR)."""

    student_pidm: int
    advisor_pidm: int
    effective_term: str
    advisor_type: str | None
    primary: bool
    banner_id: str | None
    last_name: str | None
    first_name: str | None


class CourseRegistration(BannerModel):
    """One of a student's registrations in a term (SFRSTCR), with its course and status."""

    crn: str
    subject: str | None
    course_number: str | None
    sequence: str | None
    title: str | None = Field(description="SSBSECT_CRSE_TITLE, else the effective SCBCRSE_TITLE.")
    status_code: str = Field(description="SFRSTCR_RSTS_CODE.")
    status: str = Field(description="STVRSTS_DESC, e.g. 'Registered', 'Wait Listed'.")
    status_date: date
    enrolled: bool = Field(description="STVRSTS_INCL_SECT_ENRL = 'Y': counts as enrolled.")
    waitlisted: bool = Field(description="STVRSTS_WAIT_IND = 'Y'.")
    withdrawn: bool = Field(description="STVRSTS_WITHDRAW_IND = 'Y'.")
    credit_hours: float | None = Field(description="SFRSTCR_CREDIT_HR, else the section's.")
    level: str
    grade: str | None
    start_date: date | None
    end_date: date | None


class TermRegistrations(BannerModel):
    """A student's registrations in a term, and the credit hours that count as enrolled."""

    pidm: int
    term: str
    courses: list[CourseRegistration]
    enrolled_credit_hours: float = Field(description="Sum over registrations that count.")


class Award(BannerModel):
    """One financial aid award (RPRAWRD)."""

    fund: str
    fund_title: str | None = Field(description="RFRBASE_FUND_TITLE; None for an unknown fund.")
    status: str = Field(description="RPRAWRD_AWST_CODE, e.g. ACPT accepted, OFRD offered.")
    offered: float
    accepted: float
    paid: float


class AidSummary(BannerModel):
    """A student's aid status and awards for one aid year (RORSTAT, RPRAWRD)."""

    pidm: int
    aid_year: str
    has_aid_record: bool
    requirements_complete: bool
    packaging_complete: bool
    awards: list[Award]
    total_offered: float
    total_accepted: float
    total_paid: float


class GradeOptions(BannerModel):
    """The grade codes a person may enter for a registration (SHRGRDE by level and term)."""

    term: str
    level: str
    codes: list[str]


# --- write inputs and results -------------------------------------------------------------


class FinalGradeIn(BannerModel):
    """A final grade to post to a registration."""

    term: str
    pidm: int
    crn: str
    grade: str


class PostedGrade(BannerModel):
    """The registration as read back after the final grade was stored."""

    term: str
    pidm: int
    crn: str
    grade: str
    grade_date: date
    level: str


class HoldIn(BannerModel):
    """A hold to place on a person."""

    pidm: int
    code: str
    user: str
    reason: str | None = None
    from_date: date
    to_date: date | None = Field(
        None, description="First day the hold no longer applies; None: open-ended (2099-12-31)."
    )
    amount_owed: float | None = None
    origin: str | None = None
    release_restricted: bool = False


class AdvisingCommentIn(BannerModel):
    """An advising comment to record in the local SZRCMNT table."""

    pidm: int
    term: str
    advisor_pidm: int
    text: str = Field(min_length=1, max_length=4000)
    confidential: bool = False


class AdvisingComment(BannerModel):
    """An advising comment as stored."""

    comment_id: int
    pidm: int
    term: str
    advisor_pidm: int
    text: str
    confidential: bool
    user: str | None


class PersonDetails(BannerModel):
    """SPBPERS: preferred first name, FERPA confidentiality and demographics."""

    pidm: int
    preferred_first_name: str | None
    confidential: bool = Field(description="SPBPERS_CONFID_IND = 'Y': release nothing.")
    sex: str | None
    ethnicity: str | None = Field(description="SPBPERS_ETHN_CDE: 1 not Hispanic, 2 Hispanic.")
    birth_date: date | None
    citizenship: str | None = Field(description="SPBPERS_CITZ_CODE (STVCITZ).")


class ScheduledCourse(BannerModel):
    """A registration of the term that counts on the roster (SFRSTCR over SSBSECT)."""

    crn: str
    subject: str
    course_number: str
    sequence: str
    title: str | None
    credit_hours: float | None
    status: str = Field(description="SFRSTCR_RSTS_CODE.")
    waitlisted: bool


class SearchEntry(BannerModel):
    """One student as the search index stores it (built from SPRIDEN, SPBPERS, SGBSTDN)."""

    pidm: int
    banner_id: str
    first_name: str | None
    last_name: str
    preferred_first_name: str | None
    confidential: bool
    level: str | None
    email: str | None = Field(description="The preferred active GOREMAL address.")
    addresses: tuple[str, ...] = Field(default=(), description="Every active GOREMAL address.")
