"""`bca` commands for the canvas area."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
