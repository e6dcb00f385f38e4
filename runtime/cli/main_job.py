"""`bca up` (everything on the embedded default, until Ctrl-C) and `bca demo` (a term start).

Both build the embedded world of :mod:`runtime.demo` from the one :class:`Settings` object: the
Banner sandbox under the var directory (seeded if empty), the Canvas simulator on its own port
and SQLite file. ``bca up`` adds the API and dashboard, the in-process worker over the agents,
the scheduler and Canvas Live Events from the simulator to ``/webhooks/canvas``, and prints
sign-in tokens of people who have approvals waiting.

The simulator signs its Live Events with the configured key, or with one made for the run, and
the webhook requires that signature: ``bca up`` serves what a deployment serves, and accepts
unsigned bodies only when told to and only on loopback.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import signal
import threading
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import text

from core.errors import ConfigurationError
from core.settings import Settings, get_settings
from policies.approvals import Approver
from policies.rbac import Role

if TYPE_CHECKING:
    from runtime.intake.canvas import LiveEventsConfig

DEMO_STUDENTS = 400
DEMO_SECTIONS = 20
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""What ends ``bca up`` cleanly (exit 0): Ctrl-C, and a service manager's stop."""


def register(root: typer.Typer) -> None:
    """Attach ``up`` and ``demo`` to the root command."""
    root.command("up")(up)
    root.command("demo")(demo)


def demo(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object of figures on stdout.")
    ] = False,
    students: Annotated[int, typer.Option(min=1, help="Students, if Banner is empty.")] = (
        DEMO_STUDENTS
    ),
    sections: Annotated[int, typer.Option(min=1, help="Sections, if Banner is empty.")] = (
        DEMO_SECTIONS
    ),
    model_url: Annotated[
        str,
        typer.Option(
            help="Draft with the model at this OpenAI-compatible base URL (e.g."
            " http://127.0.0.1:8901/v1) instead of BCA_OPENAI_BASE_URL / template mode.",
        ),
    ] = "",
    model: Annotated[
        str, typer.Option(help="Model name at --model-url (default: the first it lists).")
    ] = "",
) -> None:
    """Replay a term start end to end on the embedded default and summarise it."""
    from runtime.demo import embedded_world, replay_term_start

    settings = get_settings()
    if model_url:
        settings = settings.model_copy(
            update={"openai_base_url": model_url, "model": model or served_model(model_url)}
        )

    console = Console(stderr=as_json)
    columns = (
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        tasks: dict[str, int] = {}

        def step(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = int(progress.add_task(phase, total=total))
            progress.update(tasks[phase], completed=done, total=total)  # type: ignore[arg-type]

        setup = progress.add_task("Banner, Canvas simulator, users", total=1)
        with embedded_world(settings, students=students, sections=sections) as world:
            progress.update(setup, completed=1)
            settings, sim, term = world
            summary = replay_term_start(settings, sim, term, step)
    if as_json:
        print(json.dumps(summary, sort_keys=True))
        return
    table = Table("figure", "value", title=f"Term start {summary['term']}")
    for name, value in summary.items():
        table.add_row(name, json.dumps(value) if isinstance(value, dict) else str(value))
    console.print(table)
    console.print(
        "The pending approvals are decided in the dashboard `bca up` serves"
        " (scripts/demo.sh starts it next)."
    )


def served_model(base_url: str) -> str:
    """The first model an OpenAI-compatible endpoint lists, or ``default`` if it lists none.

    An endpoint that does not answer still gets the demo run: every draft then falls back to
    its template, labelled, which is what the demo is there to show.
    """
    import httpx

    try:
        listed = httpx.get(f"{base_url.rstrip('/')}/models", timeout=5).json()["data"]
        return str(listed[0]["id"])
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
        return "default"


def login_tokens(settings: Settings, term: str) -> list[tuple[str, str, str]]:
    """(role, subject, token) of an advisor, an instructor and a registrar with work waiting."""
    from core.db import make_engine
    from policies.rbac import Principal
    from runtime.api.auth import mint_token
    from runtime.pipeline import approval_queue

    banner = make_engine(settings.banner_url)
    found: dict[Role, str] = {}
    try:
        with approval_queue(settings) as queue:
            for pending in queue.pending():
                request = pending.request
                subject = request.subject
                role, candidates = Role.REGISTRAR, ["registrar"]
                with banner.connect() as conn:
                    if request.approver is Approver.STUDENT_ADVISOR:
                        role = Role.ADVISOR
                        candidates = [str(p) for p in conn.execute(  # type: ignore[var-annotated]
                            text("SELECT sgradvr_advr_pidm FROM sgradvr WHERE sgradvr_pidm = :p"),
                            {"p": subject.get("student")}).scalars()]  # fmt: skip
                    elif request.approver is Approver.INSTRUCTOR_OF_RECORD:
                        role = Role.INSTRUCTOR
                        candidates = [str(p) for p in conn.execute(  # type: ignore[var-annotated]
                            text("SELECT sirasgn_pidm FROM sirasgn WHERE sirasgn_term_code = :t"
                                 " AND sirasgn_crn = :c"),
                            {"t": term, "c": subject.get("crn")}).scalars()]  # fmt: skip
                if role in found:
                    continue
                for who in candidates:
                    pidm = int(who) if who.isdigit() else None
                    if queue.pending(Principal(actor=f"person:{who}", role=role, pidm=pidm,
                                               term=term)):  # fmt: skip
                        found[role] = who
                        break
    finally:
        banner.dispose()
    return [
        (role.value, who, mint_token(settings, role=role, subject=who, term=term))
        for role, who in sorted(found.items())
    ]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (no other machine can reach it)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def signed_live_events(host: str) -> tuple[LiveEventsConfig, str]:
    """The webhook's Live Events settings and the key the simulator signs with ("" unsigned).

    The configured key, else a new one for this run; unsigned only when configured so, and
    only when nothing but this machine can post to the webhook.
    """
    from pydantic import SecretStr

    from runtime.intake.canvas import LiveEventsConfig

    config = LiveEventsConfig()
    key = config.jwt_key.get_secret_value()
    if key.startswith("-----BEGIN"):
        raise ConfigurationError(
            "BCA_CANVAS_LIVE_EVENTS_JWT_KEY is an RS256 public key, but the simulator of "
            "`bca up` signs with a shared secret: unset it or set an HS256 secret"
        )
    if not config.signing_required:
        if not is_loopback(host):
            raise ConfigurationError(
                f"BCA_CANVAS_LIVE_EVENTS_ACCEPT_UNSIGNED would let anyone who reaches {host} "
                "post Canvas events: it is refused off loopback; unset it (the simulator then "
                "signs its events) or use --host 127.0.0.1"
            )
        return config, ""
    if not key:
        key = secrets.token_urlsafe(32)
        config = config.model_copy(update={"jwt_key": SecretStr(key)})
    return config, key


def up(
    host: Annotated[str, typer.Option(help="Interface the API and dashboard listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="TCP port of the API and dashboard.")
    ] = 8000,
    students: Annotated[int, typer.Option(min=1, help="Students, if Banner is empty.")] = (
        DEMO_STUDENTS
    ),
    sections: Annotated[int, typer.Option(min=1, help="Sections, if Banner is empty.")] = (
        DEMO_SECTIONS
    ),
) -> None:
    """Start everything on the embedded default and stay up until Ctrl-C."""
    import uvicorn

    from core.db import make_engine
    from runtime.api.app import create_app
    from runtime.demo import embedded_world
    from runtime.inbox import Inbox
    from runtime.pipeline import AgentHandler
    from runtime.scheduler import Scheduler, term_ends
    from runtime.worker import EmbeddedWorkers

    console = Console()
    live_events, signing_key = signed_live_events(host)
    webhook = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/webhooks/canvas"
    with console.status("Starting Banner sandbox, Canvas simulator and users..."):
        world = embedded_world(
            get_settings(),
            students=students,
            sections=sections,
            webhook_url=webhook,
            signing_key=signing_key,
        )
        settings, sim, term = world.__enter__()
    stop = threading.Event()
    threads: list[threading.Thread] = []
    server: uvicorn.Server | None = None

    def stop_on_signal(_signum: int, _frame: object) -> None:
        # Ctrl-C or SIGTERM, before uvicorn runs or re-raised by it after its own shutdown:
        # stop and return, so the cleanup below runs and the command exits 0 (the default
        # handlers end in exit 130, or in death by SIGTERM with no cleanup at all).
        stop.set()
        if server is not None:
            server.should_exit = True

    previous = _set_stop_handlers(dict.fromkeys(STOP_SIGNALS, stop_on_signal))
    try:
        inbox = Inbox(make_engine(settings.database_url))
        inbox.create_schema()
        ends = partial(term_ends, make_engine(settings.banner_url, check=False))
        workers = EmbeddedWorkers.configured(
            settings, partial(AgentHandler.from_settings, settings)
        )
        threads += [
            threading.Thread(target=workers.run, args=(stop,), daemon=True),
            threading.Thread(target=Scheduler(inbox, lambda: [term], ends=ends).run,
                             args=(stop,), daemon=True),
        ]  # fmt: skip
        for thread in threads:
            thread.start()
        from runtime.notify import start_delivery  # BCA_NOTIFY_CHANNELS, if any

        threads += filter(None, [start_delivery(settings, stop)])
        console.print(f"Canvas simulator: {sim.base_url}   term {term}")
        console.print(f"Dashboard: http://{host}:{port}/dashboard   API: http://{host}:{port}/docs")
        from runtime.api.auth import mint_token

        tokens = login_tokens(settings, term)
        if Role.REGISTRAR.value not in {role for role, _, _ in tokens}:
            registrar = mint_token(settings, role=Role.REGISTRAR, subject="registrar", term=term)
            tokens.append(("registrar (events, exceptions, audit; nothing waiting)", "registrar",
                           registrar))  # fmt: skip
        lms_admin = mint_token(settings, role=Role.LMS_ADMIN, subject="lms-admin", term=term)
        tokens.append(("lms_admin (account exceptions: resolve and re-run)", "lms-admin",
                       lms_admin))  # fmt: skip
        for role, who, token in tokens:
            console.print(f"[bold]{role}[/] {who}:", soft_wrap=True)
            console.print(token, soft_wrap=True, highlight=False)
        console.print("Ctrl-C stops everything.")
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, live_events=live_events),
                host=host,
                port=port,
                log_level="warning",
                log_config=None,  # uvicorn's lines go through this process's handler
            )
        )
        if not stop.is_set():
            server.run()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        world.__exit__(None, None, None)
        _set_stop_handlers(previous)


def _set_stop_handlers(handlers: dict[int, Any]) -> dict[int, Any]:
    """Install ``handlers`` by signal number; returns the ones they replace.

    Only the main thread can handle signals: elsewhere nothing changes and nothing is returned.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, action) for sig, action in handlers.items()}
