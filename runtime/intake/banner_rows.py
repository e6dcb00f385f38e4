"""One mapping from a changed Banner row to a typed event, shared by BEP and the DB poller.

Both sources describe the same thing (a row of SFRSTCR, SSBSECT, SIRASGN or SPRHOLD changed), so
one function decides the event kind. Column names are Banner's, upper-case (``SFRSTCR_PIDM``);
the DB poller's lower-case SQLAlchemy names are upper-cased first.

Registration kinds come from the RSTS code's STVRSTS flags when the row carries them
(``STVRSTS_INCL_SECT_ENRL``, ``STVRSTS_WAIT_IND``, ``STVRSTS_WITHDRAW_IND``), else from the seed
codes below; a code known to neither is malformed input (kept dead, replayable once the
publisher sends the flags or the table below learns the code).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from pydantic import ValidationError

from agents.events import (
    Event,
    GradeEntered,
    HoldPlaced,
    HoldReleased,
    RegistrationAdded,
    RegistrationDropped,
    RegistrationWaitlisted,
    RegistrationWithdrawn,
    SectionCancelled,
    SectionChanged,
    SectionCreated,
)
from runtime.intake import IgnoredEvent, MalformedEvent

Operation = Literal["INSERT", "UPDATE", "DELETE", "UPSERT"]
"""``UPSERT`` is the DB poller's: an activity date moved, insert and update look alike."""

TABLES = ("SFRSTCR", "SSBSECT", "SIRASGN", "SPRHOLD")

RegistrationKind = Literal["added", "dropped", "waitlisted", "withdrawn"]

SEED_RSTS: dict[str, RegistrationKind] = {
    "RE": "added",
    "RW": "added",
    "AU": "added",
    "DD": "dropped",
    "DW": "dropped",
    "WL": "waitlisted",
    "WD": "withdrawn",
}

_REGISTRATION: dict[
    RegistrationKind,
    type[RegistrationAdded]
    | type[RegistrationDropped]
    | type[RegistrationWaitlisted]
    | type[RegistrationWithdrawn],
] = {
    "added": RegistrationAdded,
    "dropped": RegistrationDropped,
    "waitlisted": RegistrationWaitlisted,
    "withdrawn": RegistrationWithdrawn,
}


def _required(row: Mapping[str, Any], column: str) -> Any:
    value = row.get(column)
    if value is None or value == "":
        raise MalformedEvent(f"{column} is missing")
    return value


def registration_kind(row: Mapping[str, Any]) -> RegistrationKind:
    """Added, dropped, wait-listed or withdrawn, from STVRSTS flags or the seed codes."""
    if row.get("STVRSTS_WITHDRAW_IND") == "Y":
        return "withdrawn"
    if row.get("STVRSTS_WAIT_IND") == "Y":
        return "waitlisted"
    if row.get("STVRSTS_INCL_SECT_ENRL") in ("Y", "N"):
        return "added" if row["STVRSTS_INCL_SECT_ENRL"] == "Y" else "dropped"
    code = str(_required(row, "SFRSTCR_RSTS_CODE"))
    if code not in SEED_RSTS:
        raise MalformedEvent(f"unknown SFRSTCR_RSTS_CODE {code!r} and no STVRSTS flags sent")
    return SEED_RSTS[code]


def _hold_released(row: Mapping[str, Any], occurred_at: datetime) -> bool:
    to_date = row.get("SPRHOLD_TO_DATE")
    if isinstance(to_date, str):
        to_date = date.fromisoformat(to_date[:10])
    if isinstance(to_date, datetime):
        to_date = to_date.date()
    ended = isinstance(to_date, date) and to_date <= occurred_at.date()
    return row.get("SPRHOLD_RELEASE_IND") == "Y" or ended


def event_from_row(
    table: str,
    operation: Operation,
    row: Mapping[str, Any],
    *,
    event_id: str,
    occurred_at: datetime,
    changed: frozenset[str] = frozenset(),
) -> Event:
    """The typed event for a change of ``row`` in ``table``; raises Malformed/IgnoredEvent."""
    table = table.upper()
    cols = {str(k).upper(): v for k, v in row.items()}
    common: dict[str, Any] = {"event_id": event_id, "occurred_at": occurred_at}
    try:
        match table:
            case "SFRSTCR":
                reg = {
                    **common,
                    "term_code": str(_required(cols, "SFRSTCR_TERM_CODE")),
                    "crn": str(_required(cols, "SFRSTCR_CRN")),
                    "pidm": int(_required(cols, "SFRSTCR_PIDM")),
                    "rsts_code": cols.get("SFRSTCR_RSTS_CODE"),
                }
                grade = cols.get("SFRSTCR_GRDE_CODE")
                if operation == "DELETE":
                    return RegistrationDropped(**reg)
                if grade and "SFRSTCR_GRDE_CODE" in changed:
                    return GradeEntered(**reg, grade_code=str(grade))
                return _REGISTRATION[registration_kind(cols)](**reg)
            case "SSBSECT" | "SIRASGN":
                sect = {
                    **common,
                    "term_code": str(_required(cols, f"{table}_TERM_CODE")),
                    "crn": str(_required(cols, f"{table}_CRN")),
                }
                if table == "SSBSECT" and (
                    operation == "DELETE" or cols.get("SSBSECT_SSTS_CODE") == "C"
                ):
                    return SectionCancelled(**sect)
                if table == "SSBSECT" and operation == "INSERT":
                    return SectionCreated(**sect)
                return SectionChanged(**sect)
            case "SPRHOLD":
                hold = {
                    **common,
                    "pidm": int(_required(cols, "SPRHOLD_PIDM")),
                    "hold_code": str(_required(cols, "SPRHOLD_HLDD_CODE")),
                }
                if operation == "DELETE" or _hold_released(cols, occurred_at):
                    return HoldReleased(**hold)
                return HoldPlaced(**hold)
            case _:
                raise IgnoredEvent(f"table {table} is not one the agents act on")
    except (ValidationError, ValueError, TypeError) as exc:
        raise MalformedEvent(f"{table} row does not make a valid event: {exc}") from None
