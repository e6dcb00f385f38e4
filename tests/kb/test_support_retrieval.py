"""Retrieval evaluation in CI: the sandbox corpus answers its labelled questions, and refuses
the ones it does not cover, at the configured threshold."""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from evals.support.retrieval import TOOLS, evaluate, load_questions
from tools.kb.embedding import Embedder


def test_the_question_set_is_large_and_labelled() -> None:
    questions = load_questions()
    assert len(questions) >= 80
    assert sum(q.kind == "out_of_corpus" for q in questions) >= 15
    assert {t for q in questions for t in q.expected_tools} <= TOOLS


def test_hit_at_5_and_out_of_corpus_rejection(tmp_path: Path, embedder: Embedder) -> None:
    score = evaluate(tmp_path, embedder, min_score=Settings().kb_min_score)
    assert score.hit_at_k >= 0.90, score.misses
    assert score.ooc_rejection >= 0.95, score.false_accepts
