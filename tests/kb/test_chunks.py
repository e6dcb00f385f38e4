"""Heading-aware chunking: titles, anchors, duplicate headings, fences and the size cap."""

from __future__ import annotations

import hashlib

from tools.kb.chunks import chunk_markdown, embedding_text, slugify

PAGE = """# Registration holds

Holds stop some things until they are cleared.

## Who clears an **AR** hold?

The Bursar's office, once the balance is paid.

### Paying online

Use the student portal.
"""


def test_sections_keep_title_heading_anchor_and_hash() -> None:
    chunks = chunk_markdown(PAGE, "holds/ar.md")
    assert [c.chunk_id for c in chunks] == [
        "holds/ar.md#registration-holds",
        "holds/ar.md#who-clears-an-ar-hold",
        "holds/ar.md#paying-online",
    ]
    assert {c.title for c in chunks} == {"Registration holds"}
    assert chunks[1].heading == "Who clears an **AR** hold?"
    assert chunks[1].anchor == "who-clears-an-ar-hold"
    assert chunks[1].text == "The Bursar's office, once the balance is paid."
    assert chunks[2].content_hash == hashlib.sha256(b"Use the student portal.").hexdigest()


def test_github_slugs() -> None:
    assert slugify("Add/drop & withdrawal: Fall 2025") == "adddrop--withdrawal-fall-2025"
    assert slugify("  `SFRSTCR` status_codes  ") == "sfrstcr-status_codes"
    assert slugify("Café hours") == "café-hours"


def test_no_headings_titles_the_document_after_its_file() -> None:
    chunks = chunk_markdown("Just a note.\n\nSecond paragraph.\n", "misc/office_hours.md")
    assert len(chunks) == 1
    assert chunks[0].title == chunks[0].heading == "Office hours"
    assert chunks[0].chunk_id == "misc/office_hours.md#office-hours"
    assert chunks[0].text == "Just a note.\n\nSecond paragraph."


def test_duplicate_headings_are_numbered_like_github() -> None:
    text = "# T\n\n## FAQ\n\none\n\n## FAQ\n\ntwo\n\n## FAQ\n\nthree\n"
    chunks = chunk_markdown(text, "a.md")
    assert [c.anchor for c in chunks] == ["faq", "faq-1", "faq-2"]
    assert [c.text for c in chunks] == ["one", "two", "three"]
    assert len({c.chunk_id for c in chunks}) == 3


def test_hashes_inside_code_fences_are_not_headings() -> None:
    text = "# T\n\n## Script\n\n```bash\n# comment\n\n## not a heading\n```\n\nafter\n"
    chunks = chunk_markdown(text, "a.md")
    assert [c.heading for c in chunks] == ["Script"]
    assert "## not a heading" in chunks[0].text
    assert chunks[0].text.endswith("after")


def test_tilde_fence_is_closed_only_by_tildes() -> None:
    text = "## A\n\n~~~\n```\n# still code\n~~~\n\n## B\n\nb\n"
    chunks = chunk_markdown(text, "a.md")
    assert [c.heading for c in chunks] == ["A", "B"]


def test_long_sections_split_on_paragraphs_under_the_cap() -> None:
    paragraphs = [f"Paragraph {i} " + "word " * 40 for i in range(10)]
    text = "# T\n\n## Long\n\n" + "\n\n".join(paragraphs) + "\n"
    chunks = chunk_markdown(text, "a.md", max_chars=500)
    assert len(chunks) > 1
    assert all(len(c.text) <= 500 for c in chunks)
    assert [c.chunk_id for c in chunks[:3]] == ["a.md#long", "a.md#long-2", "a.md#long-3"]
    assert {c.anchor for c in chunks} == {"long"}
    assert all(c.text.startswith("Paragraph") for c in chunks)


def test_a_paragraph_longer_than_the_cap_is_cut_between_words() -> None:
    text = "## A\n\n" + "lorem " * 400
    chunks = chunk_markdown(text, "a.md", max_chars=300)
    assert all(len(c.text) <= 300 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == ["lorem"] * 400


def test_a_code_fence_is_never_cut() -> None:
    fence = "```\n" + "x = 1\n" * 100 + "```"
    chunks = chunk_markdown(f"## A\n\n{fence}\n", "a.md", max_chars=100)
    assert [c.text for c in chunks] == [fence]


def test_empty_sections_and_fourth_level_headings() -> None:
    text = "# T\n\n## Empty\n\n## Full\n\n#### Detail\n\nbody\n"
    chunks = chunk_markdown(text, "a.md")
    assert [c.heading for c in chunks] == ["Full"]
    assert chunks[0].text == "#### Detail\n\nbody"


def test_a_slug_that_looks_like_a_split_suffix_stays_unique() -> None:
    text = "## A\n\n" + "\n\n".join(["word " * 30] * 3) + "\n\n## A 2\n\nother\n"
    ids = [c.chunk_id for c in chunk_markdown(text, "a.md", max_chars=200)]
    assert len(ids) == len(set(ids))


def test_embedding_text_leads_with_title_and_heading() -> None:
    title_chunk, section, _ = chunk_markdown(PAGE, "holds/ar.md")
    assert embedding_text(title_chunk).startswith("Registration holds\n\n")
    assert embedding_text(section).startswith("Registration holds: Who clears an **AR** hold?")
