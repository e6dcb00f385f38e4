"""Former students and catalog prerequisites: the history program review reads.

Current students carry two terms of history, too little to see a course's DFW rate move or a
prerequisite matter. Program review works on the students of past years, so the sandbox adds
``SeedPlan.former_students`` people who studied in the eight regular terms before the current
one and have left (SGBSTDN status ``IS``): SPRIDEN, SPBPERS, SGBSTDN, SHRTCKN/SHRTCKG with
SHRTGPA/SHRLGPA summed from them, and Pell awards in RPRAWRD. SCRRTST gets one prerequisite
row for the catalog whatever the plan.

Two effects are planted for the analytics to find (and tests assert they are found):

* **a prerequisite that matters**: the target course's DFW rate is 10% after an A or B in its
  prerequisite, 25% after a C, 45% after a D, F or W or without it (:data:`TARGET_DFW`);
* **an equity gap in one course**: Pell recipients fail or withdraw 30% of the time there, the
  others 10% (:data:`GAP_DFW`); in every other course everyone's rate is :data:`BASE_DFW`.

Everything comes from a random stream of its own, drawn after every other table: a plan
without former students yields exactly the rows it yielded before, and SCRRTST is new.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from random import Random

from sqlalchemy import Table

from sandbox.banner import vocabulary as words
from sandbox.banner.demographics import CONFIDENTIAL_SHARE, HISPANIC_SHARE, SEXES
from sandbox.banner.history import count_hours, gpa_row
from sandbox.banner.terms import aid_year, regular_terms_before, term_dates
from sandbox.banner.validation import GRADES, stamp
from sandbox.banner.world import Course, Rows, World
from tools.banner.schema import (
    rprawrd,
    scrrtst,
    sgbstdn,
    shrlgpa,
    shrtckg,
    shrtckn,
    shrtgpa,
    spbpers,
    spriden,
)

FIRST_PIDM = 600001
WINDOW_TERMS = 8
"""Regular terms of history before the current term."""
TERMS_ATTENDED = 4
PELL_SHARE = 0.35
PART_TIME_SHARE = 0.25
BASE_DFW = 0.12
GAP_DFW = {True: 0.30, False: 0.10}
TARGET_DFW = {"AB": 0.10, "C": 0.25, "DFW": 0.45}
PASSING = {"A": 18, "A-": 10, "B+": 10, "B": 14, "B-": 8, "C+": 7, "C": 8, "C-": 4}
FAILING = {"D+": 2, "D": 3, "F": 4, "W": 5}


@dataclass(frozen=True)
class Planted:
    """The courses the effects are planted in (subject and number)."""

    prerequisite: Course
    target: Course
    gap: Course


def planted(world: World) -> Planted | None:
    """The undergraduate courses carrying the effects (None with fewer than two).

    The two lowest-numbered are prerequisite and target; the third (else the target) has the gap.
    """
    ug = sorted((c for c in world.courses if c.level == "UG"), key=lambda c: (c.number, c.subject))
    if len(ug) < 2:
        return None
    return Planted(prerequisite=ug[0], target=ug[1], gap=ug[2] if len(ug) > 2 else ug[1])


def prerequisites(world: World) -> Rows:
    """SCRRTST: the planted pair, with a minimum grade of C, effective since the catalog began."""
    chosen = planted(world)
    if chosen is None:
        return []
    return [{
        "scrrtst_subj_code": chosen.target.subject,
        "scrrtst_crse_numb": chosen.target.number,
        "scrrtst_term_code_eff": "199910",
        "scrrtst_seqno": 1,
        "scrrtst_subj_code_preq": chosen.prerequisite.subject,
        "scrrtst_crse_numb_preq": chosen.prerequisite.number,
        "scrrtst_levl_code": "UG",
        "scrrtst_min_grde": "C",
        "scrrtst_concurrency_ind": "N",
        **stamp(scrrtst, world.at),
    }]  # fmt: skip


def _band(grade: str | None) -> str:
    if grade is None or grade in FAILING:
        return "DFW"
    return "C" if grade.startswith("C") else "AB"


def _grade(rng: Random, dfw: float) -> str:
    mix = FAILING if rng.random() < dfw else PASSING
    return rng.choices(list(mix), weights=list(mix.values()))[0]


class _Former:
    """The rows of the former students, table by table."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.rng = Random(f"cohorts:{world.plan.seed}")
        self.window = regular_terms_before(world.term, WINDOW_TERMS)
        self.chosen = planted(world)
        self.courses = [c for c in world.courses if c.level == "UG"]
        self.points = {code: (pts, att, passed, gpa)
                       for lvl, code, _, pts, att, _c, passed, gpa, *_ in GRADES
                       if lvl == "UG"}  # fmt: skip
        self.rows: dict[Table, Rows] = {t: [] for t in _TABLES}

    def add(self, index: int) -> None:
        rng, world = self.rng, self.world
        pidm = FIRST_PIDM + index
        first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
        admitted = rng.randrange(len(self.window) - TERMS_ATTENDED + 1)
        terms = self.window[admitted : admitted + TERMS_ATTENDED]
        pell = rng.random() < PELL_SHARE
        part_time = rng.random() < PART_TIME_SHARE
        self.rows[spriden].append({
            "spriden_pidm": pidm, "spriden_id": f"A1{rng.randrange(10**7):07d}",
            "spriden_last_name": last, "spriden_first_name": first, "spriden_mi": None,
            "spriden_change_ind": None, "spriden_entity_ind": "P", "spriden_ntyp_code": None,
            **stamp(spriden, world.at),
        })  # fmt: skip
        sexes, weights = [code for code, _ in SEXES], [share for _, share in SEXES]
        age = rng.randint(18, 30)
        self.rows[spbpers].append({
            "spbpers_pidm": pidm, "spbpers_pref_first_name": None,
            "spbpers_confid_ind": "Y" if rng.random() < CONFIDENTIAL_SHARE else "N",
            "spbpers_sex": rng.choices(sexes, weights)[0],
            "spbpers_ethn_cde": "2" if rng.random() < HISPANIC_SHARE else "1",
            "spbpers_birth_date": world.start - timedelta(days=age * 365),
            "spbpers_citz_code": "Y", **stamp(spbpers, world.at),
        })  # fmt: skip
        left = term_dates(terms[-1])[1] + timedelta(days=10)
        for eff, status in (
            (terms[0], "AS"),
            (_next_regular(self.window, terms[-1], world.term), "IS"),
        ):
            self.rows[sgbstdn].append({
                "sgbstdn_pidm": pidm, "sgbstdn_term_code_eff": eff, "sgbstdn_stst_code": status,
                "sgbstdn_levl_code": "UG", "sgbstdn_styp_code": "N",
                "sgbstdn_majr_code_1": rng.choice(words.MAJORS), "sgbstdn_astd_code": None,
                "sgbstdn_term_code_astd": None, "sgbstdn_full_part_ind": "P" if part_time else "F",
                "sgbstdn_term_code_admit": terms[0],
                **stamp(sgbstdn, datetime.combine(left, time(9, 0))),
            })  # fmt: skip
        if pell:
            for year in sorted({aid_year(t) for t in terms}):
                self.rows[rprawrd].append({
                    "rprawrd_pidm": pidm, "rprawrd_aidy_code": year, "rprawrd_fund_code": "PELL",
                    "rprawrd_awst_code": "ACPT", "rprawrd_offer_amt": 3500.0,
                    "rprawrd_accept_amt": 3500.0, "rprawrd_paid_amt": 3500.0,
                    **stamp(rprawrd, world.at),
                })  # fmt: skip
        self._courses(pidm, terms, pell, part_time)

    def _schedule(self, terms: list[str], part_time: bool) -> list[list[Course]]:
        """Courses per term: the prerequisite first, the target in a later term (most do)."""
        rng, chosen = self.rng, self.chosen
        plan: list[list[Course]] = [[] for _ in terms]
        fixed: set[tuple[str, str]] = set()
        if chosen is not None:
            if rng.random() < 0.8:
                plan[0].append(chosen.prerequisite)
            plan[1 + rng.randrange(len(terms) - 1)].append(chosen.target)
            if chosen.gap is not chosen.target and rng.random() < 0.7:
                plan[rng.randrange(len(terms))].append(chosen.gap)
            fixed = {
                (c.subject, c.number) for c in (chosen.prerequisite, chosen.target, chosen.gap)
            }
        others = [c for c in self.courses if (c.subject, c.number) not in fixed]
        for taken in plan:
            wanted = rng.randint(1, 2) if part_time else rng.randint(3, 4)
            free = [c for c in others if c not in taken]
            taken += rng.sample(free, max(0, min(wanted - len(taken), len(free))))
        return plan

    def _courses(self, pidm: int, terms: list[str], pell: bool, part_time: bool) -> None:
        rng, chosen = self.rng, self.chosen
        prior: str | None = None
        totals = [0.0, 0.0, 0.0, 0.0]
        for term, taken in zip(terms, self._schedule(terms, part_time), strict=True):
            graded = datetime.combine(term_dates(term)[1] + timedelta(days=4), time(17, 0))
            sums = [0.0, 0.0, 0.0, 0.0]
            for seq, course in enumerate(taken, start=1):
                if chosen is not None and course is chosen.target:
                    dfw = TARGET_DFW[_band(prior)]
                elif chosen is not None and course is chosen.gap:
                    dfw = GAP_DFW[pell]
                else:
                    dfw = BASE_DFW
                grade = _grade(rng, dfw)
                if chosen is not None and course is chosen.prerequisite:
                    prior = grade
                self.rows[shrtckn].append({
                    "shrtckn_pidm": pidm, "shrtckn_term_code": term, "shrtckn_seq_no": seq,
                    "shrtckn_crn": None, "shrtckn_subj_code": course.subject,
                    "shrtckn_crse_numb": course.number, "shrtckn_crse_title": course.title_in(term),
                    **stamp(shrtckn, graded),
                })  # fmt: skip
                self.rows[shrtckg].append({
                    "shrtckg_pidm": pidm, "shrtckg_term_code": term, "shrtckg_tckn_seq_no": seq,
                    "shrtckg_seq_no": 1, "shrtckg_grde_code_final": grade,
                    "shrtckg_credit_hours": course.credits, "shrtckg_gchg_code": None,
                    "shrtckg_final_grde_chg_date": None, **stamp(shrtckg, graded),
                })  # fmt: skip
                count_hours(sums, self.points[grade], course.credits)
            self.rows[shrtgpa].append(gpa_row(shrtgpa, pidm, "UG", sums, graded, term=term))
            totals = [a + b for a, b in zip(totals, sums, strict=True)]
        self.rows[shrlgpa].append(gpa_row(shrlgpa, pidm, "UG", totals, self.world.at, gpa_type="O"))


def _next_regular(window: list[str], last: str, current: str) -> str:
    later = window[window.index(last) + 1 :]
    return later[0] if later else current


_TABLES = (spriden, spbpers, sgbstdn, rprawrd, shrtckn, shrtckg, shrtgpa, shrlgpa)


def former_students(world: World) -> Iterator[tuple[Table, Rows]]:
    """Every table's rows for the plan's former students (none when it asks for none)."""
    if world.plan.former_students == 0:
        return
    former = _Former(world)
    for index in range(world.plan.former_students):
        former.add(index)
    for table in _TABLES:
        yield table, former.rows[table]
