"""The Banner → Canvas enrollment decision, as one pure function.

Rules first: whether a student is in a Canvas course is decided here, from Banner data and the
term's policy, never by a model. The rule is University of Washington's canvas-sis-provisioner's
(``enrollment_status_from_registration``): registered, or wait-listed where the term grants
wait-listed students access → active; withdrawn → inactive (kept for the record, no access);
dropped **after** the census date → inactive; dropped on or before census → deleted.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class CanvasStatus(StrEnum):
    """Target state of a Canvas student enrollment (SIS import ``status`` values)."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    DELETED = "deleted"


class TermPolicy(BaseModel):
    """Per-term configuration of the enrollment rule."""

    model_config = ConfigDict(frozen=True)

    term_code: str
    census_date: date
    waitlist_access: bool = False


class RegistrationFacts(BaseModel):
    """What the rule needs to know about one SFRSTCR row, from its STVRSTS flags."""

    model_config = ConfigDict(frozen=True)

    enrolled: bool
    waitlisted: bool
    withdrawn: bool
    status_date: date


def enrollment_status_from_registration(
    registration: RegistrationFacts, policy: TermPolicy
) -> CanvasStatus:
    """The Canvas state a registration should have; a drop exactly on census day is deleted."""
    if registration.enrolled:
        return CanvasStatus.ACTIVE
    if registration.waitlisted:
        return CanvasStatus.ACTIVE if policy.waitlist_access else CanvasStatus.DELETED
    if registration.withdrawn:
        return CanvasStatus.INACTIVE
    if registration.status_date > policy.census_date:
        return CanvasStatus.INACTIVE
    return CanvasStatus.DELETED
