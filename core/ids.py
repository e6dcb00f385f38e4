"""How Banner's keys become Canvas's SIS ids, and back.

One scheme for the whole project: the rules plan with these ids, the tools address Canvas by
them and the sandbox's simulator is seeded with them, so they live on the ground floor.
"""

from __future__ import annotations

import re


def section_sis_id(term_code: str, crn: str) -> str:
    """The Canvas ``sis_section_id`` of a Banner section: ``{term}-{crn}``, one per CRN."""
    return f"{term_code}-{crn}"


_ONE_SECTION = re.compile(r"^(?P<term>\d{6})-(?P<crn>\w{5})$")


def banner_section_of(sis_id: str) -> tuple[str, str] | None:
    """(term, CRN) of a section's SIS id, or of a one-section course's (the same form).

    None for anything else: a cross-list group's course (its two-character group names no
    single CRN), or a course or section made by hand in Canvas.
    """
    match = _ONE_SECTION.match(sis_id)
    return (match["term"], match["crn"]) if match else None


def course_sis_id(term_code: str, crn: str, xlist_group: str | None) -> str:
    """The Canvas ``sis_course_id`` of the course a Banner section belongs to.

    A cross-listed section (SSRXLST group) shares one course with its group, ``{term}-{group}``;
    any other section has its own, ``{term}-{crn}``. Banner's group codes are two characters and
    CRNs five, so the two forms cannot collide within a term.
    """
    return f"{term_code}-{xlist_group or crn}"


def aid_year_of(term: str) -> str:
    """The financial aid year of a Banner term: ``2526`` for every term of 2025–26.

    Term codes are ``YYYYPP`` with the academic year ending in ``YYYY`` (``202610`` is Fall
    2025), so the aid year is the last two digits of ``YYYY - 1`` and of ``YYYY``.
    """
    year = int(term[:4])
    return f"{(year - 1) % 100:02d}{year % 100:02d}"
