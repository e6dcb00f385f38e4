import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.rules.enrollment_status import TermPolicy
from agents.rules.roster_plan import (
    ActionKind,
    BannerSection,
    CanvasEnrollment,
    CanvasSnapshot,
    EnrollmentChange,
    EnrollmentRole,
    EnrollmentState,
    InstructorAssignment,
    PlanOptions,
    ProvisionCourse,
    RosterInputError,
    RosterRegistration,
    SectionChange,
    plan_roster,
)
from agents.rules.roster_verdicts import (
    REST_MAX_REQUESTS,
    MassDropPolicy,
    SyncChannel,
    choose_channel,
    mass_drop_verdict,
    plan_figures,
)
from core.ids import course_sis_id, section_sis_id
from tests.agents.rules.canvas_model import apply_plan

TERM = "202610"
CENSUS = date(2026, 9, 4)
POLICY = TermPolicy(term_code=TERM, census_date=CENSUS)
S = EnrollmentState


def reg(user="A001", crn="10001", *, enrolled=True, waitlisted=False, withdrawn=False, on=CENSUS):
    return RosterRegistration(
        pidm=int(user[1:]) + 1,
        sis_user_id=user,
        crn=crn,
        enrolled=enrolled,
        waitlisted=waitlisted,
        withdrawn=withdrawn,
        status_date=on,
    )


def dropped(user="A001", crn="10001", on=CENSUS):
    return reg(user, crn, enrolled=False, on=on)


def row(user="A001", crn="10001", state=S.ACTIVE, role=EnrollmentRole.STUDENT):
    return CanvasEnrollment(
        user_sis_id=user, section_sis_id=section_sis_id(TERM, crn), role=role, state=state
    )


def provisioned(*crns, enrollments=()):
    """Canvas with a course and section for each standalone CRN, and the given enrollments."""
    return CanvasSnapshot(
        course_sis_ids=frozenset(course_sis_id(TERM, c, None) for c in crns),
        sections={section_sis_id(TERM, c): course_sis_id(TERM, c, None) for c in crns},
        enrollments=tuple(enrollments),
    )


def plan(registrations=(), canvas=None, *, sections=("10001",), as_of=CENSUS, policy=POLICY, **kw):
    return plan_roster(
        policy,
        sections=[s if isinstance(s, BannerSection) else BannerSection(crn=s) for s in sections],
        registrations=registrations,
        canvas=canvas if canvas is not None else provisioned("10001"),
        as_of=as_of,
        **kw,
    )


def only(result):
    assert len(result.actions) == 1, result.actions
    return result.actions[0]


def test_sis_ids_are_defined_once():
    assert section_sis_id(TERM, "10001") == "202610-10001"
    assert course_sis_id(TERM, "10001", None) == "202610-10001"
    assert course_sis_id(TERM, "10001", "A1") == "202610-A1"


@pytest.mark.parametrize(
    ("registration", "current", "expected"),
    [
        (reg(), None, ActionKind.ENROLL),
        (reg(), S.ACTIVE, None),
        (reg(), S.INVITED, ActionKind.ENROLL),
        (reg(), S.CREATION_PENDING, ActionKind.ENROLL),
        (reg(), S.INACTIVE, ActionKind.REACTIVATE),
        (reg(), S.COMPLETED, ActionKind.ENROLL),
        (reg(), S.DELETED, ActionKind.ENROLL),
        (reg(), S.REJECTED, ActionKind.ENROLL),
        (dropped(on=CENSUS), S.ACTIVE, ActionKind.DELETE),
        (dropped(on=CENSUS), S.INACTIVE, ActionKind.DELETE),
        (dropped(on=CENSUS), S.DELETED, None),
        (dropped(on=CENSUS), None, None),
        (dropped(on=CENSUS + timedelta(days=1)), S.ACTIVE, ActionKind.INACTIVATE),
        (dropped(on=CENSUS + timedelta(days=1)), S.COMPLETED, ActionKind.INACTIVATE),
        (dropped(on=CENSUS + timedelta(days=1)), S.INACTIVE, None),
        (dropped(on=CENSUS + timedelta(days=1)), None, None),
        (dropped(on=CENSUS + timedelta(days=1)), S.DELETED, None),
        (reg(enrolled=False, withdrawn=True), S.ACTIVE, ActionKind.INACTIVATE),
        (reg(enrolled=False, waitlisted=True), S.ACTIVE, ActionKind.DELETE),
    ],
)
def test_one_registration_against_each_canvas_state(registration, current, expected):
    canvas = provisioned("10001", enrollments=[row(state=current)] if current else [])
    result = plan([registration], canvas)
    if expected is None:
        assert result.actions == ()
    else:
        action = only(result)
        assert action.kind is expected
        assert action.from_state == current
        assert action.pidm == registration.pidm


def test_waitlisted_students_get_access_only_where_the_term_grants_it():
    with_access = POLICY.model_copy(update={"waitlist_access": True})
    waitlisted = reg(enrolled=False, waitlisted=True)
    assert only(plan([waitlisted], policy=with_access)).kind is ActionKind.ENROLL
    assert plan([waitlisted]).actions == ()


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (CENSUS - timedelta(days=1), ActionKind.DELETE),
        (CENSUS, ActionKind.DELETE),
        (CENSUS + timedelta(days=1), ActionKind.INACTIVATE),
    ],
    ids=["day-before-census", "census-day", "day-after-census"],
)
def test_a_canvas_student_banner_does_not_know_is_dropped_as_of_today(as_of, expected):
    action = only(plan([], provisioned("10001", enrollments=[row("A009")]), as_of=as_of))
    assert (action.kind, action.user_sis_id, action.pidm) == (expected, "A009", None)


def test_teachers_are_left_alone_unless_managed():
    canvas = provisioned(
        "10001",
        enrollments=[
            row("T001", role=EnrollmentRole.TEACHER),
            row("T002", state=S.DELETED, role=EnrollmentRole.TEACHER),
            row("D001", role=EnrollmentRole.DESIGNER),
        ],
    )
    assigned = [InstructorAssignment(crn="10001", sis_user_id="T002")]
    assert plan([], canvas, instructors=assigned).actions == ()

    managed = plan([], canvas, instructors=assigned, options=PlanOptions(manage_teachers=True))
    assert [(a.kind, a.user_sis_id, a.role) for a in managed.actions] == [
        (ActionKind.INACTIVATE, "T001", EnrollmentRole.TEACHER),
        (ActionKind.ENROLL, "T002", EnrollmentRole.TEACHER),
    ]


def test_a_concluded_term_concludes_live_students_and_creates_nobody():
    canvas = provisioned("10001", enrollments=[row("A001"), row("A002", state=S.COMPLETED)])
    result = plan(
        [reg("A001"), reg("A002"), reg("A003")],
        canvas,
        options=PlanOptions(conclude_students=True),
    )
    assert [(a.kind, a.user_sis_id) for a in result.actions] == [(ActionKind.CONCLUDE, "A001")]


def test_a_cross_list_group_is_one_course_with_a_section_per_crn():
    sections = [
        BannerSection(crn="10002", xlist_group="A1"),
        BannerSection(crn="10001", xlist_group="A1"),
        BannerSection(crn="10003"),
    ]
    result = plan([reg("A001", "10002")], CanvasSnapshot(), sections=sections)
    structure = [a for a in result.actions if not isinstance(a, EnrollmentChange)]
    assert structure == [
        ProvisionCourse(course_sis_id="202610-10003", term_code=TERM, crns=("10003",)),
        ProvisionCourse(course_sis_id="202610-A1", term_code=TERM, crns=("10001", "10002")),
        SectionChange(
            kind=ActionKind.ADD_SECTION,
            course_sis_id="202610-10003",
            section_sis_id="202610-10003",
            crn="10003",
        ),
        SectionChange(
            kind=ActionKind.ADD_SECTION,
            course_sis_id="202610-A1",
            section_sis_id="202610-10001",
            crn="10001",
        ),
        SectionChange(
            kind=ActionKind.ADD_SECTION,
            course_sis_id="202610-A1",
            section_sis_id="202610-10002",
            crn="10002",
        ),
    ]
    enroll = result.actions[-1]
    assert isinstance(enroll, EnrollmentChange)
    assert (enroll.course_sis_id, enroll.section_sis_id) == ("202610-A1", "202610-10002")


def test_a_section_that_joined_a_cross_list_is_moved_into_the_group_course():
    canvas = provisioned("10001", "10002")
    sections = [BannerSection(crn="10001", xlist_group="A1"), BannerSection(crn="10002")]
    result = plan([], canvas, sections=sections)
    assert result.actions == (
        ProvisionCourse(course_sis_id="202610-A1", term_code=TERM, crns=("10001",)),
        SectionChange(
            kind=ActionKind.CROSSLIST,
            course_sis_id="202610-A1",
            section_sis_id="202610-10001",
            crn="10001",
            from_course_sis_id="202610-10001",
        ),
    )


def test_out_of_scope_sections_and_crns_are_reported_not_touched():
    canvas = provisioned("10001", "10009", enrollments=[row("A001", "10009")])
    result = plan([reg("A002", "10008")], canvas)
    assert result.actions == ()
    assert result.unmapped_crns == ("10008",)
    assert plan_figures(result).unmapped_crns == 1


def test_contradictory_input_is_refused():
    with pytest.raises(RosterInputError, match="registered twice"):
        plan([reg("A001"), dropped("A001")])
    with pytest.raises(RosterInputError, match="listed twice"):
        plan([], sections=("10001", "10001"))


def test_duplicate_canvas_rows_are_judged_by_the_live_one():
    canvas = provisioned("10001", enrollments=[row(state=S.DELETED), row(state=S.ACTIVE)])
    assert plan([reg()], canvas).actions == ()


def test_the_order_does_not_depend_on_the_input_order():
    sections = [
        BannerSection(crn=f"1000{i}", xlist_group="A1" if i < 3 else None) for i in range(6)
    ]
    registrations = [
        reg(
            f"A{u:03}", f"1000{c}", enrolled=(u + c) % 3 != 0, on=CENSUS + timedelta(days=u % 3 - 1)
        )
        for u in range(20)
        for c in range(6)
    ]
    canvas = provisioned(
        "10003", enrollments=[row(f"A{u:03}", "10003", state=S.ACTIVE) for u in range(20)]
    )
    first = plan(registrations, canvas, sections=sections)
    shuffled = random.Random(7)
    registrations.reverse()
    shuffled.shuffle(registrations)
    sections.reverse()
    again = plan(registrations, canvas, sections=sections)
    assert again == first
    assert len(first.actions) > 0


def test_figures_count_every_kind():
    canvas = provisioned("10001", enrollments=[row("A001"), row("A002", state=S.INACTIVE)])
    result = plan([dropped("A001"), dropped("A002"), reg("A003")], canvas)
    figures = plan_figures(result)
    assert figures.by_kind[ActionKind.DELETE] == 2
    assert figures.by_kind[ActionKind.ENROLL] == 1
    assert figures.by_kind[ActionKind.PROVISION] == 0
    assert set(figures.by_kind) == set(ActionKind)
    assert (figures.total, figures.ending_live, figures.rest_requests) == (3, 1, 3)
    assert figures.registrations == 3


def _section_with_drops(crn, live, ending, inactive):
    """A section of ``live`` active and ``inactive`` inactive students; ``ending`` of the active
    ones and all the inactive ones dropped before census (so deleted)."""
    registrations = [reg(f"A{i:03}", crn) for i in range(ending, live)]
    registrations += [dropped(f"A{i:03}", crn) for i in range(ending)]
    registrations += [dropped(f"A{i:03}", crn) for i in range(live, live + inactive)]
    rows = [row(f"A{i:03}", crn) for i in range(live)]
    rows += [row(f"A{i:03}", crn, state=S.INACTIVE) for i in range(live, live + inactive)]
    return registrations, rows


def _mass_plan(spec):
    registrations, rows = [], []
    for crn, (live, ending, inactive) in spec.items():
        r, e = _section_with_drops(crn, live, ending, inactive)
        registrations += r
        rows += e
    return plan(registrations, provisioned(*spec, enrollments=rows), sections=tuple(spec))


@pytest.mark.parametrize(
    ("ending", "needs_approval"), [(5, False), (6, True)], ids=["exactly-25%", "above-25%"]
)
def test_section_share_boundary(ending, needs_approval):
    policy = MassDropPolicy(max_section_share=0.25, max_term_share=1.0, min_section_live=10)
    verdict = mass_drop_verdict(_mass_plan({"10001": (20, ending, 0)}), policy)
    assert verdict.needs_approval is needs_approval
    assert verdict.term.live == 20 and verdict.term.ending == ending
    assert [s.scope for s in verdict.breaching_sections] == (
        ["202610-10001"] if needs_approval else []
    )


def test_sections_below_the_minimum_size_are_not_judged_alone():
    policy = MassDropPolicy(max_section_share=0.25, max_term_share=1.0, min_section_live=10)
    assert not mass_drop_verdict(_mass_plan({"10001": (9, 9, 0)}), policy).needs_approval
    assert mass_drop_verdict(_mass_plan({"10001": (10, 9, 0)}), policy).needs_approval


@pytest.mark.parametrize(
    ("ending", "needs_approval"), [(10, False), (11, True)], ids=["exactly-10%", "above-10%"]
)
def test_term_share_boundary(ending, needs_approval):
    # ten sections of ten: no section breaches 25% (at most 3 drops each), the term may.
    spec = {f"1{i:04}": (10, ending // 10 + (1 if i < ending % 10 else 0), 0) for i in range(10)}
    policy = MassDropPolicy(max_section_share=0.3, max_term_share=0.10)
    verdict = mass_drop_verdict(_mass_plan(spec), policy)
    assert verdict.breaching_sections == ()
    assert (verdict.term.live, verdict.term.ending) == (100, ending)
    assert verdict.needs_approval is needs_approval
    assert verdict.term.share == pytest.approx(ending / 100)


def test_ending_an_inactive_enrollment_is_not_a_drop():
    policy = MassDropPolicy(max_section_share=0.25, max_term_share=0.10, min_section_live=1)
    result = _mass_plan({"10001": (10, 0, 30)})
    assert plan_figures(result).by_kind[ActionKind.DELETE] == 30
    verdict = mass_drop_verdict(result, policy)
    assert (verdict.term.live, verdict.term.ending, verdict.needs_approval) == (10, 0, False)


@pytest.mark.parametrize(
    ("enrolls", "channel"),
    [(REST_MAX_REQUESTS, SyncChannel.REST), (REST_MAX_REQUESTS + 1, SyncChannel.SIS_IMPORT)],
    ids=["exactly-at-cut-off", "one-above"],
)
def test_channel_cut_off(enrolls, channel):
    result = plan([reg(f"A{i:04}") for i in range(enrolls)])
    assert plan_figures(result).rest_requests == enrolls
    assert choose_channel(result) is channel


def test_provisioning_counts_two_requests():
    result = plan([], CanvasSnapshot())
    assert [a.kind for a in result.actions] == [ActionKind.PROVISION, ActionKind.ADD_SECTION]
    assert plan_figures(result).rest_requests == 3
    assert choose_channel(result, rest_max_requests=2) is SyncChannel.SIS_IMPORT


# --- property: applying a plan and re-planning gives nothing to do ---------------------------

CRNS = ["10001", "10002", "10003", "10004", "10005"]
USERS = [f"A{i:03}" for i in range(8)]
DAYS = st.integers(-3, 3).map(lambda d: CENSUS + timedelta(days=d))


@st.composite
def worlds(draw):
    groups = {crn: draw(st.sampled_from([None, "A1", "B2"])) for crn in CRNS}
    sections = [BannerSection(crn=crn, xlist_group=groups[crn]) for crn in CRNS[:4]]
    registrations = [
        RosterRegistration(
            pidm=i + 1,
            sis_user_id=user,
            crn=crn,
            enrolled=draw(st.booleans()),
            waitlisted=draw(st.booleans()),
            withdrawn=draw(st.booleans()),
            status_date=draw(DAYS),
        )
        for i, (user, crn) in enumerate(
            draw(st.sets(st.tuples(st.sampled_from(USERS), st.sampled_from(CRNS)), max_size=25))
        )
    ]
    candidate_courses = sorted(
        {course_sis_id(TERM, c, g) for c, g in groups.items()}
        | {course_sis_id(TERM, c, None) for c in CRNS}
    )
    courses = draw(st.sets(st.sampled_from(candidate_courses)))
    section_map = {}
    if courses:
        for crn in CRNS:
            if draw(st.booleans()):
                section_map[section_sis_id(TERM, crn)] = draw(st.sampled_from(sorted(courses)))
    keys = draw(
        st.sets(
            st.tuples(
                st.sampled_from(sorted(section_map) or ["none"]),
                st.sampled_from([*USERS, "T001", "T002"]),
                st.sampled_from([EnrollmentRole.STUDENT, EnrollmentRole.TEACHER]),
            ),
            max_size=25 if section_map else 0,
        )
    )
    enrollments = tuple(
        CanvasEnrollment(
            user_sis_id=user, section_sis_id=section, role=role, state=draw(st.sampled_from(S))
        )
        for section, user, role in sorted(keys)
    )
    canvas = CanvasSnapshot(
        course_sis_ids=frozenset(courses), sections=section_map, enrollments=enrollments
    )
    instructors = [
        InstructorAssignment(crn=crn, sis_user_id=user)
        for crn, user in draw(
            st.sets(st.tuples(st.sampled_from(CRNS), st.sampled_from(["T001", "T002"])))
        )
    ]
    options = PlanOptions(
        manage_teachers=draw(st.booleans()), conclude_students=draw(st.booleans())
    )
    policy = TermPolicy(term_code=TERM, census_date=CENSUS, waitlist_access=draw(st.booleans()))
    return policy, sections, registrations, canvas, instructors, options, draw(DAYS)


@settings(max_examples=400, deadline=None)
@given(worlds())
def test_applying_the_plan_then_replanning_plans_nothing(world):
    policy, sections, registrations, canvas, instructors, options, as_of = world

    def replan(snapshot):
        return plan_roster(
            policy,
            sections=sections,
            registrations=registrations,
            canvas=snapshot,
            as_of=as_of,
            instructors=instructors,
            options=options,
        )

    first = replan(canvas)
    after = apply_plan(canvas, first)
    assert replan(after).actions == ()

    managed = {section_sis_id(TERM, s.crn) for s in sections}
    roles = {EnrollmentRole.STUDENT} | (
        {EnrollmentRole.TEACHER} if options.manage_teachers else set()
    )
    untouched = [
        e for e in canvas.enrollments if e.section_sis_id not in managed or e.role not in roles
    ]
    assert set(untouched) <= set(after.enrollments)
    for action in first.actions:
        if isinstance(action, EnrollmentChange):
            assert action.section_sis_id in managed and action.role in roles
