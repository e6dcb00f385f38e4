"""The deterministic synthetic Banner: persons, catalog, sections, registrations and history.

Everything is drawn from one ``random.Random(seed)`` in a fixed order and every date is derived
from the term code, so a seed gives the same rows, in the same order, on every run and machine.
The shape is meant to exercise the rules, not just fill tables: name and ID history rows in
SPRIDEN, students with no usable e-mail, full sections with wait-lists, cross-listed and
cancelled sections, secondary instructors with a NULL primary indicator, advisors and student
records that changed over time (and future-effective rows that must not apply yet), holds that
block registration or have expired or been released, catalog titles that changed, grade history
with grade changes, and aid records.

:func:`generate` yields ``(table, rows)`` in insert order; :mod:`sandbox.banner.seeding` writes
them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from random import Random
from typing import Any

from sqlalchemy import Table

from core.errors import ValidationFailed
from sandbox.banner import vocabulary as words
from sandbox.banner.terms import (
    aid_year,
    parse_term,
    regular_terms_before,
    shift_term,
    term_dates,
    term_description,
)
from sandbox.banner.validation import GRADES, HOLD_TYPES, REGISTRATION_STATUSES, stamp
from tools.banner.queries import OPEN_ENDED
from tools.banner.schema import (
    goremal,
    rorstat,
    rprawrd,
    scbcrse,
    sfrstcr,
    sgbstdn,
    sgradvr,
    shrlgpa,
    shrtckg,
    shrtckn,
    shrtgpa,
    sirasgn,
    sprhold,
    spriden,
    ssbsect,
    ssrxlst,
    stvterm,
    szrcmnt,
)

Rows = list[dict[str, Any]]

ENROLLING = frozenset(code for code, _, incl, *_ in REGISTRATION_STATUSES if incl == "Y")
FIRST_CRN = 10001
MAX_SECTIONS = 99999 - FIRST_CRN
CATALOG_START = "199910"
HISTORY_TERMS = 2

UG_GRADES = {
    "A": 18, "A-": 10, "B+": 10, "B": 14, "B-": 8, "C+": 7, "C": 8, "C-": 4,
    "D+": 2, "D": 3, "F": 4, "W": 5, "I": 1, "P": 2,
}  # fmt: skip
GR_GRADES = {"A": 30, "A-": 18, "B+": 15, "B": 15, "B-": 6, "C": 4, "F": 2, "W": 4, "I": 2, "S": 4}


@dataclass(frozen=True)
class SeedPlan:
    """What to generate: sizes, the current term and the seed."""

    students: int
    sections: int
    term: str
    seed: int

    def check(self) -> None:
        """Refuse sizes and terms the generator cannot honour, with the reason."""
        parse_term(self.term)
        if self.students < 1 or self.sections < 1:
            raise ValidationFailed("--students and --sections must be at least 1")
        if self.sections > MAX_SECTIONS:
            raise ValidationFailed(f"--sections is at most {MAX_SECTIONS} (5-digit CRNs)")


@dataclass
class _Person:
    pidm: int
    banner_id: str
    first: str
    middle: str | None
    last: str


@dataclass
class _Course:
    subject: str
    number: str
    level: str
    credits: float
    titles: list[tuple[str, str]]  # (effective term, title), oldest first
    college: str
    dept: str

    def title_in(self, term: str) -> str:
        return [title for eff, title in self.titles if eff <= term][-1]


@dataclass
class _Section:
    crn: str
    course: _Course
    sequence: str
    status: str
    title: str | None
    campus: str
    part: str
    max_enrl: int = 0
    wait_capacity: int = 0
    enrolled: int = 0
    waiting: int = 0
    weight: float = 1.0


@dataclass
class _Student:
    person: _Person
    level: str
    admit: str
    major: str
    sections: list[tuple[_Section, str, date, int | None]] = field(default_factory=list)


class _Generator:
    """Holds the random stream and the world built so far; methods emit one table each."""

    def __init__(self, plan: SeedPlan) -> None:
        plan.check()
        self.plan = plan
        self.rng = Random(plan.seed)
        self.term = plan.term
        self.start, self.end = term_dates(plan.term)
        self.at = datetime.combine(self.start - timedelta(days=30), time(8, 0))
        self.history_terms = regular_terms_before(plan.term, HISTORY_TERMS)
        self.admit_terms = regular_terms_before(plan.term, 6)
        numbers = self.rng.sample(range(1_000_000, 10_000_000), plan.students * 2 + 200)
        self._numbers = iter(numbers)
        self.faculty = [self._person(900001 + i, "@") for i in range(max(4, plan.sections // 3))]
        self.students = [self._student(100001 + i) for i in range(plan.students)]
        self.courses = self._catalog()
        self.sections = self._sections()
        self._register()

    # --- world ---------------------------------------------------------------------------

    def _person(self, pidm: int, prefix: str) -> _Person:
        rng = self.rng
        return _Person(
            pidm=pidm,
            banner_id=f"{prefix}0{next(self._numbers)}",
            first=rng.choice(words.FIRST_NAMES),
            middle=rng.choice(words.MIDDLE_INITIALS) if rng.random() < 0.6 else None,
            last=rng.choice(words.LAST_NAMES),
        )

    def _student(self, pidm: int) -> _Student:
        rng = self.rng
        level = "GR" if rng.random() < 0.15 else "UG"
        admit = self.term if rng.random() < 0.2 else rng.choice(self.admit_terms)
        return _Student(self._person(pidm, "A"), level, admit, rng.choice(words.MAJORS))

    def _catalog(self) -> list[_Course]:
        rng = self.rng
        count = max(4, self.plan.sections * 2 // 5)
        taken: set[tuple[str, str]] = set()
        courses: list[_Course] = []
        while len(courses) < count:
            subject, noun, college, dept = rng.choice(words.SUBJECTS)
            level = "GR" if rng.random() < 0.2 or len(courses) == 1 else "UG"
            number = str(rng.randint(500, 799) if level == "GR" else rng.randint(100, 499))
            if (subject, number) in taken:
                continue
            taken.add((subject, number))
            first = rng.choice(words.TITLE_PATTERNS).format(s=noun)
            titles = [(CATALOG_START, first)]
            if rng.random() < 0.4:
                renamed = rng.choice(words.TITLE_PATTERNS).format(s=noun) + " I"
                titles.append((rng.choice(self.admit_terms), renamed))
            if rng.random() < 0.05:
                titles.append((shift_term(self.term, 1), first + " (New)"))
            credits = rng.choice((3.0, 3.0, 3.0, 4.0, 1.0))
            courses.append(_Course(subject, number, level, credits, titles, college, dept))
        return courses

    def _sections(self) -> list[_Section]:
        rng = self.rng
        sequence: dict[tuple[str, str], int] = {}
        sections: list[_Section] = []
        for i in range(self.plan.sections):
            course = self.courses[i] if i < len(self.courses) else rng.choice(self.courses)
            key = (course.subject, course.number)
            sequence[key] = sequence.get(key, 0) + 1
            roll = rng.random()
            status = "C" if roll < 0.03 else "I" if roll < 0.04 else "A"
            own_title = rng.random() < 0.3
            sections.append(
                _Section(
                    crn=str(FIRST_CRN + i),
                    course=course,
                    sequence=f"{sequence[key]:03d}",
                    status=status,
                    title=f"{course.title_in(self.term)[:22]} Sec {sequence[key]}"
                    if own_title
                    else None,
                    campus="O" if rng.random() < 0.15 else "M",
                    part=rng.choice(("1", "1", "1", "1", "2", "3")),
                    wait_capacity=0 if rng.random() < 0.3 else rng.randint(5, 25),
                    weight=rng.uniform(0.3, 3.0),
                )
            )
        return sections

    def _register(self) -> None:
        """Students pick 3-6 sections; full ones wait-list them while the wait-list has room."""
        rng = self.rng
        open_sections = [s for s in self.sections if s.status == "A"] or self.sections
        pools = {
            level: [s for s in open_sections if s.course.level == level] or open_sections
            for level in ("UG", "GR")
        }
        share = {lvl: sum(1 for s in self.students if s.level == lvl) for lvl in ("UG", "GR")}
        cumulative = {}
        for level, pool in pools.items():
            total = sum(s.weight for s in pool)
            demand = share[level] * 4.5
            for s in pool:
                expected = demand * s.weight / total
                s.max_enrl = max(8, min(250, round(expected * rng.uniform(0.85, 1.3))))
            cumulative[level] = list(accumulate(s.weight for s in pool))
        for student in self.students:
            pool, weights = pools[student.level], cumulative[student.level]
            most = min(6, len(pool))
            wanted = rng.randint(min(3, most), most)
            chosen: set[str] = set()
            for _ in range(wanted * 6):
                if len(chosen) >= wanted:
                    break
                section = rng.choices(pool, cum_weights=weights)[0]
                if section.crn in chosen:
                    continue
                added = self.start - timedelta(days=rng.randint(5, 60))
                if section.enrolled < section.max_enrl:
                    roll = rng.random()
                    code = (
                        rng.choice(("DD", "DW")) if roll < 0.06
                        else "WD" if roll < 0.08
                        else "AU" if roll < 0.09
                        else rng.choice(("RE", "RW"))
                    )  # fmt: skip
                    section.enrolled += code in ENROLLING
                    priority = None
                elif section.waiting < section.wait_capacity:
                    section.waiting += 1
                    code, priority = "WL", section.waiting
                else:
                    continue
                chosen.add(section.crn)
                student.sections.append((section, code, added, priority))

    # --- tables --------------------------------------------------------------------------

    def terms(self) -> Rows:
        codes = [shift_term(self.term, step) for step in range(-9, 2)]
        rows = []
        for code in codes:
            start, end = term_dates(code)
            rows.append({
                "stvterm_code": code,
                "stvterm_desc": term_description(code),
                "stvterm_start_date": start,
                "stvterm_end_date": end,
                "stvterm_fa_proc_yr": aid_year(code),
                **stamp(stvterm, self.at),
            })  # fmt: skip
        return rows

    def _everyone(self) -> Iterator[_Person]:
        yield from self.faculty
        for student in self.students:
            yield student.person

    def persons(self) -> Rows:
        rng = self.rng
        rows: Rows = []

        def row(p: _Person, banner_id: str, last: str, change: str | None) -> dict[str, Any]:
            return {
                "spriden_pidm": p.pidm,
                "spriden_id": banner_id,
                "spriden_last_name": last,
                "spriden_first_name": p.first,
                "spriden_mi": p.middle,
                "spriden_change_ind": change,
                "spriden_entity_ind": "P",
                "spriden_ntyp_code": None,
                **stamp(spriden, self.at),
            }

        for p in self._everyone():
            roll = rng.random()
            if roll < 0.08:
                rows.append(row(p, p.banner_id, rng.choice(words.LAST_NAMES), "N"))
            elif roll < 0.10:
                rows.append(row(p, f"A0{next(self._numbers)}", p.last, "I"))
            rows.append(row(p, p.banner_id, p.last, None))
        for n, name in enumerate(("Community Scholarship Fund", "Regional Health Partners")):
            rows.append({
                **row(_Person(990001 + n, f"@0{next(self._numbers)}", "", None, name),
                      "", name, None),
                "spriden_id": f"@0{next(self._numbers)}",
                "spriden_first_name": None,
                "spriden_entity_ind": "C",
            })  # fmt: skip
        return rows

    def emails(self) -> Rows:
        rng = self.rng
        rows: Rows = []

        def row(p: _Person, code: str, address: str, status: str, pref: str) -> dict[str, Any]:
            return {
                "goremal_pidm": p.pidm,
                "goremal_emal_code": code,
                "goremal_email_address": address,
                "goremal_status_ind": status,
                "goremal_preferred_ind": pref,
                **stamp(goremal, self.at),
            }

        for p in self._everyone():
            handle = f"{p.first[0]}{p.last}{p.pidm % 10000}".lower()
            university = f"{handle}@example.edu"
            personal = f"{p.first}.{p.last}{p.pidm % 97}@mail.example.com".lower()
            roll = rng.random() if p.pidm < 900000 else 0.0
            if roll < 0.90:
                rows.append(row(p, "UNIV", university, "A", "Y"))
                if rng.random() < 0.3:
                    rows.append(row(p, "PERS", personal, "A", "N"))
            elif roll < 0.94:
                rows.append(row(p, "PERS", personal, "A", "Y"))
            elif roll < 0.97:
                rows.append(row(p, "UNIV", university, "I", "Y"))
            # else: no e-mail on file at all
        return rows

    def catalog(self) -> Rows:
        return [
            {
                "scbcrse_subj_code": c.subject,
                "scbcrse_crse_numb": c.number,
                "scbcrse_eff_term": eff,
                "scbcrse_title": title,
                "scbcrse_coll_code": c.college,
                "scbcrse_dept_code": c.dept,
                "scbcrse_credit_hr_low": c.credits,
                **stamp(scbcrse, self.at),
            }
            for c in self.courses
            for eff, title in c.titles
        ]

    def section_rows(self) -> Rows:
        rows: Rows = []
        half = self.start + (self.end - self.start) / 2
        for s in self.sections:
            start, end = {"1": (self.start, self.end), "2": (self.start, half),
                          "3": (half, self.end)}[s.part]  # fmt: skip
            rows.append({
                "ssbsect_term_code": self.term,
                "ssbsect_crn": s.crn,
                "ssbsect_ptrm_code": s.part,
                "ssbsect_subj_code": s.course.subject,
                "ssbsect_crse_numb": s.course.number,
                "ssbsect_seq_numb": s.sequence,
                "ssbsect_ssts_code": s.status,
                "ssbsect_camp_code": s.campus,
                "ssbsect_crse_title": s.title,
                "ssbsect_credit_hrs": None,
                "ssbsect_max_enrl": s.max_enrl,
                "ssbsect_enrl": s.enrolled,
                "ssbsect_seats_avail": s.max_enrl - s.enrolled,
                "ssbsect_wait_capacity": s.wait_capacity,
                "ssbsect_wait_count": s.waiting,
                "ssbsect_ptrm_start_date": start,
                "ssbsect_ptrm_end_date": end,
                "ssbsect_gradable_ind": "Y",
                **stamp(ssbsect, self.at),
            })  # fmt: skip
        return rows

    def crosslists(self) -> Rows:
        """About 3% of active sections, in groups of two or three."""
        rng = self.rng
        active = [s for s in self.sections if s.status == "A"]
        wanted = round(len(active) * 0.03)
        picked = rng.sample(active, wanted) if wanted >= 2 else []
        rows: Rows = []
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        group_no = 0
        while len(picked) >= 2:
            size = 3 if len(picked) >= 5 and rng.random() < 0.2 else 2
            members, picked = picked[:size], picked[size:]
            group = alphabet[group_no // 36 % 36] + alphabet[group_no % 36]
            group_no += 1
            for s in sorted(members, key=lambda m: m.crn):
                rows.append({
                    "ssrxlst_term_code": self.term,
                    "ssrxlst_crn": s.crn,
                    "ssrxlst_xlst_group": group,
                    **stamp(ssrxlst, self.at),
                })  # fmt: skip
        return rows

    def assignments(self) -> Rows:
        rng = self.rng
        rows: Rows = []
        for s in self.sections:
            primary = rng.choice(self.faculty)
            team: list[tuple[_Person, str, str | None, int]] = [(primary, "01", "Y", 100)]
            if rng.random() < 0.15:
                second = rng.choice(self.faculty)
                if second is not primary:
                    team = [(primary, "01", "Y", 60), (second, "02", None, 40)]
            for person, category, ind, percent in team:
                rows.append({
                    "sirasgn_term_code": self.term,
                    "sirasgn_crn": s.crn,
                    "sirasgn_pidm": person.pidm,
                    "sirasgn_category": category,
                    "sirasgn_primary_ind": ind,
                    "sirasgn_percent_response": percent,
                    **stamp(sirasgn, self.at),
                })  # fmt: skip
        return rows

    def registrations(self) -> Rows:
        rng = self.rng
        rows: Rows = []
        for student in self.students:
            for section, code, added, priority in student.sections:
                changed = added
                if code in {"DD", "DW"}:
                    changed = added + timedelta(days=rng.randint(1, 20))
                elif code == "WD":
                    changed = self.start + timedelta(days=rng.randint(20, 50))
                rows.append({
                    "sfrstcr_term_code": self.term,
                    "sfrstcr_pidm": student.person.pidm,
                    "sfrstcr_crn": section.crn,
                    "sfrstcr_rsts_code": code,
                    "sfrstcr_rsts_date": changed,
                    "sfrstcr_credit_hr": section.course.credits,
                    "sfrstcr_gmod_code": "A" if code == "AU" else "S",
                    "sfrstcr_grde_code": "W" if code == "WD" else None,
                    "sfrstcr_grde_code_mid": None,
                    "sfrstcr_grde_date": changed if code == "WD" else None,
                    "sfrstcr_add_date": added,
                    "sfrstcr_levl_code": student.level,
                    "sfrstcr_last_attend": changed if code == "WD" else None,
                    "sfrstcr_wl_priority": priority,
                    "sfrstcr_grde_code_incmp_final": None,
                    "sfrstcr_incomplete_ext_date": None,
                    **stamp(sfrstcr, datetime.combine(changed, time(9, 0))),
                })  # fmt: skip
        return rows

    def student_records(self) -> Rows:
        """One row at admission; some change later; a few are already set for next term."""
        rng = self.rng
        rows: Rows = []
        for st in self.students:
            records: list[tuple[str, str, str, str | None, str | None]] = [
                (st.admit, "T" if rng.random() < 0.1 else "N", st.major, None, None)
            ]
            if st.admit < self.term and rng.random() < 0.5:
                later = rng.choice([t for t in self.admit_terms if t > st.admit] or [self.term])
                major = rng.choice(words.MAJORS) if rng.random() < 0.3 else st.major
                standing = "AP" if rng.random() < 0.07 else "GS"
                records.append((later, "C", major, standing, shift_term(later, -1)))
            if rng.random() < 0.05:
                records.append((shift_term(self.term, 1), "C", rng.choice(words.MAJORS), "GS",
                                self.term))  # fmt: skip
            full_part = "F" if len(st.sections) >= 4 else "P"
            for eff, styp, program, astd, astd_term in records:
                rows.append({
                    "sgbstdn_pidm": st.person.pidm,
                    "sgbstdn_term_code_eff": eff,
                    "sgbstdn_stst_code": "AS",
                    "sgbstdn_levl_code": st.level,
                    "sgbstdn_styp_code": "G" if st.level == "GR" and styp == "N" else styp,
                    "sgbstdn_majr_code_1": program,
                    "sgbstdn_astd_code": astd,
                    "sgbstdn_term_code_astd": astd_term,
                    "sgbstdn_full_part_ind": full_part,
                    "sgbstdn_term_code_admit": st.admit,
                    **stamp(sgbstdn, self.at),
                })  # fmt: skip
        return rows

    def advisors(self) -> Rows:
        rng = self.rng
        rows: Rows = []

        def row(st: _Student, eff: str, advisor: _Person, prim: str | None) -> dict[str, Any]:
            return {
                "sgradvr_pidm": st.person.pidm,
                "sgradvr_term_code_eff": eff,
                "sgradvr_advr_pidm": advisor.pidm,
                "sgradvr_advr_code": "ACAD" if prim else "MAJR",
                "sgradvr_prim_ind": prim,
                **stamp(sgradvr, self.at),
            }

        for st in self.students:
            first = rng.choice(self.faculty)
            rows.append(row(st, st.admit, first, "Y"))
            if st.admit < self.term and rng.random() < 0.15:
                later = rng.choice([t for t in self.admit_terms if t > st.admit] or [self.term])
                second = rng.choice([f for f in self.faculty if f is not first])
                rows.append(row(st, later, second, "Y"))
                if rng.random() < 0.3:
                    rows.append(row(st, later, first, None))
        return rows

    def holds(self) -> Rows:
        rng = self.rng
        codes = [code for code, *_ in HOLD_TYPES]
        rows: Rows = []
        for st in self.students:
            if rng.random() >= 0.12:
                continue
            for _ in range(rng.randint(1, 2)):
                code = rng.choice(codes)
                placed = self.start - timedelta(days=rng.randint(1, 120))
                roll = rng.random()
                if roll < 0.55:  # in force
                    ends = OPEN_ENDED if rng.random() < 0.7 else self.end + timedelta(days=30)
                elif roll < 0.75:  # expired before the term
                    ends = self.start - timedelta(days=rng.randint(1, 20))
                    placed = ends - timedelta(days=rng.randint(10, 90))
                elif roll < 0.90:  # released: TO date moved back to the release day
                    ends = placed + timedelta(days=rng.randint(0, 10))
                else:  # placed for later in the term
                    placed = self.start + timedelta(days=rng.randint(20, 60))
                    ends = OPEN_ENDED
                rows.append({
                    "sprhold_pidm": st.person.pidm,
                    "sprhold_hldd_code": code,
                    "sprhold_user": "ARSYS" if code == "AR" else "REGISTRAR",
                    "sprhold_from_date": placed,
                    "sprhold_to_date": ends,
                    "sprhold_release_ind": "Y" if rng.random() < 0.1 else "N",
                    "sprhold_reason": "Balance due" if code == "AR" else None,
                    "sprhold_amount_owed": round(rng.uniform(50, 2500), 2) if code == "AR"
                    else None,
                    "sprhold_orig_code": "BURS" if code == "AR" else "REGS",
                    **stamp(sprhold, datetime.combine(placed, time(10, 0))),
                })  # fmt: skip
        return rows

    def history(self) -> tuple[Rows, Rows, Rows, Rows]:
        """SHRTCKN/SHRTCKG course history of earlier terms, with SHRTGPA/SHRLGPA from it."""
        rng = self.rng
        flags = {(lvl, code): (pts, att, passed, gpa)
                 for lvl, code, _, pts, att, _c, passed, gpa, *_ in GRADES}  # fmt: skip
        by_level = {lvl: [c for c in self.courses if c.level == lvl] or self.courses
                    for lvl in ("UG", "GR")}  # fmt: skip
        courses_rows: Rows = []
        grade_rows: Rows = []
        term_gpa: Rows = []
        overall: Rows = []
        for st in self.students:
            terms = [t for t in self.history_terms if t >= st.admit]
            if not terms:
                continue
            mix = UG_GRADES if st.level == "UG" else GR_GRADES
            grade_codes, grade_weights = list(mix), list(mix.values())
            totals = [0.0, 0.0, 0.0, 0.0]
            for term in terms:
                sums = [0.0, 0.0, 0.0, 0.0]
                taken = rng.sample(
                    by_level[st.level], min(rng.randint(3, 5), len(by_level[st.level]))
                )
                graded = datetime.combine(term_dates(term)[1] + timedelta(days=4), time(17, 0))
                for seq, course in enumerate(taken, start=1):
                    final = rng.choices(grade_codes, weights=grade_weights)[0]
                    courses_rows.append({
                        "shrtckn_pidm": st.person.pidm,
                        "shrtckn_term_code": term,
                        "shrtckn_seq_no": seq,
                        "shrtckn_crn": str(rng.randint(20000, 99999)),
                        "shrtckn_subj_code": course.subject,
                        "shrtckn_crse_numb": course.number,
                        "shrtckn_crse_title": course.title_in(term),
                        **stamp(shrtckn, graded),
                    })  # fmt: skip
                    changes: list[tuple[str, str | None, date | None]] = [(final, None, None)]
                    if final == "I":
                        changed = graded.date() + timedelta(days=rng.randint(30, 90))
                        changes.append((rng.choice(("A", "B", "C")), "IC", changed))
                    for gseq, (code, gchg, when) in enumerate(changes, start=1):
                        grade_rows.append({
                            "shrtckg_pidm": st.person.pidm,
                            "shrtckg_term_code": term,
                            "shrtckg_tckn_seq_no": seq,
                            "shrtckg_seq_no": gseq,
                            "shrtckg_grde_code_final": code,
                            "shrtckg_credit_hours": course.credits,
                            "shrtckg_gchg_code": gchg,
                            "shrtckg_final_grde_chg_date": when,
                            **stamp(shrtckg, graded),
                        })  # fmt: skip
                    points, attempted, passed, in_gpa = flags[(st.level, changes[-1][0])]
                    hours = course.credits
                    sums[0] += hours if attempted == "Y" else 0.0
                    sums[1] += hours if passed == "Y" else 0.0
                    sums[2] += hours if in_gpa == "Y" else 0.0
                    sums[3] += points * hours if in_gpa == "Y" else 0.0
                term_gpa.append(self._gpa_row(shrtgpa, st, sums, graded, term=term))
                totals = [a + b for a, b in zip(totals, sums, strict=True)]
            overall.append(self._gpa_row(shrlgpa, st, totals, self.at, gpa_type="O"))
        return courses_rows, grade_rows, term_gpa, overall

    def _gpa_row(
        self, table: Table, st: _Student, sums: Sequence[float], at: datetime,
        term: str | None = None, gpa_type: str = "I",
    ) -> dict[str, Any]:  # fmt: skip
        n = table.name
        row: dict[str, Any] = {
            f"{n}_pidm": st.person.pidm,
            f"{n}_levl_code": st.level,
            f"{n}_gpa_type_ind": gpa_type,
            f"{n}_hours_attempted": sums[0],
            f"{n}_hours_earned": sums[1],
            f"{n}_gpa_hours": sums[2],
            f"{n}_quality_points": round(sums[3], 6),
            f"{n}_gpa": round(sums[3] / sums[2], 9) if sums[2] else 0.0,
            **stamp(table, at),
        }
        if term is not None:
            row[f"{n}_term_code"] = term
        return row

    def aid(self) -> tuple[Rows, Rows]:
        rng = self.rng
        year = aid_year(self.term)
        statuses: Rows = []
        awards: Rows = []
        for st in self.students:
            if rng.random() >= 0.6:
                continue
            complete = rng.random() < 0.8
            packaged = complete and rng.random() < 0.85
            statuses.append({
                "rorstat_pidm": st.person.pidm,
                "rorstat_aidy_code": year,
                "rorstat_pgrp_code": "UGFULL" if st.level == "UG" else "GRAD",
                "rorstat_bgrp_code": "ONCAMP" if rng.random() < 0.5 else "OFFCAMP",
                "rorstat_tgrp_code": "DONE" if complete else "MISSING",
                "rorstat_all_req_comp_date": self.start - timedelta(days=90) if complete else None,
                "rorstat_pckg_comp_date": self.start - timedelta(days=60) if packaged else None,
                **stamp(rorstat, self.at),
            })  # fmt: skip
            if not packaged:
                continue
            for fund in sorted(rng.sample(words.AID_FUNDS, rng.randint(1, 4))):
                offered = float(rng.randrange(500, 7500, 50))
                status = rng.choices(("ACPT", "OFRD", "DECL", "CANC"), (70, 15, 10, 5))[0]
                accepted = offered if status == "ACPT" else 0.0
                awards.append({
                    "rprawrd_pidm": st.person.pidm,
                    "rprawrd_aidy_code": year,
                    "rprawrd_fund_code": fund,
                    "rprawrd_awst_code": status,
                    "rprawrd_offer_amt": offered,
                    "rprawrd_accept_amt": accepted,
                    "rprawrd_paid_amt": round(accepted / 2, 2),
                    **stamp(rprawrd, self.at),
                })  # fmt: skip
        return statuses, awards

    def comments(self) -> Rows:
        rng = self.rng
        rows: Rows = []
        for st in self.students:
            if rng.random() >= 0.05:
                continue
            rows.append({
                "szrcmnt_pidm": st.person.pidm,
                "szrcmnt_term_code": self.term,
                "szrcmnt_advr_pidm": rng.choice(self.faculty).pidm,
                "szrcmnt_text": rng.choice(words.COMMENTS),
                "szrcmnt_confid_ind": "N",
                **stamp(szrcmnt, self.at, origin="BCA"),
            })  # fmt: skip
        return rows


def generate(plan: SeedPlan) -> Iterator[tuple[Table, Rows]]:
    """Every generated table with its rows, in an order that satisfies dependencies."""
    gen = _Generator(plan)
    yield stvterm, gen.terms()
    yield spriden, gen.persons()
    yield goremal, gen.emails()
    yield scbcrse, gen.catalog()
    yield ssbsect, gen.section_rows()
    yield ssrxlst, gen.crosslists()
    yield sirasgn, gen.assignments()
    yield sfrstcr, gen.registrations()
    yield sgbstdn, gen.student_records()
    yield sgradvr, gen.advisors()
    yield sprhold, gen.holds()
    courses, grades, term_gpa, overall = gen.history()
    yield shrtckn, courses
    yield shrtckg, grades
    yield shrtgpa, term_gpa
    yield shrlgpa, overall
    statuses, awards = gen.aid()
    yield rorstat, statuses
    yield rprawrd, awards
    yield szrcmnt, gen.comments()
