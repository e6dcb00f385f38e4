"""Fixtures for the event runtime: an inbox on SQLite and on PostgreSQL, and the broker."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest

from core.db import make_engine
from runtime.inbox import Inbox, RetryPolicy
from tests.conftest import require_service

BROKER_URL = os.environ.get("BCA_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture(params=["sqlite", "postgresql"])
def app_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The app database URL: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/app.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def inbox(app_url: str) -> Iterator[Inbox]:
    engine = make_engine(app_url)
    box = Inbox(engine, retry=RetryPolicy(max_attempts=3))
    box.create_schema()
    yield box
    engine.dispose()


@pytest.fixture(scope="session")
def broker_url() -> str:
    """RabbitMQ, proven reachable (a required service)."""
    import aio_pika

    async def probe() -> None:
        connection = await aio_pika.connect(BROKER_URL, timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        require_service(f"RabbitMQ at {BROKER_URL}", exc)
    return BROKER_URL


@pytest.fixture
def unique() -> str:
    """A name unique to this test run, for exchanges and queues."""
    return f"bca-test-{uuid.uuid4().hex[:10]}"
