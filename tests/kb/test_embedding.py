"""bfloat16 embedding is only a speed-up: its vectors and rankings match float32's."""

from __future__ import annotations

from tools.kb.embedding import Embedder

TEXTS = [
    "Accounts Receivable hold (AR): Who clears it\n\nPay the balance owed in full at the cashier.",
    "Dropping a class: Deadlines\n\nThe last day to drop without a W is the census date.",
    "Financial aid: Satisfactory academic progress\n\nKeep a 2.0 GPA and complete 67% of hours.",
    "Canvas: Submitting an assignment\n\nOpen the assignment and choose Start Assignment.",
    "Transcripts: Official copies\n\nOrder an official transcript through the student portal.",
]
QUERIES = ["why can't I register? I owe money", "how do I turn in homework", "my GPA and aid"]


def test_bfloat16_vectors_are_float32_vectors_to_four_places_and_rank_alike(embedder: Embedder):
    full = embedder.in_float32()
    half = Embedder(embedder._model, bfloat16=True)
    for text, a, b in zip(TEXTS, full.embed(TEXTS), half.embed(TEXTS), strict=True):
        assert len(a) == len(b) == full.dimension
        assert sum(x * y for x, y in zip(a, b, strict=True)) > 0.999, text

    def ranking(model: Embedder, query: str) -> list[int]:
        [q] = model.embed([query])
        docs = model.embed(TEXTS)
        scores = [sum(x * y for x, y in zip(q, d, strict=True)) for d in docs]
        return sorted(range(len(TEXTS)), key=lambda i: -scores[i])

    for query in QUERIES:
        assert ranking(full, query) == ranking(half, query), query
