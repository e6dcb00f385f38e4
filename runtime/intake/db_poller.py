"""Banner activity-date polling → inbox, for the sandbox and for sites with neither BEP nor Ethos.

Every Banner table carries ``<TABLE>_ACTIVITY_DATE``, set on insert and update. The poller asks,
per table, for rows whose activity date is at or after its watermark minus an ``overlap`` (a row
committed late with an earlier timestamp is still seen), maps each row through the same mapping
as BEP (:mod:`runtime.intake.banner_rows`), stores the events, and only then moves the
watermark. Re-reading the overlap is free: the event id is ``dbpoll:<table>:<key>:<activity
date>``, so a row seen twice at the same activity date is stored once, and a row changed again
gets a new event.

Insert and update look alike here (both move the activity date), so sections map to
``SectionChanged`` (or ``SectionCancelled``) rather than ``SectionCreated``; deletes are not
visible to a poller (BEP or Ethos see them). SFRSTCR rows are joined to STVRSTS so the
registration kind comes from the status code's flags, not a hard-coded list.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, Table, select
from sqlalchemy.exc import SQLAlchemyError

from agents.events import Event
from runtime.inbox import Inbox
from runtime.intake import IgnoredEvent, MalformedEvent
from runtime.intake.banner_rows import event_from_row
from runtime.intake.cursors import CursorStore
from tools.banner import schema

log = logging.getLogger(__name__)

SOURCE = "db-poll"


@dataclass(frozen=True)
class PolledTable:
    """A Banner table the poller watches, with its key columns and the query that reads it."""

    table: Table
    keys: tuple[str, ...]
    query: Callable[[ColumnElement[bool]], Select[Any]]

    @property
    def name(self) -> str:
        """Banner table name, upper case."""
        return self.table.name.upper()

    @property
    def activity(self) -> Any:
        """The table's ``_ACTIVITY_DATE`` column."""
        return self.table.c[f"{self.table.name}_activity_date"]


def _registrations(where: ColumnElement[bool]) -> Select[Any]:
    s, r = schema.sfrstcr, schema.stvrsts
    flags = (r.c.stvrsts_incl_sect_enrl, r.c.stvrsts_wait_ind, r.c.stvrsts_withdraw_ind)
    return (
        select(s, *flags)
        .outerjoin(r, r.c.stvrsts_code == s.c.sfrstcr_rsts_code)
        .where(where)
        .order_by(s.c.sfrstcr_activity_date)
    )


def _plain(table: Table) -> Callable[[ColumnElement[bool]], Select[Any]]:
    def query(where: ColumnElement[bool]) -> Select[Any]:
        return select(table).where(where).order_by(table.c[f"{table.name}_activity_date"])

    return query


TABLES: tuple[PolledTable, ...] = (
    PolledTable(schema.ssbsect, ("ssbsect_term_code", "ssbsect_crn"), _plain(schema.ssbsect)),
    PolledTable(
        schema.sirasgn, ("sirasgn_term_code", "sirasgn_crn", "sirasgn_pidm"), _plain(schema.sirasgn)
    ),
    PolledTable(
        schema.sfrstcr, ("sfrstcr_term_code", "sfrstcr_crn", "sfrstcr_pidm"), _registrations
    ),
    PolledTable(schema.sprhold, ("sprhold_surrogate_id",), _plain(schema.sprhold)),
)


def _as_utc(value: datetime) -> datetime:
    """Banner activity dates are naive; they are read as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def event_from_change(change: Mapping[str, Any]) -> Event:
    """A polled row change (``table``, ``event_id``, ``occurred_at``, ``row``) → typed event.

    A row with a final grade counts as a grade entry: the poller cannot see which column moved,
    and once grades are in, registration changes in that section are over.
    """
    row = {str(k).upper(): v for k, v in change["row"].items()}
    return event_from_row(
        change["table"],
        "UPSERT",
        row,
        event_id=change["event_id"],
        occurred_at=datetime.fromisoformat(str(change["occurred_at"])),
        changed=frozenset({"SFRSTCR_GRDE_CODE"} if row.get("SFRSTCR_GRDE_CODE") else ()),
    )


def parse_change(raw: bytes) -> Event:
    """A stored raw row change (JSON) → typed event, for replay."""
    try:
        change = json.loads(raw)
        return event_from_change(change)
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
        raise MalformedEvent(f"stored row change is not readable: {exc}") from None


class DbPoller:
    """Polls Banner tables by activity date into the inbox, one watermark per table."""

    def __init__(
        self,
        inbox: Inbox,
        cursors: CursorStore,
        banner: Engine,
        *,
        overlap: timedelta = timedelta(minutes=5),
        tables: tuple[PolledTable, ...] = TABLES,
    ) -> None:
        self.inbox, self.cursors, self.banner = inbox, cursors, banner
        self.overlap, self.tables = overlap, tables

    def poll_once(self) -> int:
        """One pass over every table; returns how many new events were stored."""
        return sum(self._poll(table) for table in self.tables)

    def _poll(self, polled: PolledTable) -> int:
        cursor = f"db_poll:{polled.name}"
        saved = self.cursors.get(cursor)
        since = datetime.fromisoformat(saved) - self.overlap if saved else datetime.min
        with self.banner.connect() as conn:
            rows = conn.execute(
                polled.query(polled.activity >= since.replace(tzinfo=None))
            ).mappings()
            events, newest = self._events(polled, rows)
        stored = self.inbox.store_many(events, source=SOURCE)
        if newest is not None:
            self.cursors.set(cursor, newest.isoformat())
        return stored

    def _events(self, polled: PolledTable, rows: Any) -> tuple[list[Event], datetime | None]:
        events: list[Event] = []
        newest: datetime | None = None
        for row in rows:
            activity = row[polled.activity.name]
            newest = activity if newest is None or activity > newest else newest
            key = "^".join(str(row[k]) for k in polled.keys)
            change = {
                "table": polled.name,
                "event_id": f"dbpoll:{polled.name}:{key}:{activity.isoformat()}",
                "occurred_at": _as_utc(activity).isoformat(),
                "row": {k: v for k, v in row.items() if v is not None},
            }
            try:
                events.append(event_from_change(change))
            except IgnoredEvent:
                continue
            except MalformedEvent as exc:
                raw = json.dumps(change, default=str, sort_keys=True).encode()
                self.inbox.store_malformed(source=SOURCE, raw_body=raw, reason=str(exc))
        return events, newest

    def run(self, stop: threading.Event, *, interval: float = 5.0) -> None:
        """Poll every ``interval`` seconds until ``stop``."""
        while not stop.is_set():
            try:
                self.poll_once()
            except SQLAlchemyError as exc:
                log.warning("DB poll failed (%s); retrying in %.0fs", exc, interval)
            stop.wait(interval)
