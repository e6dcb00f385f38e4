"""A bare number labelled as a student's is an identifier, whatever the label's spelling."""

from __future__ import annotations

import pytest

from policies.pii.patterns import PidmRecognizer


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("student_id=100004", ["100004"]),
        ("student number 1234 asked", ["1234"]),
        ("call pidm 55 back", ["55"]),
        ("the student in 2024 said", []),
        ("a student asked about room 101", []),
    ],
)
def test_numbers_labelled_as_a_students_are_found(text: str, found: list[str]) -> None:
    assert [text[a:b] for a, b, _score in PidmRecognizer().find(text)] == found
