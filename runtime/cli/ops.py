"""`bca` commands for the runtime area: the inbox (``events``), ``worker`` and ``intake``.

Every command builds what it needs from the one :class:`Settings` object at run time: the app
database (``BCA_DATABASE_URL``) holds the inbox, ``BCA_BROKER_URL`` switches the worker from
in-process to RabbitMQ.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.clock import utcnow
from core.errors import BcaError, ConfigurationError
from core.settings import Settings, get_settings
from runtime.cli.checks import banner_engine, term_code
from runtime.inbox import STATUSES, Inbox, Status

DEFAULT_HANDLER = "runtime.pipeline:handler"


class NothingToClose(BcaError):
    """``bca close-grading`` for a term Banner has no sections in: the event would do nothing."""

    exit_code = 1


console = Console()


def _inbox(settings: Settings) -> Inbox:
    from core.db import make_engine

    inbox = Inbox(make_engine(settings.database_url))
    inbox.create_schema()
    return inbox


def _stop_on_signals() -> threading.Event:
    """An event set by SIGINT/SIGTERM, so loops finish their current item and exit."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


events_app = typer.Typer(help="The inbox: list stored events, replay failed or dead ones.")
intake_app = typer.Typer(help="Run one intake source (BEP consumer, Ethos poller, DB poller).")


@events_app.command("list")
def list_events(
    status: Annotated[
        list[str] | None,
        typer.Option("--status", "-s", help=f"Only these statuses: {', '.join(STATUSES)}."),
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="Only this kind, e.g. canvas.enrollment.")
    ] = None,
    subject: Annotated[str | None, typer.Option(help="Only this subject key.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source, e.g. canvas, bep.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many rows, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """List inbox events (newest first) and the counts by status."""
    unknown = sorted(set(status or ()) - set(STATUSES))
    if unknown:
        raise ConfigurationError(f"unknown status {unknown}; use {', '.join(STATUSES)}")
    inbox = _inbox(get_settings())
    chosen: list[Status] = [s for s in STATUSES if s in (status or ())]
    records = inbox.list_events(
        statuses=chosen, kind=kind, subject_key=subject, source=source, limit=limit
    )
    counts = inbox.counts()
    if as_json:
        print(json.dumps({"counts": counts, "events": [r.summary() for r in records]}))
        return
    table = Table("event id", "kind", "subject", "status", "tries", "occurred", "last error")
    for r in records:
        table.add_row(
            r.event_id,
            r.kind or "-",
            r.subject_key or "-",
            r.status,
            str(r.attempts),
            r.occurred_at.isoformat(timespec="seconds"),
            (r.last_error or "")[:80],
        )
    console.print(table)
    console.print("  ".join(f"{k}: {v}" for k, v in counts.items()))


@events_app.command("replay")
def replay(event_id: Annotated[str, typer.Argument(help="The inbox event id.")]) -> None:
    """Process a failed, dead or done event again (malformed ones are re-parsed first)."""
    from runtime.intake.canvas import LiveEventsConfig
    from runtime.intake.ethos import EthosConfig
    from runtime.intake.replay import reparser

    inbox = _inbox(get_settings())
    reparse = reparser(canvas_config=LiveEventsConfig(), ethos_ids=EthosConfig().resolver())
    queued = inbox.replay(event_id, reparse=reparse)
    print(f"queued {queued}")


def _bus_process(
    settings: Settings, handler_spec: str, prefetch: int, lease: float, prefix: str
) -> None:
    """One RabbitMQ worker process: runs until SIGINT/SIGTERM."""
    from runtime.bus import BusWorker, Topology
    from runtime.worker import load_handler, worker_id

    worker = BusWorker(
        _inbox(settings),
        load_handler(handler_spec),
        broker_url=settings.broker_url,
        worker_id=worker_id(),
        topology=Topology(prefix=prefix),
        prefetch=prefetch,
        lease=timedelta(seconds=lease),
    )
    asyncio.run(_until_signalled(worker.run))


async def _until_signalled(run: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run(stop)


def register(root: typer.Typer) -> None:
    """Attach ``events``, ``intake``, ``worker`` and ``close-grading`` to the root command."""
    root.add_typer(events_app, name="events")
    root.add_typer(intake_app, name="intake")
    root.command("worker")(worker)
    root.command("close-grading")(close_grading)


def close_grading(
    term: Annotated[str, typer.Option(help="Banner term code, e.g. 202610.", callback=term_code)],
) -> None:
    """Start final-grade passback for a term: each section's grades go to its instructor.

    Stores a `scheduled.close_grading` event in the inbox; the worker (`bca up`, `bca worker`)
    proposes every final grade Banner does not hold yet from Canvas's scores, one approval per
    student for the instructor of record. Until a section has a final grade in Banner, Canvas
    grade changes leave it alone. The scheduler does the same on the term's last day.

    Once per term and day, under the scheduler's id: the same day again says so
    (`bca events replay ID` runs it again). A term without sections in Banner is refused, as
    there is nothing to close.
    """
    from agents.events import CloseGrading
    from runtime.scheduler import job_id
    from tools.banner.reads import term_sections

    settings = get_settings()
    banner = banner_engine(settings)
    try:
        sections = len(term_sections(banner, term))
    finally:
        banner.dispose()
    if not sections:
        raise NothingToClose(
            f"term {term} has no sections in Banner: nothing to close (check --term, or seed"
            " Banner with `bca banner seed --term ...`)"
        )
    now = utcnow()
    event = CloseGrading(
        event_id=job_id("close_grading", term, now.date()), occurred_at=now, term_code=term
    )
    inbox = _inbox(settings)
    if inbox.store(event, source="cli"):
        print(f"queued {event.event_id} ({sections} sections)")
        return
    record = inbox.get(event.event_id)
    print(
        f"already queued today: {event.event_id} ({record.status}); "
        f"`bca events replay {event.event_id}` runs it again"
    )


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Without a broker: handler threads per process (default BCA_WORKER_THREADS)."
            " With BCA_BROKER_URL: RabbitMQ worker processes (default 1).",
        ),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Without a broker: worker processes sharing the inbox (default"
            " BCA_WORKER_PROCESSES; 1 works in this process).",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option(help="Process what is due now, in this process, then exit.")
    ] = False,
    handler: Annotated[
        str, typer.Option(help="Handler as module:attr (an object, class or factory).")
    ] = DEFAULT_HANDLER,
    lease_seconds: Annotated[
        float, typer.Option(help="How long a claim lasts before a dead worker's events return.")
    ] = 600.0,
    prefetch: Annotated[
        int, typer.Option(min=1, help="RabbitMQ: unacked events per worker process.")
    ] = 8,
    queue_prefix: Annotated[
        str, typer.Option(help="RabbitMQ: names of the work and dead-letter queues.")
    ] = "bca",
    term: Annotated[
        list[str] | None,
        typer.Option(
            help="Scheduler terms (repeatable); default: terms in session in Banner.",
            callback=term_code,
        ),
    ] = None,
    scheduler: Annotated[
        bool,
        typer.Option(
            help="Also run the scheduler (nightly reconcile, daily scan, close of grading on a"
            " term's last day)."
        ),
    ] = True,
) -> None:
    """Process inbox events: embedded worker processes by default, RabbitMQ workers when configured.

    Handlers must be idempotent by event id: an event may be delivered more than once.
    """
    from runtime.scheduler import Scheduler, active_terms, term_ends
    from runtime.worker import (
        EmbeddedWorkers,
        InProcessWorker,
        ProcessGroup,
        load_handler,
        worker_id,
    )

    settings = get_settings()
    inbox = _inbox(settings)
    stop = _stop_on_signals()
    lease = timedelta(seconds=lease_seconds)
    threads = concurrency or settings.worker_threads
    if once:
        done = InProcessWorker(
            inbox, load_handler(handler), worker_id=worker_id(), concurrency=threads, lease=lease
        ).run(stop, once=True)
        print(f"processed {done}")
        if settings.notify_channels:  # and post what the runs left in the outbox
            from runtime.notify import deliverer

            print(f"notifications: {deliverer(settings, inbox.engine).deliver().line()}")
        return
    from runtime.notify import start_delivery

    start_delivery(settings, stop)  # posts the outbox's notifications until stop
    if scheduler:
        from core.db import make_engine

        banner = make_engine(settings.banner_url, check=False)
        terms = (lambda: term) if term else (lambda: active_terms(banner, utcnow().date()))
        scheduled = Scheduler(inbox, terms, ends=partial(term_ends, banner))
        threading.Thread(target=scheduled.run, args=(stop,), daemon=True).start()
    if not settings.broker_url:
        count = processes or settings.worker_processes
        make = partial(load_handler, handler)
        workers = EmbeddedWorkers(settings, make, count, threads, lease)
        workers.run(stop)
        return
    target = partial(_bus_process, settings, handler, prefetch, lease_seconds, queue_prefix)
    count = concurrency or 1
    if count == 1:
        target()
    else:
        ProcessGroup(target, count).run(stop)


@intake_app.command("bep")
def intake_bep() -> None:
    """Consume Banner Event Publisher messages (exchange bep_events_topic) into the inbox.

    Uses BCA_BROKER_URL; the exchange, queue and routing keys are BCA_BEP_EXCHANGE,
    BCA_BEP_QUEUE and BCA_BEP_ROUTING_KEYS (a JSON list, default USER.SFRSTCR, USER.SSBSECT,
    USER.SIRASGN, USER.SPRHOLD). Messages are acked only after they are stored.
    """
    from runtime.intake.bep import BepConsumer

    settings = get_settings()
    if not settings.broker_url:
        raise ConfigurationError("set BCA_BROKER_URL to the RabbitMQ that BEP publishes to")
    consumer = BepConsumer(_inbox(settings), broker_url=settings.broker_url)
    asyncio.run(_until_signalled(consumer.run))


@intake_app.command("ethos")
def intake_ethos(
    once: Annotated[bool, typer.Option(help="Poll until caught up, then exit.")] = False,
) -> None:
    """Poll Ethos /consume into the inbox, persisting lastProcessedID in the app database.

    Settings: BCA_ETHOS_URL, BCA_ETHOS_TOKEN, BCA_ETHOS_LIMIT (≤ 1000), BCA_ETHOS_POLL_INTERVAL,
    BCA_ETHOS_GUID_MAP (CSV export of GORGUID used to turn GUIDs into Banner keys).
    """
    import httpx

    from runtime.intake.cursors import CursorStore
    from runtime.intake.ethos import EthosConfig, EthosPoller

    settings, config = get_settings(), EthosConfig()
    if not config.url:
        raise ConfigurationError("set BCA_ETHOS_URL to the Ethos Integration base URL")
    inbox = _inbox(settings)
    cursors = CursorStore(inbox.engine)
    cursors.create_schema()
    headers = {"Authorization": f"Bearer {config.token.get_secret_value()}"}
    with httpx.Client(base_url=config.url, headers=headers, timeout=30.0) as client:
        poller = EthosPoller(inbox, cursors, client, config.resolver(), limit=config.limit)
        if once:
            total = 0
            while (got := poller.poll_once()) > 0:
                total += got
            print(f"read {total} notification(s)")
        else:
            poller.run(_stop_on_signals(), interval=config.poll_interval)


@intake_app.command("db-poll")
def intake_db_poll(
    once: Annotated[bool, typer.Option(help="One pass over the tables, then exit.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between passes.")] = 5.0,
) -> None:
    """Poll Banner (BCA_BANNER_URL) by *_ACTIVITY_DATE into the inbox.

    Watches SSBSECT, SIRASGN, SFRSTCR (joined to STVRSTS) and SPRHOLD; one watermark per table
    is kept in the app database. For the sandbox and for sites without BEP or Ethos.
    """
    from runtime.intake.cursors import CursorStore
    from runtime.intake.db_poller import DbPoller

    settings = get_settings()
    banner = banner_engine(settings)
    inbox = _inbox(settings)
    cursors = CursorStore(inbox.engine)
    cursors.create_schema()
    poller = DbPoller(inbox, cursors, banner)
    if once:
        print(f"stored {poller.poll_once()} event(s)")
    else:
        poller.run(_stop_on_signals(), interval=interval)
