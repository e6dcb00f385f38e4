"""The seed plan: what to generate, and the limits a plan is checked against.

Kept apart from the generator so that callers which only build a plan (the CLI, the demo, test
fixtures) and every part of the generator can share it without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ValidationFailed
from sandbox.banner.terms import parse_term

FIRST_CRN = 10001
MAX_SECTIONS = 99999 - FIRST_CRN
MAX_FORMER = 200_000
"""Former students' PIDMs start at 600001, below the instructors' 900001."""


@dataclass(frozen=True)
class SeedPlan:
    """What to generate: sizes, the current term and the seed."""

    students: int
    sections: int
    term: str
    seed: int
    former_students: int = 0
    """People who studied in the eight terms before ``term`` and left: program review's history
    (:mod:`sandbox.banner.cohorts`)."""

    def check(self) -> None:
        """Refuse sizes and terms the generator cannot honour, with the reason."""
        parse_term(self.term)
        if self.students < 1 or self.sections < 1:
            raise ValidationFailed("--students and --sections must be at least 1")
        if not 0 <= self.former_students <= MAX_FORMER:
            raise ValidationFailed(f"--former-students is between 0 and {MAX_FORMER}")
        if self.sections > MAX_SECTIONS:
            raise ValidationFailed(f"--sections is at most {MAX_SECTIONS} (5-digit CRNs)")
