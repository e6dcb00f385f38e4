"""The ``bca`` console command.

Each area registers its own commands from a module of this package, so the top level stays a
table of contents. Errors this project raises on purpose (:class:`BcaError`) are printed as one
line and turn into an exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from core.errors import BcaError
from runtime.cli import (
    agents,
    api,
    audit,
    banner,
    canvas,
    chat,
    evals,
    kb,
    main_job,
    models,
    ops,
    pii,
    search,
)

app = typer.Typer(
    name="bca",
    help="banner-canvas-agents: Banner and Canvas integration agents behind one policy guard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Banner and Canvas integration agents behind one policy guard."""


for _area in (
    banner,
    canvas,
    pii,
    audit,
    ops,
    api,
    agents,
    main_job,
    models,
    chat,
    kb,
    evals,
    search,
):
    _area.register(app)


@app.command("config")
def show_config() -> None:
    """Print the effective settings (secrets masked) and their environment variables."""
    from rich.table import Table

    from core.settings import Settings

    settings = Settings()
    table = Table("setting", "environment variable", "value")
    for name in Settings.model_fields:
        value = getattr(settings, name)
        table.add_row(name, f"BCA_{name.upper()}", str(value))
    Console().print(table)


def main() -> None:
    """Entry point: run the command, printing project errors as one line on stderr."""
    try:
        app()
    except BcaError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
