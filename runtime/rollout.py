"""Rollout controls for the runtime: the guard's gate, changing a mode, and the shadow report.

A change (``bca rollout set``, the dashboard) is validated before it is written, written
atomically, and kept twice: in ``rollout_changes`` with the workflow's entry before and after,
and in the hash-chained audit trail. Running workers see it on their next tool call (the gate
re-reads the file when it changes).

The shadow report compares what a workflow in shadow would have done with what happened. For
``roster_sync``, per section: the students the agent would have enrolled against the students
the current process has enrolled in Canvas (active student enrollments of the section now),
and their agreement (shared / either, in percent; 100 when both are empty). It shows counts
only: no names or IDs leave the report.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from core.clock import utcnow
from core.ids import section_sis_id
from core.settings import Settings
from policies.audit import AuditLog
from policies.rollout import (
    DEFAULT_ROLLOUT_PATH,
    Mode,
    RolloutConfig,
    RolloutControl,
    ScopeKey,
    Target,
    Workflow,
    load_rollout,
    write_rollout,
)
from policies.rollout_gate import RolloutGate
from policies.rollout_log import RolloutChange, RolloutLog, ShadowRecord
from tools.banner import reads
from tools.banner.errors import PersonNotFound
from tools.canvas import enrollments
from tools.canvas.client import CanvasClient
from tools.canvas.errors import CanvasNotFound
from tools.canvas.models import EnrollmentQuery

ENROLLING = frozenset({"enroll", "reactivate"})
"""Roster plan action kinds that give a student access."""


def rollout_path(settings: Settings) -> Path:
    """The rollout file in force (``BCA_ROLLOUT_FILE``, else the shipped default)."""
    return settings.rollout_file or DEFAULT_ROLLOUT_PATH


def rollout_gate(settings: Settings, app_engine: Engine) -> RolloutGate:
    """The guard's gate: the configured file, shadow records into the app database."""
    log = RolloutLog(app_engine)
    log.create()
    return RolloutGate(RolloutControl(rollout_path(settings)), log)


def chatbot_switched_off(
    gate: RolloutGate | None, current_term: Callable[[], str | None]
) -> Callable[[], bool]:
    """The chat service's kill-switch check: the chatbot's mode in the live file is ``off``."""

    def switched_off() -> bool:
        target = Target(term=current_term())
        return gate is not None and gate.control.decide(Workflow.CHATBOT, target) is Mode.OFF

    return switched_off


def set_mode(
    settings: Settings,
    app_engine: Engine,
    workflow: Workflow,
    mode: Mode,
    scope: dict[ScopeKey, list[str]] | None,
    *,
    actor: str,
    role: str,
) -> RolloutChange:
    """Change one workflow's mode (its default, or a scoped rule), then record who did it.

    The current file must load (a broken file is refused before anything is written).
    """
    path = rollout_path(settings)
    before = load_rollout(path)
    after = before.with_mode(workflow, mode, scope)
    write_rollout(path, after)
    change = RolloutChange(
        time=utcnow().isoformat(timespec="seconds"),
        actor=actor,
        workflow=workflow,
        before=before.of(workflow),
        after=after.of(workflow),
    )
    audit = AuditLog(app_engine)
    audit.create()
    log = RolloutLog(app_engine)
    log.create()
    log.changed(change, audit, role)
    return change


def current(settings: Settings) -> RolloutConfig:
    """The rollout file as it is now (a broken one raises with its line)."""
    return load_rollout(rollout_path(settings))


class SectionComparison(BaseModel):
    """One section of a roster shadow: the agent's plan against Canvas now (counts only)."""

    model_config = ConfigDict(frozen=True)

    term: str
    crn: str
    department: str | None
    shadowed_calls: int
    would_have_enrolled: int
    enrolled_in_canvas: int
    both: int
    agreement_pct: float


class ShadowReport(BaseModel):
    """What a workflow in shadow would have done, and (roster sync) how it compares."""

    model_config = ConfigDict(frozen=True)

    workflow: Workflow
    shadowed_calls: int
    would_have: dict[str, int]
    sections: list[SectionComparison]


def shadow_report(
    workflow: Workflow, log: RolloutLog, banner: Engine, canvas: CanvasClient | None
) -> ShadowReport:
    """The report over every shadow record of ``workflow``; Canvas is read for roster sync."""
    records = log.shadow_records(workflow)
    would_have: Counter[str] = Counter()
    for record in records:
        would_have.update(record.would_have)
    sections: list[SectionComparison] = []
    if workflow is Workflow.ROSTER_SYNC and canvas is not None:
        sections = _roster_sections(records, banner, canvas)
    return ShadowReport(
        workflow=workflow,
        shadowed_calls=len(records),
        would_have=dict(sorted(would_have.items())),
        sections=sections,
    )


def _roster_sections(
    records: list[ShadowRecord], banner: Engine, canvas: CanvasClient
) -> list[SectionComparison]:
    """Per section: students the shadow would have enrolled vs Canvas's active students."""
    by_section: dict[tuple[str, str], list[ShadowRecord]] = defaultdict(list)
    for record in records:
        if record.target.term and record.target.crn:
            by_section[(record.target.term, record.target.crn)].append(record)
    found = []
    for (term, crn), shadowed in sorted(by_section.items()):
        would = {
            _banner_id(banner, int(r.keys["pidm"]))
            for r in shadowed
            if "pidm" in r.keys and ENROLLING & {k for k, n in r.would_have.items() if n}
        } - {None}
        enrolled = _enrolled(canvas, term, crn)
        both, either = len(would & enrolled), len(would | enrolled)
        found.append(
            SectionComparison(
                term=term,
                crn=crn,
                department=shadowed[0].target.department,
                shadowed_calls=len(shadowed),
                would_have_enrolled=len(would),
                enrolled_in_canvas=len(enrolled),
                both=both,
                agreement_pct=round(100.0 * both / either, 1) if either else 100.0,
            )
        )
    return found


def _banner_id(banner: Engine, pidm: int) -> str | None:
    try:
        return reads.person_by_pidm(banner, pidm).banner_id
    except PersonNotFound:
        return None


def _enrolled(canvas: CanvasClient, term: str, crn: str) -> set[str | None]:
    """Banner IDs of the section's active students in Canvas (none when it has no section)."""
    query = EnrollmentQuery(
        sis_id=section_sis_id(term, crn),
        scope="section",
        states=["active"],
        types=["StudentEnrollment"],
    )
    try:
        return {e.sis_user_id for e in enrollments.list_enrollments(canvas, query)}
    except CanvasNotFound:
        return set()
