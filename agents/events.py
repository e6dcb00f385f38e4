"""The events the router understands, as one discriminated Pydantic union.

Every event carries a stable ``event_id`` (the inbox deduplicates on it), the time it happened in
the source system (events for one subject are applied in that order) and a ``kind`` that picks
the specialist. Identity in an event (which student, which section) comes from Banner or Canvas,
never from a model: agents act *for* the event's subject and nothing else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(min_length=1, max_length=200)
    occurred_at: datetime

    @property
    def subject_key(self) -> str:
        """What must be processed in event-time order: by default the event itself."""
        return self.event_id


class _SectionEvent(_Event):
    source: Literal["banner"] = "banner"
    term_code: str = Field(pattern=r"^\d{6}$")
    crn: str = Field(min_length=1, max_length=5)

    @property
    def subject_key(self) -> str:
        """Changes to one section apply in order."""
        return f"section:{self.term_code}:{self.crn}"


class SectionCreated(_SectionEvent):
    """A section was added to the schedule (SSBSECT insert)."""

    kind: Literal["banner.section.created"] = "banner.section.created"


class SectionChanged(_SectionEvent):
    """A section's title, dates, instructor or status changed (SSBSECT/SIRASGN update)."""

    kind: Literal["banner.section.changed"] = "banner.section.changed"


class SectionCancelled(_SectionEvent):
    """A section's status became cancelled (SSBSECT_SSTS_CODE 'C')."""

    kind: Literal["banner.section.cancelled"] = "banner.section.cancelled"


class _RegistrationEvent(_SectionEvent):
    pidm: int = Field(gt=0)
    rsts_code: str | None = Field(default=None, max_length=2)

    @property
    def subject_key(self) -> str:
        """One student's registrations in one section apply in order (drop after add)."""
        return f"registration:{self.term_code}:{self.crn}:{self.pidm}"


class RegistrationAdded(_RegistrationEvent):
    """A student registered (SFRSTCR insert or an RSTS that counts as enrolled)."""

    kind: Literal["banner.registration.added"] = "banner.registration.added"


class RegistrationDropped(_RegistrationEvent):
    """A student dropped (an RSTS that no longer counts as enrolled)."""

    kind: Literal["banner.registration.dropped"] = "banner.registration.dropped"


class RegistrationWaitlisted(_RegistrationEvent):
    """A student joined a section's wait-list."""

    kind: Literal["banner.registration.waitlisted"] = "banner.registration.waitlisted"


class RegistrationWithdrawn(_RegistrationEvent):
    """A student withdrew (an RSTS with STVRSTS_WITHDRAW_IND 'Y')."""

    kind: Literal["banner.registration.withdrawn"] = "banner.registration.withdrawn"


class _HoldEvent(_Event):
    source: Literal["banner"] = "banner"
    pidm: int = Field(gt=0)
    hold_code: str = Field(min_length=1, max_length=2)

    @property
    def subject_key(self) -> str:
        """One student's holds apply in order."""
        return f"hold:{self.pidm}:{self.hold_code}"


class HoldPlaced(_HoldEvent):
    """A hold was placed on a student (SPRHOLD insert)."""

    kind: Literal["banner.hold.placed"] = "banner.hold.placed"


class HoldReleased(_HoldEvent):
    """A hold was released or expired early (SPRHOLD update)."""

    kind: Literal["banner.hold.released"] = "banner.hold.released"


class GradeEntered(_RegistrationEvent):
    """A final grade was entered on SFRSTCR (e.g. an 'I' that starts the incomplete workflow)."""

    kind: Literal["banner.grade.entered"] = "banner.grade.entered"
    grade_code: str = Field(min_length=1, max_length=6)


class _CanvasEvent(_Event):
    source: Literal["canvas"] = "canvas"
    course_id: str = Field(
        description="The course as the kind's specialist addresses it (see each kind): the SIS "
        "id where the specialist needs one and the envelope names it, else Canvas's id."
    )
    canvas_course_id: str | None = Field(
        None, description="Canvas's own id of the course, as the envelope sent it."
    )
    course_sis_id: str | None = Field(
        None,
        description="The course's ``sis_course_id`` when the envelope names it (Live Events "
        "metadata ``context_sis_source_id`` of the course's own context).",
    )
    user_id: str | None = None
    user_sis_id: str | None = None

    @property
    def subject_key(self) -> str:
        """One user's events in one course apply in order (keyed by Canvas's id when known)."""
        course = self.canvas_course_id or self.course_id
        return f"canvas:{course}:{self.user_id or self.user_sis_id or '-'}"


class CanvasEnrollmentChanged(_CanvasEvent):
    """Canvas ``enrollment_created``/``_updated``: checked against Banner, never trusted.

    ``course_id`` stays Canvas's id: the enrollment is traced through Canvas by its ids.
    """

    kind: Literal["canvas.enrollment"] = "canvas.enrollment"
    section_id: str | None = None
    workflow_state: str
    enrollment_type: str = "StudentEnrollment"


class CanvasSubmission(_CanvasEvent):
    """Canvas ``submission_created``/``submission_updated``: feeds engagement features.

    ``course_id`` is the course's SIS id when the envelope names it (the section it names).
    """

    kind: Literal["canvas.submission"] = "canvas.submission"
    assignment_id: str
    late: bool = False
    missing: bool = False


class CanvasGradeChange(_CanvasEvent):
    """Canvas ``grade_change``: an assignment grade moved; may make passback stale.

    ``course_id`` is the course's SIS id when the envelope names it (the section it names).
    """

    kind: Literal["canvas.grade_change"] = "canvas.grade_change"
    assignment_id: str
    grade: str | None = None
    old_grade: str | None = None
    score: float | None = None
    old_score: float | None = None


class _ScheduledEvent(_Event):
    source: Literal["scheduler"] = "scheduler"
    kind: str
    term_code: str = Field(pattern=r"^\d{6}$")

    @property
    def subject_key(self) -> str:
        """Scheduled jobs of one kind for one term never overlap; different kinds never wait.

        The kinds share nothing that needs ordering: a reconciliation writes enrollments, the
        engagement scan drafts outreach, close of grading proposes grades. One kind that fails
        or waits (a scan behind a slow model) must not hold up another.
        """
        return f"scheduled:{self.kind}:{self.term_code}"


class ReconcileTerm(_ScheduledEvent):
    """Nightly: diff the whole term's Banner rosters against Canvas and repair drift."""

    kind: Literal["scheduled.reconcile_term"] = "scheduled.reconcile_term"
    apply: bool = True
    crns: list[str] | None = Field(
        None,
        min_length=1,
        description="Only these sections (a person re-running the one they fixed); none: all.",
    )


class ScanEngagement(_ScheduledEvent):
    """Daily: score engagement risk and draft outreach for flagged students."""

    kind: Literal["scheduled.scan_engagement"] = "scheduled.scan_engagement"


class CloseGrading(_ScheduledEvent):
    """End of term: start grade passback and the incomplete workflow for each section."""

    kind: Literal["scheduled.close_grading"] = "scheduled.close_grading"


Event = Annotated[
    SectionCreated
    | SectionChanged
    | SectionCancelled
    | RegistrationAdded
    | RegistrationDropped
    | RegistrationWaitlisted
    | RegistrationWithdrawn
    | HoldPlaced
    | HoldReleased
    | GradeEntered
    | CanvasEnrollmentChanged
    | CanvasSubmission
    | CanvasGradeChange
    | ReconcileTerm
    | ScanEngagement
    | CloseGrading,
    Field(discriminator="kind"),
]


class EventEnvelope(RootModel[Event]):
    """Any event, for places (inbox rows, APIs) that hold one of unknown kind."""


def parse_event(payload: object) -> Event:
    """Validate a raw payload into a typed event; raises ``pydantic.ValidationError``."""
    return EventEnvelope.model_validate(payload).root
