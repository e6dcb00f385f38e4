"""The ``bca`` console command.

Each area registers its own commands from a module of this package, so the top level stays a
table of contents. Whatever goes wrong ends as one line on stderr that says what is wrong and
what to do, and an exit code a script can act on: 2 for bad input (a usage error, or a
:class:`BcaError` of the default kind), 1 when the command could not do its work (a service
down, data missing, or a bug). A person debugging wants the traceback of a bug, an operator
reading a log does not: ``bca --debug ...`` keeps it.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from typer._click import exceptions as click_errors  # Typer's vendored click
from typer.core import TyperOption

from core.errors import BcaError
from runtime.cli import (
    agents,
    analytics,
    api,
    audit,
    banner,
    canvas,
    chat,
    evals,
    kb,
    main_job,
    models,
    notify,
    ops,
    pii,
    search,
)
from runtime.cli import rollout as rollout_cli  # issue 17: rollout controls

app = typer.Typer(
    name="bca",
    help="banner-canvas-agents: Banner and Canvas integration agents behind one policy guard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


class _Flags:
    """Global options the root callback sees and :func:`main` acts on after the command."""

    debug = False


@app.callback()
def _root(
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the Python traceback of an unexpected error."),
    ] = False,
) -> None:
    """Banner and Canvas integration agents behind one policy guard."""
    from core.settings import Settings
    from runtime.logs import configure_logging

    _Flags.debug = debug
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format, settings.banner_id_pattern)


for _area in (
    analytics,
    banner,
    canvas,
    pii,
    audit,
    ops,
    api,
    agents,
    main_job,
    models,
    chat,
    kb,
    evals,
    search,
    notify,
    rollout_cli,
):
    _area.register(app)
for _group in app.registered_groups:
    # Markdown reflows docstrings and renders `code`; Typer's "rich" mode would keep every
    # source line break and show backticks literally.
    if _group.typer_instance is not None:
        _group.typer_instance.rich_markup_mode = "markdown"

_type_label = TyperOption.display_type_rich


def _no_type_label_on_flags(self: TyperOption, ctx: Any) -> str | None:
    """Typer 0.29 labels every flag ``<bool>`` in ``--help``, as if it took a value."""
    return None if self.is_flag else _type_label(self, ctx)


TyperOption.display_type_rich = _no_type_label_on_flags  # type: ignore[method-assign]


@app.command("config")
def show_config() -> None:
    """Print the effective settings (secrets masked) and their environment variables."""
    from rich.table import Table

    from core.settings import Settings

    settings = Settings()
    table = Table("setting", "environment variable", "value")
    for name in Settings.model_fields:
        value = getattr(settings, name)
        table.add_row(name, f"BCA_{name.upper()}", str(value))
    Console().print(table)


def _fail(message: str, code: int) -> NoReturn:
    """Print ``message`` as one line on stderr and exit with ``code``."""
    line = " ".join(message.split())
    console = Console(stderr=True, soft_wrap=True)
    console.print("[bold red]error:[/] ", end="")
    console.print(line, markup=False, highlight=False)
    sys.exit(code)


def _unexpected(exc: Exception) -> NoReturn:
    """A bug or an outage: one line, or the traceback with ``--debug``."""
    if _Flags.debug:
        raise exc
    _fail(f"{type(exc).__name__}: {exc} (run with --debug for the traceback)", 1)


def _bad_settings(exc: ValidationError) -> str:
    """Which environment variable is wrong and why, for each one (pydantic's text names none)."""
    problems = [
        f"BCA_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']} (got {e['input']!r})"
        if e["loc"] else e["msg"]
        for e in exc.errors(include_url=False)
    ]  # fmt: skip
    return "; ".join(problems)


def main() -> None:
    """Entry point: run the command; every failure ends as one line on stderr and an exit code."""
    _Flags.debug = False
    try:
        code = app(prog_name="bca", standalone_mode=False)
    except click_errors.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click_errors.UsageError as exc:
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        _fail(f"{exc.format_message()}{where}", exc.exit_code)
    except click_errors.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except typer.Abort:
        _fail("aborted", 1)
    except BcaError as exc:
        _fail(str(exc), exc.exit_code)
    except ValidationError as exc:
        if exc.title == "Settings":
            _fail(_bad_settings(exc), 1)
        _unexpected(exc)
    except Exception as exc:
        _unexpected(exc)
    sys.exit(code if isinstance(code, int) else 0)
