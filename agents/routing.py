"""Which specialist handles which event, and in which role it acts.

One table, read by the router graph (to pick the subgraph) and by the worker (to build the run's
:class:`policies.rbac.Principal` before invoking): the role an agent acts in is decided by the
event's kind, in code, never by a model.
"""

from __future__ import annotations

from enum import StrEnum

from policies.rbac import Role


class Specialist(StrEnum):
    """The specialist subgraphs of the router."""

    PROVISIONING = "provisioning"
    ROSTER = "roster"
    WITHDRAWALS = "withdrawals"
    GRADES = "grades"
    ALERTS = "alerts"
    INCOMPLETES = "incompletes"


ROUTES: dict[str, Specialist] = {
    "banner.section.created": Specialist.PROVISIONING,
    "banner.section.changed": Specialist.PROVISIONING,
    "banner.section.cancelled": Specialist.PROVISIONING,
    "banner.registration.added": Specialist.ROSTER,
    "banner.registration.waitlisted": Specialist.ROSTER,
    "banner.registration.dropped": Specialist.WITHDRAWALS,
    "banner.registration.withdrawn": Specialist.WITHDRAWALS,
    "banner.hold.placed": Specialist.ALERTS,
    "banner.hold.released": Specialist.ALERTS,
    "banner.grade.entered": Specialist.INCOMPLETES,
    "canvas.enrollment": Specialist.ROSTER,
    "canvas.submission": Specialist.ALERTS,
    "canvas.grade_change": Specialist.GRADES,
    "scheduled.reconcile_term": Specialist.ROSTER,
    "scheduled.scan_engagement": Specialist.ALERTS,
    "scheduled.close_grading": Specialist.GRADES,
}
"""Every event kind of :mod:`agents.events`; a test keeps the two in step."""

ROLES: dict[Specialist, Role] = {
    Specialist.PROVISIONING: Role.PROVISIONING,
    Specialist.ROSTER: Role.ROSTER,
    Specialist.WITHDRAWALS: Role.ROSTER,
    Specialist.GRADES: Role.GRADE,
    Specialist.ALERTS: Role.ALERT,
    Specialist.INCOMPLETES: Role.GRADE,
}
"""The RBAC role each specialist's tool calls are checked against."""


def specialist_for(kind: str) -> Specialist | None:
    """The specialist for an event kind, or ``None`` (the router dead-letters it)."""
    return ROUTES.get(kind)
