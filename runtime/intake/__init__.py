"""Intake: turn what Banner and Canvas send into typed events and store them in the inbox.

Each source has one module (``canvas`` Live Events, ``bep`` RabbitMQ messages, ``ethos`` change
notifications, ``db_poller`` activity-date polling). They share the rule that nothing is
acknowledged to its source before it is stored, and that input which cannot be understood is
kept, raw, as a dead inbox row with the reason (see :mod:`runtime.intake.replay`).
"""

from __future__ import annotations

from core.errors import ValidationFailed


class MalformedEvent(ValidationFailed):
    """Input that is not a valid event of its source; the message says what is wrong."""


class IgnoredEvent(ValidationFailed):
    """Well-formed input of a kind this system does not act on (e.g. Canvas ``logged_in``)."""
