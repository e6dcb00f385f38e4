from datetime import date, timedelta

import pytest

from agents.rules.incompletes import (
    IncompletePolicy,
    NextStep,
    RegistrationGrading,
    StepReason,
    classify_incompletes,
    next_step,
)

DEADLINE = date(2026, 12, 18)
POLICY = IncompletePolicy(grading_deadline=DEADLINE, ask_within_days=7)
EXT = date(2027, 5, 1)


def days(n, base=DEADLINE):
    return base + timedelta(days=n)


def registration(grade=None, n=1, crn="10001", **kw):
    return RegistrationGrading(pidm=n, sis_user_id=f"A{n:03}", crn=crn, final_grade=grade, **kw)


def incomplete(**kw):
    return registration("I", incomplete_final_grade="F", incomplete_ext_date=EXT, **kw)


@pytest.mark.parametrize(
    ("as_of", "step", "reason", "days_left"),
    [
        (days(-8), NextStep.NOTHING, StepReason.GRADING_NOT_YET_DUE, 8),
        (days(-7), NextStep.ASK_INSTRUCTOR, StepReason.MISSING_FINAL_GRADE, 7),
        (days(0), NextStep.ASK_INSTRUCTOR, StepReason.MISSING_FINAL_GRADE, 0),
        (days(3), NextStep.ASK_INSTRUCTOR, StepReason.MISSING_FINAL_GRADE, -3),
    ],
    ids=["8-days-before", "exactly-7-days-before", "deadline-day", "overdue"],
)
def test_missing_final_grade_window(as_of, step, reason, days_left):
    result = next_step(registration(), POLICY, as_of)
    assert (result.step, result.reason, result.deadline, result.days_left) == (
        step,
        reason,
        DEADLINE,
        days_left,
    )


def test_missing_grade_explanations_say_when():
    assert next_step(registration(), POLICY, days(-1)).explanation == (
        "No final grade in Banner; grading closes in 1 day (2026-12-18)."
    )
    assert next_step(registration(), POLICY, days(0)).explanation.endswith("today (2026-12-18).")
    assert next_step(registration(), POLICY, days(2)).explanation.endswith(
        "2 days ago (2026-12-18)."
    )


def test_posted_grades_and_ungradable_statuses_need_nothing():
    posted = next_step(registration("B+"), POLICY, days(0))
    assert (posted.step, posted.reason, posted.deadline) == (
        NextStep.ALREADY_RESOLVED,
        StepReason.FINAL_GRADE_POSTED,
        None,
    )
    assert "B+" in posted.explanation
    dropped = next_step(registration(gradable=False), POLICY, days(0))
    assert (dropped.step, dropped.reason) == (NextStep.NOTHING, StepReason.NOT_GRADABLE)


@pytest.mark.parametrize(
    ("as_of", "step", "reason"),
    [
        (days(-8, EXT), NextStep.NOTHING, StepReason.INCOMPLETE_OPEN),
        (days(-7, EXT), NextStep.ASK_INSTRUCTOR, StepReason.INCOMPLETE_EXPIRING),
        (EXT, NextStep.ASK_INSTRUCTOR, StepReason.INCOMPLETE_EXPIRING),
        (days(1, EXT), NextStep.NOTHING, StepReason.INCOMPLETE_LAPSED),
    ],
    ids=["8-days-before-ext", "exactly-7-days-before-ext", "ext-day", "day-after-ext"],
)
def test_incomplete_extension_date_boundaries(as_of, step, reason):
    result = next_step(incomplete(), POLICY, as_of)
    assert (result.step, result.reason, result.deadline) == (step, reason, EXT)


def test_lapsed_incomplete_names_the_grade_it_becomes():
    result = next_step(incomplete(), POLICY, days(1, EXT))
    assert (
        result.explanation
        == "The incomplete lapsed 1 day ago (2027-05-01); Banner turns it into F."
    )


@pytest.mark.parametrize(
    ("late_work", "count", "step"),
    [
        ((DEADLINE,), 0, NextStep.NOTHING),  # submitted on the deadline day: not since it
        ((days(1),), 1, NextStep.ASK_INSTRUCTOR),
        ((days(-30), days(2), days(40)), 2, NextStep.ASK_INSTRUCTOR),
    ],
)
def test_late_work_since_the_deadline_asks_the_instructor(late_work, count, step):
    result = next_step(incomplete(late_work=late_work), POLICY, days(60))
    assert (result.step, result.late_work_since_deadline) == (step, count)
    if count:
        assert result.reason is StepReason.LATE_WORK_TO_GRADE
        assert result.explanation.startswith(f"{count} late submission")


def test_late_work_after_the_incomplete_lapsed_changes_nothing():
    result = next_step(incomplete(late_work=(days(1),)), POLICY, days(1, EXT))
    assert result.reason is StepReason.INCOMPLETE_LAPSED


def test_an_incomplete_without_an_extension_date_is_asked_about():
    result = next_step(registration("I"), POLICY, days(-30))
    assert (result.step, result.reason, result.deadline, result.days_left) == (
        NextStep.ASK_INSTRUCTOR,
        StepReason.INCOMPLETE_WITHOUT_DATE,
        None,
        None,
    )


def test_custom_incomplete_codes():
    policy = POLICY.model_copy(update={"incomplete_codes": frozenset({"I", "IP"})})
    assert next_step(registration("IP"), policy, days(-30)).reason is (
        StepReason.INCOMPLETE_WITHOUT_DATE
    )
    assert next_step(registration("IP"), POLICY, days(-30)).reason is StepReason.FINAL_GRADE_POSTED


def test_classification_lists_questions_first_in_a_stable_order():
    registrations = [
        registration("A", n=1, crn="10002"),
        registration(n=2, crn="10002"),
        incomplete(n=3, crn="10001"),
        registration(n=4, crn="10001"),
        registration(gradable=False, n=5, crn="10001"),
    ]
    result = classify_incompletes(registrations, POLICY, days(0))
    assert [(s.step, s.sis_user_id) for s in result] == [
        (NextStep.ASK_INSTRUCTOR, "A004"),
        (NextStep.ASK_INSTRUCTOR, "A002"),
        (NextStep.NOTHING, "A003"),
        (NextStep.NOTHING, "A005"),
        (NextStep.ALREADY_RESOLVED, "A001"),
    ]
    assert classify_incompletes(reversed(registrations), POLICY, days(0)) == result
