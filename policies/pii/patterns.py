"""Pattern recognizers: e-mail, phone, SSN, date of birth, street address, Banner ID, PIDM.

Each is a Presidio :class:`EntityRecognizer` whose rules are a few compiled regular
expressions plus, where a bare pattern would be ambiguous (a 9-digit number, a date, a small
integer), a context rule evaluated on the raw text. Context is checked here rather than by
Presidio's lemma enhancer so the rules behave the same with or without the spaCy model.

No recognizer touches the network: the e-mail rule validates the top-level label itself
instead of Presidio's ``tldextract`` check, which downloads the public-suffix list.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterator

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from policies.pii.models import PiiType

DEFAULT_BANNER_ID_PATTERN = r"[A@]\d{8}"

Match = tuple[int, int, float]


_CLAUSE_END = re.compile(r"[;!?\n]")


def has_context(
    text: str, start: int, end: int, words: re.Pattern[str], before: int = 40, after: int = 20
) -> bool:
    """Whether a context word occurs within ``before``/``after`` characters of a match.

    The window stops at a clause end (``;``, ``!``, ``?``, a newline) so a birth word in one
    clause does not turn the due date in the next into a date of birth.
    """
    lo = max(0, start - before)
    for m in _CLAUSE_END.finditer(text, lo, start):
        lo = m.end()
    hi = min(len(text), end + after)
    cut = _CLAUSE_END.search(text, end, hi)
    if cut:
        hi = cut.start()
    return bool(words.search(text, lo, start)) or bool(words.search(text, end, hi))


class RegexRecognizer(EntityRecognizer):
    """A recognizer for one :class:`PiiType` defined by :meth:`find` over the raw text."""

    entity: PiiType

    def __init__(self) -> None:
        super().__init__(supported_entities=[self.entity.value], name=type(self).__name__)

    def load(self) -> None:
        """Nothing to load: the patterns are compiled at import time."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Presidio's entry point: wrap :meth:`find` matches as results."""
        return [
            RecognizerResult(self.entity.value, start, end, score)
            for start, end, score in self.find(text)
        ]

    @abstractmethod
    def find(self, text: str) -> Iterator[Match]:
        """Yield ``(start, end, score)`` for every match in ``text``."""


_LOCAL = r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
_DOMAIN = r"(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}"


class EmailRecognizer(RegexRecognizer):
    """E-mail addresses, bare or in angle brackets, and the ``name [at] host [dot] edu`` dodge."""

    entity = PiiType.EMAIL
    _plain = re.compile(rf"(?<![\w.+-]){_LOCAL}@{_DOMAIN}(?![\w-])")
    _spelled = re.compile(
        r"(?<!\w)[\w.+-]+\s*[\[(]\s*at\s*[\])]\s*[\w-]+(?:\s*[\[(]\s*dot\s*[\])]\s*[\w-]+)+",
        re.IGNORECASE,
    )

    def find(self, text: str) -> Iterator[Match]:
        """Yield plain addresses (0.95) and spelled-out ones (0.8)."""
        if "@" in text:
            for m in self._plain.finditer(text):
                yield m.start(), m.end(), 0.95
        for m in self._spelled.finditer(text):
            yield m.start(), m.end(), 0.8


class PhoneRecognizer(RegexRecognizer):
    """North American numbers in the usual spellings, international ``+CC`` numbers, extensions.

    A 7-digit local number counts only next to a phone word (call, cell, ext...).
    """

    entity = PiiType.PHONE
    _nanp = re.compile(
        r"(?<![\w+@/.-])(?:\+?1[ .-]?)?(?:\(\s*[2-9]\d{2}\s*\)|[2-9]\d{2})"
        r"[ .-]?[2-9]\d{2}[ .-]?\d{4}"
        r"(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?(?![\w@/-]|\.\d)",
        re.IGNORECASE,
    )
    _intl = re.compile(r"(?<![\w+])\+[2-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\w-])")
    _local = re.compile(r"(?<![\w./-])[2-9]\d{2}[.-]\d{4}(?![\w/-]|\.\d)")
    _words = re.compile(
        r"\b(?:phone|call|cell|text|tel|mobile|ext|office|reach|number|fax|#)\b", re.IGNORECASE
    )

    def find(self, text: str) -> Iterator[Match]:
        """Yield formatted numbers (0.8), bare 10-digit runs (0.6), local numbers by context."""
        for m in self._nanp.finditer(text):
            formatted = not m.group(0).isdigit()
            yield m.start(), m.end(), 0.8 if formatted else 0.6
        for m in self._intl.finditer(text):
            if 8 <= sum(c.isdigit() for c in m.group(0)) <= 15:
                yield m.start(), m.end(), 0.7
        for m in self._local.finditer(text):
            if has_context(text, m.start(), m.end(), self._words):
                yield m.start(), m.end(), 0.6


class SsnRecognizer(RegexRecognizer):
    """US social security numbers: dashed or spaced always, 9 bare digits next to SSN words."""

    entity = PiiType.SSN
    _ssn = re.compile(r"(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-])")
    _words = re.compile(
        r"\b(?:ssn|ss#|social(?:\s+security)?|soc\.?\s*sec|tax\s*id|tin|itin)", re.IGNORECASE
    )

    def find(self, text: str) -> Iterator[Match]:
        """Yield valid-looking SSNs: dashed 0.85, spaced 0.7, bare with context 0.75."""
        for m in self._ssn.finditer(text):
            area, sep, group, serial = m.groups()
            if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
                continue
            if sep == "-":
                yield m.start(), m.end(), 0.85
            elif has_context(text, m.start(), m.end(), self._words, before=60):
                yield m.start(), m.end(), 0.75
            elif sep == " ":
                yield m.start(), m.end(), 0.6


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)


class DateOfBirthRecognizer(RegexRecognizer):
    """Dates that are someone's birth date: any date spelling, but only next to a birth word."""

    entity = PiiType.DATE_OF_BIRTH
    _date = re.compile(
        r"(?<![\w/-])(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}"
        rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
        rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}})(?![\w/-])",
        re.IGNORECASE,
    )
    _words = re.compile(
        r"\b(?:dob|d\.o\.b|born|birth\w*|b-?day|date\s+of\s+birth)\b", re.IGNORECASE
    )

    def find(self, text: str) -> Iterator[Match]:
        """Yield dates with a birth word shortly before (or just after) them."""
        for m in self._date.finditer(text):
            if has_context(text, m.start(), m.end(), self._words, before=40, after=12):
                yield m.start(), m.end(), 0.85


_STREET_TYPES = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|drive|dr|lane|ln|way|court|ct|place|pl"
    r"|terrace|ter|parkway|pkwy|highway|hwy|circle|cir|loop|trail|trl|square|sq"
)


class AddressRecognizer(RegexRecognizer):
    """Street addresses (number, up to four name words, a street type, unit, city/state/ZIP)."""

    entity = PiiType.ADDRESS
    _street = re.compile(
        r"(?<![\w#-])\d{1,6}[A-Za-z]?\s+(?:[NSEW]\.?\s+)?(?:[A-Za-z0-9][\w'.-]*\s+){0,4}?"
        rf"(?:{_STREET_TYPES})\b\.?"
        r"(?:,?\s+(?:apt|apartment|unit|suite|ste|room|rm|#)\.?\s*#?\w+)?"
        r"(?:,\s*[A-Z][A-Za-z.]+(?:\s[A-Z][A-Za-z.]+)*,?\s+[A-Z]{2}\.?(?:\s+\d{5}(?:-\d{4})?)?)?",
        re.IGNORECASE,
    )
    _po_box = re.compile(r"\bP\.?\s?O\.?\s+Box\s+\d+\b", re.IGNORECASE)

    def find(self, text: str) -> Iterator[Match]:
        """Yield street addresses (0.75) and PO boxes (0.75)."""
        for regex in (self._street, self._po_box):
            for m in regex.finditer(text):
                yield m.start(), m.end(), 0.75


class BannerIdRecognizer(RegexRecognizer):
    """The institution's public person ID (``SPRIDEN_ID``), matched case-insensitively."""

    entity = PiiType.BANNER_ID

    def __init__(self, pattern: str = DEFAULT_BANNER_ID_PATTERN) -> None:
        self._regex = re.compile(rf"(?<![\w@.])(?:{pattern})(?!\w)", re.IGNORECASE)
        super().__init__()

    def find(self, text: str) -> Iterator[Match]:
        """Yield every ID-shaped token (0.9)."""
        for m in self._regex.finditer(text):
            yield m.start(), m.end(), 0.9


class PidmRecognizer(RegexRecognizer):
    """Banner's internal person number, only where the text says it is one.

    ``pidm 1234``, ``"sgbstdn_pidm": 1234``, ``PIDMs 12, 34 and 56``, ``1234 (PIDM)``, and a
    bare number labelled as a student's (``student_id=100004``, ``student number 1234``).
    """

    entity = PiiType.PIDM
    _after = re.compile(
        r"\b(?:[a-z_]*pidms?|student[ _-]?(?:id|number|no)s?)\b[\"']?"
        r"(?:[\s:=#(]|\b(?:is|of|was|for|the|that|this|student|person"
        r"|number|no)\b)*"
        r"[\"']?(\d{1,9})\b((?:\s*(?:,|and|&|/|or)\s*\d{1,9}\b)*)",
        re.IGNORECASE,
    )
    _before = re.compile(r"(?<![\w.-])(\d{1,9})\s*\(?\s*(?:the\s+)?pidm\b", re.IGNORECASE)
    _number = re.compile(r"\d{1,9}")

    def find(self, text: str) -> Iterator[Match]:
        """Yield the numbers a PIDM keyword introduces (0.85)."""
        lowered = text.lower()
        if "pidm" not in lowered and "student" not in lowered:
            return
        for m in self._after.finditer(text):
            yield m.start(1), m.end(1), 0.85
            for n in self._number.finditer(text, m.start(2), m.end(2)):
                yield n.start(), n.end(), 0.85
        for m in self._before.finditer(text):
            yield m.start(1), m.end(1), 0.85


def pattern_recognizers(
    banner_id_pattern: str = DEFAULT_BANNER_ID_PATTERN,
) -> list[RegexRecognizer]:
    """One instance of every pattern recognizer, the Banner ID one with the given pattern."""
    return [
        EmailRecognizer(),
        PhoneRecognizer(),
        SsnRecognizer(),
        DateOfBirthRecognizer(),
        AddressRecognizer(),
        BannerIdRecognizer(banner_id_pattern),
        PidmRecognizer(),
    ]
