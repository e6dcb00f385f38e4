"""The held-out corpus of people outside SPRIDEN: its shape, its split, and the targets on test.

The targets are read on the test split only as totals; the rows are never looked at to tune
(evals/pii/unseen.py). These tests also hold the line that keeps the split honest: the two
splits share no name, and no hand-kept list the recognizers load holds a test-only name.
"""

from __future__ import annotations

import gzip
from importlib import resources

import pytest

from evals.pii import unseen
from evals.pii.corpus import LabelledText
from evals.pii.score import SURNAME_PERSON, ScoreReport, evaluate
from policies.pii import PiiType, Redactor
from policies.pii.gazetteer import GAZETTEER_FILE


@pytest.fixture(scope="module")
def splits() -> dict[str, list[LabelledText]]:
    return {name: unseen.load_split(name) for name in unseen.SPLITS}


@pytest.fixture(scope="module")
def test_report(redactor: Redactor, splits: dict[str, list[LabelledText]]) -> ScoreReport:
    report = evaluate(redactor, splits["test"])
    print("\n" + report.table())
    return report


def test_corpus_is_big_varied_and_regenerates_byte_for_byte(
    splits: dict[str, list[LabelledText]],
) -> None:
    assert sum(len(items) for items in splits.values()) >= 1000
    for name, items in splits.items():
        assert items == unseen.build(name), f"{name} is not what the seeded generator writes"
        assert {i.kind for i in items} >= {"advising_note", "email", "ticket", "parent_message"}
        assert sum(bool(i.negatives) for i in items) >= 100
        texts = "\n".join(i.text for i in items)
        for needle in ("Dr. ", "Met with", "met with", "Thanks,\n", "Dear ", "Brennan Hall"):
            assert needle in texts
        lower = [i.text[g.start : g.end] for i in items for g in i.entities if g.part]
        assert any(name.islower() for name in lower), "some names are written in lower case"


def test_every_label_is_its_value(splits: dict[str, list[LabelledText]]) -> None:
    for items in splits.values():
        for item in items:
            for gold in item.entities:
                value = item.text[gold.start : gold.end]
                assert value and value == value.strip()
                assert (gold.part is not None) == (gold.type is PiiType.PERSON)


def test_dev_and_test_share_no_name() -> None:
    assert not unseen.split_names("dev") & unseen.split_names("test")


def test_no_hand_kept_list_holds_a_test_only_name() -> None:
    """Tuning on dev may add dev names to a list; a test-only name there would be a leak."""
    test_only = unseen.split_names("test") - unseen.split_names("dev")
    data = resources.files("policies.pii").joinpath("data")
    for entry in data.iterdir():
        if entry.name.endswith(".txt") and entry.name != "common_word_names.txt":
            words = set(entry.read_text().lower().split())
            assert not words & test_only, f"{entry.name} holds test-split names"


def test_the_gazetteer_comes_from_the_data_package_only() -> None:
    """Its header names its sources; rebuild it with `python -m policies.pii.gazetteer`."""
    raw = resources.files("policies.pii").joinpath(GAZETTEER_FILE).read_bytes()
    header = gzip.decompress(raw).decode("utf-8").splitlines()[0]
    assert header.startswith("# derived from names-dataset ") and "wordfreq" in header
    assert "evals" not in header


@pytest.mark.parametrize(
    ("kind", "target"),
    [
        (SURNAME_PERSON, 0.95),
        (PiiType.EMAIL.value, 0.99),
        (PiiType.PHONE.value, 0.99),
        (PiiType.SSN.value, 0.99),
        (PiiType.BANNER_ID.value, 0.99),
    ],
)
def test_test_split_recall(test_report: ScoreReport, kind: str, target: float) -> None:
    score = test_report.scores[kind]
    assert score.gold >= 20
    assert score.recall >= target, f"{kind} recall {score.recall:.3f} on the test split"


def test_test_split_precision(test_report: ScoreReport) -> None:
    person = test_report.scores[PiiType.PERSON.value]
    assert person.precision >= 0.95, f"PERSON precision {person.precision:.3f}"
    assert len(test_report.negatives_hit) <= 0.03 * test_report.negatives
