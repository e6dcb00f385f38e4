"""Banner term codes and the calendar the sandbox derives from them.

A term code is ``YYYYPP``: the academic year it ends in and a part, 10 fall (of the previous
calendar year), 20 spring, 30 summer; ``202610`` is Fall 2025. Every date the generator writes
is derived from the term code, never from the clock, so a seed always gives the same data.
"""

from __future__ import annotations

from datetime import date

from core.errors import ValidationFailed
from core.ids import aid_year_of

PARTS = {10: "Fall", 20: "Spring", 30: "Summer"}


def parse_term(code: str) -> tuple[int, int]:
    """Split and check a term code; a malformed one is a ValidationFailed naming the format."""
    if len(code) != 6 or not code.isdigit() or int(code[4:]) not in PARTS:
        raise ValidationFailed(
            f"term code {code!r} is not YYYYPP with PP one of 10 (fall), 20 (spring), 30 (summer)"
        )
    return int(code[:4]), int(code[4:])


def term_dates(code: str) -> tuple[date, date]:
    """First and last day of classes."""
    year, part = parse_term(code)
    if part == 10:
        return date(year - 1, 8, 25), date(year - 1, 12, 12)
    if part == 20:
        return date(year, 1, 12), date(year, 5, 8)
    return date(year, 5, 26), date(year, 8, 7)


def term_description(code: str) -> str:
    """``Fall 2025`` for ``202610``."""
    year, part = parse_term(code)
    return f"{PARTS[part]} {year - 1 if part == 10 else year}"


def aid_year(code: str) -> str:
    """The financial aid year a term belongs to: ``2526`` for Fall 2025 to Summer 2026."""
    parse_term(code)  # a malformed code fails here, with the sandbox's message
    return aid_year_of(code)


def shift_term(code: str, steps: int) -> str:
    """The term ``steps`` terms later (negative: earlier), summers included."""
    year, part = parse_term(code)
    index = year * 3 + part // 10 - 1 + steps
    return f"{index // 3:04d}{(index % 3 + 1) * 10}"


def regular_terms_before(code: str, count: int) -> list[str]:
    """The ``count`` fall/spring terms before ``code``, oldest first."""
    found: list[str] = []
    step = -1
    while len(found) < count:
        earlier = shift_term(code, step)
        if not earlier.endswith("30"):
            found.append(earlier)
        step -= 1
    return found[::-1]
