"""The pilot: roster sync in shadow for one department while the others sync, then promoted.

A term start is replayed as its registration events through the router, the real guard and
the Canvas simulator. The shadowed department's sections stay untouched in the simulator (read
back with canvasapi), the shadow report says what would have been done, and after switching the
department to ``auto`` the same replay applies it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from canvasapi.exceptions import ResourceDoesNotExist
from sqlalchemy import Engine

from core.db import make_engine
from core.settings import Settings
from policies.audit import AuditLog
from policies.pii import Redactor
from policies.rollout import Mode, RolloutConfig, RolloutControl, ScopeKey, Workflow, write_rollout
from policies.rollout_gate import RolloutGate
from policies.rollout_log import RolloutLog
from runtime.rollout import set_mode, shadow_report
from sandbox.canvas.testing import SimulatorHandle
from tests.agents.e2e.conftest import TERM, TODAY, World, add_canvas_users, make_world, people

Registrations = dict[str, list[int]]  # CRN -> PIDMs


def by_department(world: World) -> dict[str, Registrations]:
    """Enrolled registrations of due, not cross-listed sections, by department (plain SQL)."""
    rows = world.sql(
        "SELECT c.scbcrse_dept_code, r.sfrstcr_crn, r.sfrstcr_pidm FROM sfrstcr r"
        " JOIN stvrsts t ON t.stvrsts_code = r.sfrstcr_rsts_code AND t.stvrsts_incl_sect_enrl='Y'"
        " JOIN ssbsect s ON s.ssbsect_crn = r.sfrstcr_crn AND s.ssbsect_term_code = :t"
        " AND s.ssbsect_ssts_code = 'A' AND s.ssbsect_ptrm_start_date <= :due"
        " JOIN scbcrse c ON c.scbcrse_subj_code = s.ssbsect_subj_code"
        " AND c.scbcrse_crse_numb = s.ssbsect_crse_numb AND c.scbcrse_eff_term = ("
        "   SELECT MAX(n.scbcrse_eff_term) FROM scbcrse n WHERE n.scbcrse_eff_term <= :t"
        "   AND n.scbcrse_subj_code = s.ssbsect_subj_code"
        "   AND n.scbcrse_crse_numb = s.ssbsect_crse_numb)"
        " LEFT JOIN ssrxlst x ON x.ssrxlst_crn = r.sfrstcr_crn AND x.ssrxlst_term_code = :t"
        " WHERE r.sfrstcr_term_code = :t AND x.ssrxlst_crn IS NULL"
        " ORDER BY 1, 2, 3",
        t=TERM,
        due=TODAY + timedelta(days=world.deps.provisioning.window_days),
    )
    found: dict[str, Registrations] = defaultdict(lambda: defaultdict(list))
    for dept, crn, pidm in rows:
        found[str(dept)][str(crn)].append(int(pidm))
    return found


def replay(world: World, sections: Registrations, round_: str) -> list[str]:
    """Every registration of ``sections`` as a ``banner.registration.added`` event."""
    statuses: list[str] = []
    for crn, pidms in sections.items():
        for pidm in pidms:
            outcome = world.handle(
                kind="banner.registration.added", event_id=f"{round_}-{crn}-{pidm}",
                term_code=TERM, crn=crn, pidm=pidm, rsts_code="RE",
            )  # fmt: skip
            statuses.append(outcome.status)
    return statuses


def active_students(world: World, crn: str) -> set[str] | None:
    """Banner IDs of the section's active students in the simulator; None: no such section."""
    try:
        section = world.canvas.get_section(f"{TERM}-{crn}", use_sis_id=True)
    except ResourceDoesNotExist:
        return None
    found = section.get_enrollments(state=["active"], type=["StudentEnrollment"])
    return {e.sis_user_id for e in found}


def pilot_department(settings: Settings, log: RolloutLog, dept: str, mode: Mode) -> None:
    """The registrar sets roster sync's mode for one department (as ``bca rollout set`` does)."""
    scope = {ScopeKey.DEPARTMENTS: [dept]}
    set_mode(settings, log.engine, Workflow.ROSTER_SYNC, mode, scope, actor="registrar:1",
             role="registrar")  # fmt: skip


@pytest.fixture
def pilot(
    banner: Engine, sim: SimulatorHandle, tmp_path: Path, redactor: Redactor
) -> tuple[World, RolloutLog, Path]:
    path = tmp_path / "rollout.yaml"
    write_rollout(path, RolloutConfig())
    log = RolloutLog(make_engine(f"sqlite:///{tmp_path}/app.db"))
    log.create()
    world = make_world(banner, sim, tmp_path, redactor, RolloutGate(RolloutControl(path), log))
    add_canvas_users(world.client, [b for _, b in people(banner)])
    return world, log, path


def test_a_department_in_shadow_changes_nothing_in_canvas_until_it_is_promoted(
    pilot: tuple[World, RolloutLog, Path], tmp_path: Path
) -> None:
    world, log, path = pilot
    departments = by_department(world)
    shadowed_dept, other_dept = sorted(departments, key=lambda d: -len(departments[d]))[:2]
    pick = {d: dict(list(departments[d].items())[:2]) for d in (shadowed_dept, other_dept)}
    shadowed, others = pick[shadowed_dept], pick[other_dept]
    ids = dict(people(world.banner))
    settings = Settings(var_dir=tmp_path, rollout_file=path)
    pilot_department(settings, log, shadowed_dept, Mode.SHADOW)

    assert set(replay(world, shadowed, "term-start")) == {"noop"}
    assert set(replay(world, others, "term-start")) == {"done"}
    for crn in shadowed:  # the simulator never saw the shadowed department
        assert active_students(world, crn) is None
    for crn, pidms in others.items():  # the other department synced
        assert active_students(world, crn) == {ids[p] for p in pidms}

    report = shadow_report(Workflow.ROSTER_SYNC, log, world.banner, world.client)
    registrations = sum(len(p) for p in shadowed.values())
    assert report.shadowed_calls == registrations
    assert report.would_have["enroll"] == registrations
    # Nothing is created in shadow, so every event's plan still starts with its course shell.
    assert report.would_have["provision"] == registrations
    assert [(s.crn, s.department, s.would_have_enrolled, s.enrolled_in_canvas, s.agreement_pct)
            for s in report.sections] == [
        (crn, shadowed_dept, len(pidms), 0, 0.0) for crn, pidms in sorted(shadowed.items())
    ]  # fmt: skip
    audit = AuditLog(world.audit.engine)
    shadow_rows = [e for e in audit.iter_events() if e.decision == "shadow"]
    assert len(shadow_rows) == registrations
    assert {e.outcome for e in shadow_rows} == {"shadowed"}

    pilot_department(settings, log, shadowed_dept, Mode.AUTO)
    assert set(replay(world, shadowed, "promoted")) == {"done"}
    for crn, pidms in shadowed.items():
        assert active_students(world, crn) == {ids[p] for p in pidms}
    after = shadow_report(Workflow.ROSTER_SYNC, log, world.banner, world.client)
    assert {s.agreement_pct for s in after.sections} == {100.0}  # the plan was what got done
    assert [c.after.rules[0].mode for c in log.history(Workflow.ROSTER_SYNC)] == [
        Mode.AUTO, Mode.SHADOW,
    ]  # fmt: skip
    assert sum(e.tool == "rollout.set" for e in audit.iter_events()) == 2
    assert audit.verify().ok


def test_a_term_wide_apply_is_held_to_the_strictest_mode_of_its_sections(
    pilot: tuple[World, RolloutLog, Path], tmp_path: Path
) -> None:
    """The nightly reconciliation names no section: one department in shadow shadows it all."""
    world, log, path = pilot
    departments = by_department(world)
    pilot_department(Settings(var_dir=tmp_path, rollout_file=path), log, min(departments),
                     Mode.SHADOW)  # fmt: skip
    outcome = world.handle(
        kind="scheduled.reconcile_term", event_id="nightly", term_code=TERM, apply=True
    )
    assert outcome.status == "noop" and outcome.detail.startswith("Shadowed by rollout")
    for sections in departments.values():
        assert all(active_students(world, crn) is None for crn in sections)
    [record] = log.shadow_records(Workflow.ROSTER_SYNC)
    assert (record.tool, record.target.crn, record.keys) == (
        "canvas_apply_roster_plan", None, {"term": TERM},
    )  # fmt: skip
    planned = sum(len(p) for sections in departments.values() for p in sections.values())
    assert record.would_have["enroll"] >= planned  # the whole term's plan, cross-lists too
