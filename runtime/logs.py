"""A process's log lines: scrubbed of identifiers, as text or JSON, with the event in hand.

An operator ships these lines to a log store and searches them by event, not by person: each
line made while a worker handles an event carries its id (``event_id``), which leads to the
inbox row, the run's checkpoints and the audit trail, where access is controlled; the line
itself names nobody. ``BCA_LOG_FORMAT=json`` writes one JSON object a line (what log stores
parse); ``text`` is for a terminal. ``BCA_LOG_LEVEL`` sets the level.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(event_id)s] %(message)s"

_installing = threading.RLock()
_event_id: ContextVar[str | None] = ContextVar("bca_event_id", default=None)


@contextmanager
def event_scope(event_id: str) -> Iterator[None]:
    """Every record made inside (in this thread or task) carries ``event_id``."""
    token = _event_id.set(event_id)
    try:
        yield
    finally:
        _event_id.reset(token)


class EventIdFilter(logging.Filter):
    """Stamps each record with the event in hand (``-`` outside one), for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always passes the record on, stamped."""
        record.event_id = _event_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, event id, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (non-ASCII kept as is)."""
        line: dict[str, str] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        event_id = getattr(record, "event_id", "-")
        if event_id != "-":
            line["event_id"] = event_id
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class _BcaHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler :func:`configure_logging` owns (and may replace)."""


def configure_logging(
    level: int | str, fmt: LogFormat = "text", banner_id_pattern: str | None = None
) -> None:
    """Set the process's root handler on stderr in ``fmt``, records scrubbed, canvasapi quieter.

    canvasapi logs every request and response at INFO with its URL, and our URLs carry SIS ids
    (``sis_user_id:...``): student identifiers do not belong in an operations log, and at 50
    events/s the lines cost CPU too. Whatever else reaches a log (a traceback quoting a Banner
    ID, an e-mail in a Canvas error) is scrubbed where the record is made. Calling it again
    replaces the handler it installed and leaves others' (pytest's capture) alone.
    """
    _redact_from_the_first_record(banner_id_pattern)
    handler = _BcaHandler()
    handler.addFilter(EventIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _BcaHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    effective = root.getEffectiveLevel()
    for chatty in ("canvasapi", "presidio-analyzer"):  # a line per request, per recognizer
        logging.getLogger(chatty).setLevel(max(effective, logging.WARNING))


def _redact_from_the_first_record(banner_id_pattern: str | None) -> None:
    """Install :func:`~policies.pii.logs.install_log_redaction` when the first record is made.

    Its recognizers import Presidio (4 s): a command that logs nothing (``bca --help``, most
    CLI calls at WARNING) must not wait for it, and the first record made is scrubbed anyway.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "scrubber", None) is not None or getattr(previous, "lazy", False):
        return

    def first_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        with _installing:  # re-entrant: importing Presidio makes records of its own
            if logging.getLogRecordFactory() is first_record:
                logging.setLogRecordFactory(previous)
                from policies.pii.logs import install_log_redaction

                install_log_redaction(banner_id_pattern)
        return logging.getLogRecordFactory()(*args, **kwargs)

    first_record.lazy = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(first_record)
