"""Score a redactor on the labelled corpus: recall and precision per entity type.

A labelled value counts as found when predicted spans of its type cover all of its
characters (a name found as two halves is still found); a prediction counts as correct when
it overlaps a labelled value of its type. ``PERSON_DIRECTORY`` is recall on the people in the
eval's SPRIDEN directory. On the unseen corpus (:mod:`evals.pii.unseen`) every PERSON token
is also counted as ``PERSON_GIVEN`` or ``PERSON_SURNAME``: a surname is caught when its span
lies inside redacted PERSON entities. Look-alikes labelled as negatives (buildings, courses,
months, everyday words) are counted apart: how many of them a PERSON entity touched.

``python -m evals.pii.score`` prints the tables of the old corpus and of both unseen splits;
``--misses dev`` adds the dev split's misses and false positives (never ask for test's rows
to tune on).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel

from evals.pii.corpus import GoldSpan, LabelledText, load_corpus, load_directory_names
from evals.pii.unseen import load_split
from policies.pii import Entity, PiiType, Redactor

DIRECTORY_PERSON = "PERSON_DIRECTORY"
GIVEN_PERSON = "PERSON_GIVEN"
SURNAME_PERSON = "PERSON_SURNAME"


class TypeScore(BaseModel):
    """Counts and rates for one entity type."""

    gold: int
    found: int
    predicted: int
    correct: int

    @property
    def recall(self) -> float:
        """Share of labelled values found (1.0 when there were none)."""
        return self.found / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        """Share of predictions that were labelled values (1.0 when there were none)."""
        return self.correct / self.predicted if self.predicted else 1.0


class Miss(BaseModel):
    """A labelled value the redactor left (partly) in the text."""

    id: str
    type: str
    value: str


class ScoreReport(BaseModel):
    """Per-type scores, the misses and the false positives of one run over the corpus."""

    scores: dict[str, TypeScore]
    misses: list[Miss]
    false_positives: list[Miss]
    negatives: int = 0
    negatives_hit: list[Miss] = []

    def table(self) -> str:
        """A human-readable table of recall and precision per type."""
        lines = [f"{'type':<18}{'gold':>6}{'recall':>9}{'pred':>6}{'precision':>11}"]
        for name, s in sorted(self.scores.items()):
            lines.append(
                f"{name:<18}{s.gold:>6}{s.recall:>9.3f}{s.predicted:>6}{s.precision:>11.3f}"
            )
        if self.negatives:
            lines.append(
                f"look-alikes redacted as PERSON: {len(self.negatives_hit)}/{self.negatives}"
            )
        return "\n".join(lines)


def _covered(gold: GoldSpan, predicted: Sequence[Entity]) -> bool:
    """Whether predictions of the gold type cover every non-space character of the gold span."""
    chars = set(range(gold.start, gold.end))
    for p in predicted:
        if p.type is gold.type:
            chars -= set(range(p.start, p.end))
    return not chars


def score(items: Sequence[LabelledText], predictions: Sequence[Sequence[Entity]]) -> ScoreReport:
    """Compare predictions with the labels, item by item."""
    gold_n: Counter[str] = Counter()
    found: Counter[str] = Counter()
    pred_n: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    misses, false_positives, negatives_hit = [], [], []
    negatives = 0
    parts = {"given": GIVEN_PERSON, "surname": SURNAME_PERSON}
    for item, predicted in zip(items, predictions, strict=True):
        for gold in item.entities:
            names = [gold.type.value] + [DIRECTORY_PERSON] * gold.in_directory
            if gold.part:
                names.append(parts[gold.part])
            hit = _covered(gold, predicted)
            for name in names:
                gold_n[name] += 1
                found[name] += hit
            if not hit:
                misses.append(
                    Miss(id=item.id, type=gold.type.value, value=item.text[gold.start : gold.end])
                )
        for p in predicted:
            pred_n[p.type.value] += 1
            ok = any(
                g.type is p.type and g.start < p.end and p.start < g.end for g in item.entities
            )
            correct[p.type.value] += ok
            if not ok:
                false_positives.append(
                    Miss(
                        id=item.id,
                        type=f"{p.type.value} ({p.recognizer})",
                        value=item.text[p.start : p.end],
                    )
                )
        for neg in item.negatives:
            negatives += 1
            if any(p.type is PiiType.PERSON and neg.start < p.end and p.start < neg.end
                   for p in predicted):  # fmt: skip
                negatives_hit.append(
                    Miss(id=item.id, type="NEGATIVE", value=item.text[neg.start : neg.end])
                )
    for name in (DIRECTORY_PERSON, *parts.values()):
        pred_n[name] = correct[name] = 0
    kinds = {t.value for t in PiiType} | {DIRECTORY_PERSON, *parts.values()}
    scores = {
        n: TypeScore(gold=gold_n[n], found=found[n], predicted=pred_n[n], correct=correct[n])
        for n in sorted(kinds)
        if gold_n[n] or pred_n[n]
    }
    return ScoreReport(
        scores=scores,
        misses=misses,
        false_positives=false_positives,
        negatives=negatives,
        negatives_hit=negatives_hit,
    )


def evaluate(redactor: Redactor, items: Sequence[LabelledText]) -> ScoreReport:
    """Run ``redactor`` over the corpus (batched) and score it."""
    return score(items, redactor.analyze_many([i.text for i in items]))


CORPORA = ("old", "dev", "test")
"""The project's own corpus, then the unseen corpus's dev and test splits."""


def load(name: str) -> list[LabelledText]:
    """The labelled texts of one of :data:`CORPORA`."""
    return load_corpus() if name == "old" else load_split(name)


def misses_table(report: ScoreReport) -> list[str]:
    """One line per miss, false positive and look-alike hit (for dev or old, never test)."""
    rows = (
        ("missed", report.misses),
        ("false positive", report.false_positives),
        ("look-alike", report.negatives_hit),
    )
    return [
        f"{label}: {r.id} {r.type} {json.dumps(r.value)}" for label, found in rows for r in found
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Score the default redactor on the old corpus and both unseen splits; print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", choices=["old", "dev"], action="append", default=[])
    parser.add_argument("--no-gazetteer", action="store_true", help="the redactor without it")
    args = parser.parse_args(argv)
    redactor = Redactor(load_directory_names(), use_gazetteer=not args.no_gazetteer)
    for name in CORPORA:
        items = load(name)
        report = evaluate(redactor, items)
        print(f"== {name} ({len(items)} texts)\n{report.table()}")
        if name in args.misses:
            print("\n".join(misses_table(report)))


if __name__ == "__main__":
    main()
