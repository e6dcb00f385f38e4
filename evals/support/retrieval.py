"""Retrieval quality of the knowledge base on the labelled support questions.

Two figures, both at the configured ``kb_min_score`` (what the chatbot actually sees):

- **hit@5**: of the questions the corpus answers (a non-empty ``gold``), the share whose top
  five passages above the threshold include a gold chunk;
- **out-of-corpus rejection**: of the ``out_of_corpus`` questions, the share for which nothing
  scores above the threshold, so the chatbot says it does not know instead of citing a
  loosely related page.

``python -m evals.support.retrieval`` seeds a small Banner sandbox in a temporary folder,
writes the sandbox corpus, ingests it into an embedded chromadb and prints the figures, the
misses, and one JSON object on the last line.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from tools.kb.embedding import Embedder
from tools.kb.store import KnowledgeBase, read_folder

QUESTIONS = Path(__file__).with_name("questions.yaml")
TOOLS = frozenset({
    "my_holds", "my_registration", "my_aid", "my_assignments", "my_grades", "course_modules",
    "kb_search", "request_person",
})  # fmt: skip
Kind = Literal["policy", "personal", "out_of_corpus", "sensitive", "injection"]


class Question(BaseModel):
    """One labelled question."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    question: str
    gold: tuple[str, ...] = Field(description="Chunk ids (source#anchor), any of which answers.")
    expected_tools: tuple[str, ...]
    expected_handoff: bool
    kind: Kind

    def model_post_init(self, _context: object) -> None:
        """Refuse tools the chatbot does not have and out-of-corpus questions with gold."""
        unknown = set(self.expected_tools) - TOOLS
        if unknown:
            raise ValueError(f"{self.id}: unknown tools {sorted(unknown)}")
        if self.kind == "out_of_corpus" and self.gold:
            raise ValueError(f"{self.id}: an out-of-corpus question has no gold")


class RetrievalScore(BaseModel):
    """The figures and the questions behind any shortfall."""

    min_score: float
    k: int
    in_corpus: int
    hit_at_k: float
    out_of_corpus: int
    ooc_rejection: float
    misses: list[str] = Field(description="In-corpus questions with no gold chunk retrieved.")
    false_accepts: list[str] = Field(description="Out-of-corpus questions something matched.")


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """The labelled questions; ids must be unique."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    questions = [Question.model_validate(item) for item in raw]
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError("question ids are not unique")
    return questions


def score_retrieval(
    kb: KnowledgeBase, questions: list[Question], *, min_score: float, k: int = 5
) -> RetrievalScore:
    """hit@k over questions with gold and the out-of-corpus rejection rate, at ``min_score``."""
    hits_found = 0
    misses: list[str] = []
    accepted: list[str] = []
    in_corpus = [q for q in questions if q.gold]
    outside = [q for q in questions if q.kind == "out_of_corpus"]
    for question in in_corpus:
        found = {
            hit.chunk.chunk_id for hit in kb.search(question.question, k=k, min_score=min_score)
        }
        if found & set(question.gold):
            hits_found += 1
        else:
            misses.append(question.id)
    for question in outside:
        if kb.search(question.question, k=k, min_score=min_score):
            accepted.append(question.id)
    return RetrievalScore(
        min_score=min_score,
        k=k,
        in_corpus=len(in_corpus),
        hit_at_k=hits_found / len(in_corpus) if in_corpus else 0.0,
        out_of_corpus=len(outside),
        ooc_rejection=1 - len(accepted) / len(outside) if outside else 0.0,
        misses=misses,
        false_accepts=accepted,
    )


def unknown_gold(kb_ids: set[str], questions: list[Question]) -> list[str]:
    """Gold ids the corpus does not have (a renamed heading silently breaks a label)."""
    return sorted({g for q in questions for g in q.gold} - kb_ids)


def evaluate(root: Path, embedder: Embedder, *, min_score: float, k: int = 5) -> RetrievalScore:
    """Seed a sandbox under ``root``, write and ingest its corpus, and score the questions.

    Raises:
        ValueError: a gold id is not in the corpus.
    """
    from core.db import make_engine
    from sandbox.banner.generator import SeedPlan
    from sandbox.banner.seeding import seed_banner
    from sandbox.kb.corpus import write_corpus

    engine = make_engine(f"sqlite:///{root}/banner.db")
    seed_banner(engine, SeedPlan(students=200, sections=40, term="202610", seed=42))
    write_corpus(engine, root / "kb")
    kb = KnowledgeBase.open(path=root / "chroma", url=None, collection="eval_kb", embedder=embedder)
    kb.ingest(root / "kb")
    questions = load_questions()
    missing = unknown_gold({c.chunk_id for c in read_folder(root / "kb")}, questions)
    if missing:
        raise ValueError(f"gold ids not in the corpus: {missing}")
    return score_retrieval(kb, questions, min_score=min_score, k=k)


def main() -> None:
    """Print the retrieval figures at the configured threshold; JSON on the last line."""
    from core.settings import Settings
    from tools.kb.embedding import load_embedder

    with tempfile.TemporaryDirectory() as tmp:
        score = evaluate(Path(tmp), load_embedder(), min_score=Settings().kb_min_score)
    print(f"hit@5 {score.hit_at_k:.3f} over {score.in_corpus} in-corpus questions")
    print(f"out-of-corpus rejection {score.ooc_rejection:.3f} over {score.out_of_corpus}")
    print(f"misses: {score.misses}  false accepts: {score.false_accepts}")
    print(json.dumps(score.model_dump(mode="json")))


if __name__ == "__main__":
    main()
