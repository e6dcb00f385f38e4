"""Which specialist handles which event, and in which role it acts.

One table, read by the router graph (to pick the subgraph) and by the worker (to build the run's
:class:`policies.rbac.Principal` before invoking): the role an agent acts in is decided by the
event's kind, in code, never by a model.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from policies.rbac import Role
from policies.rollout import Workflow


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

WORKFLOWS: dict[Specialist, Workflow] = {
    Specialist.PROVISIONING: Workflow.PROVISIONING,
    Specialist.ROSTER: Workflow.ROSTER_SYNC,
    Specialist.WITHDRAWALS: Workflow.WITHDRAWALS,
    Specialist.GRADES: Workflow.GRADE_PASSBACK,
    Specialist.ALERTS: Workflow.EARLY_ALERTS,
    Specialist.INCOMPLETES: Workflow.INCOMPLETES,
}
"""The rollout workflow (:mod:`policies.rollout`) each specialist's runs are held to."""

Durability = Literal["sync", "exit"]

FIRST_RUN_DURABILITY: dict[Specialist, Durability] = {
    Specialist.PROVISIONING: "exit",
    Specialist.ROSTER: "exit",
    Specialist.WITHDRAWALS: "exit",
    Specialist.GRADES: "sync",
    Specialist.ALERTS: "sync",
    Specialist.INCOMPLETES: "sync",
}
"""How often an event's first run is checkpointed (resumes after a decision are always "sync").

``"exit"`` writes the run once, when it ends or pauses: LangGraph persists a pending interrupt
on exit too, so an approval request is still on disk before anyone is asked. It is chosen where
a run cut off mid-way may simply be run again: every write those specialists make is keyed by
SIS ids (a repeated course, section or enrollment write changes nothing) and they call no model.
It saves about 12 ms of CPU per registration event (roughly a third), which the 50 events/s
target needs. Grades, alerts and incompletes keep ``"sync"``: their steps call models, send
messages or post grades, and a step that finished must not run twice.
"""


def specialist_for(kind: str) -> Specialist | None:
    """The specialist for an event kind, or ``None`` (the router dead-letters it)."""
    return ROUTES.get(kind)
