from decimal import Decimal

import pytest
from pydantic import ValidationError

from agents.rules.grades import (
    AnomalyKind,
    AnomalyThresholds,
    GradingScheme,
    RefusalReason,
    SchemeEntry,
    SectionGrading,
    StudentGrade,
    ValidGrade,
    letter_for,
    passback_begun,
    plan_passback,
)

SCHEME = GradingScheme(
    entries=[
        SchemeEntry(name=n, min_percent=v)
        for n, v in [
            ("A", 94),
            ("A-", 90),
            ("B+", 87),
            ("B", 84),
            ("B-", 80),
            ("C", 70),
            ("D", 60),
            ("F", 0),
        ]
    ]
)
POINTS = {
    "A": "4.0",
    "A-": "3.7",
    "B+": "3.3",
    "B": "3.0",
    "B-": "2.7",
    "C": "2.0",
    "D": "1.0",
    "F": "0.0",
    "I": "0.0",
}
UNDERGRAD = tuple(
    ValidGrade(code=c, quality_points=Decimal(q), counts_in_gpa=c != "I") for c, q in POINTS.items()
)
SECTION = SectionGrading(term_code="202610", crn="10001", scheme=SCHEME)
QUIET = AnomalyThresholds(min_section_scores=10_000)  # section check off where not under test


def student(score, n=1, **kw):
    kw.setdefault("valid_grades", UNDERGRAD)
    return StudentGrade(
        pidm=n,
        sis_user_id=f"A{n:03}",
        final_score=None if score is None else Decimal(str(score)),
        **kw,
    )


def decide(one, section=SECTION, thresholds=QUIET):
    return plan_passback(section, [one], thresholds).decisions[0]


@pytest.mark.parametrize(
    ("score", "letter"),
    [
        ("94", "A"),
        ("93.99", "A-"),
        ("90", "A-"),
        ("89.99", "B+"),
        ("60", "D"),
        ("59.99", "F"),
        ("0", "F"),
        ("-3", "F"),
        ("104.5", "A"),
    ],
)
def test_a_score_exactly_on_a_cut_off_earns_that_letter(score, letter):
    assert letter_for(Decimal(score), SCHEME) == letter


def test_floats_from_canvas_json_are_read_as_written():
    # 0.57 * 100 is 56.99999999999999 as a float; a scheme given 57 must still put 57 on the line
    scheme = GradingScheme(
        entries=[SchemeEntry(name="P", min_percent=57.0), SchemeEntry(name="F", min_percent=0)]
    )
    assert (
        decide(
            student(57.0, valid_grades=(ValidGrade(code="P", quality_points=0),)),
            SectionGrading(term_code="202610", crn="1", scheme=scheme),
        ).code
        == "P"
    )


@pytest.mark.parametrize(
    "entries",
    [[], [("A", 90), ("B", 90)], [("A", 80), ("B", 90)], [("A", 90), ("A", 80)]],
    ids=["empty", "equal-cut-offs", "ascending", "duplicate-letter"],
)
def test_malformed_schemes_are_rejected(entries):
    with pytest.raises(ValidationError):
        GradingScheme(entries=[SchemeEntry(name=n, min_percent=v) for n, v in entries])


def test_a_valid_score_becomes_a_postable_banner_code():
    decision = decide(student(88.5))
    assert (decision.letter, decision.code, decision.refusal, decision.anomalies) == (
        "B+",
        "B+",
        None,
        (),
    )
    assert decision.needs_posting
    assert not decide(student(88.5, banner_grade="B+")).needs_posting


def test_scheme_letters_can_be_renamed_for_banner():
    section = SECTION.model_copy(update={"letter_to_code": {"A-": "AM"}})
    valid = (*UNDERGRAD, ValidGrade(code="AM", quality_points=Decimal("3.7")))
    assert decide(student(91, valid_grades=valid), section).code == "AM"


def test_refusals():
    no_scheme = plan_passback(
        SECTION.model_copy(update={"scheme": None}), [student(90), student(50, 2)]
    )
    assert [d.refusal for d in no_scheme.decisions] == [RefusalReason.NO_GRADING_SCHEME] * 2
    assert all(
        d.code is None and d.refusal_explanation is not None and "10001" in d.refusal_explanation
        for d in no_scheme.decisions
    )

    rolled = decide(student(90, rolled_to_history=True))
    assert (rolled.refusal, rolled.code) == (RefusalReason.ROLLED_TO_HISTORY, None)

    graduate_only = tuple(g for g in UNDERGRAD if g.code not in {"D", "B+"})
    invalid = decide(student(61, valid_grades=graduate_only))
    assert (invalid.refusal, invalid.letter, invalid.code) == (
        RefusalReason.NOT_VALID_FOR_LEVEL,
        "D",
        "D",
    )
    assert not invalid.needs_posting
    assert "SHRGRDE" in invalid.refusal_explanation


def test_missing_score_is_an_anomaly_not_a_grade():
    decision = decide(student(None))
    assert (decision.code, decision.refusal) == (None, None)
    assert [a.kind for a in decision.anomalies] == [AnomalyKind.MISSING_GRADE]
    assert not decision.needs_posting
    both = decide(student(None, banner_grade="I"))
    assert [a.kind for a in both.anomalies] == [AnomalyKind.MISSING_GRADE, AnomalyKind.INCOMPLETE]


def test_incompletes_are_flagged_from_banner_or_from_the_scheme():
    held = decide(student(91, banner_grade="I"))
    assert [a.kind for a in held.anomalies] == [AnomalyKind.INCOMPLETE]
    assert "(I)" in held.anomalies[0].explanation
    scheme = GradingScheme(
        entries=[SchemeEntry(name="A", min_percent=50), SchemeEntry(name="I", min_percent=0)]
    )
    mapped = decide(student(10), SECTION.model_copy(update={"scheme": scheme}))
    assert (mapped.code, [a.kind for a in mapped.anomalies]) == ("I", [AnomalyKind.INCOMPLETE])


@pytest.mark.parametrize(
    ("gpa", "hours", "flagged"),
    [
        ("2.5", "12", False),  # A (4.0) exactly 1.5 from the GPA
        ("2.49", "12", True),
        ("2.49", "11.9", False),  # too little history to judge
    ],
)
def test_history_boundary(gpa, hours, flagged):
    decision = decide(student(95, gpa=Decimal(gpa), gpa_hours=Decimal(hours)))
    kinds = [a.kind for a in decision.anomalies]
    assert kinds == ([AnomalyKind.FAR_FROM_HISTORY] if flagged else [])
    if flagged:
        anomaly = decision.anomalies[0]
        assert (anomaly.measure, anomaly.threshold) == (1.51, 1.5)
        assert anomaly.explanation == (
            "The proposed A (4.0 quality points) is 1.51 points from this student's GPA of "
            "2.49, more than the 1.5 expected."
        )


def test_grades_outside_the_gpa_are_not_judged_against_it():
    valid = (ValidGrade(code="A", quality_points=Decimal(4), counts_in_gpa=False),)
    decision = decide(student(95, valid_grades=valid, gpa=Decimal(1), gpa_hours=Decimal(60)))
    assert decision.anomalies == ()


# others: 70, 80, 80, 80, 90 → mean 80, sample sd √50 ≈ 7.071; z = 2.5 at 97.68
@pytest.mark.parametrize(
    ("score", "flagged"), [(97.6, False), (97.7, True), (62.4, False), (62.3, True)]
)
def test_section_distribution_boundary(score, flagged):
    others = [student(s, n) for n, s in enumerate([70, 80, 80, 80, 90], start=2)]
    batch = plan_passback(SECTION, [student(score), *others], AnomalyThresholds())
    mine = batch.decisions[0]
    assert [a.kind for a in mine.anomalies] == ([AnomalyKind.FAR_FROM_SECTION] if flagged else [])
    assert all(d.anomalies == () for d in batch.decisions[1:])
    if flagged:
        side = "above" if score > 80 else "below"
        assert mine.anomalies[0].explanation == (
            f"The score of {score} is 2.5 standard deviations {side} the rest of the section's "
            "mean of 80.0, beyond the 2.5 expected."
        )


def test_section_check_needs_enough_other_scores_and_floors_the_deviation():
    four_others = [student(80, n) for n in range(2, 6)]
    assert plan_passback(SECTION, [student(20), *four_others]).decisions[0].anomalies == ()
    alike = [student(80, n) for n in range(2, 7)]
    exactly = plan_passback(SECTION, [student(82.5), *alike]).decisions[0]  # z = 2.5 exactly
    assert exactly.anomalies == ()
    inside = plan_passback(SECTION, [student(82.4), *alike]).decisions[0]
    outside = plan_passback(SECTION, [student(82.6), *alike]).decisions[0]
    assert inside.anomalies == ()
    assert [a.kind for a in outside.anomalies] == [AnomalyKind.FAR_FROM_SECTION]
    assert outside.anomalies[0].measure == pytest.approx(2.6)


@pytest.mark.parametrize(
    ("banner_grades", "begun"),
    [
        ((), False),
        ((None, None, None), False),
        ((None, "A", None), True),  # one posted grade is enough
        (("I",), True),  # an incomplete is a final grade entered
    ],
)
def test_passback_begins_with_the_first_final_grade_in_banner(banner_grades, begun):
    students = [student(90, n, banner_grade=g) for n, g in enumerate(banner_grades, 1)]
    assert passback_begun(students) is begun


def test_one_named_student_is_decided_against_the_whole_section():
    others = [student(s, n) for n, s in enumerate([70, 80, 80, 80, 90], start=2)]
    section = [*others, student(97.7)]
    batch = plan_passback(SECTION, section, AnomalyThresholds(), only="A001")
    (mine,) = batch.decisions
    assert mine.sis_user_id == "A001"
    assert [a.kind for a in mine.anomalies] == [AnomalyKind.FAR_FROM_SECTION]  # still judged
    assert plan_passback(SECTION, section, only="A999").decisions == ()
    unschemed = SECTION.model_copy(update={"scheme": None})
    (refused,) = plan_passback(unschemed, section, only="A003").decisions
    assert refused.sis_user_id == "A003" and refused.refusal is RefusalReason.NO_GRADING_SCHEME
