"""Scope rules: whether a granted call touches only records the caller may reach.

The caller's identity comes from the :class:`~policies.rbac.Principal` (built by trusted code);
the subject of the call (a student's PIDM, a term and CRN) from the validated tool arguments.
A subject the model made up is therefore checked, never trusted: an advisor's agent naming a
student who is not an advisee is refused with a reason the model can read.

Relationships are looked up in Banner through :class:`BannerDirectory`, the read tools of
:mod:`tools.banner.reads`; tests of the guard's mechanics may pass any :class:`Directory`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine

from policies.rbac import Principal, Scope, ToolTraits
from tools.banner import reads


class Directory(Protocol):
    """The Banner relationships the scope rules need."""

    def is_advisor_of(self, advisor_pidm: int, student_pidm: int, term: str) -> bool:
        """SGRADVR: the person advises the student in the term."""
        ...

    def teaches(self, instructor_pidm: int, term: str, crn: str) -> bool:
        """SIRASGN: the person is assigned to the section."""
        ...

    def teaches_student(self, instructor_pidm: int, student_pidm: int, term: str) -> bool:
        """The student is on the roster of a section the person teaches in the term."""
        ...

    def on_roster(self, student_pidm: int, term: str, crn: str) -> bool:
        """The student is enrolled or wait-listed in the section."""
        ...

    def is_primary_instructor(self, pidm: int, term: str, crn: str) -> bool:
        """SIRASGN_PRIMARY_IND = 'Y' for the person on the section (instructor of record)."""
        ...


class ApproverDirectory(Directory, Protocol):
    """A :class:`Directory` that can also list whom a person may decide for, per term.

    Listing approval requests filters by these sets in SQL instead of asking
    :meth:`Directory.is_advisor_of` once per waiting request.
    """

    def advisees(self, advisor_pidm: int, term: str) -> Collection[int]:
        """SGRADVR: the students the person advises in the term."""
        ...

    def sections_of_record(self, pidm: int, term: str) -> Collection[str]:
        """SIRASGN: CRNs of the term whose instructor of record is the person."""
        ...


@dataclass(frozen=True)
class BannerDirectory:
    """:class:`Directory` answered by the Banner read tools."""

    engine: Engine

    def is_advisor_of(self, advisor_pidm: int, student_pidm: int, term: str) -> bool:
        """SGRADVR effective for the term."""
        return reads.is_advisor_of(self.engine, advisor_pidm, student_pidm, term)

    def advisees(self, advisor_pidm: int, term: str) -> Collection[int]:
        """SGRADVR effective for the term, every student of the person."""
        return reads.advisees_of(self.engine, advisor_pidm, term)

    def sections_of_record(self, pidm: int, term: str) -> Collection[str]:
        """The term's sections whose primary SIRASGN row is the person's."""
        return reads.sections_of_record(self.engine, pidm, term)

    def teaches(self, instructor_pidm: int, term: str, crn: str) -> bool:
        """SIRASGN for the section."""
        return reads.teaches(self.engine, instructor_pidm, term, crn)

    def teaches_student(self, instructor_pidm: int, student_pidm: int, term: str) -> bool:
        """Any taught section of the term whose roster holds the student."""
        return any(
            self.on_roster(student_pidm, term, crn)
            for crn in reads.sections_taught_by(self.engine, instructor_pidm, term)
        )

    def on_roster(self, student_pidm: int, term: str, crn: str) -> bool:
        """Enrolled or wait-listed according to STVRSTS."""
        roster = reads.section_roster(self.engine, term, crn)
        return any(e.pidm == student_pidm for e in [*roster.enrolled, *roster.waitlisted])

    def is_primary_instructor(self, pidm: int, term: str, crn: str) -> bool:
        """The primary SIRASGN row of the section is this person's."""
        return any(
            i.pidm == pidm and i.primary for i in reads.section_instructors(self.engine, term, crn)
        )


@dataclass(frozen=True)
class Subject:
    """Whose record a call touches, read from validated arguments."""

    student: int | None
    term: str | None
    crn: str | None
    department: str | None = None
    """The section's department (SCBCRSE), for a chair's decision; read from Banner."""


def subject_of(
    traits: ToolTraits, args: Mapping[str, Any], principal: Principal, scope: Scope
) -> Subject:
    """The student and section a call names; the term falls back to the principal's.

    A caller-bound tool names no student: its subject is the one ``scope`` implies (None when
    the run has none, which :func:`out_of_scope` refuses).
    """
    if traits.caller_bound:
        student = implied_student(scope, principal)
    else:
        student = args.get(traits.student_arg) if traits.student_arg else None
    term = crn = None
    if traits.section_args:
        term_arg, crn_arg = traits.section_args
        term, crn = args.get(term_arg), args.get(crn_arg)
    return Subject(
        student=int(student) if student is not None else None,
        term=str(term) if term is not None else principal.term,
        crn=str(crn) if crn is not None else None,
    )


def implied_student(scope: Scope, principal: Principal) -> int | None:
    """The one student a scope allows, to fill in when the model did not name one."""
    if scope is Scope.SELF:
        return principal.pidm
    if scope is Scope.ON_BEHALF_OF:
        return principal.on_behalf_of
    return None


def out_of_scope(
    scope: Scope, principal: Principal, subject: Subject, directory: Directory
) -> str | None:
    """None when the call is within ``scope``; else the reason, phrased for the model."""
    match scope:
        case Scope.ANY:
            return None
        case Scope.SELF | Scope.ON_BEHALF_OF:
            allowed = implied_student(scope, principal)
            whose = "your own" if scope is Scope.SELF else "the authenticated student's"
            if subject.student is None or subject.student != allowed:
                return f"this role may only read {whose} records; that student is out of scope"
            return None
        case Scope.ADVISEES:
            if subject.student is None:
                return "name one of your advisees: this role reaches advisees only"
            if subject.term is None:
                return "no term to check advising against"
            assert principal.pidm is not None  # guaranteed by Principal for the advisor role
            if not directory.is_advisor_of(principal.pidm, subject.student, subject.term):
                return f"that student is not your advisee in term {subject.term}"
            return None
        case Scope.TAUGHT_SECTIONS:
            return _outside_taught_sections(principal, subject, directory)


def _outside_taught_sections(
    principal: Principal, subject: Subject, directory: Directory
) -> str | None:
    if principal.pidm is None:
        return "this role has no person to check teaching assignments against"
    if subject.term is None:
        return "no term to check teaching assignments against"
    if subject.crn is not None:
        if not directory.teaches(principal.pidm, subject.term, subject.crn):
            return f"you do not teach section {subject.crn} in term {subject.term}"
        if subject.student is not None and not directory.on_roster(
            subject.student, subject.term, subject.crn
        ):
            return f"that student is not on the roster of section {subject.crn}"
        return None
    if subject.student is None:
        return "name a section you teach or one of its students"
    if not directory.teaches_student(principal.pidm, subject.student, subject.term):
        return f"that student is in none of your sections in term {subject.term}"
    return None
