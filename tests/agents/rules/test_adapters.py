from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from agents.rules.adapters import (
    from_banner_registrations,
    from_banner_section,
    from_banner_standing,
    from_canvas_engagement,
    from_canvas_enrollment,
    from_canvas_grading_standard,
    from_canvas_term,
    late_work_dates,
)
from agents.rules.grades import letter_for
from agents.rules.roster_plan import BannerSection, EnrollmentRole, EnrollmentState
from tools.banner.models import (
    GpaLine,
    GpaSummary,
    Hold,
    HoldSummary,
    Registration,
    Section,
    StudentStanding,
)
from tools.canvas.models import (
    EnrollmentInfo,
    GradingSchemeEntry,
    GradingStandardInfo,
    SectionInfo,
    StudentSummary,
    SubmissionInfo,
    Tardiness,
)


def banner_section(crn, group):
    return Section(
        term="202610", crn=crn, subject="MATH", course_number="101", sequence="01",
        part_of_term="1", status="A", campus=None, title="Calculus", credit_hours=3.0,
        max_enrollment=30, enrollment=20, wait_capacity=5, wait_count=0, start_date=None,
        end_date=None, gradable=True, crosslist_group=group,
    )  # fmt: skip


def registration(banner_id, rsts="RE"):
    return Registration(
        term="202610", pidm=7, banner_id=banner_id, crn="10001", rsts_code=rsts,
        rsts_date=date(2026, 9, 1), enrolled=rsts == "RE", waitlisted=rsts == "WL",
        withdrawn=False, level="UG", credit_hours=3.0, grade=None,
    )  # fmt: skip


def enrollment(**kw):
    fields = dict(
        id=1, user_id=2, course_id=3, type="TeacherEnrollment", enrollment_state="inactive",
        sis_user_id="A001", sis_section_id="202610-10001",
    )  # fmt: skip
    return EnrollmentInfo(**(fields | kw))


def test_banner_sections_and_registrations():
    assert from_banner_section(banner_section("10001", "A1")) == BannerSection(
        crn="10001", xlist_group="A1"
    )
    usable, without_id = from_banner_registrations(
        [registration("A001"), registration(None), registration("A002", "WL")]
    )
    assert [(r.sis_user_id, r.pidm, r.enrolled, r.waitlisted) for r in usable] == [
        ("A001", 7, True, False),
        ("A002", 7, False, True),
    ]
    assert [r.banner_id for r in without_id] == [None]


def test_canvas_enrollments_without_sis_ids_are_not_the_planners():
    row = from_canvas_enrollment(enrollment())
    assert row is not None
    assert (row.role, row.state, row.section_sis_id) == (
        EnrollmentRole.TEACHER,
        EnrollmentState.INACTIVE,
        "202610-10001",
    )
    assert from_canvas_enrollment(enrollment(sis_user_id=None)) is None


def test_canvas_term_snapshot_names_each_sections_course_by_sis_id():
    courses = {
        "202610-A1": [
            SectionInfo(id=10, sis_section_id="202610-10001", name="s", course_id=3),
            SectionInfo(id=11, sis_section_id=None, name="manual", course_id=3),
        ],
        "202610-10007": [],
    }
    snapshot = from_canvas_term(courses, [enrollment(), enrollment(sis_section_id=None)])
    assert snapshot.course_sis_ids == {"202610-A1", "202610-10007"}
    assert snapshot.sections == {"202610-10001": "202610-A1"}
    assert len(snapshot.enrollments) == 1


def test_grading_standard_shares_become_exact_percentages():
    standard = GradingStandardInfo(
        id=1,
        title="t",
        grading_scheme=[
            GradingSchemeEntry(name="P", value=0.57),
            GradingSchemeEntry(name="F", value=0.0),
        ],
    )
    scheme = from_canvas_grading_standard(standard)
    assert [e.min_percent for e in scheme.entries] == [Decimal("57.00"), Decimal(0)]
    assert letter_for(Decimal("57"), scheme) == "P"


def test_engagement_from_analytics_and_last_activity():
    now = datetime(2026, 10, 20, 12, tzinfo=UTC)
    summary = StudentSummary(
        id=2, page_views=5, max_page_views=50, participations=None, max_participations=9,
        tardiness_breakdown=Tardiness(total=8, late=1, missing=2),
    )  # fmt: skip
    facts = from_canvas_engagement(
        summary, enrollment(last_activity_at=now - timedelta(days=3, hours=1)), now
    )
    assert (facts.page_views, facts.participations, facts.assignments_due, facts.missing) == (
        5, 0, 8, 2,
    )  # fmt: skip
    assert facts.days_since_last_activity == 3
    never = from_canvas_engagement(StudentSummary(id=2), enrollment(), now)
    assert (never.days_since_last_activity, never.assignments_due) == (None, 0)


def test_standing_uses_the_overall_gpa_of_the_students_level():
    standing = StudentStanding(
        pidm=7, term="202610", effective_term="202410", status="AS", level="UG",
        student_type="C", major="MATH", academic_standing="PR", standing_term="202520",
        full_part="F",
    )  # fmt: skip

    def line(level, kind, gpa):
        return GpaLine(level=level, gpa_type=kind, hours_attempted=None, hours_earned=None,
                       gpa_hours=None, quality_points=None, gpa=gpa)  # fmt: skip

    gpa = GpaSummary(
        pidm=7,
        term="202610",
        term_gpa=[line("UG", "I", 1.0)],
        overall_gpa=[line("GR", "O", 3.9), line("UG", "I", 2.2), line("UG", "O", 2.4)],
    )
    hold = Hold(
        hold_id=1, pidm=7, code="AR", description=None, from_date=date(2026, 1, 1),
        to_date=date(2099, 12, 31), reason=None, amount_owed=10.0, placed_by="X",
        release_restricted=False, blocks_registration=True, blocks=["registration"], origin=None,
    )  # fmt: skip
    holds = HoldSummary(pidm=7, as_of=date(2026, 10, 1), holds=[hold], blocks_registration=True)
    facts = from_banner_standing(standing, gpa, holds)
    assert (facts.gpa, facts.academic_standing, facts.active_holds) == (
        2.4,
        "PR",
        frozenset({"AR"}),
    )
    assert from_banner_standing(None, None, None).gpa is None


def test_late_work_dates_are_local_dates():
    eastern = timezone(timedelta(hours=-5))
    late = SubmissionInfo(
        assignment_id=1, user_id=2, workflow_state="submitted", late=True,
        submitted_at=datetime(2026, 12, 19, 3, tzinfo=UTC),
    )  # fmt: skip
    on_time = late.model_copy(update={"late": False})
    assert late_work_dates([late, on_time], eastern) == (date(2026, 12, 18),)
