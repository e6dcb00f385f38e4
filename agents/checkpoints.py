"""Where paused graphs wait: the LangGraph checkpointer chosen by configuration.

A grade batch waiting for an instructor may sit for days and must survive restarts and be
resumable from another process, so checkpoints are durable: SQLite by default, PostgreSQL when
``BCA_CHECKPOINT_URL`` is a ``postgresql://`` URL (its tables are created by ``setup()``).
Graphs run approval steps with ``durability="sync"`` so an interrupt is on disk before anyone
is asked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import make_url

from core.errors import ServiceUnavailable

APPROVAL_DURABILITY = "sync"


def _postgres_conninfo(url: str) -> str:
    """A libpq URL from a SQLAlchemy-style one (``postgresql+psycopg://`` is accepted)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def open_checkpointer(url: str) -> Iterator[BaseCheckpointSaver[str]]:
    """Open the checkpointer at ``url`` (a SQLite path or a PostgreSQL URL) for a block."""
    if url.startswith(("postgresql://", "postgresql+", "postgres://")):
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row

        try:
            conn = psycopg.connect(
                _postgres_conninfo(url), autocommit=True, row_factory=dict_row, connect_timeout=5
            )
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0]
            raise ServiceUnavailable(f"cannot reach checkpoint database: {first}") from None
        with conn:
            saver = PostgresSaver(conn)
            saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = url.removeprefix("sqlite:///")
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn_sqlite = sqlite3.connect(path, check_same_thread=False)
    try:
        conn_sqlite.execute("PRAGMA journal_mode=WAL")
        saver_sqlite = SqliteSaver(conn_sqlite)
        saver_sqlite.setup()
        yield saver_sqlite
    finally:
        conn_sqlite.close()
