"""Financial aid for the current aid year: RORSTAT status and RPRAWRD awards.

Separate from the academic tables because it is keyed by aid year, not term: most students
have a status, some with requirements missing, and the packaged ones have one to four awards.
"""

from __future__ import annotations

from datetime import timedelta

from sandbox.banner.terms import aid_year
from sandbox.banner.validation import AID_FUNDS, stamp
from sandbox.banner.world import Rows, World
from tools.banner.schema import rorstat, rprawrd


def aid(world: World) -> tuple[Rows, Rows]:
    """RORSTAT for about 60% of students, and RPRAWRD awards for those packaged."""
    rng = world.rng
    year = aid_year(world.term)
    funds = [code for code, *_ in AID_FUNDS]
    statuses: Rows = []
    awards: Rows = []
    for st in world.students:
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
            "rorstat_all_req_comp_date": world.start - timedelta(days=90) if complete else None,
            "rorstat_pckg_comp_date": world.start - timedelta(days=60) if packaged else None,
            **stamp(rorstat, world.at),
        })  # fmt: skip
        if not packaged:
            continue
        for fund in sorted(rng.sample(funds, rng.randint(1, 4))):
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
                **stamp(rprawrd, world.at),
            })  # fmt: skip
    return statuses, awards
