"""`bca audit`: verify the hash chain of the audit trail and show its latest events."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.errors import BcaError

if TYPE_CHECKING:
    from policies.audit import AuditLog

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Database URL of the audit trail (default: BCA_DATABASE_URL)."),
]


class AuditChainBroken(BcaError):
    """``bca audit verify`` found a changed, removed or inserted row."""

    exit_code = 1


def _log(url: str | None) -> AuditLog:
    """The audit trail at ``url``; imports stay inside so ``bca --help`` starts fast."""
    from core.db import make_engine
    from core.settings import Settings
    from policies.audit import AuditLog

    return AuditLog(make_engine(url or Settings().database_url))


def verify(url: UrlOption = None) -> None:
    """Walk the chain; exit 1 naming the first broken record, else print the head hash."""
    report = _log(url).verify()
    if report.broken:
        raise AuditChainBroken(f"audit chain broken: {report.broken}")
    Console().print(f"audit chain intact: {report.rows} rows, head {report.head_hash}")


def tail(
    url: UrlOption = None,
    limit: Annotated[int, typer.Option("-n", "--limit", min=1, help="How many events.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Print the latest audit events, oldest first."""
    events = _log(url).tail(limit)
    if as_json:
        for event in events:
            typer.echo(json.dumps(event.model_dump(mode="json"), sort_keys=True))
        return
    table = Table(
        "seq", "time", "actor", "role", "on behalf of", "tool", "decision", "outcome", "ms"
    )
    for e in events:
        table.add_row(
            str(e.seq),
            e.time,
            e.actor,
            e.role,
            e.on_behalf_of or "",
            e.tool,
            e.decision,
            e.outcome,
            f"{e.latency_ms:.2f}",
        )
    Console().print(table)


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    group = typer.Typer(name="audit", help="The tamper-evident audit trail.", no_args_is_help=True)
    group.command("verify")(verify)
    group.command("tail")(tail)
    root.add_typer(group)
