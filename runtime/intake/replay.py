"""Re-parse a kept raw body with today's code and configuration: replaying malformed input.

The inbox keeps what it could not parse, tagged with its source; after a fix (a parser bug, a
missing signing key, a GUID the resolver did not know, an RSTS code the mapping lacked)
``bca events replay ID`` hands the raw body back to the source's parser through this function.
"""

from __future__ import annotations

from agents.events import Event
from core.errors import ValidationFailed
from runtime.inbox import Reparser
from runtime.intake import bep, canvas, db_poller, ethos


def reparser(*, canvas_config: canvas.LiveEventsConfig, ethos_ids: ethos.GuidResolver) -> Reparser:
    """A :data:`~runtime.inbox.Reparser` for every intake source."""

    def reparse(source: str, raw: bytes) -> Event:
        match source:
            case canvas.SOURCE:
                return canvas.parse_body(raw, canvas_config, fresh=False)
            case bep.SOURCE:
                return bep.parse_message(raw)
            case ethos.SOURCE:
                return ethos.parse_notification(raw, ethos_ids)
            case db_poller.SOURCE:
                return db_poller.parse_change(raw)
            case _:
                raise ValidationFailed(f"no parser for source {source!r}")

    return reparse
