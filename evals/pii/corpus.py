"""The labelled PII corpus: its record shape and where the checked-in files live."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from policies.pii import DirectoryName, PiiType

HERE = Path(__file__).parent
CORPUS_PATH = HERE / "corpus.jsonl"
DIRECTORY_PATH = HERE / "directory.jsonl"


class GoldSpan(BaseModel):
    """One labelled piece of personal data in a text."""

    model_config = ConfigDict(frozen=True)

    type: PiiType
    start: int
    end: int
    in_directory: bool = Field(
        False, description="For PERSON: the person is in the SPRIDEN directory the eval loads."
    )
    part: str | None = Field(
        None, description="For PERSON tokens of the unseen corpus: 'given' or 'surname'."
    )


class LabelledText(BaseModel):
    """A realistic text with every piece of personal data in it labelled."""

    id: str
    kind: str = Field(description="advising_note, chat, canvas_comment, tool_output, email...")
    text: str
    entities: list[GoldSpan]
    negatives: list[GoldSpan] = Field(
        default_factory=list,
        description="Look-alikes that are not personal data (course titles, buildings, months):"
        " a prediction overlapping one is a false positive worth counting on its own.",
    )


def load_corpus(path: Path = CORPUS_PATH) -> list[LabelledText]:
    """The labelled texts, one JSON object a line."""
    with path.open(encoding="utf-8") as lines:
        return [LabelledText.model_validate_json(line) for line in lines if line.strip()]


def load_directory_names(path: Path = DIRECTORY_PATH) -> list[DirectoryName]:
    """The people the eval's SPRIDEN directory holds."""
    with path.open(encoding="utf-8") as lines:
        return [DirectoryName.model_validate_json(line) for line in lines if line.strip()]
