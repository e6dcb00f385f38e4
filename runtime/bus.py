"""Scale-out: inbox events handed to competing RabbitMQ consumers, acknowledged after the effect.

Design (publish from the inbox, not on intake): the inbox stays the one place that knows what is
due and in what order. Each worker process runs

- a **dispatcher** that claims due events from the inbox (the same claim as the embedded worker:
  per-subject order, ``SKIP LOCKED`` so several dispatchers share the work, a lease) and
  publishes their ids to the work queue with publisher confirms; the next event of a subject is
  not claimable before the previous one is done, so competing consumers never apply two events
  of one subject at once;
- **consumers** on the work queue (prefetch = ``prefetch``) that run the handler through
  :func:`runtime.worker.process`, mark the row, and only then **ack**. A worker killed mid-way
  leaves its messages unacked: RabbitMQ redelivers them to the others, and the idempotent handler
  makes the second run harmless.

Failures: a handler failure is the inbox's business (backoff, attempts, dead) and the message is
acked. A message naming no inbox event is rejected to the **dead-letter exchange**; so is a
message delivered more than ``delivery_limit`` times (e.g. one that crashes every worker). The
dead-letter queue keeps those messages for inspection; the inbox row stays authoritative (its
lease runs out and it is dispatched again, until its attempts are used up). A claim whose message
was never published (dispatcher killed between the two) is likewise dispatched again when its
lease runs out; one whose publish the broker did not confirm because the connection dropped is
published again by the same worker as soon as it has reconnected. A broker that goes away ends
the session; the worker reconnects with exponential backoff, and a database that goes away
makes consumers requeue after a pause.

Queues: ``<prefix>.work`` is a quorum queue (durable, replicated, with a delivery limit) bound to
the direct exchange ``<prefix>.work``; ``<prefix>.dead`` is bound to the fanout dead-letter
exchange ``<prefix>.dead``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from asyncio import Task
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractIncomingMessage,
)
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError
from sqlalchemy.exc import SQLAlchemyError

from runtime.inbox import Inbox, InboxRecord
from runtime.worker import Handler, process, settle_heap

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Topology:
    """Names and limits of the work and dead-letter queues."""

    prefix: str = "bca"
    delivery_limit: int = 20

    @property
    def work(self) -> str:
        """Work exchange and queue name."""
        return f"{self.prefix}.work"

    @property
    def dead(self) -> str:
        """Dead-letter exchange and queue name."""
        return f"{self.prefix}.dead"

    async def declare(self, channel: AbstractChannel) -> AbstractExchange:
        """Declare (idempotently) both exchanges and queues; returns the work exchange."""
        dead_exchange = await channel.declare_exchange(
            self.dead, aio_pika.ExchangeType.FANOUT, durable=True
        )
        dead_queue = await channel.declare_queue(self.dead, durable=True)
        await dead_queue.bind(dead_exchange)
        work_exchange = await channel.declare_exchange(
            self.work, aio_pika.ExchangeType.DIRECT, durable=True
        )
        work_queue = await channel.declare_queue(
            self.work,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-dead-letter-exchange": self.dead,
                "x-delivery-limit": self.delivery_limit,
            },
        )
        await work_queue.bind(work_exchange, routing_key=self.work)
        return work_exchange


class Backoff:
    """Exponential reconnect delays: doubling from ``first`` up to ``cap``, reset on success."""

    def __init__(self, first: float = 0.5, cap: float = 30.0) -> None:
        self.first, self.cap, self.current = first, cap, first

    def next(self) -> float:
        """The delay to wait now; the following one is twice as long (capped)."""
        delay, self.current = self.current, min(self.current * 2, self.cap)
        return delay

    def reset(self) -> None:
        """Back to the first delay after a healthy session."""
        self.current = self.first


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


Session = Callable[[AbstractConnection, asyncio.Event], Awaitable[Task[None] | None]]
"""Sets up consumers on a fresh connection; may return a background task that must keep running."""


def _closed_event(connection: AbstractConnection) -> asyncio.Event:
    lost = asyncio.Event()
    connection.close_callbacks.add(lambda *_: lost.set())
    return lost


async def serve(broker_url: str, stop: asyncio.Event, session: Session, *, name: str) -> None:
    """Run ``session`` on a connection until ``stop``; reconnect with exponential backoff.

    A session ends when the connection closes or its background task fails; consumers' unacked
    messages then go back to their queues, so reconnecting loses nothing.
    """
    backoff = Backoff()
    while not stop.is_set():
        try:
            connection = await aio_pika.connect(
                broker_url, client_properties={"connection_name": name}
            )
            lost = _closed_event(connection)
            async with connection:
                backoff.reset()
                background = await session(connection, stop)
                watchers: set[Task[Any]] = {
                    asyncio.create_task(lost.wait()),
                    asyncio.create_task(stop.wait()),
                }
                if background is not None:
                    watchers.add(background)
                done, pending = await asyncio.wait(watchers, return_when="FIRST_COMPLETED")
                for task in pending:
                    task.cancel()
                if background in done:
                    background.result()
                was_lost = lost.is_set()
            if was_lost and not stop.is_set():
                raise ConnectionError("connection to the broker was lost")
        except (AMQPError, ChannelInvalidStateError, OSError) as exc:
            delay = backoff.next()
            log.warning("%s: broker unavailable (%s); reconnecting in %.1fs", name, exc, delay)
            await sleep_or_stop(stop, delay)


class BusWorker:
    """One worker process on RabbitMQ: a dispatcher and ``prefetch`` concurrent consumers."""

    def __init__(
        self,
        inbox: Inbox,
        handler: Handler,
        *,
        broker_url: str,
        worker_id: str,
        topology: Topology | None = None,
        prefetch: int = 8,
        dispatch_batch: int = 200,
        lease: timedelta = timedelta(minutes=10),
        idle_wait: float = 0.05,
    ) -> None:
        self.inbox = inbox
        self.handler = handler
        self.broker_url = broker_url
        self.worker_id = worker_id
        self.topology = topology or Topology()
        self.prefetch = prefetch
        self.dispatch_batch = dispatch_batch
        self.lease = lease
        self.idle_wait = idle_wait
        self.handled = 0
        # Claimed but not yet confirmed by the broker: published again first by the next session
        # (a broker lost mid-publish would otherwise leave them, and every later event of their
        # subjects, waiting for the lease to run out).
        self._unconfirmed: dict[str, InboxRecord] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, reconnecting with backoff whenever the broker goes away."""
        settle_heap()
        await serve(self.broker_url, stop, self._session, name=f"bca-worker {self.worker_id}")

    async def _session(self, connection: AbstractConnection, stop: asyncio.Event) -> Task[None]:
        """Declare, start consuming, and return the dispatcher task."""
        exchange = await self.topology.declare(await connection.channel())
        consuming = await connection.channel()
        await consuming.set_qos(prefetch_count=self.prefetch)
        work_queue = await consuming.get_queue(self.topology.work, ensure=False)
        await work_queue.consume(self._on_message)
        return asyncio.create_task(self._dispatch(exchange, stop))

    async def _dispatch(self, exchange: AbstractExchange, stop: asyncio.Event) -> None:
        """Move due inbox events onto the work queue, in claim order."""
        db_backoff = Backoff()
        while not stop.is_set():
            records = list(self._unconfirmed.values())
            if not records:
                try:
                    records = await asyncio.to_thread(self._claim)
                except SQLAlchemyError as exc:
                    delay = db_backoff.next()
                    log.warning(
                        "inbox unavailable to the dispatcher (%s); retry in %.1fs", exc, delay
                    )
                    await sleep_or_stop(stop, delay)
                    continue
                db_backoff.reset()
                if not records:
                    await sleep_or_stop(stop, self.idle_wait)
                    continue
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            record.event_id.encode(),
                            message_id=record.event_id,
                            type=record.kind,
                            content_type="text/plain",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=self.topology.work,
                    )
                    for record in records
                )
            )
            for record in records:
                self._unconfirmed.pop(record.event_id, None)

    def _claim(self) -> list[InboxRecord]:
        """Claim due events and remember them until published (in the claiming thread).

        Remembered here, not by the awaiting coroutine: a session that ends while the claim runs
        cancels that coroutine, but the thread still commits the claim.
        """
        records = self.inbox.claim(
            f"{self.worker_id}/dispatch", limit=self.dispatch_batch, lease=self.lease
        )
        self._unconfirmed.update((record.event_id, record) for record in records)
        return records

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        """Handle one event id: process if still due, then ack (after the effect)."""
        event_id = message.body.decode("utf-8", errors="replace")
        try:
            record = await asyncio.to_thread(self.inbox.find, event_id)
            if record is None:
                log.error("message names no inbox event %r: dead-lettered", event_id)
                await message.reject(requeue=False)
                return
            if record.status == "processing":
                await asyncio.to_thread(process, self.inbox, record, self.handler)
                self.handled += 1
        except SQLAlchemyError as exc:
            log.warning("inbox unavailable while handling %s (%s); requeued", event_id, exc)
            await asyncio.sleep(1.0)
            await message.nack(requeue=True)
            return
        await message.ack()
