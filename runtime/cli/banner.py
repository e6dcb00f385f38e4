"""`bca banner`: generate the Banner sandbox and summarize what is in a Banner database."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from runtime.cli.checks import banner_engine, term_code

if TYPE_CHECKING:
    from sqlalchemy import Engine

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="SQLAlchemy URL of Banner (default: BCA_BANNER_URL)."),
]


def _engine(url: str | None) -> Engine:
    """The Banner engine; imports stay inside so ``bca --help`` starts fast."""
    from core.db import make_engine
    from core.settings import Settings

    return make_engine(url or Settings().banner_url)


class _Bar:
    """Draws seeding progress as one bar that follows the table being written."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("starting", total=None)

    def start(self, table: str, total: int) -> None:
        """Point the bar at the next table."""
        self.progress.reset(self.task, total=max(total, 1), description=table.upper())

    def advance(self, rows: int) -> None:
        """Count rows written."""
        self.progress.advance(self.task, rows)


def seed(
    url: UrlOption = None,
    students: Annotated[int, typer.Option(min=1, help="Number of students.")] = 30000,
    sections: Annotated[int, typer.Option(min=1, help="Number of sections in the term.")] = 2000,
    term: Annotated[
        str, typer.Option(help="Current term code, YYYYPP (10 fall).", callback=term_code)
    ] = "202610",
    seed_value: Annotated[int, typer.Option("--seed", help="Random seed.")] = 42,
    former_students: Annotated[
        int,
        typer.Option(
            min=0,
            help="Students of the eight past terms who have left: the history `bca analytics"
            " build` reads (with a planted prerequisite effect and equity gap).",
        ),
    ] = 10000,
    replace: Annotated[bool, typer.Option(help="Drop and regenerate existing data.")] = False,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the sandbox already has data.")
    ] = False,
) -> None:
    """Create the Banner sandbox schema and fill it with deterministic synthetic data."""
    from sandbox.banner.generator import SeedPlan
    from sandbox.banner.seeding import is_seeded, seed_banner

    engine = _engine(url)
    console = Console()
    if if_empty and is_seeded(engine):
        console.print("Banner sandbox already seeded: nothing to do")
        return
    plan = SeedPlan(
        students=students,
        sections=sections,
        term=term,
        seed=seed_value,
        former_students=former_students,
    )
    started = time.perf_counter()
    columns = (
        TextColumn("{task.description:<8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        counts = seed_banner(engine, plan, replace=replace, progress=_Bar(progress))
    console.print(
        f"seeded {sum(counts.values()):,} rows in {len(counts)} tables "
        f"({students:,} students, {sections:,} sections, term {term}, seed {seed_value};"
        f" {former_students:,} former students) "
        f"in {time.perf_counter() - started:.1f} s"
    )


def summary(url: UrlOption = None) -> None:
    """Print row counts of every Banner table and the key figures of the latest term."""
    from core.settings import Settings
    from sandbox.banner.summary import summarize

    result = summarize(banner_engine(Settings(), url))
    console = Console()
    counts = Table("table", "rows", title="Banner tables")
    for name, count in sorted(result.counts.items()):
        counts.add_row(name.upper(), f"{count:,}")
    console.print(counts)
    figures = Table("figure", "value", title=f"Term {result.term or '(none)'}")
    for name, value in result.figures.items():
        figures.add_row(name, f"{value:,}" if isinstance(value, int | float) else str(value))
    console.print(figures)


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    group = typer.Typer(
        name="banner", help="The Banner sandbox and Banner data.", no_args_is_help=True
    )
    group.command("seed")(seed)
    group.command("summary")(summary)
    root.add_typer(group)
