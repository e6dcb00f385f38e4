"""Knowledge-base fixtures: the packaged embedder, loaded once for the whole session."""

from __future__ import annotations

import pytest

from tools.kb.embedding import Embedder, load_embedder


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder()
