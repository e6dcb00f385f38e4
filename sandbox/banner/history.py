"""Academic history: earlier terms' courses and grades (SHRTCKN, SHRTCKG) and the GPAs from them.

The grades are drawn per level from a realistic mix, incompletes are later changed to a letter
grade (a second SHRTCKG row), and SHRTGPA/SHRLGPA are summed from the final grades with the
flags of the SHRGRDE seed, so the stored GPAs agree with the history they summarise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table

from sandbox.banner.terms import regular_terms_before, term_dates
from sandbox.banner.validation import GRADES, stamp
from sandbox.banner.world import Rows, World
from tools.banner.schema import shrlgpa, shrtckg, shrtckn, shrtgpa

HISTORY_TERMS = 2

UG_GRADES = {
    "A": 18, "A-": 10, "B+": 10, "B": 14, "B-": 8, "C+": 7, "C": 8, "C-": 4,
    "D+": 2, "D": 3, "F": 4, "W": 5, "I": 1, "P": 2,
}  # fmt: skip
GR_GRADES = {"A": 30, "A-": 18, "B+": 15, "B": 15, "B-": 6, "C": 4, "F": 2, "W": 4, "I": 2, "S": 4}


def history(world: World) -> tuple[Rows, Rows, Rows, Rows]:
    """SHRTCKN/SHRTCKG course history of earlier terms, with SHRTGPA/SHRLGPA from it."""
    rng = world.rng
    flags = {(lvl, code): (pts, att, passed, gpa)
             for lvl, code, _, pts, att, _c, passed, gpa, *_ in GRADES}  # fmt: skip
    by_level = {lvl: [c for c in world.courses if c.level == lvl] or world.courses
                for lvl in ("UG", "GR")}  # fmt: skip
    history_terms = regular_terms_before(world.term, HISTORY_TERMS)
    courses_rows: Rows = []
    grade_rows: Rows = []
    term_gpa: Rows = []
    overall: Rows = []
    for st in world.students:
        terms = [t for t in history_terms if t >= st.admit]
        if not terms:
            continue
        mix = UG_GRADES if st.level == "UG" else GR_GRADES
        grade_codes, grade_weights = list(mix), list(mix.values())
        totals = [0.0, 0.0, 0.0, 0.0]
        for term in terms:
            sums = [0.0, 0.0, 0.0, 0.0]
            taken = rng.sample(by_level[st.level], min(rng.randint(3, 5), len(by_level[st.level])))
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
                count_hours(sums, flags[(st.level, changes[-1][0])], course.credits)
            term_gpa.append(gpa_row(shrtgpa, st.person.pidm, st.level, sums, graded, term=term))
            totals = [a + b for a, b in zip(totals, sums, strict=True)]
        overall.append(gpa_row(shrlgpa, st.person.pidm, st.level, totals, world.at, gpa_type="O"))
    return courses_rows, grade_rows, term_gpa, overall


def count_hours(sums: list[float], flags: tuple[float, str, str, str], hours: float) -> None:
    """Add one final grade's hours to ``sums`` by its SHRGRDE flags.

    ``sums`` holds hours attempted, earned, in the GPA and quality points; ``flags`` holds the
    grade's points and its attempted, passed and in-GPA indicators.
    """
    points, attempted, passed, in_gpa = flags
    sums[0] += hours if attempted == "Y" else 0.0
    sums[1] += hours if passed == "Y" else 0.0
    sums[2] += hours if in_gpa == "Y" else 0.0
    sums[3] += points * hours if in_gpa == "Y" else 0.0


def gpa_row(
    table: Table, pidm: int, level: str, sums: Sequence[float], at: datetime,
    term: str | None = None, gpa_type: str = "I",
) -> dict[str, Any]:  # fmt: skip
    """A SHRTGPA (with ``term``) or SHRLGPA row summing ``sums``."""
    n = table.name
    row: dict[str, Any] = {
        f"{n}_pidm": pidm,
        f"{n}_levl_code": level,
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
