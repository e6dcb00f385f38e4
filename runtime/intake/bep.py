"""Banner Event Publisher → inbox: a RabbitMQ consumer on the ``bep_events_topic`` exchange.

BEP publishes trigger-captured row changes to a topic exchange with routing keys
``USER.<TABLE>`` (``USER.SFRSTCR``, ``USER.SSBSECT``, ``USER.SIRASGN``, ``USER.SPRHOLD``). This
consumer binds its own durable queue to those keys, maps each message to a typed event, stores
it, and **acks only after the store committed**; if the app database is down it nacks with
requeue and backs off, so RabbitMQ keeps the message. A message that cannot be understood is
stored dead with its raw body and acked (it is safe in the inbox, replayable).

Message shape (the sandbox's; a site adapts its BEP payload template to it), JSON::

    {
      "id": "4b0c...",                 # publisher's unique message id (redeliveries repeat it)
      "table": "SFRSTCR",              # Banner table, upper case (else taken from the routing key)
      "operation": "INSERT",           # INSERT | UPDATE | DELETE
      "occurred_at": "2026-01-12T10:00:00Z",  # the row's activity date / trigger time
      "keys": {"SFRSTCR_TERM_CODE": "202610", "SFRSTCR_CRN": "10001", "SFRSTCR_PIDM": 1234},
      "data": {"SFRSTCR_RSTS_CODE": "DD", "STVRSTS_INCL_SECT_ENRL": "N"},  # changed row values
      "changed": ["SFRSTCR_RSTS_CODE"]  # optional: which columns changed (grade entry detection)
    }

The event id is ``bep:<id>``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import datetime

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage
from pydantic import Field, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import SQLAlchemyError

from agents.events import Event
from runtime.bus import serve
from runtime.inbox import Inbox
from runtime.intake import IgnoredEvent, MalformedEvent
from runtime.intake.banner_rows import TABLES, Operation, event_from_row

log = logging.getLogger(__name__)

SOURCE = "bep"
_TIME = TypeAdapter(datetime)
_OPERATIONS: dict[str, Operation] = {"INSERT": "INSERT", "UPDATE": "UPDATE", "DELETE": "DELETE"}


class BepConfig(BaseSettings):
    """BEP consumer settings (``BCA_BEP_*``); the broker URL is the app's ``broker_url``."""

    model_config = SettingsConfigDict(env_prefix="BCA_BEP_", extra="ignore")

    exchange: str = Field("bep_events_topic", description="BEP's topic exchange.")
    queue: str = Field("bca.bep", description="This system's durable queue on that exchange.")
    routing_keys: list[str] = Field(
        default_factory=lambda: [f"USER.{table}" for table in TABLES],
        description="Topic bindings (JSON list in the environment).",
    )
    prefetch: int = Field(100, description="Unacked messages in flight.")


def parse_message(raw: bytes, routing_key: str | None = None) -> Event:
    """A BEP message body (see the module docstring) → typed event; raises Malformed/Ignored."""
    try:
        message = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedEvent(f"BEP message is not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise MalformedEvent("BEP message is not a JSON object")
    table = message.get("table") or (routing_key or "").rpartition(".")[2]
    if not table:
        raise MalformedEvent("BEP message names no table (no 'table', no routing key)")
    operation = _OPERATIONS.get(str(message.get("operation", "")).upper())
    if operation is None:
        raise MalformedEvent(
            f"BEP operation {message.get('operation')!r} is not INSERT/UPDATE/DELETE"
        )
    try:
        occurred_at = _TIME.validate_python(message.get("occurred_at"))
    except ValidationError:
        raise MalformedEvent(
            f"BEP occurred_at {message.get('occurred_at')!r} is not a time"
        ) from None
    keys, data = message.get("keys") or {}, message.get("data") or {}
    if not isinstance(keys, dict) or not isinstance(data, dict):
        raise MalformedEvent("BEP message 'keys' and 'data' must be objects")
    message_id = message.get("id") or hashlib.sha256(raw).hexdigest()[:32]
    return event_from_row(
        str(table),
        operation,
        {**data, **keys},
        event_id=f"bep:{message_id}",
        occurred_at=occurred_at,
        changed=frozenset(str(c).upper() for c in message.get("changed") or ()),
    )


class BepConsumer:
    """Consumes BEP messages into the inbox until stopped, reconnecting with backoff."""

    def __init__(self, inbox: Inbox, *, broker_url: str, config: BepConfig | None = None) -> None:
        self.inbox = inbox
        self.broker_url = broker_url
        self.config = config or BepConfig()
        self.stored = 0
        self.kept_malformed = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set, reconnecting with backoff."""
        await serve(self.broker_url, stop, self._session, name="bca intake bep")

    async def _session(self, connection: AbstractConnection, stop: asyncio.Event) -> None:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self.config.prefetch)
        exchange = await channel.declare_exchange(
            self.config.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(self.config.queue, durable=True)
        for key in self.config.routing_keys:
            await queue.bind(exchange, routing_key=key)
        await queue.consume(self.on_message)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """Store then ack; on a database error nack with requeue after a pause."""
        try:
            stored = await asyncio.to_thread(self._store, message.body, message.routing_key)
        except SQLAlchemyError as exc:
            log.warning("inbox unavailable (%s); BEP message requeued", exc)
            await asyncio.sleep(1.0)
            await message.nack(requeue=True)
            return
        self.stored += stored
        await message.ack()

    def _store(self, raw: bytes, routing_key: str | None) -> int:
        try:
            event = parse_message(raw, routing_key)
        except IgnoredEvent as exc:
            log.info("BEP message ignored: %s", exc)
            return 0
        except MalformedEvent as exc:
            self.inbox.store_malformed(source=SOURCE, raw_body=raw, reason=str(exc))
            self.kept_malformed += 1
            return 0
        return int(self.inbox.store(event, source=SOURCE))
