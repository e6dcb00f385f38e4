"""Outages of the broker and the database, simulated with a TCP proxy that a test cuts.

The shared RabbitMQ and PostgreSQL keep running; the code under test reaches them through a
:class:`~tests.runtime.proxy.TcpProxy` on 127.0.0.1, and cutting the proxy drops every open
connection and refuses new ones, which is what a client sees of a dead server. After
``restore`` the workers must reconnect by themselves (with growing delays, as their logs say),
and nothing that was accepted may be lost or applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from agents.events import Event
from app import create_app
from core.db import make_engine
from core.settings import Settings
from runtime.approval_index import Page
from runtime.bus import BusWorker, Topology
from runtime.inbox import Inbox, Status
from runtime.intake.bep import BepConfig, BepConsumer
from runtime.intake.canvas import LiveEventsConfig
from tests.runtime.helpers import CountingHandler, delete_queues, effects, reg
from tests.runtime.proxy import TcpProxy
from tests.runtime.test_runtime_bep import REG, message
from tests.runtime.test_runtime_webhook import envelope

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.slow]

RECONNECT = re.compile(r"^(?P<name>.+): broker unavailable \(.*\); reconnecting in (?P<s>[\d.]+)s$")


# -- helpers -----------------------------------------------------------------------------------


def proxy_to(url: str, default_port: int) -> TcpProxy:
    """A proxy in front of the server that ``url`` names."""
    if url.startswith("amqp"):
        parts = urlsplit(url)
        return TcpProxy(parts.hostname or "127.0.0.1", parts.port or default_port)
    parsed = make_url(url)
    return TcpProxy(parsed.host or "127.0.0.1", parsed.port or default_port)


@contextlib.contextmanager
def running(run: Callable[[asyncio.Event], Any]) -> Iterator[threading.Thread]:
    """Run ``run(stop)`` on its own event loop in a thread; stop it and wait on exit."""
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        box["loop"], box["stop"] = asyncio.get_running_loop(), asyncio.Event()
        ready.set()
        await run(box["stop"])

    def target() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced below: a worker must never die of an outage
            box["error"] = exc

    thread = threading.Thread(target=target, name="outage-runner", daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield thread
        assert thread.is_alive(), f"the worker stopped by itself: {box.get('error')!r}"
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(20)
    assert not thread.is_alive(), "the worker did not stop"
    assert "error" not in box, f"the worker died: {box['error']!r}"


def wait_for(
    condition: Callable[[], bool],
    seconds: float,
    what: str,
    detail: Callable[[], object] = lambda: "",
) -> float:
    """Poll ``condition`` (bounded); returns the seconds it took."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > seconds:
            pytest.fail(f"timed out after {seconds}s waiting for {what}: {detail()}")
        time.sleep(0.05)
    return time.monotonic() - began


def reconnect_delays(caplog: pytest.LogCaptureFixture, name: str) -> list[float]:
    """The delays ``runtime.bus.serve`` announced for the session called ``name``."""
    delays = []
    for record in caplog.records:
        if record.name != "runtime.bus":
            continue
        match = RECONNECT.match(record.getMessage())
        if match and match["name"] == name:
            delays.append(float(match["s"]))
    return delays


def assert_backoff(delays: list[float], name: str) -> None:
    assert len(delays) >= 2, f"{name} logged {delays}: expected several reconnect attempts"
    assert delays == sorted(delays) and delays[-1] > delays[0], f"{name}: {delays} do not grow"


def stuck(inbox: Inbox) -> tuple[dict[Status, int], set[str | None]]:
    """The inbox's counts, and who holds the events still processing (for failure messages)."""
    holders = {r.claimed_by for r in inbox.list_events(statuses=["processing"], limit=1000)}
    return inbox.counts(), holders


def applied(handler: CountingHandler) -> int:
    with handler.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(effects)).scalar_one())


def applied_ids(handler: CountingHandler) -> list[str]:
    with handler.engine.connect() as conn:
        return sorted(conn.execute(select(effects.c.event_id)).scalars())


def mixed_events(n: int) -> tuple[list[Event], list[Event]]:
    """``n`` unique registration events over 40 students, and arrivals with 10% duplicates."""
    events = [reg(i, pidm=i % 40 + 1, minutes=i, dropped=i % 4 == 3) for i in range(n)]
    return events, events + events[: n // 10]


# -- broker outage: RabbitMQ workers -----------------------------------------------------------


def test_bus_workers_survive_a_broker_outage(
    pg_url: str, broker_url: str, unique: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="runtime.bus")
    inbox = Inbox(make_engine(pg_url))
    inbox.create_schema()
    events, arrivals = mixed_events(400)
    inbox.store_many(arrivals, source="bep")
    handler = CountingHandler(pg_url, delay=0.005)

    with proxy_to(broker_url, 5672) as proxy:
        workers = [
            BusWorker(
                inbox,
                handler,
                broker_url=proxy.url_for(broker_url),
                worker_id=f"outage-{i}",
                topology=Topology(prefix=unique),
                prefetch=8,
                dispatch_batch=20,
            )
            for i in range(2)
        ]

        async def both(stop: asyncio.Event) -> None:
            await asyncio.gather(*(w.run(stop) for w in workers))

        try:
            with running(both):
                wait_for(lambda: applied(handler) >= 80, 20, "80 effects before the cut")
                proxy.cut()
                at_cut = applied(handler)
                time.sleep(3.0)
                during = applied(handler)
                proxy.restore()
                recovered = wait_for(
                    lambda: inbox.counts()["done"] == len(events),
                    30,
                    "every event done",
                    lambda: stuck(inbox),
                )
        finally:
            asyncio.run(delete_queues(broker_url, unique))

    assert at_cut < len(events), "the cut happened mid-run"
    assert during - at_cut <= 16, "with the broker gone, at most the in-flight work finished"
    assert applied_ids(handler) == sorted(e.event_id for e in events)
    counts = inbox.counts()
    assert counts["done"] == len(events) and counts["dead"] == 0 and counts["failed"] == 0
    for i in range(2):
        assert_backoff(reconnect_delays(caplog, f"bca-worker outage-{i}"), f"outage-{i}")
    print(
        f"\nbroker cut at {at_cut}/{len(events)} effects; all done {recovered:.1f}s after restore"
    )


# -- broker outage: the BEP consumer -----------------------------------------------------------


class SlowInbox(Inbox):
    """An inbox whose stores take a moment, so a cut lands while messages are in flight."""

    def store(self, event: Event, *, source: str) -> bool:
        time.sleep(0.01)
        return super().store(event, source=source)


def bep_bodies(first: int, count: int) -> list[bytes]:
    return [
        message(
            str(n), "SFRSTCR", "INSERT", {**REG, "SFRSTCR_PIDM": n}, {"SFRSTCR_RSTS_CODE": "RE"}
        )
        for n in range(first, first + count)
    ]


def test_bep_consumer_survives_a_broker_outage(
    tmp_path: Path, broker_url: str, unique: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="runtime.bus")
    inbox = SlowInbox(make_engine(f"sqlite:///{tmp_path}/app.db"))
    inbox.create_schema()
    config = BepConfig(exchange=f"{unique}.bep_events_topic", queue=f"{unique}.bep", prefetch=20)

    async def publish(bodies: list[bytes]) -> None:
        connection = await aio_pika.connect(broker_url)  # BEP itself: not through the proxy
        async with connection:
            channel = await connection.channel()
            exchange = await channel.declare_exchange(
                config.exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
            queue = await channel.declare_queue(config.queue, durable=True)
            await queue.bind(exchange, routing_key="USER.SFRSTCR")
            for raw in bodies:
                await exchange.publish(aio_pika.Message(raw), routing_key="USER.SFRSTCR")

    async def cleanup() -> int:
        connection = await aio_pika.connect(broker_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(config.queue, durable=True)
            left = queue.declaration_result.message_count or 0
            await queue.delete(if_unused=False, if_empty=False)
            await channel.exchange_delete(config.exchange)
        return left

    stored = lambda: inbox.counts()["received"]  # noqa: E731
    with proxy_to(broker_url, 5672) as proxy:
        consumer = BepConsumer(inbox, broker_url=proxy.url_for(broker_url), config=config)
        try:
            with running(consumer.run):
                asyncio.run(publish(bep_bodies(1, 150)))
                wait_for(lambda: stored() >= 30, 20, "30 BEP messages stored before the cut")
                proxy.cut()
                at_cut = stored()
                asyncio.run(publish(bep_bodies(151, 50)))  # published while the consumer is cut
                time.sleep(2.5)
                proxy.restore()
                recovered = wait_for(lambda: stored() == 200, 30, "all 200 BEP messages stored")
                time.sleep(0.3)  # the last acks
        finally:
            left = asyncio.run(cleanup())

    assert at_cut < 150, "the cut happened while messages were in flight"
    assert left == 0, "every message was acked after it was stored"
    assert {r.event_id for r in inbox.list_events(limit=500)} == {f"bep:{n}" for n in range(1, 201)}
    assert inbox.counts()["dead"] == 0
    assert_backoff(reconnect_delays(caplog, "bca intake bep"), "the BEP consumer")
    print(f"\nBEP consumer cut at {at_cut}/200 stored; all stored {recovered:.1f}s after restore")


# -- database outage: webhook intake, /health and a worker -------------------------------------


class _NoApprovals:
    def pending(self, approver: Any = None) -> list[Any]:
        return []

    def page(self, approver: Any, *, limit: int, after: Any = None) -> Page:
        return Page([], None)

    def find(self, request_id: str) -> None:
        return None

    def count(self) -> int:
        return 0

    def about(self, student: int) -> list[Any]:
        return []

    def resume(self, pending: Any, answer: Any) -> Any:
        raise AssertionError("nothing to resume")


def live_event(n: int) -> dict[str, Any]:
    body = envelope(enrollment_id=str(1000 + n), user_id=str(500 + n))
    body["metadata"]["request_id"] = f"outage-{n}"
    return body


def test_database_outage_503_then_nothing_lost(
    pg_url: str, broker_url: str, unique: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="runtime.bus")
    # the effects: another system, reached directly; slow enough that work is in flight at the cut
    handler = CountingHandler(pg_url, delay=0.1)
    with proxy_to(pg_url, 5432) as proxy:
        proxied = proxy.url_for(pg_url)
        assert "search_path" in proxied, "the proxied URL keeps the test schema"
        settings = Settings(
            var_dir=tmp_path / "var",
            database_url=proxied,
            banner_url=f"sqlite:///{tmp_path}/banner.db",
            checkpoint_url=str(tmp_path / "checkpoints.db"),
            auth_secret="test-secret-of-at-least-32-bytes-long!",
        )
        app = create_app(
            settings,
            approval_queue=lambda _s: nullcontext(_NoApprovals()),
            live_events=LiveEventsConfig(accept_unsigned=True),
        )
        inbox = Inbox(make_engine(proxied, connect_args={"connect_timeout": 2}))
        worker = BusWorker(
            inbox,
            handler,
            broker_url=broker_url,
            worker_id="db-outage",
            topology=Topology(prefix=unique),
            prefetch=4,
        )
        accepted: set[str] = set()
        refused: list[dict[str, Any]] = []
        try:
            with TestClient(app) as client, running(worker.run):
                assert client.get("/health").status_code == 200
                for n in range(20):
                    response = client.post("/webhooks/canvas", json=live_event(n))
                    assert response.status_code == 200, response.text
                    accepted.add(response.json()["event_id"])
                wait_for(lambda: applied(handler) >= 4, 20, "the worker to start applying")

                proxy.cut()
                at_cut = applied(handler)
                health = client.get("/health")
                for n in range(20, 30):
                    response = client.post("/webhooks/canvas", json=live_event(n))
                    assert response.status_code == 503, response.text
                    refused.append(live_event(n))
                time.sleep(2.0)
                proxy.restore()

                for body in refused:  # Canvas retries what was refused
                    response = client.post("/webhooks/canvas", json=body)
                    assert response.status_code == 200, response.text
                    assert response.json()["status"] == "stored", "nothing was half-stored"
                    accepted.add(response.json()["event_id"])
                assert client.get("/health").status_code == 200
                recovered = wait_for(
                    lambda: inbox.counts()["done"] == len(accepted), 30, "every event done"
                )
            counts = inbox.counts()
        finally:
            asyncio.run(delete_queues(broker_url, unique))
            inbox.engine.dispose()

    assert at_cut < 20, "the cut happened while the worker had work in flight"
    assert health.status_code == 503
    waits = [r.getMessage() for r in caplog.records if "inbox unavailable" in r.getMessage()]
    assert waits, "the worker noticed the database outage (and waited it out)"
    components = health.json()["components"]
    assert components["app_database"]["ok"] is False and components["banner"]["ok"] is True
    assert applied_ids(handler) == sorted(accepted)
    assert counts["done"] == 30 and counts["dead"] == 0 and counts["failed"] == 0
    print(
        f"\ndatabase cut at {at_cut}/20 effects ({len(waits)} waits logged); "
        f"all 30 done {recovered:.1f}s after restore"
    )
