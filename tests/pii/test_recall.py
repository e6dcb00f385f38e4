"""The corpus targets: recall per entity type, precision reported and bounded."""

from __future__ import annotations

import pytest

from evals.pii.corpus import LabelledText
from evals.pii.score import DIRECTORY_PERSON, ScoreReport, evaluate
from policies.pii import PiiType, Redactor


@pytest.fixture(scope="module")
def report(redactor: Redactor, corpus: list[LabelledText]) -> ScoreReport:
    result = evaluate(redactor, corpus)
    print("\n" + result.table())
    return result


def test_corpus_is_big_and_varied(corpus: list[LabelledText]) -> None:
    assert len(corpus) >= 300
    assert {i.kind for i in corpus} >= {
        "advising_note",
        "chat",
        "canvas_comment",
        "tool_output",
        "email",
    }
    texts = " ".join(i.text for i in corpus)
    assert "@00" in texts and "’s" in texts and "<" in texts


@pytest.mark.parametrize(
    ("kind", "target"),
    [
        (PiiType.EMAIL.value, 0.99),
        (PiiType.PHONE.value, 0.99),
        (PiiType.SSN.value, 0.99),
        (PiiType.BANNER_ID.value, 0.99),
        (DIRECTORY_PERSON, 0.97),
        (PiiType.PIDM.value, 0.95),
        (PiiType.DATE_OF_BIRTH.value, 0.95),
        (PiiType.ADDRESS.value, 0.95),
    ],
)
def test_recall(report: ScoreReport, kind: str, target: float) -> None:
    score = report.scores[kind]
    assert score.gold >= 20, f"too few {kind} labels to measure"
    missed = [m.value for m in report.misses if m.type == kind.replace(DIRECTORY_PERSON, "PERSON")]
    assert score.recall >= target, f"{kind} recall {score.recall:.3f}; missed {missed}"


def test_precision_is_sane(report: ScoreReport) -> None:
    for kind, score in report.scores.items():
        if score.predicted:
            assert score.precision >= 0.9, f"{kind} precision {score.precision:.3f}"
