"""Identifiers out of every log line: e-mails, phones, SSNs, Banner IDs and PIDMs become kinds.

The guard keeps personal data from the model, but log lines are written by everyone (our code,
canvasapi, httpx, SQLAlchemy, a traceback quoting an argument) and end up in files and log
stores nobody audits per line. So redaction is installed where records are made, not in a
handler: :func:`install_log_redaction` wraps the process's log record factory, and every record
(of every logger, whatever handler later writes it) carries its message with the structured
identifiers replaced by ``<EMAIL>``, ``<BANNER_ID>``… and its traceback redacted the same way.

Only the pattern recognizers run here (microseconds a line); names need the directory and NER,
which cost milliseconds, so the rule for names is that our code never logs one: log the event
id, the PIDM-free subject key or the CRN instead.
"""

from __future__ import annotations

import logging
import traceback
from functools import cache
from typing import Any

from policies.pii.gazetteer import GazetteerRecognizer
from policies.pii.models import PiiType
from policies.pii.patterns import (
    DEFAULT_BANNER_ID_PATTERN,
    BannerIdRecognizer,
    EmailRecognizer,
    PhoneRecognizer,
    PidmRecognizer,
    RegexRecognizer,
    SsnRecognizer,
)


class IdentifierScrubber:
    """Replaces each structured identifier in a text by its kind (logs keep no pseudonyms).

    ``names`` adds the name gazetteer's finds as ``<PERSON>``: too slow for every log line
    (tens of microseconds more), right for texts kept for good, such as the error an inbox
    row stores (a Canvas 400 may quote a user's name; exceptions are rare).
    """

    def __init__(
        self, banner_id_pattern: str = DEFAULT_BANNER_ID_PATTERN, *, names: bool = False
    ) -> None:
        self._recognizers: list[RegexRecognizer] = [
            EmailRecognizer(),
            SsnRecognizer(),
            PhoneRecognizer(),
            BannerIdRecognizer(banner_id_pattern),
            PidmRecognizer(),
        ]
        self._names = GazetteerRecognizer() if names else None

    def scrub(self, text: str) -> str:
        """``text`` with every identifier span replaced; overlaps go to the earliest, longest."""
        found = [
            (start, end, r.entity) for r in self._recognizers for start, end, _ in r.find(text)
        ]
        if self._names is not None:
            found += [(start, end, PiiType.PERSON) for start, end, _ in self._names.find(text)]
        spans = sorted(found, key=lambda span: (span[0], -span[1]))
        if not spans:
            return text
        parts, at = [], 0
        for start, end, kind in spans:
            if start < at:
                continue
            parts += [text[at:start], f"<{kind.value}>"]
            at = end
        parts.append(text[at:])
        return "".join(parts)


@cache
def with_names(banner_id_pattern: str = DEFAULT_BANNER_ID_PATTERN) -> IdentifierScrubber:
    """The scrubber for tracebacks and stored failures, names included.

    An exception quotes what it was given (a Canvas error, a row), names too, and is rare
    enough to afford the gazetteer (loaded on first use).
    """
    return IdentifierScrubber(banner_id_pattern, names=True)


def install_log_redaction(banner_id_pattern: str | None = None) -> None:
    """Make every log record of this process carry a scrubbed message (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "scrubber", None) is not None:
        return
    pattern = banner_id_pattern or DEFAULT_BANNER_ID_PATTERN
    scrubber = IdentifierScrubber(pattern)

    def scrubbed_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad %-format: logging reports it when it writes
            return record
        record.msg, record.args = scrubber.scrub(message), None
        if record.exc_info and record.exc_info[1] is not None:
            lines = traceback.format_exception(*record.exc_info)
            record.exc_text = with_names(pattern).scrub("".join(lines).rstrip("\n"))
        return record

    scrubbed_record.scrubber = scrubber  # type: ignore[attr-defined]
    logging.setLogRecordFactory(scrubbed_record)
