"""Student records that change over time: SGBSTDN, SGRADVR advisors and SZRCMNT comments.

These are the effective-dated tables: a row at admission, sometimes a later one that replaces
it, and now and then one effective next term that must not apply yet. Advisor comments sit
here with the advisors who write them.
"""

from __future__ import annotations

from typing import Any

from sandbox.banner import vocabulary as words
from sandbox.banner.terms import shift_term
from sandbox.banner.validation import stamp
from sandbox.banner.world import Person, Rows, Student, World
from tools.banner.schema import sgbstdn, sgradvr, szrcmnt


def _later_term(world: World, st: Student) -> str:
    """A term after the student's admission in which a record changed."""
    return world.rng.choice([t for t in world.admit_terms if t > st.admit] or [world.term])


def student_records(world: World) -> Rows:
    """SGBSTDN: one row at admission; some change later; a few are already set for next term."""
    rng = world.rng
    rows: Rows = []
    for st in world.students:
        records: list[tuple[str, str, str, str | None, str | None]] = [
            (st.admit, "T" if rng.random() < 0.1 else "N", st.major, None, None)
        ]
        if st.admit < world.term and rng.random() < 0.5:
            later = _later_term(world, st)
            major = rng.choice(words.MAJORS) if rng.random() < 0.3 else st.major
            standing = "AP" if rng.random() < 0.07 else "GS"
            records.append((later, "C", major, standing, shift_term(later, -1)))
        if rng.random() < 0.05:
            records.append((shift_term(world.term, 1), "C", rng.choice(words.MAJORS), "GS",
                            world.term))  # fmt: skip
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
                **stamp(sgbstdn, world.at),
            })  # fmt: skip
    return rows


def advisors(world: World) -> Rows:
    """SGRADVR: a primary advisor from admission; some change, keeping the old as secondary."""
    rng = world.rng
    rows: Rows = []

    def row(st: Student, eff: str, advisor: Person, prim: str | None) -> dict[str, Any]:
        return {
            "sgradvr_pidm": st.person.pidm,
            "sgradvr_term_code_eff": eff,
            "sgradvr_advr_pidm": advisor.pidm,
            "sgradvr_advr_code": "ACAD" if prim else "MAJR",
            "sgradvr_prim_ind": prim,
            **stamp(sgradvr, world.at),
        }

    for st in world.students:
        first = rng.choice(world.faculty)
        rows.append(row(st, st.admit, first, "Y"))
        if st.admit < world.term and rng.random() < 0.15:
            later = _later_term(world, st)
            second = rng.choice([f for f in world.faculty if f is not first])
            rows.append(row(st, later, second, "Y"))
            if rng.random() < 0.3:
                rows.append(row(st, later, first, None))
    return rows


def comments(world: World) -> Rows:
    """SZRCMNT: an advisor's comment this term on about one student in twenty."""
    rng = world.rng
    rows: Rows = []
    for st in world.students:
        if rng.random() >= 0.05:
            continue
        rows.append({
            "szrcmnt_pidm": st.person.pidm,
            "szrcmnt_term_code": world.term,
            "szrcmnt_advr_pidm": rng.choice(world.faculty).pidm,
            "szrcmnt_text": rng.choice(words.COMMENTS),
            "szrcmnt_confid_ind": "N",
            **stamp(szrcmnt, world.at, origin="BCA"),
        })  # fmt: skip
    return rows
