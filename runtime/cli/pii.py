"""`bca` commands for the pii area."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    pii = typer.Typer(help="PII redaction: see what the model would see.", no_args_is_help=True)
    pii.command("redact")(redact)
    root.add_typer(pii, name="pii")


def redact(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the entities found (type, span, score) as JSON.")
    ] = False,
    banner_url: Annotated[
        str | None,
        typer.Option(help="Banner database whose SPRIDEN names to recognise (default: settings)."),
    ] = None,
    ner: Annotated[bool, typer.Option(help="Use spaCy NER for names not in SPRIDEN.")] = True,
) -> None:
    """Read text on stdin and print it redacted, with fresh pseudonyms (the mapping is not shown).

    Notes about what could not be used (no SPRIDEN, no spaCy model) go to stderr.
    """
    from core.settings import Settings
    from policies.pii import PseudonymVault, Redactor

    redactor = Redactor.from_settings(Settings(), banner_url=banner_url, use_ner=ner)
    for note in redactor.notes:
        typer.echo(f"note: {note}", err=True)
    result = redactor.redact_text(sys.stdin.read(), PseudonymVault())
    if as_json:
        entities = [e.model_dump(mode="json") for e in result.entities]
        typer.echo(json.dumps({"text": result.text, "entities": entities}, indent=2))
    else:
        typer.echo(result.text, nl=False)
