"""Load the name directory from Banner's SPRIDEN through the Banner read tools."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from core.db import make_engine
from core.errors import NotFoundError
from policies.pii.directory import DirectoryName, NameDirectory
from tools.banner.reads import current_person_names


def load_directory(banner_url: str) -> NameDirectory:
    """Every current person name in SPRIDEN as a :class:`NameDirectory`.

    Raises :class:`NotFoundError` when the database or its SPRIDEN table does not exist (a
    SQLite file is never created by asking), and the engine errors of :func:`make_engine` when
    the server cannot be reached.
    """
    parsed = make_url(banner_url)
    shown = parsed.render_as_string(hide_password=True)
    database = parsed.database or ":memory:"
    if (
        parsed.get_backend_name() == "sqlite"
        and database != ":memory:"
        and not Path(database).exists()
    ):
        raise NotFoundError("Banner database", url=shown)
    engine = make_engine(banner_url)
    try:
        if not inspect(engine).has_table("spriden"):
            raise NotFoundError("SPRIDEN table", url=shown)
        names = current_person_names(engine)
        return NameDirectory(DirectoryName(first=p.first_name, last=p.last_name) for p in names)
    finally:
        engine.dispose()
