"""What one registration's roster sync costs in Canvas requests, and that its results hold.

A small Banner term is seeded, its courses and sections provisioned in the simulator, and its
people made Canvas users, all but one (the "ghost", who has no Canvas account yet). Requests
are counted by the client's session, which sees every HTTP request canvasapi sends (each page
and each retry included).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine

from agents.deps import ProvisioningConfig
from agents.rules.roster_plan import ActionKind, EnrollmentChange
from agents.workflows.roster_sync import (
    BannerSide,
    SyncScope,
    apply_sync,
    plan_sync,
    read_banner,
    read_canvas,
)
from core.db import make_engine
from core.ids import course_sis_id, section_sis_id
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner
from sandbox.canvas.testing import SimulatorHandle
from tests.canvas_tools.helpers import FAST_RETRY, make_section, make_user, unique
from tools.banner.models import Registration
from tools.canvas.client import CanvasClient
from tools.canvas.enrollments import enroll_many, list_enrollments
from tools.canvas.lookup import get_section
from tools.canvas.models import (
    EnrollmentQuery,
    EnrollmentSpec,
    SisImportSpec,
    SisUserRow,
)
from tools.canvas.sis_imports import run_sis_import

TERM = "202610"
TODAY = date(2025, 9, 15)
CONFIG = ProvisioningConfig()


@dataclass(frozen=True)
class Term:
    banner: Engine
    registered: list[Registration]
    """Registrations that should become active student enrollments, one per student."""
    ghost: Registration
    """A registration of the one student without a Canvas user."""


def requests_of(client: CanvasClient) -> int:
    return client.stats().requests


@pytest.fixture(scope="module")
def term(sim: SimulatorHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Term]:
    path = tmp_path_factory.mktemp("banner") / "banner.db"
    banner = make_engine(f"sqlite:///{path}")
    seed_banner(banner, SeedPlan(students=40, sections=6, term=TERM, seed=3))
    client = CanvasClient(sim.base_url, sim.token, retry=FAST_RETRY)
    structure = plan_sync(banner, client, SyncScope(TERM), CONFIG, TODAY, with_registrations=False)
    apply_sync(client, structure, CONFIG)
    side = read_banner(banner, SyncScope(TERM), TODAY, CONFIG.window_days)
    one_each = {r.pidm: r for r in side.registrations if r.enrolled and r.banner_id}
    registered = list(one_each.values())
    assert len(registered) >= 4, "the seeded term should have registered students"
    ghost, *others = registered
    users = [SisUserRow(user_id=r.banner_id or "", login_id=f"u{r.pidm}") for r in others]
    assert run_sis_import(client, SisImportSpec(users=users)).succeeded
    client.close()
    yield Term(banner=banner, registered=others, ghost=ghost)
    banner.dispose()


def scope_of(registration: Registration) -> SyncScope:
    return SyncScope(TERM, (registration.crn,), registration.pidm)


def test_a_registration_costs_three_requests(client: CanvasClient, term: Term) -> None:
    registration = term.registered[0]
    before = requests_of(client)

    planned = plan_sync(term.banner, client, scope_of(registration), CONFIG, TODAY)
    applied = apply_sync(client, planned, CONFIG)

    assert requests_of(client) - before == 3  # sections, the student's enrollments, the POST
    [action] = planned.plan.actions
    assert isinstance(action, EnrollmentChange) and action.kind is ActionKind.ENROLL
    assert action.user_sis_id == registration.banner_id
    assert action.section_sis_id == section_sis_id(TERM, registration.crn)
    assert applied.applied == {"enroll": 1} and applied.failed == 0 and applied.exceptions == []
    listed = list_enrollments(
        client,
        EnrollmentQuery(
            sis_id=action.section_sis_id, scope="section", sis_user_id=registration.banner_id
        ),
    )
    assert [(e.sis_user_id, e.enrollment_state) for e in listed] == [
        (registration.banner_id, "active")
    ]

    before = requests_of(client)
    again = plan_sync(term.banner, client, scope_of(registration), CONFIG, TODAY)
    assert again.plan.actions == () and requests_of(client) - before == 2  # read, nothing to do


def test_a_student_without_a_canvas_user_gets_one_then_the_enrollment(
    client: CanvasClient, term: Term
) -> None:
    before = requests_of(client)

    planned = plan_sync(term.banner, client, scope_of(term.ghost), CONFIG, TODAY)
    applied = apply_sync(client, planned, CONFIG)

    # Read (2); the POST's 404 says only "missing": the section then the user are looked up to
    # say which (3); the account is fetched, once per client (1), the user made under it (1),
    # and the enrollment sent again (1).
    assert requests_of(client) - before == 8
    assert applied.applied == {"create_user": 1, "enroll": 1} and applied.failed == 0
    assert applied.exceptions == []
    again = plan_sync(term.banner, client, scope_of(term.ghost), CONFIG, TODAY)
    assert again.plan.actions == ()


def test_a_missing_section_is_named_and_looked_up_once(client: CanvasClient) -> None:
    user = make_user(client, unique("SEC"))
    _, section = make_section(client, "SEC")
    specs = [
        EnrollmentSpec(sis_section_id="NO-SUCH-SECTION", sis_user_id=user.sis_user_id),
        EnrollmentSpec(sis_section_id="NO-SUCH-SECTION", sis_user_id="GHOST"),
        EnrollmentSpec(sis_section_id=section, sis_user_id="GHOST"),
        EnrollmentSpec(sis_section_id=section, user_id=987654321),
        EnrollmentSpec(sis_section_id=section, sis_user_id=user.sis_user_id),
    ]
    before = requests_of(client)

    results = enroll_many(client, specs, workers=1)

    missing = [(r.missing.kind, r.missing.sis_id, r.missing.canvas_id) if r.missing else None
               for r in results]  # fmt: skip
    assert missing == [
        ("section", "NO-SUCH-SECTION", None),
        ("section", "NO-SUCH-SECTION", None),
        ("user", "GHOST", None),
        ("user", None, 987654321),
        None,
    ]
    enrolled = results[-1].enrollment
    assert enrolled is not None and enrolled.user_id == user.id
    assert enrolled.type == "StudentEnrollment" and enrolled.enrollment_state == "active"
    # POST + GET section for the first; none for the second (the section is known missing);
    # POST + GET section + GET user for each missing user; one POST for the last.
    assert requests_of(client) - before == 2 + 0 + 3 + 3 + 1


def test_a_course_without_sections_is_present_and_a_missing_one_absent(
    client: CanvasClient, term: Term
) -> None:
    side = read_banner(term.banner, SyncScope(TERM), TODAY, CONFIG.window_days)
    used = {term.registered[0].crn, term.ghost.crn}
    crn = next(c for c, s in side.sections.items() if c not in used and s.crosslist_group is None)
    course, section = course_sis_id(TERM, crn, None), section_sis_id(TERM, crn)
    get_section(client, section).delete()  # its course is left without sections
    absent = side.sections[crn].model_copy(update={"crn": "99999"})  # Canvas has no such course
    scope = SyncScope(TERM, (crn, "99999"))
    both = BannerSide(
        sections={crn: side.sections[crn], "99999": absent},
        registrations=[],
        unknown_crns=(),
        first_class=None,
    )
    before = requests_of(client)

    snapshot = read_canvas(client, scope, both, None)

    assert snapshot.course_sis_ids == {course} and snapshot.sections == {}
    # the empty listing, the course itself, its enrollments; the 404 of the missing one's listing
    assert requests_of(client) - before == 3 + 1
    plan = plan_sync(term.banner, client, SyncScope(TERM, (crn,)), CONFIG, TODAY).plan
    assert [a.kind for a in plan.actions if not isinstance(a, EnrollmentChange)] == [
        ActionKind.ADD_SECTION
    ]
