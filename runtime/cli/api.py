"""`bca token` (mint a local API token) and `bca serve` (run the API and dashboard)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import typer

from core.errors import ConfigurationError
from policies.rbac import Role
from runtime.cli.checks import Port, term_code

_TTL = re.compile(r"^(\d+)([smhd])$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_ttl(text: str, option: str = "--ttl") -> timedelta:
    """``90s``, ``30m``, ``8h`` or ``7d`` as a duration; an error names ``option``."""
    match = _TTL.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ConfigurationError(f"{option} {text!r}: use a positive number and s, m, h or d (8h)")
    return timedelta(**{_UNIT[match.group(2)]: int(match.group(1))})


def token(
    role: Annotated[Role, typer.Option(help="The caller's role.")],
    subject: Annotated[str, typer.Option(help="Banner PIDM of a person, or a staff/agent id.")],
    term: Annotated[
        str | None,
        typer.Option(help="Term code for effective-dated checks, e.g. 202710.", callback=term_code),
    ] = None,
    ttl: Annotated[str, typer.Option(help="Lifetime: 90s, 30m, 8h, 7d.")] = "8h",
    department: Annotated[
        str | None, typer.Option(help="The department a chair chairs (SCBCRSE code, e.g. MATH).")
    ] = None,
) -> None:
    """Mint a locally signed API token; the token is the last line printed."""
    from core.settings import get_settings
    from runtime.api.auth import mint_token

    minted = mint_token(
        get_settings(),
        role=role,
        subject=subject,
        term=term,
        ttl=parse_ttl(ttl),
        department=department,
    )
    typer.echo(f"# {role.value} {subject}, valid {ttl}; send as 'Authorization: Bearer <token>'")
    typer.echo(minted)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
) -> None:
    """Serve the API and the dashboard (uvicorn on app:app)."""
    import uvicorn

    typer.echo(f"dashboard: http://{host}:{port}/dashboard   API docs: http://{host}:{port}/docs")
    uvicorn.run("app:app", host=host, port=port, workers=workers, log_level="info")


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    root.command("token")(token)
    root.command("serve")(serve)
