"""The argument schemas the model sees and the guard validates every tool call against.

Students are addressed by PIDM and sections by term and CRN, as Banner does. A student argument
travels as the pseudonym the model saw (``<PIDM_1>``); the guard restores the PIDM, checks it
against the caller's scope, and fills it in itself for self and on-behalf-of roles.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Self

from pydantic import BaseModel, Field, WithJsonSchema, model_validator

from tools.canvas.models import EndTask

StudentRef = Annotated[
    int,
    WithJsonSchema(
        {
            "type": "string",
            "description": "The student, as referenced in earlier tool results (e.g. <PIDM_1>).",
        }
    ),
]
"""A PIDM that the model names by the pseudonym it saw; the guard restores it before checks."""


MESSAGE_MAX_CHARS = 10_000
"""Longest outreach message: some ten times a drafted one, far below a pasted document."""


class StudentArgs(BaseModel):
    """A student (filled in by the guard for self and on-behalf-of roles)."""

    pidm: StudentRef | None = None


class StudentTermArgs(StudentArgs):
    """A student in a term (default: the current term)."""

    term: str | None = Field(None, description="Term code like 202610; default: current term.")


class AidArgs(StudentArgs):
    """A student's aid year."""

    aid_year: str = Field(description="Aid year code like 2627.")


class TermArgs(BaseModel):
    """A term."""

    term: str = Field(description="Term code like 202610.")


class SectionArgs(BaseModel):
    """A section of a term."""

    term: str = Field(description="Term code like 202610.")
    crn: str = Field(description="Course reference number of the section.")


class SectionStudentArgs(SectionArgs):
    """A section and optionally one of its students."""

    pidm: StudentRef | None = None


class GradeArgs(SectionArgs):
    """A final grade for a student in a section."""

    pidm: StudentRef
    grade: str = Field(description="Grade code valid for the student's level (e.g. A, B+, F).")


class ResolveIncompleteArgs(SectionArgs):
    """An incomplete to replace with a final grade, or to extend (exactly one of the two)."""

    pidm: StudentRef
    grade: str | None = Field(None, description="Final grade replacing the incomplete.")
    extend_to: date | None = Field(None, description="New last day to complete the work.")
    work_remaining: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description="With extend_to: the work still owed, the terms of the student's contract.",
    )
    contract: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{24}$",
        description="The incomplete contract this extension rests on (set by the workflow).",
    )

    @model_validator(mode="after")
    def _extension_has_terms(self) -> Self:
        """An extension is a contract with the student: it must say what work is owed."""
        if self.extend_to is not None and not (self.work_remaining or "").strip():
            raise ValueError("an extension (extend_to) needs the work_remaining it is for")
        return self


class PlaceHoldArgs(StudentArgs):
    """A hold to place from today."""

    code: str = Field(description="Hold type code (STVHLDD).")
    reason: str = Field(max_length=30)
    to_date: date | None = Field(None, description="First day it no longer applies; none: open.")
    amount_owed: float | None = None


class ReleaseHoldArgs(StudentArgs):
    """A hold of the student's to end today."""

    hold_id: int


class CommentArgs(StudentArgs):
    """An advising comment by the calling advisor."""

    term: str | None = None
    text: str = Field(min_length=1, max_length=4000)
    confidential: bool = False


class EndEnrollmentsArgs(SectionArgs):
    """Students whose enrollment in a section ends."""

    pidms: list[StudentRef] = Field(min_length=1)
    task: EndTask = "conclude"


class TermScopeArgs(BaseModel):
    """A roster sync's scope: a term, optionally some CRNs, optionally one student."""

    term: str = Field(description="Term code like 202610.")
    crns: list[str] | None = Field(None, description="Only these sections; none: the whole term.")
    pidm: StudentRef | None = Field(None, description="Only this student.")


class ApplyPlanArgs(TermScopeArgs):
    """A roster plan to apply, optionally pinned to the plan a person saw."""

    digest: str | None = Field(None, description="Refuse unless the fresh plan has this digest.")


class CanvasEnrollmentRefArgs(BaseModel):
    """A Canvas enrollment as a Live Event names it (Canvas ids; the user's SIS id if sent)."""

    course_id: int = Field(description="Canvas id of the enrollment's course.")
    section_id: int | None = Field(None, description="Canvas id of its section, if known.")
    user_id: int | None = Field(None, description="Canvas id of the enrolled user.")
    user_sis_id: str | None = Field(None, description="The user's SIS id, when the event has it.")


class MessageArgs(StudentArgs):
    """An outreach message to one student through the Canvas inbox."""

    subject: str = Field(max_length=255)
    body: str = Field(
        min_length=1,
        max_length=MESSAGE_MAX_CHARS,
        description="The message; a person reads it, so a few paragraphs at most.",
    )
