"""Workers: run a pluggable :class:`Handler` on inbox events and record what happened.

The handler is where the agent graphs plug in (issue 5); until then any object with
``handle(event) -> Outcome`` does. Contract for handlers: **idempotent by event id** (an event can
be delivered more than once: a worker may die after the effect and before the row is marked
done), safe to call from several threads at once, and they report rather than raise: ``done``,
``retry`` (transient: backoff, then dead) or ``dead`` (permanent, with the reason). An exception
escaping a handler counts as ``retry`` with the exception as the reason.

:func:`process` is the single place where a handler's answer meets the inbox; the embedded
:class:`InProcessWorker` (threads over the inbox) and the RabbitMQ consumer (:mod:`runtime.bus`)
both call it.
"""

from __future__ import annotations

import gc
import importlib
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache, partial
from multiprocessing.process import BaseProcess
from typing import Literal, Protocol, runtime_checkable

from agents.events import Event
from core.errors import ConfigurationError, ValidationFailed
from core.settings import Settings
from runtime.inbox import Inbox, InboxRecord, Status
from runtime.logs import configure_logging, event_scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a handler did with one event."""

    status: Literal["done", "retry", "dead"]
    reason: str = ""

    @classmethod
    def done(cls) -> Outcome:
        """The effect happened (or had already happened: idempotent)."""
        return cls("done")

    @classmethod
    def retry(cls, reason: str) -> Outcome:
        """A transient failure: try again later."""
        return cls("retry", reason)

    @classmethod
    def dead(cls, reason: str) -> Outcome:
        """A permanent failure: keep the event dead with the reason until someone replays it."""
        return cls("dead", reason)


@runtime_checkable
class Handler(Protocol):
    """Consumes one event; must be idempotent by ``event.event_id`` and thread-safe."""

    def handle(self, event: Event) -> Outcome:
        """Apply the event's effect and say how it went."""
        ...


class LogOnlyHandler:
    """Logs each event and completes it: for running intake and workers before the graphs exist."""

    def handle(self, event: Event) -> Outcome:
        """Log the event's kind, subject and id."""
        log.info("event %s %s %s", event.kind, event.subject_key, event.event_id)
        return Outcome.done()


def load_handler(spec: str) -> Handler:
    """Import ``module:attr``: a handler object, or a class/factory called without arguments."""
    module_name, _, attr = spec.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), attr or "handler")
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot load handler {spec!r}: {exc}") from None
    handler = target if isinstance(target, Handler) and not isinstance(target, type) else target()
    if not isinstance(handler, Handler):
        raise ConfigurationError(f"{spec!r} has no handle(event) method")
    return handler


@cache
def settle_heap() -> None:
    """Collect once, then hide everything alive from the cyclic collector (``gc.freeze``).

    Once per process (cached), when its first worker starts, after its handler is built: what
    exists then (spaCy and
    Presidio models, compiled graphs, SQLAlchemy metadata: hundreds of thousands of objects)
    lives as long as the process, yet every full collection walked all of it again. Frozen,
    the registration benchmark at 50 events/s went from 18 to 14.5 ms of CPU per event and
    its p95 latency from 1.6 s to 0.2 s. Objects created later are collected as usual.
    """
    gc.collect()
    gc.freeze()


def process(inbox: Inbox, record: InboxRecord, handler: Handler) -> Status:
    """Run ``handler`` on a claimed record and record the outcome; returns the new status."""
    try:
        event = record.event()
    except ValidationFailed as exc:
        return inbox.bury(record.event_id, str(exc))
    with event_scope(record.event_id):
        try:
            outcome = handler.handle(event)
        except Exception as exc:  # a handler's bug must not kill the worker; it is recorded
            log.exception("handler raised")
            outcome = Outcome.retry(f"{type(exc).__name__}: {exc}")
    match outcome.status:
        case "done":
            return inbox.complete(record.event_id)
        case "retry":
            return inbox.fail(record.event_id, outcome.reason)
        case "dead":
            return inbox.bury(record.event_id, outcome.reason)


class InProcessWorker:
    """The embedded default: ``concurrency`` threads claiming from the inbox and handling."""

    def __init__(
        self,
        inbox: Inbox,
        handler: Handler,
        *,
        worker_id: str,
        concurrency: int = 1,
        batch: int = 10,
        lease: timedelta = timedelta(minutes=10),
        idle_wait: float = 0.2,
    ) -> None:
        self.inbox = inbox
        self.handler = handler
        self.worker_id = worker_id
        self.concurrency = concurrency
        self.batch = batch
        self.lease = lease
        self.idle_wait = idle_wait
        self._processed = 0
        self._count_lock = threading.Lock()

    def _loop(self, stop: threading.Event, *, once: bool, name: str) -> None:
        while not stop.is_set():
            records = self.inbox.claim(name, limit=self.batch, lease=self.lease)
            if not records:
                if once:
                    return
                stop.wait(self.idle_wait)
                continue
            for record in records:
                process(self.inbox, record, self.handler)
            with self._count_lock:
                self._processed += len(records)

    def run(self, stop: threading.Event, *, once: bool = False) -> int:
        """Work until ``stop`` is set (or, with ``once``, until nothing is claimable)."""
        settle_heap()
        threads = [
            threading.Thread(
                target=self._loop,
                args=(stop,),
                kwargs={"once": once, "name": f"{self.worker_id}/{n}"},
                name=f"bca-worker-{n}",
                daemon=True,
            )
            for n in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return self._processed


def worker_id() -> str:
    """The name this process claims under and logs: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _work(
    settings: Settings,
    make_handler: Callable[[], Handler],
    threads: int,
    lease: timedelta,
    stop: threading.Event,
    *,
    started: Callable[[], None] = lambda: None,
) -> None:
    """Threads over the inbox in ``settings`` with a handler of their own, until ``stop``.

    ``started`` is called once the handler is built, just before the first claim.
    """
    from core.db import make_engine

    inbox = Inbox(make_engine(settings.database_url))
    handler = make_handler()
    try:
        started()
        InProcessWorker(
            inbox, handler, worker_id=worker_id(), concurrency=threads, lease=lease
        ).run(stop)
    finally:
        close = getattr(handler, "close", None)
        if callable(close):
            close()
        inbox.engine.dispose()


def embedded_process(
    settings: Settings,
    make_handler: Callable[[], Handler],
    threads: int,
    lease: timedelta,
) -> None:
    """One process of :class:`EmbeddedWorkers`: its threads over the inbox until SIGTERM.

    SIGINT is ignored: Ctrl-C in a terminal reaches the whole process group, and the parent
    answers it by terminating its workers. Until the handler is built (seconds: spaCy, Presidio,
    graphs) SIGTERM keeps its default and ends the process at once, since nothing is claimed
    yet; from then on it lets the event in hand finish.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(settings.log_level, settings.log_format, settings.banner_id_pattern)
    stop = threading.Event()

    def graceful() -> None:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())

    _work(settings, make_handler, threads, lease, stop, started=graceful)


@dataclass
class ProcessGroup:
    """``count`` copies of ``target`` as (spawned) processes, each restarted if it dies.

    A process that dies young (before ``healthy`` seconds) is restarted after a delay that
    doubles up to ``max_delay``: one that cannot start (a database that is not there, a broken
    configuration) must not be respawned every second for ever. :meth:`run` supervises until
    ``stop`` is set, then terminates them (SIGTERM: a worker finishes the event in hand) and
    kills those still running ``grace`` seconds later (their claims return to the inbox when
    the lease runs out; handlers are idempotent).
    """

    target: Callable[[], None]
    count: int
    grace: float = 15.0
    healthy: float = 60.0
    max_delay: float = 60.0
    processes: list[BaseProcess] = field(default_factory=list)
    restarts: int = 0

    def _start(self) -> BaseProcess:
        process = multiprocessing.get_context("spawn").Process(target=self.target, daemon=False)
        process.start()
        return process

    @property
    def pids(self) -> list[int]:
        """The running processes' ids (for CPU accounting)."""
        return [p.pid for p in self.processes if p.pid is not None]

    def run(self, stop: threading.Event) -> None:
        """Start the processes, restart any that exits, and stop them all when ``stop`` is set."""
        self.processes = [self._start() for _ in range(self.count)]
        started = [time.monotonic()] * self.count
        delays = [0.0] * self.count
        due: list[float | None] = [None] * self.count
        while not stop.wait(1.0):
            now = time.monotonic()
            for n, process in enumerate(self.processes):
                if process.is_alive():
                    continue
                if due[n] is None:
                    young = now - started[n] < self.healthy
                    delays[n] = min(max(1.0, delays[n] * 2), self.max_delay) if young else 0.0
                    due[n] = now + delays[n]
                    log.warning("worker process %s exited (%s); restarting in %.0f s",
                                process.pid, process.exitcode, delays[n])  # fmt: skip
                if now >= (due[n] or now):
                    self.processes[n], started[n], due[n] = self._start(), now, None
                    self.restarts += 1
        for process in self.processes:
            process.terminate()
        deadline = time.monotonic() + self.grace
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("worker process %s did not stop in %.0f s; killed", process.pid,
                            self.grace)  # fmt: skip
                process.kill()
                process.join()


@dataclass
class EmbeddedWorkers:
    """The embedded worker as configured: ``processes`` × ``threads`` over the app's inbox.

    Several processes share the inbox safely (a claim takes SQLite's write lock, or PostgreSQL's
    row locks) and each has an interpreter lock of its own: one process's threads share one
    core, and at 50 registrations/s one process needs more than a core once the host is busy.
    With ``processes`` 1 the threads run in the calling process instead. ``make_handler`` must
    be picklable (e.g. a ``functools.partial`` of a module-level function): spawned processes
    build their own handler.
    """

    settings: Settings
    make_handler: Callable[[], Handler]
    processes: int
    threads: int
    lease: timedelta = timedelta(minutes=10)
    group: ProcessGroup | None = None

    @classmethod
    def configured(cls, settings: Settings, make_handler: Callable[[], Handler]) -> EmbeddedWorkers:
        """Processes and threads from ``BCA_WORKER_PROCESSES`` and ``BCA_WORKER_THREADS``."""
        return cls(settings, make_handler, settings.worker_processes, settings.worker_threads)

    @property
    def pids(self) -> list[int]:
        """The processes doing the work: the workers, or this one."""
        return self.group.pids if self.group else [os.getpid()]

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set."""
        if self.processes == 1:
            _work(self.settings, self.make_handler, self.threads, self.lease, stop)
            return
        target = partial(
            embedded_process,
            self.settings,
            self.make_handler,
            self.threads,
            self.lease,
        )
        self.group = ProcessGroup(target, self.processes)
        self.group.run(stop)
