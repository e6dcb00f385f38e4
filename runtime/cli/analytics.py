"""`bca analytics build`: program review's de-identified outcome tables from Banner history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from runtime.cli.checks import banner_engine, term_code


def build(
    term: Annotated[
        str,
        typer.Argument(help="Last term to include, e.g. 202620.", callback=term_code),
    ],
    terms: Annotated[
        int, typer.Option(min=1, max=20, help="How many terms of history, ending at TERM.")
    ] = 6,
    min_cell: Annotated[
        int | None,
        typer.Option(min=2, help="Smallest count published (default BCA_ANALYTICS_MIN_CELL)."),
    ] = None,
    csv_dir: Annotated[
        Path | None, typer.Option("--csv", help="Also write one CSV per table into this folder.")
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(help="Also write the report (charts as SVG, a table under each) to a file."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the build as JSON.")] = False,
) -> None:
    """Count DFW outcomes by course, term, group and prerequisite grade; suppress; store.

    Nothing per student leaves the database: SQL counts, small cells are hidden with their
    complements, and the tables replace ``ir_course_outcomes`` in the app database. The
    findings are then written up by the model when BCA_MODEL names one (each sentence must
    cite a finding and state only its numbers), else by the prompt's template.
    """
    from agents.drafting.model import drafter_from_settings
    from core.db import make_engine
    from core.settings import Settings
    from runtime.analytics import build as build_tables
    from runtime.analytics import export_csv, narrate, store
    from runtime.analytics_report import render_report

    settings = Settings()
    banner = banner_engine(settings)
    try:
        result = build_tables(
            banner, term, terms=terms, min_cell=min_cell or settings.analytics_min_cell
        )
    finally:
        banner.dispose()
    result = narrate(result, drafter_from_settings(settings))
    stored = store(make_engine(settings.database_url), result)
    if csv_dir is not None:
        export_csv(result, csv_dir)
    if html is not None:
        html.write_text(render_report(result), encoding="utf-8")
    if as_json:
        typer.echo(result.model_dump_json())
        return
    console = Console()
    console.print(
        f"{len(result.tables)} tables over {result.terms[0]}-{result.terms[-1]}, "
        f"{result.hidden} entries hidden (cells under {result.min_cell} and their complements), "
        f"{stored} rows in ir_course_outcomes"
    )
    if result.narrative is not None:
        console.print(result.narrative.text, highlight=False, markup=False)
    for finding in result.findings:
        console.print(f"- {finding.text} [{finding.table_id}]", highlight=False, markup=False)
    if not result.findings:
        console.print("no gap of ten points or more between published groups")


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    group = typer.Typer(
        name="analytics",
        help="Program review: de-identified course outcomes with small-cell suppression.",
        no_args_is_help=True,
    )
    group.command("build")(build)
    root.add_typer(group)
