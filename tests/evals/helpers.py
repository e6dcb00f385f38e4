"""Run ``bca`` in process, as the console script would (project errors become exit codes)."""

from __future__ import annotations

from dataclasses import dataclass

from typer.testing import CliRunner

from core.errors import BcaError
from runtime.cli import app


@dataclass
class Ran:
    code: int
    out: str
    err: str


def bca(*args: str, env: dict[str, str] | None = None) -> Ran:
    result = CliRunner().invoke(app, list(args), env=env)
    if isinstance(result.exception, BcaError):
        return Ran(result.exception.exit_code, result.stdout, str(result.exception))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)
