"""Text to words, words to trigrams, and the similarity that ranks a match.

The same scheme as PostgreSQL's pg_trgm: lower-cased, accents folded, anything that is not a
letter or digit separates words, and each word is padded with two spaces in front and one
behind before cutting it into three-character pieces. So "Jonhson" and "Johnson" share
``"  j", " jo", "son", "on "`` (4 of 12 distinct trigrams: similarity 0.33), which is what
lets a misspelt surname still find the student; a one-letter slip (a swap, a missing or extra
letter) is scored by edit distance as well. Computed in Python for every dialect, so the final
ranking is identical whichever index produced the candidates.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_SEPARATORS = re.compile(r"[^0-9a-z]+")

MIN_SIMILARITY = 0.3
"""pg_trgm's default ``similarity_threshold``: below it a word does not count as a match."""


def words(text: str | None) -> list[str]:
    """The normalised words of a text (lower case, accents folded, punctuation dropped)."""
    if not text:
        return []
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [w for w in _SEPARATORS.split(folded) if w]


def trigrams(word: str) -> frozenset[str]:
    """The padded trigrams of one normalised word."""
    padded = f"  {word} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def all_trigrams(texts: Iterable[str]) -> frozenset[str]:
    """The union of the trigrams of every word of ``texts``."""
    return frozenset(g for text in texts for word in words(text) for g in trigrams(word))


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's ``similarity``: shared trigrams over distinct trigrams of the two words."""
    wanted, have = trigrams(a), trigrams(b)
    return len(wanted & have) / len(wanted | have)


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def edit_similarity(a: str, b: str) -> float:
    """1 - distance / length, counted only for one slip (two in words over five letters).

    Trigrams punish a swap near the start of a short name hardest ("Wlison" shares 3 of 11
    trigrams with "Wilson"), exactly the typo people make; one edit recovers it, while the
    cap keeps unrelated short names ("Ann", "Amy") from matching.
    """
    distance = _edit_distance(a, b)
    allowed = 1 if max(len(a), len(b)) <= 5 else 2
    return 1 - distance / max(len(a), len(b)) if distance <= allowed else 0.0


def word_score(query_word: str, target_words: Iterable[str]) -> float:
    """How well one query word matches a target's words.

    1 when it is a fragment of one of them, else the better of trigram and edit similarity
    with the closest one.
    """
    best = 0.0
    for target in target_words:
        if query_word in target:
            return 1.0
        best = max(
            best, trigram_similarity(query_word, target), edit_similarity(query_word, target)
        )
    return best


def score(query_words: list[str], target_words: list[str]) -> float:
    """The mean of each query word's best score; 0 when any word matches below the threshold.

    Every word must match something ("mary johnson" does not return every Mary), which is the
    behaviour staff expect from a directory.
    """
    if not query_words:
        return 0.0
    scores = [word_score(w, target_words) for w in query_words]
    if min(scores) < MIN_SIMILARITY:
        return 0.0
    return sum(scores) / len(scores)
