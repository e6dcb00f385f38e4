"""`bca reconcile`: plan (and with ``--apply`` act on) a term's Banner → Canvas roster drift.

Banner and Canvas come from Settings (``BCA_BANNER_URL``, ``BCA_CANVAS_URL``, ...). The run goes
through the router and the policy guard like any event (see :mod:`runtime.reconcile`).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.errors import BcaError
from runtime.cli.checks import banner_engine, require_canvas, term_code

console = Console()
FAILED = frozenset({"dead_letter", "rejected"})
"""Outcomes after which the command exits 1: the run gave up, nothing more will happen."""


class ReconcileFailed(BcaError):
    """The run started but ended without a usable plan or apply."""

    exit_code = 1


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    root.command("reconcile")(reconcile)


def reconcile(
    term: Annotated[str, typer.Option(help="Banner term code, e.g. 202610.", callback=term_code)],
    apply: Annotated[
        bool, typer.Option("--apply", help="Act on the plan (default: dry run).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object of figures.")
    ] = False,
) -> None:
    """Diff a term's Banner rosters against Canvas; a dry run unless --apply."""
    from core.settings import Settings

    settings = Settings()
    banner_engine(settings).dispose()
    require_canvas(settings)
    from runtime.reconcile import reconcile_term  # the agents' import is slow: check first

    if as_json:
        run = reconcile_term(settings, term, apply=apply)
        print(json.dumps(run.figures(), sort_keys=True))
    else:
        with console.status(f"{'Reconciling' if apply else 'Planning'} term {term}..."):
            run = reconcile_term(settings, term, apply=apply)
        table = Table("figure", "value", title=f"term {term}: {run.outcome.status}")
        for name, value in run.figures().items():
            if name not in {"status", "detail"} and value:
                table.add_row(name, str(value))
        console.print(table)
        if run.outcome.status not in FAILED:
            console.print(run.outcome.detail, highlight=False)
    if run.outcome.status in FAILED:
        detail = " ".join(run.outcome.detail.split())
        raise ReconcileFailed(f"reconciling term {term} ended {run.outcome.status}: {detail}")
