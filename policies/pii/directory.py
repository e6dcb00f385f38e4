"""Names of people known from SPRIDEN, found in text by one Aho-Corasick automaton.

The directory turns each person into a handful of normalised keys (``first last``,
``first m last``, ``last, first``, and the first and last names alone) and loads them into a
``pyahocorasick`` automaton, so a text is scanned once for every name at once, whatever the
size of the directory. Text and keys are normalised the same way without changing offsets
(case folded, accents stripped, curly apostrophes straightened), so lower-case names,
``José``/``Jose`` and ``O’Brien`` match.

A full name is trusted anywhere. A name alone is weaker evidence; it counts when it is not an
everyday word, and a name that is also a word (``Will``, ``Grant``, ``Rose``) counts only when
capitalised mid-sentence, after a title or greeting (``thanks, dawn``), or at a sentence start
when a verb follows (``Will missed the quiz``, not ``Will you...``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources

import ahocorasick
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from pydantic import BaseModel, ConfigDict
from spacy.lang.en.stop_words import STOP_WORDS

from policies.pii.models import PiiType

FULL_NAME_SCORE = 0.95
RARE_NAME_SCORE = 0.85
WORD_NAME_SCORE = 0.6
_PARTICLES = frozenset({"de", "la", "del", "der", "van", "von", "da", "di", "du", "le", "st"})
_TITLE = re.compile(
    r"(?:\b(?:mr|mrs|ms|mx|dr|prof|professor|dean|coach|miss|sir|advisor|student)\.?\s+)$",
    re.IGNORECASE,
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n\s*|^\W+)[\"'(\[*-]*\s*$")
_INTRO = re.compile(
    r"(?:\b(?:this is|it'?s|its|i'?m|i am|thanks|thank you|thx|cheers|hi|hey|hello|dear|regards"
    r"|best|love|from|to|with|ask|told|tell)|[-—])[\s,:]*$",
    re.IGNORECASE,
)
_SUBJECT_VERB = re.compile(
    r"(?:'s|’s|,|\s+(?:\w+ed|here|said|says|is|was|has|had|will|can|wants|needs|came|went|took|got"
    r"|did|does|asked|brought|thinks|knows)\b)"
)


class DirectoryName(BaseModel):
    """One person's current name as SPRIDEN holds it."""

    model_config = ConfigDict(frozen=True)

    first: str | None = None
    middle: str | None = None
    last: str


@cache
def _fold_table() -> dict[int, str]:
    """Length-preserving folding: accented Latin letters to ASCII, odd spaces and quotes plain."""
    table = {ord(c): " " for c in "\t\n\r\xa0\u2009\u202f"}
    table.update({ord(c): "'" for c in "’‘`´"})
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base.isascii() and base.isalpha():
            table[code] = base
    return table


def normalise(text: str) -> str:
    """Fold ``text`` for matching, keeping every character at its offset."""
    folded = text.translate(_fold_table()).lower()
    if len(folded) == len(text):
        return folded
    return "".join(low if len(low := c.lower()) == 1 else c for c in text.translate(_fold_table()))


@cache
def common_words() -> frozenset[str]:
    """Everyday English words that are also names, plus spaCy's English stop words."""
    listing = resources.files("policies.pii").joinpath("data/common_word_names.txt").read_text()
    words = {
        word for line in listing.splitlines() if not line.startswith("#") for word in line.split()
    }
    return frozenset(words | set(STOP_WORDS))


def _keys(person: DirectoryName) -> Iterator[tuple[str, bool]]:
    """Normalised keys for one person: ``(key, is_full_name)``."""
    last = " ".join(normalise(person.last).split())
    first = " ".join(normalise(person.first or "").split())
    middle = " ".join(normalise(person.middle or "").split())
    if not last:
        return
    yield last, False
    for part in re.split(r"[\s-]+", last):
        if len(part) >= 3 and part not in _PARTICLES and part != last:
            yield part, False
    if not first:
        return
    yield first, False
    yield f"{first} {last}", True
    yield f"{last}, {first}", True
    yield f"{last} {first}", True
    if middle:
        initial = middle[0]
        for form in (middle, initial, f"{initial}."):
            yield f"{first} {form} {last}", True
            yield f"{last}, {first} {form}", True


class NameDirectory:
    """An immutable set of known people's names, searchable in one pass over a text."""

    def __init__(self, people: Iterable[DirectoryName | str]) -> None:
        """Build the automaton from names; a plain string is taken as ``"First [Middle] Last"``."""
        self._automaton = ahocorasick.Automaton()
        self._people = 0
        for person in people:
            if isinstance(person, str):
                parts = person.split()
                if not parts:
                    continue
                person = DirectoryName(
                    first=parts[0] if len(parts) > 1 else None,
                    middle=" ".join(parts[1:-1]) or None,
                    last=parts[-1],
                )
            self._people += 1
            for key, full in _keys(person):
                known = self._automaton.get(key, None)
                self._automaton.add_word(key, (len(key), full or bool(known and known[1])))
        if self._people:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return self._people

    def __repr__(self) -> str:
        return f"NameDirectory(people={self._people})"

    def matches(self, text: str) -> Iterator[tuple[int, int, bool]]:
        """``(start, end, is_full_name)`` for every key found on word boundaries in ``text``."""
        if not self._people:
            return
        folded = normalise(text)
        size = len(text)
        for last_index, (length, full) in self._automaton.iter(folded):
            start, end = last_index - length + 1, last_index + 1
            if (start > 0 and folded[start - 1].isalnum()) or (
                end < size and folded[end].isalnum()
            ):
                continue
            yield start, end, full


class DirectoryRecognizer(EntityRecognizer):
    """Presidio recognizer for the people in a :class:`NameDirectory`."""

    def __init__(self, directory: NameDirectory) -> None:
        self.directory = directory
        super().__init__(supported_entities=[PiiType.PERSON.value], name="DirectoryRecognizer")

    def load(self) -> None:
        """The automaton is built by the directory; nothing else to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Presidio's entry point: directory matches that pass the single-name rules."""
        results = []
        for start, end, full in self.directory.matches(text):
            score = FULL_NAME_SCORE if full else self._single_name_score(text, start, end)
            if score:
                results.append(RecognizerResult(PiiType.PERSON.value, start, end, score))
        return results

    @staticmethod
    def _single_name_score(text: str, start: int, end: int) -> float:
        """Score a lone first or last name, or 0 when it reads as an ordinary word."""
        surface = text[start:end]
        key = normalise(surface)
        if key not in common_words() and len(key) > 2:
            return RARE_NAME_SCORE
        before = text[max(0, start - 20) : start]
        if _INTRO.search(before):
            return WORD_NAME_SCORE
        if not surface[0].isupper():
            return 0.0
        if _TITLE.search(before):
            return WORD_NAME_SCORE
        if not _SENTENCE_START.search(before) or _SUBJECT_VERB.match(text, end, end + 20):
            return WORD_NAME_SCORE
        return 0.0
