"""Boundaries of the recognizers: what needs context, what must stay untouched."""

from __future__ import annotations

import logging

import pytest
import spacy

from policies.pii import PiiType, PseudonymVault, Redactor
from policies.pii.engine import ONTONOTES_LABELS, SPACY_MODEL


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


def test_entities_other_than_people_are_dropped_without_a_warning_each(
    redactor: Redactor, caplog: pytest.LogCaptureFixture
) -> None:
    text = "On March 3, 2026 the Ohio State University registrar met 40 students in Columbus."
    with caplog.at_level(logging.WARNING, logger="presidio-analyzer"):
        found = redactor.analyze(text)
    assert found == []
    assert [r.getMessage() for r in caplog.records if r.name == "presidio-analyzer"] == []


def test_ignored_labels_are_the_pipelines_own() -> None:
    labels = spacy.load(SPACY_MODEL).meta["labels"]["ner"]
    assert set(labels) == ONTONOTES_LABELS  # a new model's labels must be listed too
