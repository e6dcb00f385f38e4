"""Boundaries of the recognizers: what needs context, what must stay untouched."""

from __future__ import annotations

import pytest

from policies.pii import PiiType, PseudonymVault, Redactor


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Due 10/24/2026, room 204, CRN 40123, GPA 3.42, term 202610.", []),
        ("I will ask; may I? The grant helps.", []),
        ("DOB: 10/24/2004", [PiiType.DATE_OF_BIRTH]),
        ("student 12345 dropped", []),
        ("pidm: 12345 dropped", [PiiType.PIDM]),
        ("number 123456789", []),
        ("SSN 123456789", [PiiType.SSN]),
        ("id @00123456", [PiiType.BANNER_ID]),
        ("Will Young's form", [PiiType.PERSON]),
    ],
)
def test_context_rules(redactor: Redactor, text: str, expected: list[PiiType]) -> None:
    assert [e.type for e in redactor.analyze(text)] == expected


def test_banner_id_pattern_is_configurable() -> None:
    redactor = Redactor(banner_id_pattern=r"X\d{7}", use_ner=False)
    result = redactor.redact_text("X1234567 not A00123456", PseudonymVault())
    assert result.text == "<BANNER_ID_1> not A00123456"
