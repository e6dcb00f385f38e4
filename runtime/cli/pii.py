"""`bca` commands for the pii area."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from evals.pii.score import TypeScore


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    pii = typer.Typer(help="PII redaction: see what the model would see.", no_args_is_help=True)
    pii.command("redact")(redact)
    pii.command("eval")(evaluate)
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


def _rates(s: TypeScore) -> dict[str, float]:
    return {"gold": s.gold, "recall": round(s.recall, 4), "predicted": s.predicted,
            "precision": round(s.precision, 4)}  # fmt: skip


class Corpus(StrEnum):
    """A labelled corpus of ``evals/pii``."""

    old = "old"
    dev = "dev"
    test = "test"


def evaluate(
    corpus: Annotated[
        list[Corpus] | None,
        typer.Option(
            "--corpus",
            help="Which to score: old (the project's own), dev, test (the unseen corpus's"
            " splits); repeat for several. Default: all three.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object: recall and precision per type.")
    ] = False,
    gazetteer: Annotated[
        bool, typer.Option(help="Use the name gazetteer (BCA_PII_NAME_GAZETTEER).")
    ] = True,
    misses: Annotated[
        bool,
        typer.Option(
            "--misses",
            help="List misses and false positives too (old and dev only: never tune on test).",
        ),
    ] = False,
) -> None:
    """Score the redactor on the labelled PII corpora: recall and precision per entity type.

    The directory of the eval is its own synthetic SPRIDEN; spaCy is used when installed.
    """
    from evals.pii.corpus import load_directory_names
    from evals.pii.score import evaluate as score
    from evals.pii.score import load, misses_table
    from policies.pii import Redactor

    names = [c.value for c in corpus or list(Corpus)]
    if misses and "test" in names:
        raise typer.BadParameter("the test split's misses are not shown", param_hint="--misses")
    redactor = Redactor(load_directory_names(), use_gazetteer=gazetteer)
    figures: dict[str, object] = {}
    for name in names:
        items = load(name)
        report = score(redactor, items)
        figures[name] = {
            "texts": len(items),
            "types": {kind: _rates(s) for kind, s in sorted(report.scores.items())},
            "look_alikes_hit": len(report.negatives_hit),
        }
        if not as_json:
            typer.echo(f"== {name} ({len(items)} texts)\n{report.table()}")
            if misses:
                typer.echo("\n".join(misses_table(report)))
    if as_json:
        typer.echo(json.dumps({"ner": redactor.ner_enabled, "gazetteer": gazetteer, **figures}))
