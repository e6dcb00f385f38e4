"""Named failures of the Banner tools, so callers (the guard, the API, agents) can tell them apart.

Not-found errors name the key that was looked up; validation errors say what would have passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.errors import BcaError, NotFoundError, ValidationFailed


class BannerNotSeeded(BcaError):
    """The Banner database lacks the tables the tools read: nothing was seeded or migrated there.

    Exit code 1: the command was right, the database is not ready yet.
    """

    exit_code = 1

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"{problem}: run `bca banner seed` first (or point BCA_BANNER_URL at Banner)"
        )


class PersonNotFound(NotFoundError):
    """No current SPRIDEN row for the PIDM or Banner ID."""

    def __init__(self, **key: Any) -> None:
        super().__init__("person", **key)


class SectionNotFound(NotFoundError):
    """No SSBSECT row for the term and CRN."""

    def __init__(self, **key: Any) -> None:
        super().__init__("section", **key)


class StudentRecordNotFound(NotFoundError):
    """No SGBSTDN row effective for the term."""

    def __init__(self, **key: Any) -> None:
        super().__init__("student record", **key)


class RegistrationNotFound(NotFoundError):
    """The student has no SFRSTCR row for the term and CRN."""

    def __init__(self, **key: Any) -> None:
        super().__init__("registration", **key)


class HoldNotFound(NotFoundError):
    """No SPRHOLD row with that surrogate id."""

    def __init__(self, **key: Any) -> None:
        super().__init__("hold", **key)


class InvalidGrade(ValidationFailed):
    """The grade code is not valid for the registration's level and term."""

    def __init__(self, grade: str, level: str, term: str, valid: Sequence[str]) -> None:
        self.grade = grade
        self.level = level
        self.term = term
        self.valid_codes = list(valid)
        shown = ", ".join(self.valid_codes) or "none"
        super().__init__(
            f"grade {grade!r} is not valid for level {level} in term {term}; valid codes: {shown}"
        )


class GradeAlreadyRolled(ValidationFailed):
    """Final grades that rolled to academic history can only change through a grade change."""

    def __init__(self, *, term: str, pidm: int, crn: str) -> None:
        super().__init__(
            f"grade for pidm={pidm} crn={crn!r} term={term!r} has already rolled to academic "
            "history (SHRTCKN/SHRTCKG); submit a grade change instead of a final grade"
        )


class NotGradable(ValidationFailed):
    """The registration status does not take a grade (for example a drop)."""

    def __init__(self, *, term: str, pidm: int, crn: str, rsts_code: str) -> None:
        super().__init__(
            f"registration pidm={pidm} crn={crn!r} term={term!r} has status {rsts_code!r}, "
            "which is not gradable"
        )


class UnknownHoldType(ValidationFailed):
    """The hold code is not in STVHLDD."""

    def __init__(self, code: str, valid: Sequence[str]) -> None:
        self.code = code
        self.valid_codes = list(valid)
        super().__init__(f"hold type {code!r} is not in STVHLDD; valid codes: {', '.join(valid)}")


class HoldReleaseRefused(ValidationFailed):
    """SPRHOLD_RELEASE_IND='Y' reserves the release of a hold to the user who placed it."""

    def __init__(self, *, hold_id: int, owner: str, user: str) -> None:
        super().__init__(
            f"hold {hold_id} may only be released by {owner!r} (SPRHOLD_RELEASE_IND='Y'), "
            f"not by {user!r}"
        )
