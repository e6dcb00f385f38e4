"""Grade passback: a Canvas final score → the section's grading scheme → a Banner grade code.

Rules first: which grade is proposed, and whether it may be posted at all, is decided here; the
model only words the request to the instructor. The refusals are Ellucian's own passback rules
(DOMAIN.md): no grading scheme, a grade not valid for the student's level (SHRGRDE), a
registration already rolled to academic history. (That only the instructor of record may approve
is the policy guard's rule, not this module's.) Nor is a section graded again whenever Canvas
reports a score change: only once its passback has begun (:func:`passback_begun`).

Each proposal is checked for anomalies the instructor should look at before approving, each
explained in one templated sentence with its figures. Thresholds live in
:class:`AnomalyThresholds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from math import sqrt

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SchemeEntry(_Frozen):
    """One row of a grading scheme: the letter and its inclusive lower bound, in percent."""

    name: str = Field(min_length=1)
    min_percent: Decimal = Field(ge=0)


class GradingScheme(_Frozen):
    """A Canvas grading standard: entries ordered from the highest cut-off down.

    As in Canvas, an entry covers its lower bound up to the next entry's, the top entry has no
    upper bound (extra credit keeps the top letter) and the lowest entry reaches down to 0.
    """

    entries: tuple[SchemeEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _strictly_descending(self) -> GradingScheme:
        bounds = [entry.min_percent for entry in self.entries]
        if any(lower >= upper for upper, lower in pairwise(bounds)):
            raise ValueError("grading scheme cut-offs must strictly descend")
        if len({entry.name for entry in self.entries}) != len(self.entries):
            raise ValueError("grading scheme letters must be unique")
        return self


def letter_for(score: Decimal, scheme: GradingScheme) -> str:
    """The scheme's letter for a score; a score exactly on a cut-off earns that cut-off's letter."""
    for entry in scheme.entries:
        if score >= entry.min_percent:
            return entry.name
    return scheme.entries[-1].name


class ValidGrade(_Frozen):
    """A SHRGRDE row valid for the registration: its level, effective for the term, web entry."""

    code: str = Field(min_length=1, max_length=6)
    quality_points: Decimal
    counts_in_gpa: bool = Field(default=True, description="SHRGRDE_GPA_IND = 'Y'.")


class SectionGrading(_Frozen):
    """The section being graded and the scheme its Canvas course uses (None: no scheme)."""

    term_code: str
    crn: str
    scheme: GradingScheme | None
    letter_to_code: dict[str, str] = Field(
        default_factory=dict,
        description="Scheme letters spelled differently in Banner; a letter not listed is its"
        " own code.",
    )


class StudentGrade(_Frozen):
    """One registration's grading facts from Canvas (score) and Banner (the rest)."""

    pidm: int = Field(gt=0)
    sis_user_id: str
    final_score: Decimal | None = Field(description="Canvas enrollment grades.final_score.")
    banner_grade: str | None = Field(default=None, description="SFRSTCR_GRDE_CODE as it stands.")
    rolled_to_history: bool = False
    valid_grades: tuple[ValidGrade, ...]
    gpa: Decimal | None = Field(default=None, description="SHRLGPA overall GPA for the level.")
    gpa_hours: Decimal = Field(default=Decimal(0), description="SHRLGPA GPA hours behind it.")


class AnomalyThresholds(_Frozen):
    """When a proposal is worth a second look; every comparison is strict ("more than").

    - history: the grade's quality points differ from the student's GPA by more than
      ``max_gpa_distance`` (1.5: more than a letter and a half), judged only once the GPA rests
      on at least ``min_history_hours`` GPA hours (a first-term GPA says little);
    - section: the score lies more than ``max_z`` standard deviations from the mean of the *rest*
      of the section (leave-one-out, so a lone outlier cannot hide by pulling the mean towards
      itself), judged only with at least ``min_section_scores`` other scores; the deviation is
      floored at ``min_stdev`` points so a section where everyone scored alike does not flag a
      one-point difference;
    - incomplete: the proposal or Banner's current grade is one of ``incomplete_codes``.
    """

    max_gpa_distance: Decimal = Decimal("1.5")
    min_history_hours: Decimal = Decimal(12)
    max_z: float = 2.5
    min_section_scores: int = 5
    min_stdev: float = 1.0
    incomplete_codes: frozenset[str] = frozenset({"I"})


class RefusalReason(StrEnum):
    """Why no grade may be posted (Ellucian's passback refusals)."""

    NO_GRADING_SCHEME = "no_grading_scheme"
    ROLLED_TO_HISTORY = "rolled_to_history"
    NOT_VALID_FOR_LEVEL = "not_valid_for_level"


class AnomalyKind(StrEnum):
    """What an instructor should look at before approving."""

    MISSING_GRADE = "missing_grade"
    INCOMPLETE = "incomplete"
    FAR_FROM_HISTORY = "far_from_history"
    FAR_FROM_SECTION = "far_from_section"


class Anomaly(_Frozen):
    """One finding, its sentence, and the measure compared with its threshold (where one is)."""

    kind: AnomalyKind
    explanation: str
    measure: float | None = None
    threshold: float | None = None


class GradeDecision(_Frozen):
    """The proposal for one student: a Banner code to post, or why not, and what to look at."""

    pidm: int
    sis_user_id: str
    score: Decimal | None
    letter: str | None
    code: str | None
    banner_grade: str | None
    refusal: RefusalReason | None = None
    refusal_explanation: str | None = None
    anomalies: tuple[Anomaly, ...] = ()

    @property
    def needs_posting(self) -> bool:
        """A code may be posted and Banner does not already hold it."""
        return self.refusal is None and self.code is not None and self.code != self.banner_grade


class PassbackBatch(_Frozen):
    """A section's decisions, in the order the students were given."""

    term_code: str
    crn: str
    decisions: tuple[GradeDecision, ...]


def _refused(student: StudentGrade, reason: RefusalReason, why: str, **found: str) -> GradeDecision:
    return GradeDecision(
        pidm=student.pidm,
        sis_user_id=student.sis_user_id,
        score=student.final_score,
        letter=found.get("letter"),
        code=found.get("code"),
        banner_grade=student.banner_grade,
        refusal=reason,
        refusal_explanation=why,
    )


_MISSING = Anomaly(
    kind=AnomalyKind.MISSING_GRADE,
    explanation=(
        "Canvas has no final score for this student, so there is no grade to post; the "
        "instructor must enter one or an incomplete."
    ),
)


def _history_anomaly(
    grade: ValidGrade, student: StudentGrade, limits: AnomalyThresholds
) -> Anomaly | None:
    if student.gpa is None or student.gpa_hours < limits.min_history_hours:
        return None
    if not grade.counts_in_gpa:
        return None
    distance = abs(grade.quality_points - student.gpa)
    if distance <= limits.max_gpa_distance:
        return None
    return Anomaly(
        kind=AnomalyKind.FAR_FROM_HISTORY,
        explanation=(
            f"The proposed {grade.code} ({grade.quality_points} quality points) is {distance} "
            f"points from this student's GPA of {student.gpa}, more than the "
            f"{limits.max_gpa_distance} expected."
        ),
        measure=float(distance),
        threshold=float(limits.max_gpa_distance),
    )


def _section_anomaly(
    score: Decimal, totals: tuple[int, float, float], limits: AnomalyThresholds
) -> Anomaly | None:
    """Compare a score with the rest of the section (``totals``: count, sum, sum of squares)."""
    count, total, squares = totals
    x = float(score)
    n = count - 1
    if n < limits.min_section_scores:
        return None
    mean = (total - x) / n
    variance = max((squares - x * x) - n * mean * mean, 0.0) / (n - 1)
    z = (x - mean) / max(sqrt(variance), limits.min_stdev)
    if abs(z) <= limits.max_z:
        return None
    side = "above" if z > 0 else "below"
    return Anomaly(
        kind=AnomalyKind.FAR_FROM_SECTION,
        explanation=(
            f"The score of {score} is {abs(z):.1f} standard deviations {side} the rest of the "
            f"section's mean of {mean:.1f}, beyond the {limits.max_z} expected."
        ),
        measure=abs(z),
        threshold=limits.max_z,
    )


def _incomplete_anomaly(
    code: str | None, student: StudentGrade, limits: AnomalyThresholds
) -> Anomaly | None:
    if student.banner_grade in limits.incomplete_codes:
        return Anomaly(
            kind=AnomalyKind.INCOMPLETE,
            explanation=(
                f"Banner holds an incomplete ({student.banner_grade}) for this student; it is "
                "resolved through the incomplete workflow, and passback would overwrite it."
            ),
        )
    if code in limits.incomplete_codes:
        return Anomaly(
            kind=AnomalyKind.INCOMPLETE,
            explanation=(
                f"The grading scheme gives an incomplete ({code}), which needs the instructor's "
                "extension date and the registrar's confirmation."
            ),
        )
    return None


def _decide(
    section: SectionGrading,
    scheme: GradingScheme,
    student: StudentGrade,
    totals: tuple[int, float, float],
    limits: AnomalyThresholds,
) -> GradeDecision:
    if student.rolled_to_history:
        return _refused(
            student,
            RefusalReason.ROLLED_TO_HISTORY,
            "This registration's grades were rolled to academic history; a change now is a "
            "Banner grade change, not a passback.",
        )
    found: list[Anomaly | None]
    if student.final_score is None:
        letter = code = None
        found = [_MISSING, _incomplete_anomaly(None, student, limits)]
    else:
        letter = letter_for(student.final_score, scheme)
        code = section.letter_to_code.get(letter, letter)
        grade = next((g for g in student.valid_grades if g.code == code), None)
        if grade is None:
            return _refused(
                student,
                RefusalReason.NOT_VALID_FOR_LEVEL,
                f"The scheme gives {letter} (Banner code {code}), which SHRGRDE does not allow "
                "for this student's level in this term.",
                letter=letter,
                code=code,
            )
        found = [
            _incomplete_anomaly(code, student, limits),
            _history_anomaly(grade, student, limits),
            _section_anomaly(student.final_score, totals, limits),
        ]
    return GradeDecision(
        pidm=student.pidm,
        sis_user_id=student.sis_user_id,
        score=student.final_score,
        letter=letter,
        code=code,
        banner_grade=student.banner_grade,
        anomalies=tuple(a for a in found if a is not None),
    )


def passback_begun(students: Sequence[StudentGrade]) -> bool:
    """Whether the section's final grades have started to reach Banner (``SFRSTCR_GRDE_CODE``).

    Canvas reports every assignment grade all term, and a score mid-term is no final grade: only
    once a final grade is in Banner can a later change in Canvas leave Banner behind. Until then
    the section's grades are proposed once, at close of grading, not on each change.
    """
    return any(student.banner_grade is not None for student in students)


def plan_passback(
    section: SectionGrading,
    students: Sequence[StudentGrade],
    thresholds: AnomalyThresholds | None = None,
    only: str | None = None,
) -> PassbackBatch:
    """Propose a Banner grade for every student of the section, or refuse with the reason.

    ``only`` (a ``sis_user_id``) keeps one student's decision: a grade change names the student
    it moved, and re-deciding the others would queue again approvals still pending from close of
    grading. The whole section is still passed in, as that student's score is judged against it.
    """
    limits = thresholds or AnomalyThresholds()
    scheme = section.scheme
    decided = [s for s in students if only is None or s.sis_user_id == only]
    if scheme is None:
        why = (
            f"Section {section.crn} has no grading scheme in Canvas, so its scores cannot become "
            "letter grades; passback refuses such sections."
        )
        decisions = tuple(
            _refused(student, RefusalReason.NO_GRADING_SCHEME, why) for student in decided
        )
    else:
        scores = [float(s.final_score) for s in students if s.final_score is not None]
        totals = (len(scores), sum(scores), sum(x * x for x in scores))
        decisions = tuple(_decide(section, scheme, s, totals, limits) for s in decided)
    return PassbackBatch(term_code=section.term_code, crn=section.crn, decisions=decisions)
