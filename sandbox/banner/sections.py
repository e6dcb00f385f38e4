"""The current term's sections: their SSBSECT rows, cross-list groups and instructor assignments.

A section is drawn once, before registration fills its seats; the tables here then describe
it: SSBSECT with the counts registration left behind (cancelled and inactive ones included),
SSRXLST cross-lists, and SIRASGN where a team-taught section's secondary instructor has a NULL
primary indicator.
"""

from __future__ import annotations

from sandbox.banner.plan import FIRST_CRN
from sandbox.banner.validation import stamp
from sandbox.banner.world import Person, Rows, Section, World
from tools.banner.schema import sirasgn, ssbsect, ssrxlst

CROSSLIST_GROUPS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def draw_sections(world: World) -> list[Section]:
    """The plan's sections: every course once, then courses at random; a few not active."""
    rng = world.rng
    sequence: dict[tuple[str, str], int] = {}
    sections: list[Section] = []
    for i in range(world.plan.sections):
        course = world.courses[i] if i < len(world.courses) else rng.choice(world.courses)
        key = (course.subject, course.number)
        sequence[key] = sequence.get(key, 0) + 1
        roll = rng.random()
        status = "C" if roll < 0.03 else "I" if roll < 0.04 else "A"
        own_title = rng.random() < 0.3
        sections.append(
            Section(
                crn=str(FIRST_CRN + i),
                course=course,
                sequence=f"{sequence[key]:03d}",
                status=status,
                title=f"{course.title_in(world.term)[:22]} Sec {sequence[key]}"
                if own_title
                else None,
                campus="O" if rng.random() < 0.15 else "M",
                part=rng.choice(("1", "1", "1", "1", "2", "3")),
                wait_capacity=0 if rng.random() < 0.3 else rng.randint(5, 25),
                weight=rng.uniform(0.3, 3.0),
            )
        )
    return sections


def section_rows(world: World) -> Rows:
    """SSBSECT, with part-of-term dates and the seat and wait-list counts."""
    rows: Rows = []
    half = world.start + (world.end - world.start) / 2
    for s in world.sections:
        start, end = {"1": (world.start, world.end), "2": (world.start, half),
                      "3": (half, world.end)}[s.part]  # fmt: skip
        rows.append({
            "ssbsect_term_code": world.term,
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
            **stamp(ssbsect, world.at),
        })  # fmt: skip
    return rows


def crosslists(world: World) -> Rows:
    """SSRXLST: about 3% of active sections, in groups of two or three."""
    rng = world.rng
    active = [s for s in world.sections if s.status == "A"]
    wanted = round(len(active) * 0.03)
    picked = rng.sample(active, wanted) if wanted >= 2 else []
    rows: Rows = []
    group_no = 0
    while len(picked) >= 2:
        size = 3 if len(picked) >= 5 and rng.random() < 0.2 else 2
        members, picked = picked[:size], picked[size:]
        group = CROSSLIST_GROUPS[group_no // 36 % 36] + CROSSLIST_GROUPS[group_no % 36]
        group_no += 1
        for s in sorted(members, key=lambda m: m.crn):
            rows.append({
                "ssrxlst_term_code": world.term,
                "ssrxlst_crn": s.crn,
                "ssrxlst_xlst_group": group,
                **stamp(ssrxlst, world.at),
            })  # fmt: skip
    return rows


def assignments(world: World) -> Rows:
    """SIRASGN: a primary instructor per section; some are team-taught 60/40."""
    rng = world.rng
    rows: Rows = []
    for s in world.sections:
        primary = rng.choice(world.faculty)
        team: list[tuple[Person, str, str | None, int]] = [(primary, "01", "Y", 100)]
        if rng.random() < 0.15:
            second = rng.choice(world.faculty)
            if second is not primary:
                team = [(primary, "01", "Y", 60), (second, "02", None, 40)]
        for person, category, ind, percent in team:
            rows.append({
                "sirasgn_term_code": world.term,
                "sirasgn_crn": s.crn,
                "sirasgn_pidm": person.pidm,
                "sirasgn_category": category,
                "sirasgn_primary_ind": ind,
                "sirasgn_percent_response": percent,
                **stamp(sirasgn, world.at),
            })  # fmt: skip
    return rows
