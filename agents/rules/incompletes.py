"""Incompletes and missing final grades near the grading deadline: what happens next.

Rules first: whether an instructor is asked about a registration is decided here from Banner's
grade fields and the dates of late work in Canvas; the model only words the question. The
workflow (issue 5, part 6) is: classify → ask the instructor (interrupt) → the registrar confirms
(interrupt) → update Banner. This module is its first step.

An incomplete ('I') lapses after its extension date (``SFRSTCR_INCOMPLETE_EXT_DATE``): Banner's
incomplete processing then replaces it with ``SFRSTCR_GRDE_CODE_INCMP_FINAL``, so there is
nothing left to ask. Until then the instructor is asked when late work has arrived in Canvas
since the grading deadline, or when the extension date is near.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NextStep(StrEnum):
    """Where a registration goes in the workflow."""

    ASK_INSTRUCTOR = "ask_instructor"
    NOTHING = "nothing"
    ALREADY_RESOLVED = "already_resolved"


class StepReason(StrEnum):
    """Why, one value per branch of :func:`next_step`."""

    FINAL_GRADE_POSTED = "final_grade_posted"
    NOT_GRADABLE = "not_gradable"
    GRADING_NOT_YET_DUE = "grading_not_yet_due"
    MISSING_FINAL_GRADE = "missing_final_grade"
    INCOMPLETE_WITHOUT_DATE = "incomplete_without_date"
    INCOMPLETE_LAPSED = "incomplete_lapsed"
    LATE_WORK_TO_GRADE = "late_work_to_grade"
    INCOMPLETE_EXPIRING = "incomplete_expiring"
    INCOMPLETE_OPEN = "incomplete_open"


class IncompletePolicy(_Frozen):
    """The term's grading deadline, how near a date must be to ask, and what counts as 'I'.

    "Near" is inclusive: with ``ask_within_days`` = 7, a deadline seven days away is near.
    """

    grading_deadline: date
    ask_within_days: int = Field(default=7, ge=0)
    incomplete_codes: frozenset[str] = frozenset({"I"})


class RegistrationGrading(_Frozen):
    """One registration's grade fields (SFRSTCR, STVRSTS) and its late work in Canvas."""

    pidm: int = Field(gt=0)
    sis_user_id: str
    crn: str
    gradable: bool = Field(default=True, description="STVRSTS_GRADABLE_IND of its status.")
    final_grade: str | None = Field(description="SFRSTCR_GRDE_CODE.")
    incomplete_final_grade: str | None = Field(
        default=None, description="SFRSTCR_GRDE_CODE_INCMP_FINAL: what a lapsed 'I' becomes."
    )
    incomplete_ext_date: date | None = Field(
        default=None, description="SFRSTCR_INCOMPLETE_EXT_DATE: the last day to complete."
    )
    late_work: tuple[date, ...] = Field(
        default=(),
        description="Submission dates (institution's time zone) of late work in the course.",
    )


class IncompleteStep(_Frozen):
    """The next step for one registration, with the dates and the sentence behind it."""

    pidm: int
    sis_user_id: str
    crn: str
    step: NextStep
    reason: StepReason
    deadline: date | None = Field(description="The date that matters: grading or extension.")
    days_left: int | None = Field(description="Days from as_of to that date; negative: past.")
    late_work_since_deadline: int
    explanation: str


def _when(days_left: int, deadline: date) -> str:
    if days_left == 0:
        return f"today ({deadline})"
    count = abs(days_left)
    span = f"{count} day{'s' if count != 1 else ''}"
    return f"in {span} ({deadline})" if days_left > 0 else f"{span} ago ({deadline})"


_Verdict = tuple[NextStep, StepReason, date | None, str]


def _classify(
    reg: RegistrationGrading, policy: IncompletePolicy, as_of: date, late: int
) -> _Verdict:
    """The branches of the rule, each returning (step, reason, the date that matters, why)."""
    if not reg.gradable:
        return NextStep.NOTHING, StepReason.NOT_GRADABLE, None, "The status is not gradable."
    if reg.final_grade is not None and reg.final_grade not in policy.incomplete_codes:
        why = f"Banner already holds the final grade {reg.final_grade}."
        return NextStep.ALREADY_RESOLVED, StepReason.FINAL_GRADE_POSTED, None, why
    if reg.final_grade is None:
        closes = policy.grading_deadline
        when = _when((closes - as_of).days, closes)
        if (closes - as_of).days > policy.ask_within_days:
            why = f"No final grade yet; grading closes {when}."
            return NextStep.NOTHING, StepReason.GRADING_NOT_YET_DUE, closes, why
        why = f"No final grade in Banner; grading closes {when}."
        return NextStep.ASK_INSTRUCTOR, StepReason.MISSING_FINAL_GRADE, closes, why
    lapses = reg.incomplete_ext_date
    if lapses is None:
        why = (
            f"The incomplete ({reg.final_grade}) has no extension date; the instructor must set "
            "one or give a final grade."
        )
        return NextStep.ASK_INSTRUCTOR, StepReason.INCOMPLETE_WITHOUT_DATE, None, why
    when = _when((lapses - as_of).days, lapses)
    becomes = reg.incomplete_final_grade or "its default grade"
    if as_of > lapses:
        why = f"The incomplete lapsed {when}; Banner turns it into {becomes}."
        return NextStep.NOTHING, StepReason.INCOMPLETE_LAPSED, lapses, why
    if late:
        why = (
            f"{late} late submission{'s' if late != 1 else ''} arrived in Canvas since the "
            f"grading deadline; the incomplete lapses {when}."
        )
        return NextStep.ASK_INSTRUCTOR, StepReason.LATE_WORK_TO_GRADE, lapses, why
    if (lapses - as_of).days <= policy.ask_within_days:
        why = (
            f"The incomplete lapses {when} and becomes {becomes} unless the instructor grades or"
            " extends it."
        )
        return NextStep.ASK_INSTRUCTOR, StepReason.INCOMPLETE_EXPIRING, lapses, why
    why = f"The incomplete lapses {when}; no late work has arrived yet."
    return NextStep.NOTHING, StepReason.INCOMPLETE_OPEN, lapses, why


def next_step(
    registration: RegistrationGrading, policy: IncompletePolicy, as_of: date
) -> IncompleteStep:
    """Classify one registration on ``as_of``; a deadline's own day is still open."""
    late = sum(day > policy.grading_deadline for day in registration.late_work)
    step, reason, deadline, explanation = _classify(registration, policy, as_of, late)
    return IncompleteStep(
        pidm=registration.pidm,
        sis_user_id=registration.sis_user_id,
        crn=registration.crn,
        step=step,
        reason=reason,
        deadline=deadline,
        days_left=None if deadline is None else (deadline - as_of).days,
        late_work_since_deadline=late,
        explanation=explanation,
    )


def classify_incompletes(
    registrations: Iterable[RegistrationGrading], policy: IncompletePolicy, as_of: date
) -> tuple[IncompleteStep, ...]:
    """Classify every registration, instructor questions first, then by CRN and student."""
    order = {NextStep.ASK_INSTRUCTOR: 0, NextStep.NOTHING: 1, NextStep.ALREADY_RESOLVED: 2}
    steps = (next_step(reg, policy, as_of) for reg in registrations)
    return tuple(sorted(steps, key=lambda s: (order[s.step], s.crn, s.sis_user_id)))
