"""`bca` commands for the runtime area (events, workers)."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
