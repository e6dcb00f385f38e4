"""What commands check before they start work, so bad input is one line and nothing half-done.

A run that discovers deep inside that Banner is empty or Canvas is down leaves a failed audit
row, a failed ledger entry and a traceback; checking first costs a query or a request and says
what to fix. Imports of the heavy modules stay inside the functions so ``bca --help`` starts fast.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from core.errors import ConfigurationError, ServiceUnavailable

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from core.settings import Settings

TERM_CODE = re.compile(r"^\d{6}$")
Port = Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")]
"""A port to listen on: out of range is a usage error now, not a server that never binds."""
Value = TypeVar("Value", str, list[str], None)


class SettingInvalid(ConfigurationError):
    """A ``BCA_*`` setting is unusable.

    Exit code 1, not 2: the command line was right; the deployment must change before any
    command that needs the setting can work.
    """

    exit_code = 1


def term_code(value: Value) -> Value:
    """Typer callback for ``--term``: refuse anything but a Banner term code before work starts.

    Refused here, the error is a usage error naming the option (exit 2); later it would be a
    pydantic error deep in a run.
    """
    codes: list[str] = [value] if isinstance(value, str) else list(value or [])
    for code in codes:
        if not TERM_CODE.match(code):
            raise typer.BadParameter(
                f"{code!r} is not a Banner term code: six digits, year and period, e.g. 202710"
            )
    return value


def banner_engine(settings: Settings, url: str | None = None) -> Engine:
    """Banner as ``BCA_BANNER_URL`` (or a ``--url`` option) names it, answering, with its tables.

    Creates nothing: a missing SQLite file is an error, not a new empty database. A malformed
    ``--url`` is a usage error (exit 2), a malformed setting is not (exit 1). The caller
    disposes of the engine.
    """
    from core.db import DatabaseMissing, make_engine
    from tools.banner.errors import BannerNotSeeded
    from tools.banner.schema import require_tables

    source = "--url" if url else "BCA_BANNER_URL"
    try:
        engine = make_engine(url or settings.banner_url, create=False)
    except DatabaseMissing as exc:
        raise BannerNotSeeded(f"{source}: {exc}") from None
    except ServiceUnavailable as exc:
        raise ServiceUnavailable(f"{source}: {exc}") from None
    except ConfigurationError as exc:
        raise (ConfigurationError if url else SettingInvalid)(f"{source}: {exc}") from None
    try:
        require_tables(engine)
    except BannerNotSeeded:
        engine.dispose()
        raise
    return engine


def require_canvas(settings: Settings, timeout: float = 5.0) -> None:
    """Prove ``BCA_CANVAS_URL`` answers at all (any HTTP status), in ``timeout`` seconds.

    Without it an unreachable Canvas costs every retry of the first request before the run
    fails, and the reason is buried in the run's outcome.
    """
    import httpx

    from core.db import masked_url

    url = settings.canvas_url
    try:
        httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise ServiceUnavailable(
            f"Canvas at {masked_url(url)} does not answer ({reason}): start it"
            " (`bca canvas-sim`) or fix BCA_CANVAS_URL"
        ) from None
    except (httpx.InvalidURL, ValueError) as exc:  # not a URL httpx can send to
        raise SettingInvalid(f"BCA_CANVAS_URL {masked_url(url)!r}: {exc}") from None
