"""BEP consumer through the real RabbitMQ: mapping, store-then-ack, malformed kept dead."""

from __future__ import annotations

import asyncio
import json

import aio_pika
import pytest

from runtime.inbox import Inbox
from runtime.intake import MalformedEvent
from runtime.intake.bep import BepConfig, BepConsumer, parse_message


def message(
    mid: str, table: str, operation: str, keys: dict, data: dict | None = None, **extra
) -> bytes:
    return json.dumps(
        {
            "id": mid,
            "table": table,
            "operation": operation,
            "occurred_at": "2026-01-12T10:00:00Z",
            "keys": keys,
            "data": data or {},
            **extra,
        }
    ).encode()


REG = {"SFRSTCR_TERM_CODE": "202610", "SFRSTCR_CRN": "10001", "SFRSTCR_PIDM": 42}


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (
            message("1", "SFRSTCR", "INSERT", REG, {"SFRSTCR_RSTS_CODE": "RE"}),
            "banner.registration.added",
        ),
        (
            message(
                "2",
                "SFRSTCR",
                "UPDATE",
                REG,
                {"SFRSTCR_RSTS_CODE": "XX", "STVRSTS_INCL_SECT_ENRL": "N"},
            ),
            "banner.registration.dropped",
        ),
        (
            message("3", "SFRSTCR", "UPDATE", REG, {"SFRSTCR_RSTS_CODE": "WL"}),
            "banner.registration.waitlisted",
        ),
        (
            message("4", "SFRSTCR", "UPDATE", REG, {"SFRSTCR_RSTS_CODE": "WD"}),
            "banner.registration.withdrawn",
        ),
        (message("5", "SFRSTCR", "DELETE", REG), "banner.registration.dropped"),
        (
            message(
                "6",
                "SFRSTCR",
                "UPDATE",
                REG,
                {"SFRSTCR_RSTS_CODE": "RE", "SFRSTCR_GRDE_CODE": "I"},
                changed=["SFRSTCR_GRDE_CODE"],
            ),
            "banner.grade.entered",
        ),
        (
            message(
                "7", "SSBSECT", "INSERT", {"SSBSECT_TERM_CODE": "202610", "SSBSECT_CRN": "10001"}
            ),
            "banner.section.created",
        ),
        (
            message(
                "8",
                "SSBSECT",
                "UPDATE",
                {"SSBSECT_TERM_CODE": "202610", "SSBSECT_CRN": "10001"},
                {"SSBSECT_SSTS_CODE": "C"},
            ),
            "banner.section.cancelled",
        ),
        (
            message(
                "9",
                "SIRASGN",
                "INSERT",
                {"SIRASGN_TERM_CODE": "202610", "SIRASGN_CRN": "10001", "SIRASGN_PIDM": 7},
            ),
            "banner.section.changed",
        ),
        (
            message(
                "10",
                "SPRHOLD",
                "INSERT",
                {"SPRHOLD_PIDM": 42},
                {
                    "SPRHOLD_HLDD_CODE": "RH",
                    "SPRHOLD_RELEASE_IND": "N",
                    "SPRHOLD_TO_DATE": "2099-12-31",
                },
            ),
            "banner.hold.placed",
        ),
        (
            message(
                "11",
                "SPRHOLD",
                "UPDATE",
                {"SPRHOLD_PIDM": 42},
                {
                    "SPRHOLD_HLDD_CODE": "RH",
                    "SPRHOLD_RELEASE_IND": "Y",
                    "SPRHOLD_TO_DATE": "2099-12-31",
                },
            ),
            "banner.hold.released",
        ),
    ],
)
def test_mapping(raw: bytes, kind: str) -> None:
    event = parse_message(raw)
    assert event.kind == kind
    assert event.event_id == f"bep:{json.loads(raw)['id']}"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"nope", "not JSON"),
        (message("1", "SFRSTCR", "MERGE", REG), "not INSERT/UPDATE/DELETE"),
        (
            message("1", "SFRSTCR", "INSERT", {"SFRSTCR_TERM_CODE": "202610"}),
            "SFRSTCR_CRN is missing",
        ),
        (
            message("1", "SFRSTCR", "INSERT", REG, {"SFRSTCR_RSTS_CODE": "ZZ"}),
            "unknown SFRSTCR_RSTS_CODE",
        ),
        (
            message(
                "1",
                "SFRSTCR",
                "INSERT",
                {**REG, "SFRSTCR_TERM_CODE": "26"},
                {"SFRSTCR_RSTS_CODE": "RE"},
            ),
            "does not make a valid event",
        ),
    ],
)
def test_malformed(raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedEvent, match=reason):
        parse_message(raw)


def test_consumer_through_rabbitmq(inbox: Inbox, broker_url: str, unique: str) -> None:
    config = BepConfig(exchange=f"{unique}.bep_events_topic", queue=f"{unique}.bep")
    consumer = BepConsumer(inbox, broker_url=broker_url, config=config)
    bodies = {
        "USER.SFRSTCR": [
            message(
                str(n), "SFRSTCR", "INSERT", {**REG, "SFRSTCR_PIDM": n}, {"SFRSTCR_RSTS_CODE": "RE"}
            )
            for n in range(1, 51)
        ],
        "USER.SSBSECT": [
            message(
                "s1", "SSBSECT", "INSERT", {"SSBSECT_TERM_CODE": "202610", "SSBSECT_CRN": "10001"}
            )
        ],
        "USER.SPRHOLD": [b'{"broken": '],
        "USER.GOREMAL": [message("g1", "GOREMAL", "INSERT", {})],  # not bound: never arrives
    }

    async def scenario() -> int | None:
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        connection = await aio_pika.connect(broker_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.declare_exchange(
                config.exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
            queue = await channel.declare_queue(config.queue, durable=True)
            for key in config.routing_keys:  # as the consumer will: messages wait for it
                await queue.bind(exchange, routing_key=key)
            for key, raws in bodies.items():
                for raw in raws:
                    await exchange.publish(aio_pika.Message(raw), routing_key=key)
            # the first message again: a BEP redelivery
            await exchange.publish(
                aio_pika.Message(bodies["USER.SFRSTCR"][0]), routing_key="USER.SFRSTCR"
            )
            for _ in range(200):
                if consumer.stored + consumer.kept_malformed >= 52:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            stop.set()
            await task
            queue = await channel.declare_queue(config.queue, durable=True)
            left = queue.declaration_result.message_count
            await queue.delete(if_unused=False, if_empty=False)
            await channel.exchange_delete(config.exchange)
        return left

    left = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert left == 0, "every message was acked after it was stored"
    counts = inbox.counts()
    assert counts["received"] == 51 and counts["dead"] == 1
    (dead,) = inbox.list_events(statuses=["dead"])
    assert dead.source == "bep" and dead.raw_body == b'{"broken": '
