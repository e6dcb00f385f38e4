"""The knowledge base: a chromadb collection of help-page chunks, kept in step with a folder.

One collection mirrors one folder of Markdown: ingesting the folder again adds new sections,
re-embeds changed ones (a different ``content_hash``, title or heading), leaves the rest alone
and deletes the chunks of removed files and headings, so the chatbot never cites a page that no
longer says so. Embeddings are computed here with the packaged model and handed to chromadb,
which only stores and searches them (cosine space: score = 1 - distance).

Every record carries every metadata key (a chromadb ``where`` filter silently drops records
that lack the key it filters on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict

from core.errors import ConfigurationError, ValidationFailed
from tools.kb.chunks import chunk_markdown, embedding_text
from tools.kb.embedding import ChromaEmbedding, Embedder, load_embedder
from tools.kb.models import Chunk, Hit

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from core.settings import Settings

UPSERT_BATCH = 128
READ_PAGE = 5000
METADATA_KEYS = ("source", "title", "heading", "anchor", "content_hash")

Progress = Callable[[int, int], None]
"""Called with (chunks embedded so far, chunks to embed) after each batch."""


class IngestReport(BaseModel):
    """What one ingest did to the collection."""

    model_config = ConfigDict(frozen=True)

    documents: int
    chunks: int
    added: int
    updated: int
    unchanged: int
    deleted: int


def read_folder(folder: Path) -> list[Chunk]:
    """The chunks of every ``*.md`` under ``folder`` (sources relative, ``/`` separated, sorted).

    Raises:
        ValidationFailed: the folder is missing or holds no Markdown (ingesting it would
            delete the whole knowledge base).
    """
    if not folder.is_dir():
        raise ValidationFailed(f"knowledge-base folder {folder} does not exist")
    files = sorted(folder.rglob("*.md"))
    if not files:
        raise ValidationFailed(f"knowledge-base folder {folder} holds no Markdown (*.md) files")
    chunks: list[Chunk] = []
    for file in files:
        source = file.relative_to(folder).as_posix()
        chunks.extend(chunk_markdown(file.read_text(encoding="utf-8"), source))
    return chunks


def _metadata(chunk: Chunk) -> dict[str, str]:
    return {key: getattr(chunk, key) for key in METADATA_KEYS}


def _batches(items: Sequence[Chunk], size: int) -> Iterator[Sequence[Chunk]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class KnowledgeBase:
    """Search and incremental ingest over one chromadb collection."""

    def __init__(self, collection: Collection, embedder: Embedder) -> None:
        self._collection = collection
        self._embedder = embedder

    @classmethod
    def open(
        cls, *, path: Path | None, url: str | None, collection: str, embedder: Embedder
    ) -> KnowledgeBase:
        """Open (creating if needed) ``collection``: on a chromadb server at ``url``, else embedded.

        Raises:
            ConfigurationError: neither a URL nor a path, or a URL that is not http(s)://host.
        """
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        options = ChromaSettings(anonymized_telemetry=False)
        client: ClientAPI
        if url:
            parts = urlparse(url)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise ConfigurationError(f"chroma URL {url!r} is not http(s)://host[:port]")
            client = chromadb.HttpClient(
                host=parts.hostname,
                port=parts.port or (443 if parts.scheme == "https" else 8000),
                ssl=parts.scheme == "https",
                settings=options,
            )
        elif path is not None:
            path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(path), settings=options)
        else:
            raise ConfigurationError("the knowledge base needs a chroma URL or a local path")
        found = client.get_or_create_collection(
            collection,
            embedding_function=ChromaEmbedding(embedder),  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )
        return cls(found, embedder)

    def count(self) -> int:
        """Chunks in the collection."""
        return self._collection.count()

    def _stored(self) -> dict[str, dict[str, Any]]:
        """Metadata of every stored chunk by id, read a page at a time."""
        stored: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            page = self._collection.get(include=["metadatas"], limit=READ_PAGE, offset=offset)
            metadatas = page["metadatas"] or []
            for chunk_id, meta in zip(page["ids"], metadatas, strict=True):
                stored[chunk_id] = dict(meta or {})
            if len(page["ids"]) < READ_PAGE:
                return stored
            offset += READ_PAGE

    def ingest(self, folder: Path, *, progress: Progress | None = None) -> IngestReport:
        """Bring the collection in step with ``folder``; only new or changed chunks are embedded."""
        chunks = read_folder(folder)
        stored = self._stored()
        changed = [c for c in chunks if stored.get(c.chunk_id) != _metadata(c)]
        added = sum(c.chunk_id not in stored for c in changed)
        done = 0
        for batch in _batches(changed, UPSERT_BATCH):
            vectors = self._embedder.embed([embedding_text(c) for c in batch])
            self._collection.upsert(
                ids=[c.chunk_id for c in batch],
                embeddings=vectors,  # type: ignore[arg-type]
                documents=[c.text for c in batch],
                metadatas=[_metadata(c) for c in batch],
            )
            done += len(batch)
            if progress is not None:
                progress(done, len(changed))
        current = {c.chunk_id for c in chunks}
        gone = sorted(set(stored) - current)
        for start in range(0, len(gone), READ_PAGE):
            self._collection.delete(ids=gone[start : start + READ_PAGE])
        return IngestReport(
            documents=len({c.source for c in chunks}),
            chunks=len(chunks),
            added=added,
            updated=len(changed) - added,
            unchanged=len(chunks) - len(changed),
            deleted=len(gone),
        )

    def search(self, query: str, *, k: int = 5, min_score: float | None = None) -> list[Hit]:
        """The ``k`` chunks closest to ``query``, best first, those under ``min_score`` left out.

        ``min_score=None`` keeps all ``k``; the chatbot passes ``kb_min_score`` so that a
        question the pages do not answer finds nothing rather than the least bad passage.
        """
        if k < 1:
            raise ValidationFailed("k must be at least 1")
        if not query.strip() or self.count() == 0:
            return []
        found = self._collection.query(
            query_embeddings=self._embedder.embed([query]),  # type: ignore[arg-type]
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        hits: list[Hit] = []
        documents = (found["documents"] or [[]])[0]
        metadatas = (found["metadatas"] or [[]])[0]
        distances = (found["distances"] or [[]])[0]
        for chunk_id, text, meta, distance in zip(
            found["ids"][0], documents, metadatas, distances, strict=True
        ):
            score = 1.0 - float(distance)
            if min_score is not None and score < min_score:
                continue
            fields = {key: str(meta[key]) for key in METADATA_KEYS}
            hits.append(Hit(chunk=Chunk(chunk_id=chunk_id, text=text, **fields), score=score))
        return hits


def open_kb(settings: Settings, embedder: Embedder | None = None) -> KnowledgeBase:
    """The deployment's knowledge base: ``BCA_CHROMA_URL``, else the store under ``var/chroma``."""
    return KnowledgeBase.open(
        path=settings.var_dir / "chroma",
        url=settings.chroma_url or None,
        collection=settings.kb_collection,
        embedder=embedder or load_embedder(),
    )
