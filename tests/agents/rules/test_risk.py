import pytest
from pydantic import ValidationError

from agents.rules.risk import (
    EngagementFacts,
    RiskFeature,
    RiskPolicy,
    RiskWeights,
    StandingFacts,
    assess_risk,
)


def engaged(**kw):
    facts = dict(
        page_views=100,
        max_page_views=100,
        participations=20,
        max_participations=20,
        assignments_due=10,
        late=0,
        missing=0,
        days_since_last_activity=0,
    )
    return EngagementFacts(**(facts | kw))


GOOD = StandingFacts(gpa=3.5, academic_standing="GS")


def test_the_documented_weights_sum_to_one():
    weights = RiskWeights()
    assert weights.model_dump() == {
        "page_views": 0.15,
        "participations": 0.15,
        "late": 0.10,
        "missing": 0.20,
        "inactivity": 0.15,
        "gpa": 0.10,
        "standing": 0.10,
        "holds": 0.05,
    }
    assert sum(weights.of(f) for f in RiskFeature) == pytest.approx(1.0)
    with pytest.raises(ValidationError, match="sum to 1"):
        RiskWeights(missing=0.3)


def test_policy_thresholds_must_be_consistent():
    with pytest.raises(ValidationError):
        RiskPolicy(flag_at=0.8, suggest_hold_at=0.7)
    with pytest.raises(ValidationError):
        RiskPolicy(gpa_no_risk=1.0, gpa_full_risk=1.0)


def test_an_engaged_student_in_good_standing_has_no_risk():
    assessment = assess_risk(engaged(), GOOD)
    assert (assessment.score, assessment.flagged, assessment.suggest_hold) == (0.0, False, False)
    assert assessment.reasons == ()


def test_the_worst_case_scores_one_and_every_weight_shows():
    worst = engaged(
        page_views=0,
        participations=0,
        late=10,
        missing=10,
        days_since_last_activity=None,
    )
    standing = StandingFacts(gpa=0.0, academic_standing="SU", active_holds=frozenset({"AR"}))
    assessment = assess_risk(worst, standing)
    assert assessment.score == 1.0
    assert assessment.flagged and assessment.suggest_hold
    weights = RiskWeights()
    assert {r.feature: r.contribution for r in assessment.reasons} == {
        f: weights.of(f) for f in RiskFeature
    }
    contributions = [r.contribution for r in assessment.reasons]
    assert contributions == sorted(contributions, reverse=True)
    assert assessment.reasons[0].feature is RiskFeature.MISSING


@pytest.mark.parametrize(
    ("participations", "score", "flagged"),
    [(0, 0.45, True), (1, 0.4425, False)],
    ids=["exactly-at-threshold", "just-below"],
)
def test_flag_threshold_boundary(participations, score, flagged):
    facts = engaged(page_views=0, participations=participations, days_since_last_activity=None)
    assessment = assess_risk(facts, GOOD)
    assert assessment.score == score
    assert assessment.flagged is flagged
    assert sum(r.contribution for r in assessment.reasons) == pytest.approx(score)


def test_hold_suggestion_boundary_and_an_existing_advising_hold():
    # 0.15 + 0.15 + 0.15 + 0.20 + 0.05 (hold) = 0.70: exactly at the suggestion threshold
    facts = engaged(page_views=0, participations=0, missing=10, days_since_last_activity=None)
    other_hold = StandingFacts(gpa=3.5, active_holds=frozenset({"AR"}))
    at = assess_risk(facts, other_hold)
    assert (at.score, at.suggest_hold) == (0.70, True)
    advised = assess_risk(facts, StandingFacts(gpa=3.5, active_holds=frozenset({"AH"})))
    assert (advised.score, advised.flagged, advised.suggest_hold) == (0.70, True, False)
    below = assess_risk(facts.model_copy(update={"missing": 9}), other_hold)
    assert (below.flagged, below.suggest_hold) == (True, False)


@pytest.mark.parametrize(("days", "value"), [(0, 0.0), (7, 0.5), (14, 1.0), (40, 1.0), (None, 1.0)])
def test_inactivity_saturates(days, value):
    reasons = assess_risk(engaged(days_since_last_activity=days), GOOD).reasons
    found = {r.feature: r.value for r in reasons}
    assert found.get(RiskFeature.INACTIVITY, 0.0) == value


@pytest.mark.parametrize(
    ("gpa", "value"), [(4.0, 0.0), (3.0, 0.0), (2.0, 0.5), (1.0, 1.0), (0.3, 1.0), (None, 0.0)]
)
def test_gpa_scale(gpa, value):
    reasons = assess_risk(engaged(), StandingFacts(gpa=gpa)).reasons
    assert {r.feature: r.value for r in reasons}.get(RiskFeature.GPA, 0.0) == pytest.approx(value)


def test_a_course_without_activity_or_assignments_gives_no_engagement_signal():
    quiet = engaged(
        page_views=0, max_page_views=0, participations=0, max_participations=0, assignments_due=0
    )
    assert assess_risk(quiet, GOOD).reasons == ()


def test_reasons_explain_themselves():
    facts = engaged(late=2, missing=3, days_since_last_activity=9)
    standing = StandingFacts(gpa=2.0, academic_standing="PR", active_holds=frozenset({"RH", "AR"}))
    text = {r.feature: r.explanation for r in assess_risk(facts, standing).reasons}
    assert text == {
        RiskFeature.LATE: "2 of 10 assignments submitted late.",
        RiskFeature.MISSING: "3 of 10 assignments missing.",
        RiskFeature.INACTIVITY: "Last active in the course 9 days ago.",
        RiskFeature.GPA: "Cumulative GPA 2.0.",
        RiskFeature.STANDING: "Academic standing PR.",
        RiskFeature.HOLDS: "Active holds: AR, RH.",
    }
