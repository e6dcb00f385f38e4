"""Early-alert risk: a transparent score from Canvas engagement and Banner standing.

Rules first: who is flagged is decided here, by a weighted sum anyone can recompute; the model
only drafts the outreach for a flagged student. Each feature is scaled to [0, 1] (1 = most
risk), multiplied by its weight (:class:`RiskWeights`, the one place the weights live) and
summed, so the score is also in [0, 1] and every alert lists which features contributed how
much. A suggested hold is only a suggestion: a registrar approves it later.
"""

from __future__ import annotations

from enum import StrEnum
from math import isclose

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RiskFeature(StrEnum):
    """The features, named as the :class:`RiskWeights` fields that weigh them."""

    PAGE_VIEWS = "page_views"
    PARTICIPATIONS = "participations"
    LATE = "late"
    MISSING = "missing"
    INACTIVITY = "inactivity"
    GPA = "gpa"
    STANDING = "standing"
    HOLDS = "holds"


class RiskWeights(_Frozen):
    """The documented weights; they sum to 1.

    =============== ====== ==========================================================
    feature         weight scaled risk in [0, 1]
    =============== ====== ==========================================================
    page_views      0.15   1 − page views / the course's highest page views
    participations  0.15   1 − participations / the course's highest participations
    late            0.10   late submissions / assignments due
    missing         0.20   missing submissions / assignments due
    inactivity      0.15   days since last activity / ``inactive_days_full``, capped
                           at 1; never active = 1
    gpa             0.10   0 at ``gpa_no_risk`` and above, 1 at ``gpa_full_risk`` and
                           below, linear between; no GPA yet = 0
    standing        0.10   1 when the academic standing is a poor one, else 0
    holds           0.05   1 when any hold is active, else 0
    =============== ====== ==========================================================

    Engagement carries two thirds of the weight: it is current, while GPA and standing describe
    past terms. Missing work weighs most because it is the strongest early sign of failing.
    """

    page_views: float = Field(default=0.15, ge=0)
    participations: float = Field(default=0.15, ge=0)
    late: float = Field(default=0.10, ge=0)
    missing: float = Field(default=0.20, ge=0)
    inactivity: float = Field(default=0.15, ge=0)
    gpa: float = Field(default=0.10, ge=0)
    standing: float = Field(default=0.10, ge=0)
    holds: float = Field(default=0.05, ge=0)

    @model_validator(mode="after")
    def _sum_to_one(self) -> RiskWeights:
        if not isclose(sum(self.model_dump().values()), 1.0):
            raise ValueError("risk weights must sum to 1")
        return self

    def of(self, feature: RiskFeature) -> float:
        """The weight of one feature."""
        weight: float = getattr(self, feature.value)
        return weight


class RiskPolicy(_Frozen):
    """The weights and the thresholds, each judged "at or above".

    A student is flagged at ``flag_at``; at ``suggest_hold_at`` an advising hold is suggested too,
    unless it is already on. Academic standing codes (STVASTD) and hold codes (STVHLDD) are
    institutional, so they are configuration with conventional defaults.
    """

    weights: RiskWeights = RiskWeights()
    flag_at: float = Field(default=0.45, gt=0, le=1)
    suggest_hold_at: float = Field(default=0.70, gt=0, le=1)
    inactive_days_full: int = Field(default=14, ge=1)
    gpa_no_risk: float = 3.0
    gpa_full_risk: float = 1.0
    poor_standing_codes: frozenset[str] = frozenset({"PR", "WA", "SU"})
    advising_hold_code: str = "AH"

    @model_validator(mode="after")
    def _ordered(self) -> RiskPolicy:
        if self.suggest_hold_at < self.flag_at:
            raise ValueError("a hold cannot be suggested for a student who is not flagged")
        if self.gpa_no_risk <= self.gpa_full_risk:
            raise ValueError("gpa_no_risk must be above gpa_full_risk")
        return self


class EngagementFacts(_Frozen):
    """One student's Canvas analytics summary in one course."""

    page_views: int = Field(ge=0)
    max_page_views: int = Field(ge=0)
    participations: int = Field(ge=0)
    max_participations: int = Field(ge=0)
    assignments_due: int = Field(ge=0, description="tardiness_breakdown.total")
    late: int = Field(ge=0)
    missing: int = Field(ge=0)
    days_since_last_activity: int | None = Field(
        ge=0, description="None when the student has never been active in the course."
    )


class StandingFacts(_Frozen):
    """The student's Banner record: cumulative GPA, academic standing, active hold codes."""

    gpa: float | None = None
    academic_standing: str | None = None
    active_holds: frozenset[str] = frozenset()


class RiskReason(_Frozen):
    """One feature's part in the score, with the sentence an advisor reads."""

    feature: RiskFeature
    value: float
    weight: float
    contribution: float
    explanation: str


class RiskAssessment(_Frozen):
    """The score, the decisions taken from it, and its reasons, largest contribution first."""

    score: float
    flagged: bool
    suggest_hold: bool
    reasons: tuple[RiskReason, ...]


def _share(part: int, whole: int) -> float:
    return min(part / whole, 1.0) if whole else 0.0


def _features(
    engagement: EngagementFacts, standing: StandingFacts, policy: RiskPolicy
) -> dict[RiskFeature, tuple[float, str]]:
    e = engagement
    days = e.days_since_last_activity
    gpa = standing.gpa
    gpa_span = policy.gpa_no_risk - policy.gpa_full_risk
    return {
        RiskFeature.PAGE_VIEWS: (
            1 - _share(e.page_views, e.max_page_views) if e.max_page_views else 0.0,
            f"{e.page_views} page views against the course's highest, {e.max_page_views}.",
        ),
        RiskFeature.PARTICIPATIONS: (
            1 - _share(e.participations, e.max_participations) if e.max_participations else 0.0,
            f"{e.participations} participations against the course's highest, "
            f"{e.max_participations}.",
        ),
        RiskFeature.LATE: (
            _share(e.late, e.assignments_due),
            f"{e.late} of {e.assignments_due} assignments submitted late.",
        ),
        RiskFeature.MISSING: (
            _share(e.missing, e.assignments_due),
            f"{e.missing} of {e.assignments_due} assignments missing.",
        ),
        RiskFeature.INACTIVITY: (
            1.0 if days is None else min(days / policy.inactive_days_full, 1.0),
            "Never active in the course."
            if days is None
            else f"Last active in the course {days} days ago.",
        ),
        RiskFeature.GPA: (
            0.0 if gpa is None else min(max((policy.gpa_no_risk - gpa) / gpa_span, 0.0), 1.0),
            f"Cumulative GPA {gpa}.",
        ),
        RiskFeature.STANDING: (
            1.0 if standing.academic_standing in policy.poor_standing_codes else 0.0,
            f"Academic standing {standing.academic_standing}.",
        ),
        RiskFeature.HOLDS: (
            1.0 if standing.active_holds else 0.0,
            f"Active holds: {', '.join(sorted(standing.active_holds))}.",
        ),
    }


def assess_risk(
    engagement: EngagementFacts, standing: StandingFacts, policy: RiskPolicy | None = None
) -> RiskAssessment:
    """Score one student in one course; the reasons list every feature that added risk.

    The score is rounded to six places so that a sum landing on a threshold is judged on the
    threshold, not on floating-point noise.
    """
    policy = policy or RiskPolicy()
    reasons = [
        RiskReason(
            feature=feature,
            value=value,
            weight=policy.weights.of(feature),
            contribution=value * policy.weights.of(feature),
            explanation=explanation,
        )
        for feature, (value, explanation) in _features(engagement, standing, policy).items()
    ]
    score = round(sum(reason.contribution for reason in reasons), 6)
    return RiskAssessment(
        score=score,
        flagged=score >= policy.flag_at,
        suggest_hold=score >= policy.suggest_hold_at
        and policy.advising_hold_code not in standing.active_holds,
        reasons=tuple(
            sorted(
                (reason for reason in reasons if reason.contribution > 0),
                key=lambda reason: -reason.contribution,
            )
        ),
    )
