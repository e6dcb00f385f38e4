"""Markdown help pages cut into heading-delimited chunks the knowledge base embeds and cites.

A help page answers one question per section, so the ``##`` and ``###`` headings are the
natural unit: a chunk is one section, with the page title and the heading kept beside the
text (they carry most of the meaning of a short section and are what a citation shows).
Sections longer than the size cap are split on paragraph boundaries, never inside a code
fence, so each piece still reads as prose and fits the embedder's window (all-MiniLM-L6-v2
reads 256 word pieces, about 1,200 characters of English).

Everything here is pure: text in, chunks out. Reading folders is the store's business.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from tools.kb.models import Chunk

MAX_CHARS = 1200

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SLUG_DROP = re.compile(r"[^\w\- ]")


def slugify(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.

    Markdown emphasis and code marks are punctuation too, so ``**Who** clears it`` links as
    ``who-clears-it``, like the rendered page. Duplicates are numbered by :func:`chunk_markdown`.
    """
    text = unicodedata.normalize("NFKC", heading).strip().lower()
    return _SLUG_DROP.sub("", text).replace(" ", "-")


def content_hash(text: str) -> str:
    """SHA-256 of a chunk's text, hex: equal hashes need no new embedding."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embedding_text(chunk: Chunk) -> str:
    """What is embedded for a chunk: its title and heading lead, since they name the topic."""
    if chunk.heading == chunk.title:
        return f"{chunk.title}\n\n{chunk.text}"
    return f"{chunk.title}: {chunk.heading}\n\n{chunk.text}"


def _closes(fence: str, line: str) -> bool:
    """Whether ``line`` ends the code fence opened by ``fence`` (same mark, at least as long)."""
    stripped = line.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]}


@dataclass
class _Section:
    heading: str | None
    lines: list[str] = field(default_factory=list)


def _sections(text: str) -> tuple[str | None, list[_Section]]:
    """The document title and its sections; ``#`` lines inside code fences are not headings."""
    title: str | None = None
    sections = [_Section(heading=None)]
    fence: str | None = None
    for line in text.splitlines():
        if fence is not None:
            fence = None if _closes(fence, line) else fence
            sections[-1].lines.append(line)
            continue
        if opener := _FENCE.match(line):
            fence = opener.group(1)
            sections[-1].lines.append(line)
            continue
        heading = _ATX.match(line)
        if heading and len(heading.group(1)) == 1 and title is None:
            title = heading.group(2).strip()
        elif heading and len(heading.group(1)) in (2, 3):
            sections.append(_Section(heading=heading.group(2).strip()))
        else:
            sections[-1].lines.append(line)
    return title, sections


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank-line separated blocks; a code fence is one block however many blank lines it has."""
    blocks: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in lines:
        if fence is not None:
            current.append(line)
            fence = None if _closes(fence, line) else fence
        elif opener := _FENCE.match(line):
            fence = opener.group(1)
            current.append(line)
        elif line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


def _words(block: str, max_chars: int) -> Iterator[str]:
    """A prose block longer than the cap, cut between words (a fence is never cut)."""
    if _FENCE.match(block):
        yield block
        return
    piece = ""
    for word in block.split():
        if piece and len(piece) + 1 + len(word) > max_chars:
            yield piece
            piece = word
        else:
            piece = f"{piece} {word}" if piece else word
    if piece:
        yield piece


def _pack(blocks: list[str], max_chars: int) -> list[str]:
    """Paragraphs joined greedily into pieces of at most ``max_chars`` (a lone fence may exceed)."""
    pieces: list[str] = []
    current = ""
    for block in blocks:
        for part in [block] if len(block) <= max_chars else list(_words(block, max_chars)):
            if current and len(current) + 2 + len(part) > max_chars:
                pieces.append(current)
                current = part
            else:
                current = f"{current}\n\n{part}" if current else part
    if current:
        pieces.append(current)
    return pieces


def _default_title(source: str) -> str:
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem.replace("-", " ").replace("_", " ").strip().capitalize() or source


def chunk_markdown(text: str, source: str, *, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """The chunks of one Markdown document, in document order.

    ``source`` is the document's path relative to the ingested folder (``/`` separated); it
    prefixes every ``chunk_id``. The text before the first ``##`` heading (the preamble) sits
    under the title. A document without a ``#`` title is titled after its file name. Sections
    with no text (a heading directly followed by another) yield nothing. The second part of a
    split section is ``<id>-2``, the third ``<id>-3``; ids stay unique within the document even
    where a heading's own slug looks like such a suffix.
    """
    title, sections = _sections(text)
    title = title or _default_title(source)
    seen_slugs: dict[str, int] = {}
    used_ids: set[str] = set()
    chunks: list[Chunk] = []
    for section in sections:
        heading = section.heading or title
        slug = slugify(heading)
        count = seen_slugs.get(slug, 0)
        seen_slugs[slug] = count + 1
        anchor = slug if count == 0 else f"{slug}-{count}"
        for part, piece in enumerate(_pack(_paragraphs(section.lines), max_chars), start=1):
            chunk_id = f"{source}#{anchor}" if part == 1 else f"{source}#{anchor}-{part}"
            while chunk_id in used_ids:
                chunk_id += "_"
            used_ids.add(chunk_id)
            chunks.append(
                Chunk(
                    chunk_id=chunk_id,
                    source=source,
                    title=title,
                    heading=heading,
                    anchor=anchor,
                    text=piece,
                    content_hash=content_hash(piece),
                )
            )
    return chunks
