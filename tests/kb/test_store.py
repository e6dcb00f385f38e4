"""The chromadb-backed knowledge base on an embedded store: ingest, incremental updates, search."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from core.errors import ConfigurationError, ValidationFailed
from core.settings import Settings
from tools.kb.embedding import ChromaEmbedding, Embedder
from tools.kb.store import KnowledgeBase, open_kb

HOLDS = """# Holds

## Accounts receivable hold

An AR hold means you owe the university money. Pay the balance at Student Accounts.

## Library hold

Return overdue books to the library to clear a library hold.
"""

PARKING = """# Parking

## Permits

Buy a parking permit online before the first day of classes.
"""


def _write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    _write(folder, "holds.md", HOLDS)
    _write(folder, "campus/parking.md", PARKING)
    return folder


@pytest.fixture
def kb(tmp_path: Path, embedder: Embedder) -> KnowledgeBase:
    return KnowledgeBase.open(
        path=tmp_path / "chroma", url=None, collection="kbtest", embedder=embedder
    )


def test_embedder_gives_unit_vectors(embedder: Embedder) -> None:
    vectors = embedder.embed(["a library fine", "a parking permit"])
    assert len(vectors) == 2
    assert all(len(v) == embedder.dimension == 384 for v in vectors)
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-4) for v in vectors)
    assert embedder.embed([]) == []


def test_chroma_adapter_embeds_with_the_packaged_model(embedder: Embedder) -> None:
    adapter = ChromaEmbedding(embedder)
    (vector,) = adapter(["hello"])
    assert list(vector) == pytest.approx(embedder.embed(["hello"])[0], abs=1e-6)
    assert ChromaEmbedding.name() == "bca-all-minilm-l6-v2"


def test_ingest_then_search_finds_the_section(kb: KnowledgeBase, corpus: Path) -> None:
    report = kb.ingest(corpus)
    assert (report.documents, report.chunks, report.added) == (2, 3, 3)
    assert (report.updated, report.unchanged, report.deleted) == (0, 0, 0)
    assert kb.count() == 3
    hits = kb.search("how do I pay what I owe the university", k=2)
    assert hits[0].chunk.chunk_id == "holds.md#accounts-receivable-hold"
    assert hits[0].chunk.title == "Holds"
    assert hits[0].chunk.text.startswith("An AR hold")
    assert 0 < hits[1].score < hits[0].score <= 1.0
    assert kb.search("where can I buy a parking permit", k=1)[0].chunk.source == "campus/parking.md"


def test_min_score_leaves_out_unrelated_passages(kb: KnowledgeBase, corpus: Path) -> None:
    kb.ingest(corpus)
    assert len(kb.search("what is the melting point of tungsten", k=3)) == 3
    assert kb.search("what is the melting point of tungsten", k=3, min_score=0.35) == []
    assert kb.search("   ") == []
    with pytest.raises(ValidationFailed):
        kb.search("x", k=0)


def test_reingest_touches_only_what_changed(kb: KnowledgeBase, corpus: Path) -> None:
    kb.ingest(corpus)
    assert kb.ingest(corpus).unchanged == 3
    _write(corpus, "holds.md", HOLDS.replace("Return overdue books", "Bring back late books"))
    again = kb.ingest(corpus)
    assert (again.added, again.updated, again.unchanged, again.deleted) == (0, 1, 2, 0)
    assert "Bring back" in kb.search("overdue library books", k=1)[0].chunk.text


def test_removed_headings_and_files_are_deleted(kb: KnowledgeBase, corpus: Path) -> None:
    kb.ingest(corpus)
    _write(corpus, "holds.md", HOLDS.split("## Library hold")[0])
    (corpus / "campus/parking.md").unlink()
    report = kb.ingest(corpus)
    assert (report.documents, report.chunks, report.deleted) == (1, 1, 2)
    assert kb.count() == 1
    assert {h.chunk.source for h in kb.search("parking permit library", k=5)} == {"holds.md"}


def test_a_title_change_reembeds_unchanged_text(kb: KnowledgeBase, corpus: Path) -> None:
    kb.ingest(corpus)
    _write(corpus, "campus/parking.md", PARKING.replace("# Parking", "# Parking and transport"))
    report = kb.ingest(corpus)
    assert (report.updated, report.unchanged) == (1, 2)
    assert kb.search("parking permit", k=1)[0].chunk.title == "Parking and transport"


def test_progress_reports_each_batch(kb: KnowledgeBase, corpus: Path) -> None:
    seen: list[tuple[int, int]] = []
    kb.ingest(corpus, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(3, 3)]


def test_bad_folders_are_refused_and_nothing_is_lost(kb: KnowledgeBase, corpus: Path) -> None:
    kb.ingest(corpus)
    with pytest.raises(ValidationFailed, match="does not exist"):
        kb.ingest(corpus / "missing")
    empty = corpus.parent / "empty"
    empty.mkdir()
    with pytest.raises(ValidationFailed, match="no Markdown"):
        kb.ingest(empty)
    assert kb.count() == 3


def test_the_store_persists_and_reopens(tmp_path: Path, embedder: Embedder, corpus: Path) -> None:
    settings = Settings.embedded_in(tmp_path / "var")
    open_kb(settings, embedder).ingest(corpus)
    reopened = open_kb(settings, embedder)
    assert reopened.count() == 3
    assert (tmp_path / "var" / "chroma").is_dir()
    assert reopened.search("library", k=1)[0].chunk.heading == "Library hold"


def test_open_needs_a_url_or_a_path(embedder: Embedder) -> None:
    with pytest.raises(ConfigurationError):
        KnowledgeBase.open(path=None, url=None, collection="kbtest", embedder=embedder)
    with pytest.raises(ConfigurationError, match="not http"):
        KnowledgeBase.open(path=None, url="ftp://x", collection="kbtest", embedder=embedder)
