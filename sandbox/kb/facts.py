"""What the sandbox's help pages state, read from its Banner: term dates, holds, aid codes, grades.

The pages must agree with the data the chatbot's personal tools read, so every date and code
comes from Banner (STVTERM, SSBSECT, STVHLDD, RPRAWRD, SHRGRDE) and the census rule from the
same settings the enrollment rule uses (a configured census date, else the offset after the
term's first class). The offices that clear each hold are the sandbox institution's own
invention: Banner records which office placed a hold, not who to see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, func, inspect, select

from core.errors import NotFoundError
from tools.banner import reads
from tools.banner.schema import rprawrd, shrgrde, ssbsect, stvhldd, stvterm

ADD_DAYS = 7
WITHDRAW_DAYS_BEFORE_END = 21


@dataclass(frozen=True)
class HoldType:
    """One STVHLDD row: what the hold blocks."""

    code: str
    description: str
    registration: bool
    transcript: bool
    graduation: bool
    grades: bool
    receivable: bool
    on_web: bool

    def blocks(self) -> list[str]:
        """The processes the hold stops, in words."""
        names = (
            (self.registration, "registration (adding or dropping classes)"),
            (self.transcript, "official transcripts and enrollment verifications"),
            (self.graduation, "graduation and receiving your diploma"),
            (self.grades, "seeing your final grades"),
            (
                self.receivable,
                "charges on your student account (it is an accounts receivable hold)",
            ),
        )
        return [name for flag, name in names if flag]


@dataclass(frozen=True)
class Facts:
    """The figures the corpus quotes."""

    term: str
    term_name: str
    start: date
    end: date
    census: date
    next_term_name: str
    holds: tuple[HoldType, ...]
    award_statuses: tuple[str, ...]
    funds: tuple[str, ...]
    grades: tuple[tuple[str, float, bool], ...]  # undergraduate code, quality points, in GPA

    @property
    def last_add(self) -> date:
        """Last day to add a class: the first week of the term."""
        return self.start + timedelta(days=ADD_DAYS)

    @property
    def last_withdraw(self) -> date:
        """Last day to withdraw with a W: three weeks before the last day of classes."""
        return self.end - timedelta(days=WITHDRAW_DAYS_BEFORE_END)


def _yes(value: object) -> bool:
    return str(value or "").upper() == "Y"


def read_facts(
    engine: Engine, *, census_dates: Mapping[str, date] | None = None, census_offset_days: int = 14
) -> Facts:
    """The facts of the latest term with sections.

    Raises:
        NotFoundError: Banner has no sections yet (the sandbox was not seeded).
    """
    g = shrgrde.c
    with engine.connect() as conn:
        seeded = inspect(conn).has_table(ssbsect.name)
        term = (
            conn.execute(select(func.max(ssbsect.c.ssbsect_term_code))).scalar_one_or_none()
            if seeded
            else None
        )
        if term is None:
            raise NotFoundError("Banner has no term with sections: run `bca banner seed` first")
        terms = conn.execute(
            select(stvterm.c.stvterm_code, stvterm.c.stvterm_desc, stvterm.c.stvterm_start_date,
                   stvterm.c.stvterm_end_date).order_by(stvterm.c.stvterm_code)
        ).all()  # fmt: skip
        holds = conn.execute(select(stvhldd).order_by(stvhldd.c.stvhldd_code)).mappings().all()
        statuses = conn.execute(
            select(rprawrd.c.rprawrd_awst_code).distinct().order_by(rprawrd.c.rprawrd_awst_code)
        ).scalars()
        funds = conn.execute(
            select(rprawrd.c.rprawrd_fund_code).distinct().order_by(rprawrd.c.rprawrd_fund_code)
        ).scalars()
        grade_rows = conn.execute(
            select(g.shrgrde_code, g.shrgrde_quality_points, g.shrgrde_gpa_ind)
            .where(g.shrgrde_levl_code == "UG", g.shrgrde_term_code_expired.is_(None))
            .order_by(g.shrgrde_quality_points.desc(), g.shrgrde_code)
        ).all()  # fmt: skip
    by_code = {row[0]: row for row in terms}
    _, name, start, end = by_code[term]
    later = [row for row in terms if row[0] > term]
    first_class = reads.term_first_class(engine, term) or start
    census = (census_dates or {}).get(term) or first_class + timedelta(days=census_offset_days)
    grades = {code: (code, float(points), _yes(gpa)) for code, points, gpa in grade_rows}
    return Facts(
        term=term,
        term_name=name,
        start=start,
        end=end,
        census=census,
        next_term_name=later[0][1] if later else "the next term",
        holds=tuple(
            HoldType(
                code=h["stvhldd_code"],
                description=h["stvhldd_desc"],
                registration=_yes(h["stvhldd_reg_hold_ind"]),
                transcript=_yes(h["stvhldd_trans_hold_ind"]),
                graduation=_yes(h["stvhldd_grad_hold_ind"]),
                grades=_yes(h["stvhldd_grade_hold_ind"]),
                receivable=_yes(h["stvhldd_ar_hold_ind"]),
                on_web=_yes(h["stvhldd_disp_web_ind"]),
            )
            for h in holds
        ),
        award_statuses=tuple(statuses),
        funds=tuple(funds),
        grades=tuple(grades.values()),
    )
