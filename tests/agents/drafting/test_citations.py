"""A cited prompt's answer: every sentence cites a finding and states only its numbers."""

from __future__ import annotations

import pytest

from agents.drafting.checks import uncited_claim

EVIDENCE = (
    "[1] In MATH 252, 44% of students whose grade in SPAN 160 was D, F or W earned a D, F or W,"
    " against 12% after A or B. (table prerequisite:MATH 252:SPAN 160)\n"
    "[2] In ANTH 295, the DFW rate is 26% for Pell students and 10% for no Pell students."
    " (table equity:ANTH 295:pell)"
)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Students who struggled in SPAN 160 fail MATH 252 at 44%, against 12% [1]. "
         "Pell students fare worse in ANTH 295 (26% vs 10%) [2].", None),
        ("Both gaps matter, in MATH 252 and in ANTH 295 [1] [2].", None),
        ("Both gaps matter [1] [2].", "stating no number of finding 1"),  # rests on nothing
        ("The department should dismiss these students [2].", "stating no number of finding 2"),
        ("MATH 252 depends on SPAN 160 [1]. This is worrying.", "citing no finding"),
        ("Pell students fail ANTH 295 at 26% [3].", "cites [3], which is not a finding"),
        ("Pell students fail ANTH 295 at 31% [2].", "states 31%"),
        ("ANTH 295 failures reach 44% [2].", "states 44%"),  # a number from another finding
    ],
)  # fmt: skip
def test_sentences_are_checked_against_the_findings_they_cite(text: str, problem: str | None):
    found = uncited_claim(text, EVIDENCE)
    assert (found is None) if problem is None else (found is not None and problem in found)
