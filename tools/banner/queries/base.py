"""The statement registry and the SQL rules every Banner query shares.

Builders register themselves with sample arguments in :data:`STATEMENTS`, which lets a test
compile every statement for the Oracle dialect without a server. The shared rules: the current
SPRIDEN row and effective dating (largest effective term <= the term asked about).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Delete, Insert, Select, Update, func, select
from sqlalchemy.sql.expression import FromClause, ScalarSelect

from tools.banner.schema import spriden

AnySelect = Select[*tuple[Any, ...]]
Statement = AnySelect | Insert | Update | Delete
B = TypeVar("B", bound=Callable[..., Statement])

STATEMENTS: list[tuple[Callable[..., Statement], dict[str, Any]]] = []
"""Every builder with sample arguments: the test suite compiles each for Oracle."""

OPEN_ENDED = date(2099, 12, 31)
"""Banner's conventional TO date of a hold without an end."""

SAMPLE_DAY = date(2025, 9, 15)
SAMPLE_AT = datetime(2025, 9, 15, 12, 0, 0)
"""Sample day and instant the registered builders are compiled with."""


def statement(**sample: Any) -> Callable[[B], B]:
    """Register a builder in :data:`STATEMENTS` with arguments that exercise it."""

    def register(builder: B) -> B:
        STATEMENTS.append((builder, sample))
        return builder

    return register


def yes(column: ColumnElement[Any]) -> ColumnElement[bool]:
    """Banner's Y/N indicator columns: true only for 'Y' (never assume 'N' for NULL)."""
    return column == "Y"


CURRENT_NAME = spriden.c.spriden_change_ind.is_(None)
"""The current SPRIDEN row (history rows carry an I or N change indicator)."""


def latest(
    eff_column: ColumnElement[Any],
    term: Any,
    *same: ColumnElement[bool],
    correlate: FromClause | None = None,
) -> ScalarSelect[Any]:
    """Effective dating: the largest effective term <= ``term`` among the rows where ``same``."""
    stmt = select(func.max(eff_column)).where(eff_column <= term, *same)
    if correlate is not None:
        stmt = stmt.correlate(correlate)
    return stmt.scalar_subquery()
