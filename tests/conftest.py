"""Shared fixtures: service availability and isolated PostgreSQL schemas.

A test that needs a service asks for it through :func:`require_service`. On a laptop a missing
service skips the test and says why; under CI (``CI=true``) it fails the run, because CI must
run everything.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("BCA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def in_ci() -> bool:
    """True when running under CI, where a missing service is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(name: str, error: BaseException) -> None:
    """Skip (laptop) or fail (CI) because ``name`` is unreachable."""
    message = f"{name} unavailable: {str(error).splitlines()[0] if str(error) else error!r}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: services are required)", pytrace=False)
    pytest.skip(f"{message}; start it to run this test")


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """URL of the PostgreSQL server, proven reachable."""
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        require_service(f"PostgreSQL at {PG_URL}", exc)
    return PG_URL


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A URL whose connections see a fresh, empty schema, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(pg_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """Every in-process ``bca`` call configures logging (a stderr handler, levels, the record
    factory): undo it after each test, so a later test's capture sees what it set itself."""
    import logging

    loggers = [logging.getLogger(name) for name in ("", "canvasapi", "presidio-analyzer")]
    handlers, levels = loggers[0].handlers[:], [logger.level for logger in loggers]
    factory = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(factory)
    loggers[0].handlers[:] = handlers
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
