"""Engines for Banner and the app database, with errors a person can read.

SQLAlchemy gives one code path for SQLite, PostgreSQL and Oracle; this module only adds the
embedded-default niceties (create ``var/``, SQLite pragmas) and turns a malformed URL or an
unreachable server into a single-line :class:`ServiceUnavailable`/:class:`ConfigurationError`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.types import TypeDecorator

from core.errors import ConfigurationError, ServiceUnavailable


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class DatabaseMissing(ServiceUnavailable):
    """A SQLite database that must already exist is not there (see ``create``)."""


def masked_url(url: str) -> str:
    """``url`` fit for an error message: a password in it becomes ``***``.

    Works on any URL, also one SQLAlchemy cannot parse, so every message can use it.
    """
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def make_engine(url: str, *, check: bool = True, create: bool = True, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; with ``check`` also prove the server answers.

    Without ``create`` a missing SQLite file is an error instead of a new empty database: for
    data that must already exist (Banner), an empty file would only defer the failure.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"malformed database URL {masked_url(url)!r}: {exc}") from None
    where = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not create and not path.is_file():
            raise DatabaseMissing(f"database {where} does not exist (no file {path})")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(
                f"database {where}: cannot create {path.parent} ({exc.strerror})"
            ) from None
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigurationError(f"unsupported database URL {where!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if check:
        try:
            with engine.connect() as conn:
                conn.execute(
                    text(
                        "SELECT 1"
                        if parsed.get_backend_name() != "oracle"
                        else "SELECT 1 FROM DUAL"
                    )
                )
        except OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ServiceUnavailable(f"cannot reach database {where}: {reason}") from None
    return engine


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC as a naive timestamp on every backend and returns aware UTC datetimes.

    SQLite has no time zones; storing naive UTC everywhere keeps comparisons (ordering, leases,
    backoff) identical on both backends. A naive input is taken to be UTC already.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to naive UTC before it reaches the database."""
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Give back an aware UTC datetime."""
        return None if value is None else value.replace(tzinfo=UTC)


def add_missing_columns(engine: Engine, table: Table) -> list[str]:
    """Add the columns ``table`` declares and the database's table lacks; their names.

    ``create_all`` makes missing tables but never changes one that exists, so a database made
    before a column was added keeps working only if this adds it. Only nullable columns can be
    added (existing rows have no value). Two processes may add the same column at once (SQLite
    has no ``ADD COLUMN IF NOT EXISTS``): an error is ignored when the column exists afterwards.
    """
    present = {column["name"] for column in inspect(engine).get_columns(table.name)}
    added = []
    for column in table.columns:
        if column.name in present:
            continue
        if not column.nullable:
            raise ConfigurationError(f"{table.name}.{column.name}: cannot add a NOT NULL column")
        kind = column.type.compile(dialect=engine.dialect)
        prepare = engine.dialect.identifier_preparer
        statement = (
            f"ALTER TABLE {prepare.format_table(table)}"
            f" ADD COLUMN {prepare.format_column(column)} {kind}"
        )
        try:
            with engine.begin() as conn:
                conn.execute(text(statement))
        except DBAPIError:
            columns = inspect(engine).get_columns(table.name)
            if column.name not in {c["name"] for c in columns}:
                raise
        added.append(column.name)
    return added
