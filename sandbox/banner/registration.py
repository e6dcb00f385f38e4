"""Registration: seat capacities, students choosing sections, wait-lists, and the SFRSTCR rows.

Capacities are set from the demand each section's weight attracts, so some sections fill and
wait-list students while the wait-list has room. Choosing happens while the world is built,
before any table is written, because SSBSECT's counts come from it; SFRSTCR then dates each
registration and the drops and withdrawals.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from itertools import accumulate

from sandbox.banner.validation import REGISTRATION_STATUSES, stamp
from sandbox.banner.world import Registration, Rows, World
from tools.banner.schema import sfrstcr

ENROLLING = frozenset(code for code, _, incl, *_ in REGISTRATION_STATUSES if incl == "Y")


def register(world: World) -> None:
    """Students pick 3-6 sections; full ones wait-list them while the wait-list has room."""
    rng = world.rng
    open_sections = [s for s in world.sections if s.status == "A"] or world.sections
    pools = {
        level: [s for s in open_sections if s.course.level == level] or open_sections
        for level in ("UG", "GR")
    }
    share = {lvl: sum(1 for s in world.students if s.level == lvl) for lvl in ("UG", "GR")}
    cumulative = {}
    for level, pool in pools.items():
        total = sum(s.weight for s in pool)
        demand = share[level] * 4.5
        for s in pool:
            expected = demand * s.weight / total
            s.max_enrl = max(8, min(250, round(expected * rng.uniform(0.85, 1.3))))
        cumulative[level] = list(accumulate(s.weight for s in pool))
    for student in world.students:
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
            added = world.start - timedelta(days=rng.randint(5, 60))
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
            student.sections.append(Registration(section, code, added, priority))


def registrations(world: World) -> Rows:
    """SFRSTCR: every registration, dated; drops and withdrawals after they were added."""
    rng = world.rng
    rows: Rows = []
    for student in world.students:
        for section, code, added, priority in student.sections:
            changed = added
            if code in {"DD", "DW"}:
                changed = added + timedelta(days=rng.randint(1, 20))
            elif code == "WD":
                changed = world.start + timedelta(days=rng.randint(20, 50))
            rows.append({
                "sfrstcr_term_code": world.term,
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
