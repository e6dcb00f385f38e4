"""Citations must be chunks the same turn retrieved."""

from __future__ import annotations

from agents.support.citations import check_citations
from agents.support.turn import Source


def _source(chunk_id: str) -> Source:
    return Source(
        chunk_id=chunk_id, source=chunk_id.split("#")[0], title="Holds", heading="Who clears it",
        anchor=chunk_id.split("#")[1], text="The Bursar clears it.", score=0.7,
    )  # fmt: skip


def test_retrieved_citations_pass_and_are_listed_once() -> None:
    check = check_citations(
        "Pay at the Bursar [holds/ar.md#who-clears-it]. Again [holds/ar.md#who-clears-it].",
        [_source("holds/ar.md#who-clears-it")],
    )
    assert check.ok
    assert [c.chunk_id for c in check.cited] == ["holds/ar.md#who-clears-it"]


def test_an_unretrieved_citation_is_invented() -> None:
    check = check_citations(
        "See [holds/ar.md#who-clears-it] and [policy/made-up.md#rule].",
        [_source("holds/ar.md#who-clears-it")],
    )
    assert not check.ok
    assert check.invented == ["policy/made-up.md#rule"]


def test_brackets_without_a_chunk_id_are_not_citations() -> None:
    check = check_citations("Your hold [AR] blocks registration (my_holds).", [])
    assert check.ok
    assert check.cited == []
