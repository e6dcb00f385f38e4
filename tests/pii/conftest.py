"""One redactor for the whole pii test area: loading spaCy is the slow part."""

from __future__ import annotations

import pytest

from evals.pii.corpus import LabelledText, load_corpus, load_directory_names
from policies.pii import Redactor


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    """The redactor with NER and the eval's SPRIDEN directory."""
    built = Redactor(load_directory_names())
    assert built.ner_enabled, "the spaCy model is installed here; NER must be on"
    return built


@pytest.fixture(scope="session")
def corpus() -> list[LabelledText]:
    return load_corpus()
