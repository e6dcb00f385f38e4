"""Typed inputs and outputs of the Canvas tools.

Outputs are built from canvasapi objects (whose attributes are Canvas's JSON fields) and keep
only the fields the system uses; unknown fields are ignored, so a newer Canvas does not break
them. Inputs name Canvas objects by SIS id, the key Banner and Canvas share.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

EnrollmentType = Literal[
    "StudentEnrollment",
    "TeacherEnrollment",
    "TaEnrollment",
    "ObserverEnrollment",
    "DesignerEnrollment",
]
EnrollmentState = Literal[
    "active", "invited", "creation_pending", "deleted", "rejected", "completed", "inactive"
]
EndTask = Literal["conclude", "delete", "inactivate", "deactivate"]


class Input(BaseModel):
    """Base of tool inputs: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Output(BaseModel):
    """Base of tool outputs: built from Canvas JSON, extra fields ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def of(cls, canvas_object: object) -> Self:
        """Read the public attributes canvasapi set from Canvas's JSON."""
        return cls.model_validate(public_attributes(canvas_object))


def public_attributes(canvas_object: object) -> dict[str, Any]:
    """The JSON fields of a canvasapi object (without its requester and derived dates)."""
    return {k: v for k, v in vars(canvas_object).items() if not k.startswith("_")}


# ---- outputs ---------------------------------------------------------------------------------


class CourseInfo(Output):
    """A Canvas course."""

    id: int
    sis_course_id: str | None = None
    name: str
    course_code: str | None = None
    workflow_state: str
    account_id: int | None = None
    enrollment_term_id: int | None = None
    grading_standard_id: int | None = None


class SectionInfo(Output):
    """A Canvas section; ``nonxlist_course_id`` is its home course when cross-listed."""

    id: int
    sis_section_id: str | None = None
    name: str
    course_id: int
    nonxlist_course_id: int | None = None


class UserInfo(Output):
    """A Canvas user."""

    id: int
    name: str
    sis_user_id: str | None = None
    login_id: str | None = None


class Grades(Output):
    """Scores and letter grades of one enrollment (letters come from the grading scheme)."""

    current_score: float | None = None
    current_grade: str | None = None
    final_score: float | None = None
    final_grade: str | None = None


class EnrollmentInfo(Output):
    """A Canvas enrollment."""

    id: int
    user_id: int
    course_id: int
    course_section_id: int | None = None
    type: str
    enrollment_state: str
    sis_user_id: str | None = None
    sis_course_id: str | None = None
    sis_section_id: str | None = None
    grades: Grades | None = None
    last_activity_at: datetime | None = None
    total_activity_time: int | None = None


class Missing(Output):
    """A Canvas object that was looked up and not found: for a person to resolve."""

    kind: str
    sis_id: str | None = None
    canvas_id: int | None = None


class EnrollmentResult(Output):
    """One enrollment of a batch: done, or what was missing for it."""

    spec: EnrollmentSpec
    enrollment: EnrollmentInfo | None = None
    missing: Missing | None = None


class MigrationInfo(Output):
    """A content migration (course copy) and where it stands."""

    id: int
    migration_type: str | None = None
    workflow_state: str


class CourseShell(Output):
    """The result of ensuring a course shell: the course and the copy that filled it."""

    course: CourseInfo
    created: bool = Field(description="True when this call created the course.")
    template_copy: MigrationInfo | None = Field(None, description="The copy from the template.")


class Tardiness(Output):
    """Counts of a student's submissions by timeliness."""

    total: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    floating: int = 0


class StudentSummary(Output):
    """Analytics of one student in a course."""

    id: int = Field(description="The student's Canvas user id.")
    page_views: int | None = None
    max_page_views: int | None = None
    participations: int | None = None
    max_participations: int | None = None
    tardiness_breakdown: Tardiness | None = None


class SubmissionInfo(Output):
    """One student's submission to one assignment."""

    id: int | None = None
    assignment_id: int
    user_id: int
    grade: str | None = None
    score: float | None = None
    submitted_at: datetime | None = None
    graded_at: datetime | None = None
    workflow_state: str
    late: bool = False
    missing: bool = False
    excused: bool | None = None
    seconds_late: int | None = None


class GradingSchemeEntry(Output):
    """A letter and the lowest share (0..1) of points that earns it."""

    name: str
    value: float


class GradingStandardInfo(Output):
    """A grading scheme (letters by score) attached to a course or account."""

    id: int
    title: str
    context_type: str | None = None
    context_id: int | None = None
    grading_scheme: list[GradingSchemeEntry]


class ConversationSent(Output):
    """The conversation(s) Canvas created for a message."""

    conversation_ids: list[int]


class SisImportMessage(Output):
    """One processing error or warning: the CSV file and Canvas's message (naming the row)."""

    file: str
    message: str


class SisImportResult(Output):
    """A finished SIS import."""

    id: int
    workflow_state: str
    progress: int | None = None
    errors: list[SisImportMessage] = Field(default_factory=list)
    warnings: list[SisImportMessage] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        """True when Canvas imported the data (possibly with messages)."""
        return self.workflow_state in {"imported", "imported_with_messages"}


# ---- inputs ----------------------------------------------------------------------------------


class CourseShellSpec(Input):
    """A course shell to exist for a Banner section (or cross-list group)."""

    sis_course_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    course_code: str = Field(min_length=1)
    term_id: str | None = Field(
        None, description="Canvas term id, or 'sis_term_id:X' to name it by SIS id."
    )
    template_course_id: int | None = Field(
        None, description="Canvas id of the template course whose content is copied in."
    )
    copy_timeout_seconds: float = Field(600.0, gt=0, description="How long to wait for the copy.")


class SectionSpec(Input):
    """A section to exist in a course."""

    sis_course_id: str = Field(min_length=1)
    sis_section_id: str = Field(min_length=1)
    name: str = Field(min_length=1)


class CrossListSpec(Input):
    """A section to live in another course (the cross-list group's course)."""

    sis_section_id: str = Field(min_length=1)
    sis_course_id: str = Field(min_length=1, description="The course to move the section into.")


class EnrollmentKey(Input):
    """Which enrollment: a user (SIS or Canvas id) in a section, as a type (Canvas's key)."""

    sis_section_id: str = Field(min_length=1)
    sis_user_id: str | None = None
    user_id: int | None = None
    type: EnrollmentType = "StudentEnrollment"

    @model_validator(mode="after")
    def _one_user_key(self) -> Self:
        if (self.sis_user_id is None) == (self.user_id is None):
            raise ValueError("give exactly one of sis_user_id and user_id")
        return self

    def label(self) -> str:
        """The key as one string, for messages and not-found results."""
        user = self.sis_user_id if self.sis_user_id is not None else f"id {self.user_id}"
        return f"{self.type} of {user} in {self.sis_section_id}"


class EnrollmentSpec(EnrollmentKey):
    """An enrollment to exist, in a given state (the Banner registration's mirror)."""

    state: Literal["active", "invited", "inactive"] = "active"
    notify: bool = False


class EndEnrollment(EnrollmentKey):
    """An enrollment to end, and how: conclude → completed, delete → deleted, inactivate."""

    task: EndTask = "conclude"


class EnrollmentQuery(Input):
    """Which enrollments of a course (or one of its sections) to list."""

    sis_id: str = Field(min_length=1, description="SIS id of the course or section.")
    scope: Literal["course", "section"] = "course"
    states: list[EnrollmentState] = Field(default_factory=list)
    types: list[EnrollmentType] = Field(default_factory=list)
    user_id: int | None = None
    sis_user_id: str | None = Field(None, description="Only this user's (by SIS id).")


class SubmissionQuery(Input):
    """Submissions of a course, optionally limited to some students and assignments."""

    sis_course_id: str = Field(min_length=1)
    student_ids: list[int] = Field(default_factory=list, description="Empty: all students.")
    assignment_ids: list[int] = Field(default_factory=list, description="Empty: all.")


class ConversationSpec(Input):
    """A message to Canvas users (Canvas user ids)."""

    recipients: list[int] = Field(min_length=1)
    subject: str = Field(max_length=255)
    body: str = Field(min_length=1)


class SisUserRow(Input):
    """A row of users.csv."""

    user_id: str = Field(description="SIS user id.")
    login_id: str
    integration_id: str | None = None
    full_name: str | None = None
    sortable_name: str | None = None
    short_name: str | None = None
    email: str | None = None
    status: Literal["active", "deleted", "suspended"] = "active"


class UserSpec(Input):
    """A Canvas user to create through the Users API (one login, keyed by its SIS id)."""

    sis_user_id: str
    login_id: str
    integration_id: str | None = None
    name: str
    short_name: str | None = None
    sortable_name: str | None = None
    email: str | None = None


class SisCourseRow(Input):
    """A row of courses.csv."""

    course_id: str
    short_name: str
    long_name: str
    term_id: str | None = None
    status: Literal["active", "deleted", "completed", "published"] = "active"


class SisSectionRow(Input):
    """A row of sections.csv."""

    section_id: str
    course_id: str
    name: str
    status: Literal["active", "deleted"] = "active"


class SisEnrollmentRow(Input):
    """A row of enrollments.csv (in a section; ``course_id`` optional as Canvas allows)."""

    section_id: str
    user_id: str
    role: Literal["student", "teacher", "ta", "observer", "designer"] = "student"
    status: Literal["active", "deleted", "completed", "inactive"] = "active"
    course_id: str | None = None


class SisXlistRow(Input):
    """A row of xlists.csv: a section cross-listed into a course."""

    xlist_course_id: str
    section_id: str
    status: Literal["active", "deleted"] = "active"


class SisImportSpec(Input):
    """A SIS import: typed rows per CSV and Canvas's import options."""

    users: list[SisUserRow] = Field(default_factory=list)
    courses: list[SisCourseRow] = Field(default_factory=list)
    sections: list[SisSectionRow] = Field(default_factory=list)
    enrollments: list[SisEnrollmentRow] = Field(default_factory=list)
    xlists: list[SisXlistRow] = Field(default_factory=list)
    batch_mode_term_id: str | None = Field(
        None, description="Batch mode for this term ('sis_term_id:X' or id): absent = deleted."
    )
    change_threshold: int | None = Field(
        None, ge=1, le=100, description="Refuse the batch if it would delete more than N%."
    )
    diffing_data_set_identifier: str | None = None
    timeout_seconds: float = Field(1800.0, gt=0, description="How long to wait for Canvas.")


class CourseActivity(Output):
    """One student's standing in one Canvas course: the enrollment and its analytics."""

    enrollment: EnrollmentInfo
    summary: StudentSummary | None = Field(
        None, description="None when Canvas has no analytics for the student in the course."
    )


class StudentCourse(Output):
    """A course a student is actively enrolled in, as the student sees it, with the grade."""

    course_id: int
    sis_section_id: str | None = None
    course_code: str | None = None
    name: str
    current_score: float | None = None
    current_grade: str | None = None
    url: str = Field(description="The course's page in Canvas.")


class UpcomingAssignment(Output):
    """An assignment due soon in one of a student's courses, and whether it is handed in."""

    course_code: str | None = None
    name: str
    due_at: datetime
    points_possible: float | None = None
    submitted: bool
    url: str | None = Field(None, description="The assignment's page in Canvas.")


class ModuleLink(Output):
    """A published module of a course, linked on the course's modules page."""

    name: str
    position: int
    url: str


class CourseModules(Output):
    """A course's published modules and the page that lists them."""

    course_code: str | None = None
    modules_url: str
    modules: list[ModuleLink]
