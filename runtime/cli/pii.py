"""`bca` commands for the pii area."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
