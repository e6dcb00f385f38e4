"""Citations in a model's answer, checked against what the turn actually retrieved.

The model is told to cite a knowledge-base statement as ``[chunk_id]`` (e.g.
``[holds/ar.md#who-clears-it]``) and a statement about the student's records by its tool
(``(my_holds)``). A cited chunk that
this turn's searches did not return is an invented source: the answer is refused and written
again once, then replaced by the template answer, never shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from agents.support.models import Citation
from agents.support.turn import Source

_CITED = re.compile(r"\[([^\[\]\s]+#[^\[\]\s]*)\]")


class CitationCheck(BaseModel):
    """The chunks an answer cites, split into retrieved and invented."""

    model_config = ConfigDict(frozen=True)

    cited: list[Citation]
    invented: list[str]

    @property
    def ok(self) -> bool:
        """No citation points outside the turn's retrieved chunks."""
        return not self.invented


def check_citations(answer: str, retrieved: Sequence[Source]) -> CitationCheck:
    """Which ``[chunk_id]`` citations of ``answer`` name a chunk retrieved in this turn."""
    by_id = {source.chunk_id: source for source in retrieved}
    cited: list[Citation] = []
    invented: list[str] = []
    for chunk_id in dict.fromkeys(_CITED.findall(answer)):
        if chunk_id in by_id:
            cited.append(by_id[chunk_id].citation())
        else:
            invented.append(chunk_id)
    return CitationCheck(cited=cited, invented=invented)
