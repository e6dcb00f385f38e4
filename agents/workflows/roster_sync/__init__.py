"""Roster sync as coarse operations: read both sides, plan by the rules, apply to Canvas.

The toolbox's bulk tools (``canvas_plan_roster``, ``canvas_apply_roster_plan``,
``canvas_ensure_course``, ``canvas_enroll_instructors``) run these functions inside the guard.
They keep whole-term data (100k registrations) out of the agent's messages: a plan is built and
applied here, and only figures and the exceptions a person must resolve come back.

Scope: a whole term, some CRNs, or one student in one CRN (what an event touches). Sections are
in scope when :func:`agents.rules.provisioning.provisioning_due` says so; a cross-list group is
in scope as a whole when any of its sections is. Enrollments are applied through REST or a SIS
import, as :func:`agents.rules.roster_verdicts.choose_channel` decides.
"""

from agents.workflows.roster_sync.applying import ApplyReport, apply_sync
from agents.workflows.roster_sync.planning import (
    MAX_LISTED_EXCEPTIONS,
    BannerSide,
    PlannedSync,
    PlanReport,
    SyncScope,
    approval_share,
    plan_sync,
    read_banner,
    read_canvas,
    report,
)
from agents.workflows.roster_sync.tracing import (
    EnrollmentOrigin,
    InstructorReport,
    enroll_instructors,
    locate_enrollment,
)

__all__ = [
    "MAX_LISTED_EXCEPTIONS",
    "ApplyReport",
    "BannerSide",
    "EnrollmentOrigin",
    "InstructorReport",
    "PlanReport",
    "PlannedSync",
    "SyncScope",
    "apply_sync",
    "approval_share",
    "enroll_instructors",
    "locate_enrollment",
    "plan_sync",
    "read_banner",
    "read_canvas",
    "report",
]
