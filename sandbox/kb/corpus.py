"""Write the sandbox institution's help corpus: Markdown pages consistent with its Banner data.

The knowledge base ingests this folder like any institution's own help pages; the retrieval
evaluation's labelled questions point at its ``source#anchor`` ids. Output is deterministic for
a given Banner: same data, same bytes, so re-ingesting after a rebuild embeds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from sandbox.kb.facts import read_facts
from sandbox.kb.pages_canvas import canvas_pages
from sandbox.kb.pages_holds import hold_pages
from sandbox.kb.pages_registration import grade_pages, registration_pages
from sandbox.kb.pages_services import aid_pages, contact_pages, records_pages


def write_corpus(
    engine: Engine,
    out: Path,
    *,
    census_dates: Mapping[str, date] | None = None,
    census_offset_days: int = 14,
) -> list[Path]:
    """Write every page under ``out`` and return their paths, sorted.

    The census rule is the enrollment rule's (``BCA_CENSUS_DATES``, else
    ``BCA_CENSUS_OFFSET_DAYS`` after the term's first class). Pages already under ``out`` that
    this corpus no longer has are left alone; ``out`` is meant to be the corpus's own folder.

    Raises:
        NotFoundError: Banner was not seeded.
    """
    facts = read_facts(engine, census_dates=census_dates, census_offset_days=census_offset_days)
    pages = [
        *hold_pages(facts),
        *registration_pages(facts),
        *grade_pages(facts),
        *aid_pages(facts),
        *records_pages(facts),
        *contact_pages(),
        *canvas_pages(),
    ]
    written: list[Path] = []
    for relative, text in pages:
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return sorted(written)
