"""The redaction API the guard calls: free text, batches of text, and structured tool results.

:class:`Redactor` is built once per process (loading spaCy takes a second) and shared; each
agent run brings its own :class:`PseudonymVault`, so the same student is ``<PERSON_1>`` for the
whole run and the run's approved draft can be re-identified at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from presidio_analyzer import RecognizerResult
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as Span
from pydantic import BaseModel

from core.errors import BcaError
from core.settings import Settings
from policies.pii.directory import DirectoryName, NameDirectory
from policies.pii.engine import build_analyzer
from policies.pii.fields import FieldRules
from policies.pii.models import Entity, PiiType, RedactionResult
from policies.pii.patterns import DEFAULT_BANNER_ID_PATTERN
from policies.pii.vault import PseudonymVault

JsonValue = Any
"""What a redacted record is: JSON-compatible dicts, lists and scalars."""

_CACHE_SIZE = 4096


def resolve(entities: Iterable[Entity], text: str) -> list[Entity]:
    """Non-overlapping entities in text order.

    Overlapping spans of one type are merged (and two names separated only by a space become
    one name); spans of different types keep the higher score, then the longer span.
    """
    merged: list[Entity] = []
    for entity in sorted(entities, key=lambda e: (e.type, e.start, -e.end)):
        last = merged[-1] if merged and merged[-1].type is entity.type else None
        adjacent = last is not None and (
            entity.start <= last.end
            or (entity.type is PiiType.PERSON and text[last.end : entity.start] == " ")
        )
        if last is not None and adjacent:
            merged[-1] = last.model_copy(
                update={"end": max(last.end, entity.end), "score": max(last.score, entity.score)}
            )
        else:
            merged.append(entity)
    chosen: list[Entity] = []
    for entity in sorted(merged, key=lambda e: (-e.score, e.start - e.end)):
        if all(entity.end <= c.start or entity.start >= c.end for c in chosen):
            chosen.append(entity)
    return sorted(chosen, key=lambda e: e.start)


def _entity(result: RecognizerResult) -> Entity:
    """Our model of a Presidio result."""
    meta = result.recognition_metadata or {}
    return Entity(
        type=PiiType(result.entity_type),
        start=result.start,
        end=result.end,
        score=round(result.score, 3),
        recognizer=str(meta.get(RecognizerResult.RECOGNIZER_NAME_KEY, "")),
    )


class Redactor:
    """Finds personal data and replaces it with per-run pseudonyms, offline."""

    def __init__(
        self,
        directory: NameDirectory | Iterable[DirectoryName | str] = (),
        *,
        banner_id_pattern: str = DEFAULT_BANNER_ID_PATTERN,
        use_ner: bool = True,
        use_gazetteer: bool = True,
        field_rules: FieldRules | None = None,
        batch_size: int = 128,
        score_threshold: float = 0.5,
    ) -> None:
        """Build the analyzer; ``directory`` may be a :class:`NameDirectory` or plain names."""
        self.directory = (
            directory if isinstance(directory, NameDirectory) else NameDirectory(directory)
        )
        self._analyzer = build_analyzer(
            self.directory,
            banner_id_pattern=banner_id_pattern,
            use_ner=use_ner,
            use_gazetteer=use_gazetteer,
        )
        self._anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]
        self._rules = field_rules or FieldRules()
        self._field_kinds: dict[str, PiiType | bool] = {}
        self._cache: dict[str, list[Entity]] = {}
        self.batch_size = batch_size
        self.score_threshold = score_threshold
        self._notes: list[str] = []

    @classmethod
    def from_settings(
        cls, settings: Settings, *, banner_url: str | None = None, use_ner: bool = True
    ) -> Redactor:
        """A redactor with the institution's Banner ID pattern and SPRIDEN's names.

        When the directory cannot be loaded (no database, no SPRIDEN table, server down) the
        redactor still works on patterns and NER, and :attr:`notes` says why names are missing.
        """
        from policies.pii.spriden import load_directory

        url = banner_url or settings.banner_url
        note = None
        try:
            directory = load_directory(url)
        except BcaError as exc:
            directory, note = NameDirectory(()), f"name directory not loaded: {exc}"
        redactor = cls(
            directory,
            banner_id_pattern=settings.banner_id_pattern,
            use_ner=use_ner,
            use_gazetteer=settings.pii_name_gazetteer,
        )
        if note:
            redactor._notes.append(note)
        return redactor

    @property
    def ner_enabled(self) -> bool:
        """Whether spaCy NER runs (finds names that are not in the directory)."""
        return self._analyzer.ner_enabled

    @property
    def notes(self) -> list[str]:
        """What this redactor cannot do in this installation, for people to read."""
        return self._notes + self._analyzer.notes

    def __repr__(self) -> str:
        return f"Redactor(directory={self.directory!r}, ner={self.ner_enabled})"

    # --- finding -------------------------------------------------------------------------

    def analyze(self, text: str) -> list[Entity]:
        """The entities in one text, resolved to non-overlapping spans (no pseudonyms yet)."""
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Entities for many texts, running spaCy over them in batches (``nlp.pipe``)."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            batches = self._analyzer.batch.analyze_iterator(
                todo,
                language="en",
                batch_size=self.batch_size,
                score_threshold=self.score_threshold,
            )
            for text, results in zip(todo, batches, strict=True):
                if len(self._cache) >= _CACHE_SIZE:
                    del self._cache[next(iter(self._cache))]
                self._cache[text] = resolve(map(_entity, results), text)
        return [self._cache[t] for t in texts]

    # --- replacing -----------------------------------------------------------------------

    def redact_text(self, text: str, vault: PseudonymVault) -> RedactionResult:
        """Replace every entity in ``text`` with its pseudonym from ``vault``."""
        return self.redact_texts([text], vault)[0]

    def redact_texts(self, texts: Sequence[str], vault: PseudonymVault) -> list[RedactionResult]:
        """:meth:`redact_text` for many texts, analysed in batches."""
        return [
            self._replace(text, entities, vault)
            for text, entities in zip(texts, self.analyze_many(texts), strict=True)
        ]

    def _replace(self, text: str, entities: list[Entity], vault: PseudonymVault) -> RedactionResult:
        """Splice pseudonyms in with Presidio's anonymizer, numbering them in text order."""
        if not entities:
            return RedactionResult(text=text, entities=[])
        tokened = [
            e.model_copy(update={"token": vault.pseudonym(e.type, text[e.start : e.end])})
            for e in entities
        ]
        operators = {
            kind.value: OperatorConfig("custom", {"lambda": partial(vault.pseudonym, kind)})
            for kind in {e.type for e in entities}
        }
        anonymized = self._anonymizer.anonymize(
            text,
            [Span(e.type.value, e.start, e.end, e.score) for e in entities],
            operators=operators,
            merge_entities_with_spaces=False,
        )
        return RedactionResult(text=anonymized.text, entities=tokened)

    # --- structured results --------------------------------------------------------------

    def redact_record(
        self, record: BaseModel | Mapping[str, Any] | Sequence[Any], vault: PseudonymVault
    ) -> JsonValue:
        """Redact one tool result: known PII fields without NLP, other strings analysed."""
        return self.redact_records([record], vault)[0]

    def redact_records(
        self,
        records: Sequence[BaseModel | Mapping[str, Any] | Sequence[Any]],
        vault: PseudonymVault,
    ) -> list[JsonValue]:
        """Redact many tool results, analysing all their free-text fields in one batch."""
        pending: list[tuple[Any, Any, str]] = []
        out = [self._walk(_plain(r), False, vault, pending) for r in records]
        if pending:
            results = self.redact_texts([text for _, _, text in pending], vault)
            for (container, key, _), result in zip(pending, results, strict=True):
                container[key] = result.text
        return out

    def _kind(self, name: str) -> PiiType | bool:
        """The field rule for ``name``, memoised (tool results repeat their field names)."""
        kind = self._field_kinds.get(name)
        if kind is None:
            kind = self._field_kinds[name] = self._rules.classify(name)
        return kind

    def _walk(
        self,
        value: Any,
        kind: PiiType | bool,
        vault: PseudonymVault,
        pending: list[tuple[Any, Any, str]],
    ) -> JsonValue:
        """Copy ``value`` with PII replaced; free-text strings are queued in ``pending``."""
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in value.items():
                out[key] = self._walk(item, self._kind(str(key)), vault, pending)
                if isinstance(out[key], _Queued):
                    pending.append((out, key, item))
            return out
        if isinstance(value, list | tuple):
            items: list[Any] = []
            for index, item in enumerate(value):
                items.append(self._walk(item, kind, vault, pending))
                if isinstance(items[index], _Queued):
                    pending.append((items, index, item))
            return items
        if value is None or isinstance(value, bool):
            return value
        if isinstance(kind, PiiType):
            shown = str(value).strip()
            return vault.pseudonym(kind, shown) if shown else value
        if kind or not isinstance(value, str):
            return value
        return _QUEUED


class _Queued:
    """Marks a string left for the batched free-text pass."""


_QUEUED = _Queued()


def _plain(record: BaseModel | Mapping[str, Any] | Sequence[Any]) -> Any:
    """A Pydantic model as JSON-compatible data; mappings and sequences as they are."""
    return record.model_dump(mode="json") if isinstance(record, BaseModel) else record
