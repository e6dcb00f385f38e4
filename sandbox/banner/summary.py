"""What is in a Banner sandbox: row counts and the figures a person checks first.

Figures use the same rules as the tools (enrolled and wait-listed through STVRSTS flags, holds
through STVHLDD and their dates, the current SPRIDEN row), for the latest term that has sections,
as of that term's first day. The statements register with :data:`tools.banner.queries.STATEMENTS`
so the Oracle compile test covers them too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Engine, case, distinct, exists, func, select

from tools.banner.queries import AnySelect, statement
from tools.banner.schema import (
    goremal,
    metadata,
    require_tables,
    sfrstcr,
    shrlgpa,
    sprhold,
    spriden,
    ssbsect,
    ssrxlst,
    stvhldd,
    stvrsts,
    stvterm,
)


class BannerSummary(BaseModel):
    """Row counts per table and key figures of the latest term."""

    model_config = ConfigDict(frozen=True)

    counts: dict[str, int]
    term: str | None
    figures: dict[str, float | int | str]


def _tally(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@statement(table="spriden")
def row_count(table: str) -> AnySelect:
    """Rows in one Banner table."""
    return select(func.count()).select_from(metadata.tables[table])


@statement()
def latest_term() -> AnySelect:
    """The latest term that has sections, with its first day."""
    newest = select(func.max(ssbsect.c.ssbsect_term_code)).scalar_subquery()
    return select(stvterm.c.stvterm_code, stvterm.c.stvterm_start_date).where(
        stvterm.c.stvterm_code == newest
    )


@statement(term="202610")
def section_figures(term: str) -> AnySelect:
    """Sections of a term by status."""
    status = ssbsect.c.ssbsect_ssts_code
    return select(
        func.count().label("sections"),
        _tally(status == "A").label("active sections"),
        _tally(status == "C").label("cancelled sections"),
    ).where(ssbsect.c.ssbsect_term_code == term)


@statement(term="202610")
def crosslist_figures(term: str) -> AnySelect:
    """Cross-list groups of a term and the sections in them."""
    return select(
        func.count(distinct(ssrxlst.c.ssrxlst_xlst_group)).label("cross-list groups"),
        func.count().label("cross-listed sections"),
    ).where(ssrxlst.c.ssrxlst_term_code == term)


@statement(term="202610")
def registration_figures(term: str) -> AnySelect:
    """Registrations of a term by what their status means."""
    enrolled = stvrsts.c.stvrsts_incl_sect_enrl == "Y"
    return (
        select(
            _tally(enrolled).label("enrolled registrations"),
            _tally(stvrsts.c.stvrsts_wait_ind == "Y").label("wait-listed registrations"),
            _tally(stvrsts.c.stvrsts_withdraw_ind == "Y").label("withdrawn registrations"),
            func.count(distinct(case((enrolled, sfrstcr.c.sfrstcr_pidm)))).label(
                "enrolled students"
            ),
        )
        .select_from(sfrstcr.join(stvrsts, stvrsts.c.stvrsts_code == sfrstcr.c.sfrstcr_rsts_code))
        .where(sfrstcr.c.sfrstcr_term_code == term)
    )


@statement()
def person_figures() -> AnySelect:
    """Current persons, and those without an active preferred e-mail."""
    has_email = exists().where(
        goremal.c.goremal_pidm == spriden.c.spriden_pidm,
        goremal.c.goremal_status_ind == "A",
        goremal.c.goremal_preferred_ind == "Y",
    )
    return select(
        func.count().label("persons"),
        _tally(~has_email).label("persons without preferred e-mail"),
    ).where(spriden.c.spriden_change_ind.is_(None), spriden.c.spriden_entity_ind == "P")


@statement(as_of=date(2025, 8, 25))
def hold_figures(as_of: date) -> AnySelect:
    """Students with a hold in force that blocks registration on a day."""
    return (
        select(func.count(distinct(sprhold.c.sprhold_pidm)).label("students blocked by holds"))
        .select_from(sprhold.join(stvhldd, stvhldd.c.stvhldd_code == sprhold.c.sprhold_hldd_code))
        .where(
            stvhldd.c.stvhldd_reg_hold_ind == "Y",
            sprhold.c.sprhold_from_date <= as_of,
            sprhold.c.sprhold_to_date > as_of,
        )
    )


@statement()
def gpa_figures() -> AnySelect:
    """Mean overall GPA."""
    return select(func.avg(shrlgpa.c.shrlgpa_gpa).label("mean overall GPA")).where(
        shrlgpa.c.shrlgpa_gpa_type_ind == "O"
    )


def summarize(engine: Engine) -> BannerSummary:
    """Count every table and compute the key figures of the latest term."""
    require_tables(engine)
    figures: dict[str, float | int | str] = {}
    with engine.connect() as conn:
        counts: dict[str, int] = {
            name: conn.execute(row_count(name)).scalar_one() for name in metadata.tables
        }
        latest = conn.execute(latest_term()).first()
        statements = [person_figures(), gpa_figures()]
        if latest is not None:
            term: str = latest[0]
            first_day: date = latest[1]
            figures["first day of term"] = first_day.isoformat()
            statements = [
                section_figures(term),
                crosslist_figures(term),
                registration_figures(term),
                hold_figures(first_day),
                *statements,
            ]
        for stmt in statements:
            row = conn.execute(stmt).one()
            for name, value in row._mapping.items():
                figures[name] = round(float(value), 3) if isinstance(value, float) else value or 0
    return BannerSummary(counts=counts, term=latest[0] if latest else None, figures=figures)
