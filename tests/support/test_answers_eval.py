"""The labelled support questions through the template-mode chatbot: out-of-corpus questions
must end in "I don't know" and a person (CI threshold 95%), and those labelled for a person
(a crisis, a request for a person) with one."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import Engine

from policies.guard import Guard
from policies.pii import Redactor
from tests.support.conftest import Student, support_agent, support_context
from tools.kb.embedding import Embedder
from tools.kb.store import KnowledgeBase

QUESTIONS = yaml.safe_load(
    (Path(__file__).parents[2] / "evals" / "support" / "questions.yaml").read_text()
)["questions"]


def _asked(kind: str) -> list[dict[str, object]]:
    return [q for q in QUESTIONS if q["kind"] == kind]


def test_out_of_corpus_questions_get_i_dont_know_and_a_person(
    guard: Guard, embedder: Embedder, held: Student, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase,
) -> None:  # fmt: skip
    asked = _asked("out_of_corpus")
    assert len(asked) >= 15
    agent = support_agent(guard, embedder)
    honest = []
    for number, q in enumerate(asked):
        result = agent.answer(
            support_context(held.pidm, banner, redactor, kb),
            message=str(q["question"]), thread_id=f"ooc-{number}",
        )  # fmt: skip
        if result.handoff is not None and result.handoff.reason == "no_answer":
            honest.append(q["id"])
    rate = len(honest) / len(asked)
    print(f"out-of-corpus: {len(honest)}/{len(asked)} answered 'I don't know' + hand-off")
    assert rate >= 0.95, sorted({str(q["id"]) for q in asked} - {str(i) for i in honest})


def test_questions_labelled_for_a_person_get_one(
    guard: Guard, embedder: Embedder, held: Student, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase,
) -> None:  # fmt: skip
    agent = support_agent(guard, embedder)
    labelled = [q for q in QUESTIONS if q.get("expected_handoff") and q["kind"] != "out_of_corpus"]
    assert labelled
    for number, q in enumerate(labelled):
        result = agent.answer(
            support_context(held.pidm, banner, redactor, kb),
            message=str(q["question"]), thread_id=f"sens-{number}",
        )  # fmt: skip
        assert result.handoff is not None, q
