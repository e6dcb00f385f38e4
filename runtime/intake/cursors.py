"""Where pollers remember how far they got (Ethos ``lastProcessedID``, activity-date watermarks).

A cursor is written in its own transaction *after* the events it covers were stored, so a crash
between the two re-reads a little and the inbox absorbs the duplicates; nothing is skipped.
"""

from __future__ import annotations

from sqlalchemy import Column, Engine, String, Table, Text, select

from core.clock import utcnow
from core.db import UtcDateTime
from runtime.inbox import metadata

intake_cursors = Table(
    "intake_cursors",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


class CursorStore:
    """Named string cursors in the app database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        """Create the cursor table if missing."""
        intake_cursors.create(self.engine, checkfirst=True)

    def get(self, name: str) -> str | None:
        """The saved value, or None before the first save."""
        with self.engine.connect() as conn:
            value: str | None = conn.execute(
                select(intake_cursors.c.value).where(intake_cursors.c.name == name)
            ).scalar_one_or_none()
        return value

    def set(self, name: str, value: str) -> None:
        """Save ``value`` (insert or replace)."""
        row = {"name": name, "value": value, "updated_at": utcnow()}
        with self.engine.begin() as conn:
            updated = conn.execute(
                intake_cursors.update().where(intake_cursors.c.name == name).values(**row)
            ).rowcount
            if not updated:
                conn.execute(intake_cursors.insert().values(**row))
