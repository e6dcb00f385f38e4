"""Holds: the SPRHOLD rows, in force, expired, released or placed for later in the term.

Only about one student in eight has any; the mix is there so the registration rules must tell
a hold that blocks now from one that has lapsed, was released or has not started.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sandbox.banner.validation import HOLD_TYPES, stamp
from sandbox.banner.world import Rows, World
from tools.banner.queries import OPEN_ENDED
from tools.banner.schema import sprhold


def holds(world: World) -> Rows:
    """SPRHOLD: one or two holds for about 12% of students, AR holds with an amount owed."""
    rng = world.rng
    codes = [code for code, *_ in HOLD_TYPES]
    rows: Rows = []
    for st in world.students:
        if rng.random() >= 0.12:
            continue
        for _ in range(rng.randint(1, 2)):
            code = rng.choice(codes)
            placed = world.start - timedelta(days=rng.randint(1, 120))
            roll = rng.random()
            if roll < 0.55:  # in force
                ends = OPEN_ENDED if rng.random() < 0.7 else world.end + timedelta(days=30)
            elif roll < 0.75:  # expired before the term
                ends = world.start - timedelta(days=rng.randint(1, 20))
                placed = ends - timedelta(days=rng.randint(10, 90))
            elif roll < 0.90:  # released: TO date moved back to the release day
                ends = placed + timedelta(days=rng.randint(0, 10))
            else:  # placed for later in the term
                placed = world.start + timedelta(days=rng.randint(20, 60))
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
