"""Banner test fixtures: an empty sandbox on SQLite and on PostgreSQL, and exact-row builders.

Rule tests insert the rows they reason about (``add``) instead of relying on generated data, so
each test states its own facts.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, Table, insert

from core.db import make_engine
from sandbox.banner.seeding import create_schema
from sandbox.banner.validation import stamp, validation_rows
from tools.banner import schema as s

TERM = "202610"
AT = datetime(2025, 8, 1, 9, 0)
_numbers = itertools.count(1)


def add(engine: Engine, table: Table, **values: Any) -> None:
    """Insert one row, filling Banner's housekeeping columns."""
    row = {**stamp(table, AT), **values}
    surrogate = table.c[f"{table.name}_surrogate_id"]
    if not surrogate.primary_key:
        row.setdefault(surrogate.name, next(_numbers))
    with engine.begin() as conn:
        conn.execute(insert(table), [row])


def person(
    engine: Engine, pidm: int, banner_id: str, first: str | None, last: str, **extra: Any
) -> None:
    """The current SPRIDEN row of a person."""
    add(
        engine,
        s.spriden,
        spriden_pidm=pidm,
        spriden_id=banner_id,
        spriden_first_name=first,
        spriden_last_name=last,
        spriden_change_ind=extra.pop("change_ind", None),
        spriden_entity_ind=extra.pop("entity", "P"),
        **extra,
    )


def section(engine: Engine, crn: str, subj: str = "BIOL", numb: str = "101", **extra: Any) -> None:
    """A section of TERM."""
    values: dict[str, Any] = {
        "ssbsect_term_code": TERM,
        "ssbsect_crn": crn,
        "ssbsect_subj_code": subj,
        "ssbsect_crse_numb": numb,
        "ssbsect_seq_numb": "001",
        "ssbsect_ssts_code": "A",
        "ssbsect_max_enrl": 30,
        "ssbsect_enrl": 0,
        "ssbsect_seats_avail": 30,
        "ssbsect_wait_capacity": 5,
        "ssbsect_wait_count": 0,
        "ssbsect_gradable_ind": "Y",
    }
    values.update({f"ssbsect_{k}": v for k, v in extra.items()})
    add(engine, s.ssbsect, **values)


def register(
    engine: Engine, pidm: int, crn: str, rsts: str, level: str = "UG", **extra: Any
) -> None:
    """An SFRSTCR row in TERM."""
    values: dict[str, Any] = {
        "sfrstcr_term_code": TERM,
        "sfrstcr_pidm": pidm,
        "sfrstcr_crn": crn,
        "sfrstcr_rsts_code": rsts,
        "sfrstcr_rsts_date": date(2025, 8, 10),
        "sfrstcr_add_date": date(2025, 8, 1),
        "sfrstcr_levl_code": level,
        "sfrstcr_credit_hr": 3.0,
    }
    values.update({f"sfrstcr_{k}": v for k, v in extra.items()})
    add(engine, s.sfrstcr, **values)


def _sandbox(url: str) -> Engine:
    engine = make_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        for table, rows in validation_rows(AT):
            conn.execute(insert(table), rows)
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Engine]:
    """An empty Banner sandbox with validation values, on each supported backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'banner.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    engine = _sandbox(url)
    yield engine
    engine.dispose()
