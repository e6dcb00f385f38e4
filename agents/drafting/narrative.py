"""Program review's narrative: the findings it is given and how they become its prompt's input.

It lives below the composition root so that the build (:func:`runtime.analytics.narrate`) and
the prompt regression suite (``evals/suites/program_review_narrative.yaml``) hand the prompt
the very same variables: a suite that composed its own would test a prompt nobody runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

NARRATIVE_PROMPT = "program_review_narrative@1"


class Finding(BaseModel):
    """A sentence about the data and the cells it rests on (table id, row labels)."""

    table_id: str
    text: str
    cells: list[str]
    gap: float


def narrative_variables(period: str, findings: Sequence[Finding]) -> dict[str, str]:
    """The prompt's variables: the findings numbered ``[1]``, ``[2]`` for the model to cite.

    Redacted by construction: findings are sentences about published cells of suppressed
    tables, and nothing else reaches the prompt. ``cited`` is the template's wording, every
    finding restated with its number.
    """
    numbered = [f"[{i}] {f.text} (table {f.table_id})" for i, f in enumerate(findings, 1)]
    return {
        "period": period,
        "findings": "\n".join(numbered),
        "cited": " ".join(f"{f.text} [{i}]" for i, f in enumerate(findings, 1)),
    }
