"""`bca kb`: build, ingest and search the support chatbot's knowledge base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from runtime.cli.checks import banner_engine

if TYPE_CHECKING:
    from tools.kb.store import IngestReport, KnowledgeBase

LONG_RUN = 200


def _kb() -> KnowledgeBase:
    from core.settings import Settings
    from tools.kb.store import open_kb

    return open_kb(Settings())


def _ingest(kb: KnowledgeBase, folder: Path) -> IngestReport:
    """Ingest with a progress bar (drawn only once there is much to embed)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "embedding", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    ) as bar:
        task = bar.add_task("embedding", total=None, visible=False)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, visible=total >= LONG_RUN)

        return kb.ingest(folder, progress=advance)


def _print(report: IngestReport, folder: Path) -> None:
    Console().print(
        f"{folder}: {report.documents} documents, {report.chunks} chunks "
        f"(added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"deleted {report.deleted})",
        highlight=False,
    )


def build() -> None:
    """Write the sandbox help corpus from the configured Banner to BCA_KB_DIR and ingest it.

    The pages quote the seeded term's dates, hold codes and aid statuses, so seed Banner first
    (`bca banner seed`). Re-running embeds only pages that changed.
    """
    from core.settings import Settings
    from sandbox.kb.corpus import write_corpus

    settings = Settings()
    folder = settings.resolved_kb_dir()
    pages = write_corpus(
        banner_engine(settings),
        folder,
        census_dates=settings.census_dates,
        census_offset_days=settings.census_offset_days,
    )
    Console().print(f"wrote {len(pages)} pages to {folder}", highlight=False)
    _print(_ingest(_kb(), folder), folder)


def ingest(
    path: Annotated[
        Path, typer.Argument(help="Folder of Markdown help pages (*.md, searched recursively).")
    ],
) -> None:
    """Ingest an institution's own help pages into the knowledge base.

    New and changed sections are embedded; sections and files no longer in the folder are
    removed, so the folder is the knowledge base's single source.
    """
    _print(_ingest(_kb(), path), path)


def search(
    query: Annotated[str, typer.Argument(help="The question, in the student's words.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Passages to return.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the hits as JSON.")] = False,
    all_hits: Annotated[
        bool, typer.Option("--all", help="Also show passages under BCA_KB_MIN_SCORE.")
    ] = False,
) -> None:
    """Show the passages the chatbot would retrieve for a question, best first, with scores."""
    from core.settings import Settings

    settings = Settings()
    hits = _kb().search(query, k=k, min_score=None if all_hits else settings.kb_min_score)
    if as_json:
        typer.echo(json.dumps([hit.model_dump(mode="json") for hit in hits], indent=2))
        return
    console = Console()
    if not hits:
        console.print(f"nothing above the minimum score {settings.kb_min_score}")
    for hit in hits:
        console.print(
            f"[bold]{hit.score:.3f}[/] {hit.chunk.chunk_id}  {hit.chunk.title} > "
            f"{hit.chunk.heading}",
            highlight=False,
        )
        console.print(f"    {hit.chunk.text[:200].replace(chr(10), ' ')}", highlight=False)


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    group = typer.Typer(
        name="kb",
        help="The support chatbot's knowledge base: help pages in chromadb (BCA_CHROMA_URL or"
        " var/chroma), embedded with the packaged all-MiniLM-L6-v2.",
        no_args_is_help=True,
    )
    group.command("build")(build)
    group.command("ingest")(ingest)
    group.command("search")(search)
    root.add_typer(group)
