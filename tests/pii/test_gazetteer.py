"""The gazetteer recognizer's rules on hand-made texts (names not in any directory)."""

from __future__ import annotations

import pytest

from policies.pii import PiiType, Redactor
from policies.pii.gazetteer import GazetteerRecognizer


@pytest.fixture(scope="module")
def recognizer() -> GazetteerRecognizer:
    return GazetteerRecognizer()


def _names(redactor: Redactor, text: str) -> list[str]:
    return [text[e.start : e.end] for e in redactor.analyze(text) if e.type is PiiType.PERSON]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Spoke to Dr. Okonkwo about the transfer.", ["Okonkwo"]),
        ("met with dana ruiz today; dana was upset.", ["dana ruiz", "dana"]),
        ("Thanks,\nMarisol Quintanilla\nAdmissions", ["Marisol Quintanilla"]),
        ("Dear Lucius A. Fort,\nYour form is in.", ["Lucius A. Fort"]),
        ("Parent Harold Brandt called about the bill.", ["Harold Brandt"]),
        ("Advisee Sterling, Virginia (A00257463).", ["Sterling", "Virginia"]),
    ],
)
def test_names_beyond_the_directory(text: str, names: list[str]) -> None:
    redactor = Redactor(())
    assert _names(redactor, text) == names


@pytest.mark.parametrize(
    "text",
    [
        "The midterm is in Brennan Hall on May 12.",
        "Young Hall closes early on Friday.",
        "Grant applications are due in June.",
        "Art History moves online in April.",
        "Rose Garden tours start at noon.",
    ],
)
def test_look_alikes_stay(text: str) -> None:
    assert _names(Redactor(()), text) == []


def test_plausible_rejects_places_and_dates(recognizer: GazetteerRecognizer) -> None:
    text = "Reminder: Young Hall is closed since June."
    assert not recognizer.plausible(text, 10, 15, guess=False)
    assert not recognizer.plausible(text, text.index("June"), text.index("June") + 4, guess=False)


def test_it_can_be_switched_off() -> None:
    assert _names(Redactor((), use_gazetteer=False, use_ner=False), "Spoke to Dr. Okonkwo.") == []
