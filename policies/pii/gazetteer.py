"""Names beyond the directory: a given-name/surname gazetteer plus context rules.

Why: SPRIDEN only knows enrolled people, and the small spaCy model misses about a quarter of
the surnames of everyone else (parents, applicants, other schools' staff). This recognizer
adds two kinds of evidence that cost microseconds per message:

* **context** — a title (``Dr. Okafor``), a phrase that introduces a person (``met with``,
  ``spoke to``, ``parent``, ``mother of``, ``Dear``, ``this is``, ``my name is``) or a
  signature line after ``Thanks,``/``Best,``: the following name-shaped tokens are a name
  whatever they are, and in lower case too when the gazetteer knows them;
* **the gazetteer** — a capitalised pair ``First Last`` whose first token is a known given
  name and whose second is a known surname, unless the pair names a place (``Brennan Hall``,
  ``Grant Center``); a capitalised known given name alone, when it is not an everyday word.

Once a token is found to be a name in a text, its other mentions there are names too
(``spoke with dana ruiz ...; dana was upset``).

The gazetteer is derived from the PyPI ``names-dataset`` package (first and last names with
their rank per country), keeping the names ranked in the top :data:`FIRST_RANK` /
:data:`LAST_RANK` of :data:`COUNTRIES`, plus ``wordfreq``'s most frequent English words that
are not names. Names that are also everyday words ("Grant", "Young", "May") are the ones of
the curated ``data/common_word_names.txt`` the directory uses too. Loading the whole data set
takes ~15 s and gigabytes, so the derived list is built once (``python -m
policies.pii.gazetteer``) and shipped as package data; nothing is downloaded or rebuilt at run
time. No evaluation corpus feeds it (see ``evals/pii/unseen.py``).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from policies.pii.directory import common_words, normalise
from policies.pii.models import PiiType

COUNTRIES = ("US", "GB", "CA", "IE", "AU", "IN", "MX", "PH", "CN", "VN", "KR", "NG")
FIRST_RANK = 5000
LAST_RANK = 10000
TOP_WORDS = 30000
"""The most frequent English words are listed too (flag ``WORD`` alone): "History", "Garden"
and "Cheers" are then known not to be names, which lets NER's guesses be checked."""
GAZETTEER_FILE = "data/name_gazetteer.tsv.gz"

CONTEXT_SCORE = 0.8
PAIR_SCORE = 0.75
SINGLE_SCORE = 0.6

GIVEN, SURNAME, WORD, FREQUENT = 1, 2, 4, 8
FREQUENT_WORDS = 5000
"""A name among wordfreq's most frequent English words ("Good", "Law", "Long") is flagged
``FREQUENT``: it is never taken for a name alone, only in a pair or after a context cue."""


@dataclass(frozen=True)
class Gazetteer:
    """Lower-case names mapped to flags: ``GIVEN``, ``SURNAME``, ``WORD`` (everyday word)."""

    flags: dict[str, int]

    def get(self, key: str) -> int:
        """The flags of one lower-case token (0 when unknown)."""
        return self.flags.get(key, 0)


@cache
def load_gazetteer() -> Gazetteer:
    """The shipped derived list (a few hundred kB; loads in well under a second)."""
    raw = resources.files("policies.pii").joinpath(GAZETTEER_FILE).read_bytes()
    flags: dict[str, int] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("\t")
            flags[name] = int(value)
    for word in common_words():
        if word in flags:
            flags[word] |= WORD
    return Gazetteer(flags)


def derive_gazetteer() -> list[str]:
    """The lines of the derived list, from ``names-dataset`` and ``wordfreq`` (slow: ~30 s)."""
    from importlib.metadata import version

    from names_dataset import NameDataset
    from wordfreq import top_n_list

    data = NameDataset()
    flags: dict[str, int] = {}
    for table, bit, limit in ((data.first_names, GIVEN, FIRST_RANK),
                              (data.last_names, SURNAME, LAST_RANK)):  # fmt: skip
        for name, info in table.items():
            ranks = info.get("rank") or {}
            if any(c in ranks and ranks[c] is not None and ranks[c] <= limit for c in COUNTRIES):
                key = " ".join(normalise(name).split())
                if len(key) >= 2 and key.replace("-", "").replace("'", "").isalpha():
                    flags[key] = flags.get(key, 0) | bit
    for rank, word in enumerate(top_n_list("en", TOP_WORDS)):
        if word.isalpha() and word not in flags:
            flags[word] = WORD
        elif word in flags and rank < FREQUENT_WORDS:
            flags[word] |= FREQUENT
    header = (
        f"# derived from names-dataset {version('names-dataset')} (ranks <= {FIRST_RANK} first,"
        f" <= {LAST_RANK} last in {','.join(COUNTRIES)}) and wordfreq {version('wordfreq')}"
        f" (its top {TOP_WORDS} words that are not names);"
        " flags 1 given, 2 surname, 4 word, 8 frequent word"
    )
    return [header, *(f"{k}\t{v}" for k, v in sorted(flags.items()))]


# --- the rules ------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*")
_NAME_SHAPE = re.compile(r"(?:Mc|Mac|O['’]|D['’])?[A-Z][a-z'’]*(?:-[A-Z][a-z'’]*)?")
"""A capitalised name as people write it: "Ruiz", "McGough", "O'Brien", "Lopez-Diaz" (not
"RAs" or "iPhone")."""
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_TITLE = re.compile(r"\b(?:mr|mrs|ms|mx|dr|prof|professor|dean|coach|miss)\.?\s+$", re.IGNORECASE)
_INTRODUCER = re.compile(
    r"(?:\b(?:met|meeting|spoke|speaking|talked|talking|spoken|chatted|called|emailed|e-mailed)"
    r"\s+(?:with|to)|\b(?:student|parent|guardian|mother|father|mom|mum|dad|son|daughter|"
    r"advisee|applicant|caller|requester|kid|child|husband|wife|sister|brother|counselor|counsellor|advisor|adviser|contact|"
    r"user|from:|dear|hi|hello|hey|this\s+is|i\s+am|i'?m|my\s+name\s+is|name|per|"
    r"assigned\s+to|cc|sincerely|regards|thanks|thank\s+you|best|cheers)"
    r"(?:\s+(?:of|is|was))?)[\s,:]*$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"(?:^|\n)\s*(?:thanks|thank you|best|best regards|regards|kind regards|sincerely|cheers"
    r"|warmly|respectfully|-+|—)[,.!]?\s*\n\s*$",
    re.IGNORECASE,
)
_DASH_SIGNATURE = re.compile(r"(?:\s[-—]+|^[-—]+)\s*$")


def _wordset(words: str) -> frozenset[str]:
    """A set of lower-case words written as one space-separated string (easier to scan)."""
    return frozenset(words.split())


_PLACE_WORDS = _wordset(
    "hall halls library center centre building auditorium union college school university "
    "bank garden gardens street avenue road drive field stadium gym gymnasium house lodge "
    "commons park plaza tower village institute academy court lot high middle elementary "
    "district county city office department clinic hospital church chapel theatre theater "
    "lab laboratory science sciences arena pavilion dorm residence community mountain valley "
    "cc"
)
_NOT_NAMES = _wordset(
    "i a an the and or of to in on at for by with from is are was were be been will can may "
    "my our your his her their its this that these those it me we you he she they us them "
    "please thanks thank hi hello dear regards best sincerely cheers student students parent "
    "mom dad son daughter mother father office admissions registrar ticket issue subject "
    "re fw fwd monday tuesday wednesday thursday friday saturday sunday january february "
    "march july september october november december today tomorrow "
    "yesterday canvas banner portal fafsa ferpa id ssn mr mrs ms mx dr prof professor "
    "requester caller applicant advisee contact user reminder location question callback"
)
_MAX_RUN = 3
_MONTHS = _wordset(
    "january february march april may june july august september october november december"
)
_DATE_BEFORE = re.compile(r"\b(?:in|since|by|until|till|of|next|last|early|late|mid|from|"
                          r"through|before|after|during)\s+$", re.IGNORECASE)  # fmt: skip
_PLACE_BEFORE = re.compile(r"\b(?:in|at|near|to|into|from|of)\s+$", re.IGNORECASE)
_SUBJECT_AFTER = re.compile(
    r"(?:['’]s\b|,|\s+(?:\w+ed|said|says|is|was|has|had|will|would|can|could|wants|needs|came"
    r"|went|took|got|did|does|asked|called|thinks|knows|missed|says|reports|needs)\b)",
    re.IGNORECASE,
)
_NOT_IN_NAMES = re.compile(r"[\d\n@<>()]")
_DATE_AFTER = re.compile(r"\s+\d")
_LINE_START = re.compile(r"\n[ \t]*$")
_LINE_END = re.compile(r"[ \t]*(?:\n|$)")


@dataclass
class _Token:
    start: int
    end: int
    key: str
    cap: bool
    flags: int


def _tokens(text: str, gazetteer: Gazetteer) -> list[_Token]:
    """Word tokens with their case and gazetteer flags (a trailing ``'s`` left out)."""
    out = []
    folded = normalise(text)
    for m in _TOKEN.finditer(text):
        start, end = m.span()
        cut = _POSSESSIVE.search(text, start, end)
        if cut:
            end = cut.start()
        key = folded[start:end]
        word = text[start:end]
        cap = bool(_NAME_SHAPE.fullmatch(word)) or (word.isupper() and len(word) > 1)
        out.append(_Token(start, end, key, cap, gazetteer.get(key)))
    return out


def _name_like(token: _Token, lower_ok: bool, after_name: bool = False) -> bool:
    """Whether a token can be part of a name that a context cue or a given name introduces.

    Capitalised: anything but a function word or a place word; a known non-name word
    ("Honda", "Delay", "Fort") only right after a given name or an initial. Lower case
    (``met with dana ruiz``): a name the gazetteer knows, or a word it does not know at all.
    """
    if token.key in _NOT_NAMES or token.key in _PLACE_WORDS:
        return False
    if token.flags == WORD:
        return token.cap and after_name
    return token.cap or (lower_ok and (after_name or not token.flags & WORD))


def _run(text: str, tokens: list[_Token], i: int, lower_ok: bool, strong: bool = False) -> int:
    """How many tokens from ``i`` form one name.

    Name-like tokens separated by a space, middle initials (``Ann B. Cole``), and a
    ``Last, First`` inversion when the second is a capitalised given name. ``strong`` (after
    a title) takes any capitalised first token.
    """
    n = 0
    while i + n < len(tokens) and n < _MAX_RUN:
        token = tokens[i + n]
        prev = tokens[i + n - 1] if n else None
        if prev is not None:
            gap = text[prev.end : token.start]
            initial = gap == ". " and _is_initial(text, prev)
            inverted = gap == ", " and n == 1 and token.cap and token.flags & GIVEN
            if inverted and _continues(text, tokens, i + n):
                break  # "Father of Diane, Alexander E. Mcgregor": a list, not "Last, First"
            if gap != " " and not initial and not inverted:
                break
        if n and _is_initial(text, token):
            n += 1
            continue
        after_name = strong if prev is None else bool(prev.flags & GIVEN or _is_initial(text, prev))
        if prev is None and not after_name:
            after_name = _continues(text, tokens, i) and bool(token.flags & GIVEN or token.cap)
        if not _name_like(token, lower_ok, after_name or (prev is not None and prev.cap)):
            break
        n += 1
    while n and _is_initial(text, tokens[i + n - 1]):
        n -= 1
    return n


def _continues(text: str, tokens: list[_Token], i: int) -> bool:
    """Whether token ``i`` is followed, after one space, by an initial or a likely surname."""
    if i + 1 >= len(tokens) or text[tokens[i].end : tokens[i + 1].start] != " ":
        return False
    nxt = tokens[i + 1]
    if _is_initial(text, nxt):
        return True
    return (
        nxt.key not in _NOT_NAMES
        and nxt.key not in _PLACE_WORDS
        and (bool(nxt.flags & SURNAME) or (not nxt.flags and not nxt.cap))
    )


def _is_initial(text: str, token: _Token) -> bool:
    """A middle initial: one capital letter followed by a full stop or a space."""
    return token.end - token.start == 1 and token.cap and text[token.end : token.end + 1] in ". "


def _is_org(text: str, token: _Token) -> bool:
    """An all-capitals abbreviation (``CC``, ``HS``, ``OSU``) that names an organisation."""
    word = text[token.start : token.end]
    return len(word) >= 2 and word.isupper() and not token.flags & (GIVEN | SURNAME)


def _plausible(tokens: list[_Token]) -> bool:
    """Whether tokens another recognizer called a name can be one.

    Not when one of them is a known non-name word (``Art History``, ``Rose Garden``), the last
    is a place word (``Hamilton Library``), or it is one everyday word alone (``June``).
    """
    tokens = [t for t in tokens if t.end - t.start > 1]  # initials say nothing
    if not tokens or tokens[-1].key in _PLACE_WORDS:
        return False
    first_is_word = bool(tokens[0].flags & WORD)  # "Art" History, but not "Lucius" Fort
    if any((t.flags == WORD and (k == 0 or first_is_word)) or t.key in _NOT_NAMES
           for k, t in enumerate(tokens)):  # fmt: skip
        return False
    return len(tokens) > 1 or not tokens[0].flags & WORD


class GazetteerRecognizer(EntityRecognizer):
    """Presidio recognizer for names outside SPRIDEN: context rules plus the gazetteer."""

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer or load_gazetteer()
        super().__init__(supported_entities=[PiiType.PERSON.value], name="GazetteerRecognizer")

    def load(self) -> None:
        """The gazetteer is loaded (and cached) by :func:`load_gazetteer`."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Presidio's entry point: every name the rules find, and its other mentions."""
        return [
            RecognizerResult(PiiType.PERSON.value, start, end, score)
            for start, end, score in self.find(text)
        ]

    def plausible(self, text: str, start: int, end: int, *, guess: bool) -> bool:
        """Whether ``text[start:end]``, found by another recognizer, can be a name.

        Never when a place word follows (``Young Hall``) or a month is used as a date
        (``since June``, ``May 3``); for a ``guess`` (spaCy's), not across a digit or a line
        break either, and :func:`_plausible`.
        """
        if guess and _NOT_IN_NAMES.search(text, start, end):
            return False  # spaCy's "Jean Schuetz\n1-208": a name has no digits or line break
        tokens = _tokens(text[start:end], self.gazetteer)
        nxt = _TOKEN.match(text, end + 1) if text[end : end + 1] == " " else None
        if nxt and (normalise(nxt.group(0)) in _PLACE_WORDS):
            return False
        if (
            len(tokens) == 1
            and tokens[0].key in _MONTHS
            and (
                _DATE_BEFORE.search(text, max(0, start - 12), start) or _DATE_AFTER.match(text, end)
            )
        ):
            return False
        return not guess or _plausible(tokens)

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        """``(start, end, score)`` of every name, its tokens and initials joined into one span."""
        tokens = _tokens(text, self.gazetteer)
        found: dict[int, float] = {}
        i = 0
        while i < len(tokens):
            n, score = self._at(text, tokens, i)
            for k in range(i, i + n):
                found[k] = max(found.get(k, 0.0), score)
            i += max(n, 1)
        surfaces = {text[tokens[k].start : tokens[k].end] for k in found}
        keys = {tokens[k].key for k in found}
        for k, token in enumerate(tokens):
            if k in found or token.key not in keys or token.key in _NOT_NAMES:
                continue
            if text[token.start : token.end] in surfaces or not token.flags & WORD:
                found[k] = SINGLE_SCORE
        span: list[float] = []  # start, end, score of the name being joined up
        for k, score in sorted(found.items()):
            token = tokens[k]
            joined = span and k - 1 in found and (
                text[tokens[k - 1].end : token.start] == " "
                or (text[tokens[k - 1].end : token.start] == ". "
                    and _is_initial(text, tokens[k - 1]))
            )  # fmt: skip
            if joined:
                span[1], span[2] = token.end, max(span[2], score)
                continue
            if span:
                yield int(span[0]), int(span[1]), span[2]
            span = [token.start, token.end, score]
        if span:
            yield int(span[0]), int(span[1]), span[2]

    def _at(self, text: str, tokens: list[_Token], i: int) -> tuple[int, float]:
        """The name starting at token ``i`` (its length in tokens, its score), or ``(0, 0)``."""
        token = tokens[i]
        lo = max(0, token.start - 30)
        before = text[lo : token.start]
        if (
            _TITLE.search(before)
            or _INTRODUCER.search(before)
            or _SIGN_OFF.search(text, lo, token.start)
            or (_DASH_SIGNATURE.search(before) and text.count(" ", token.start) < _MAX_RUN)
        ):
            n = _run(text, tokens, i, lower_ok=True, strong=bool(_TITLE.search(before)))
            if n and (n > 1 or token.cap or token.flags & (GIVEN | SURNAME)):
                return n, CONTEXT_SCORE
        if not token.cap or token.key in _NOT_NAMES:
            return 0, 0.0
        if token.flags & GIVEN and _LINE_START.search(before):
            n = _run(text, tokens, i, lower_ok=True)
            if n and _LINE_END.match(text, tokens[i + n - 1].end):
                return n, CONTEXT_SCORE  # a signature line of its own: "\nDana C. Ruiz"
        if not token.cap or token.key in _NOT_NAMES or not token.flags & GIVEN:
            return 0, 0.0
        j = i + 1
        if j + 1 < len(tokens) and _is_initial(text, tokens[j]):
            j += 1  # "Dana C. Ruiz"
        nxt = tokens[j] if j < len(tokens) else None
        after = tokens[j + 1] if j + 1 < len(tokens) else None
        if (
            nxt is not None
            and text[tokens[j - 1].end : nxt.start] == (". " if j > i + 1 else " ")
            and _name_like(nxt, lower_ok=False, after_name=not token.flags & (WORD | FREQUENT))
            and (nxt.flags & SURNAME or not token.flags & WORD)
            and not (after and (after.key in _PLACE_WORDS or _is_org(text, after)))
        ):
            return j - i + 1, PAIR_SCORE
        if nxt is not None and (nxt.key in _PLACE_WORDS or _is_org(text, nxt)):
            return 0, 0.0  # "Morrison Hall", "Brennan CC"
        prev = tokens[i - 1] if i else None
        if prev and prev.cap and text[prev.end : token.start] == " " and not prev.flags & GIVEN:
            return 0, 0.0  # the second word of a capitalised phrase: "Green Dot"
        if _PLACE_BEFORE.search(before):
            return 0, 0.0  # "students in Columbus", "at Trinity": a place, not a person
        # A lone given name counts only where a person acts on it (a verb or possessive
        # after): "Dana will file", "Dana's mom", not "does Jupiter have"; and not "MUS".
        if (
            _NAME_SHAPE.fullmatch(text, token.start, token.end)
            and not token.flags & (WORD | FREQUENT)
            and len(token.key) > 2
            and _SUBJECT_AFTER.match(text, token.end)
        ):
            return 1, SINGLE_SCORE
        return 0, 0.0


def main() -> None:
    """Re-derive the shipped gazetteer from the installed data packages."""
    path = Path(str(resources.files("policies.pii").joinpath(GAZETTEER_FILE)))
    lines = derive_gazetteer()
    path.write_bytes(gzip.compress("\n".join(lines).encode("utf-8") + b"\n", mtime=0))
    print(f"{len(lines) - 1} names -> {path}")


if __name__ == "__main__":
    main()
