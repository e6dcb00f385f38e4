"""`bca search index`: build (or refresh) the staff student search index in the app database."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from runtime.cli.checks import banner_engine


def index(
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh", help="Re-index only students changed in Banner since the last run."
        ),
    ] = False,
) -> None:
    """Index every Banner student (SPRIDEN, GOREMAL, SPBPERS, SGBSTDN) for the staff search."""
    from core.db import make_engine
    from core.settings import Settings
    from tools.banner.search.index import StudentSearchIndex

    settings = Settings()
    banner = banner_engine(settings)
    search_index = StudentSearchIndex(make_engine(settings.database_url))
    search_index.create()
    started = time.perf_counter()
    count = search_index.refresh(banner) if refresh else search_index.build(banner)
    Console().print(
        f"{'re-indexed' if refresh else 'indexed'} {count:,} students "
        f"({search_index.backend}) in {time.perf_counter() - started:.1f} s"
    )


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    group = typer.Typer(name="search", help="The staff student search.", no_args_is_help=True)
    group.command("index")(index)
    root.add_typer(group)
