"""What the knowledge base stores and returns: chunks of help pages and scored hits.

A chunk keeps where it came from (the source file, its title and the heading it sits under,
with an anchor to link to) so that every statement the chatbot takes from it can be cited, and
a hash of its text so that re-ingesting a folder touches only what changed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Chunk(BaseModel):
    """One heading-delimited piece of a Markdown document."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str = Field(
        description="Stable id: source path and heading slug, e.g. 'holds/ar.md#who-clears-it'."
    )
    source: str = Field(description="Path of the document relative to the ingested folder.")
    title: str = Field(description="The document's first-level heading.")
    heading: str = Field(description="The heading the chunk sits under (the title for a preamble).")
    anchor: str = Field(description="URL fragment of the heading, for a link to the section.")
    text: str
    content_hash: str = Field(
        description="SHA-256 of the text: unchanged chunks are not re-embedded."
    )


class Hit(BaseModel):
    """A chunk found for a query, with its cosine similarity (higher is closer, at most 1)."""

    model_config = ConfigDict(frozen=True)

    chunk: Chunk
    score: float
