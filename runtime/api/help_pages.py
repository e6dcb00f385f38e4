"""The knowledge base's help pages, served so that every citation the chatbot gives opens.

A citation is ``source#anchor`` (a Markdown file relative to the knowledge-base folder and a
heading's slug). The page renders that file with each heading given the id the chunker gave
its chunk (:func:`tools.kb.chunks.slugify`, numbered the same way on repeats), so the link
lands on the cited section. The pages are the institution's published guidance: no sign-in.
Only ``*.md`` files inside the folder are served; anything else is a plain 404.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt
from markupsafe import Markup

from core.errors import NotFoundError
from runtime.api.dashboard import templates
from runtime.api.services import Deps
from tools.kb.chunks import slugify

HELP_PREFIX = "/help"
router = APIRouter(include_in_schema=False)
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def help_file(folder: Path, source: str) -> Path:
    """The page ``source`` names inside ``folder``; NotFoundError for anything outside it."""
    root = folder.resolve()
    path = (root / source).resolve()
    if path.suffix != ".md" or not path.is_relative_to(root) or not path.is_file():
        raise NotFoundError(f"no help page {source}")
    return path


def render_help(text: str) -> tuple[str, Markup]:
    """The page's title and HTML, its headings carrying their chunks' anchors."""
    tokens = _markdown.parse(text)
    seen: dict[str, int] = {}
    title = ""
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.tag not in {"h1", "h2", "h3"}:
            continue
        heading = tokens[index + 1].content
        if token.tag == "h1":
            if title:
                continue
            title = heading
        slug = slugify(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        token.attrSet("id", slug if count == 0 else f"{slug}-{count}")
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return title, Markup(html)


@router.get(HELP_PREFIX + "/{source:path}", response_class=HTMLResponse)
def help_page(source: str, request: Request, deps: Deps) -> HTMLResponse:
    """One help page of the knowledge-base folder."""
    path = help_file(deps.settings.resolved_kb_dir(), source)
    title, body = render_help(path.read_text(encoding="utf-8"))
    return templates.TemplateResponse(
        request, "help_page.html", {"title": title or source, "body": body, "source": source}
    )
