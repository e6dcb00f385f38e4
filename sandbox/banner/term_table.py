"""STVTERM: the term validation rows around the current term.

Unlike the other generated tables it draws nothing: every row follows from the term code
(:mod:`sandbox.banner.terms` holds that calendar), from nine terms back to one ahead, so
history, admission and future-effective rows all name terms that exist.
"""

from __future__ import annotations

from sandbox.banner.terms import aid_year, shift_term, term_dates, term_description
from sandbox.banner.validation import stamp
from sandbox.banner.world import Rows, World
from tools.banner.schema import stvterm


def terms(world: World) -> Rows:
    """STVTERM from nine terms before the current one to the one after it."""
    rows = []
    for code in (shift_term(world.term, step) for step in range(-9, 2)):
        start, end = term_dates(code)
        rows.append({
            "stvterm_code": code,
            "stvterm_desc": term_description(code),
            "stvterm_start_date": start,
            "stvterm_end_date": end,
            "stvterm_fa_proc_yr": aid_year(code),
            **stamp(stvterm, world.at),
        })  # fmt: skip
    return rows
