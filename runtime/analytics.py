"""Program review: de-identified course-outcome tables from Banner, suppressed, stored, exported.

``bca analytics build TERM`` counts, over the latest terms of academic history up to TERM, the
DFW (D, F, withdrawal) outcomes of every course by term, by demographic group (sex,
ethnicity, Pell, full or part time) and by the grade earned in the course's prerequisite
(SCRRTST), plus each course's grade distribution. Counting happens in SQL
(:mod:`tools.banner.queries.outcomes`); every table passes through
:func:`policies.disclosure.suppress` before it is returned, stored or written, so nothing that
leaves this module is a student or a cell small enough to point at one.

The tables go to ``ir_course_outcomes`` in the app database, one row per published or hidden
entry, shaped like the extracts Banner-side reporting (Argos, Cognos) loads, and to CSV files.
Findings are stated from published cells only, each naming the table and cells it rests on.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from statistics import NormalDist
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)

from agents.drafting.drafter import Drafter
from agents.drafting.narrative import NARRATIVE_PROMPT, Finding, narrative_variables
from core.clock import utcnow
from core.errors import BcaError
from policies.disclosure import CountTable, PublishedTable, suppress
from tools.banner.queries import (
    DIMENSIONS,
    course_departments,
    course_outcomes,
    grade_distribution,
    history_terms,
    prerequisite_outcomes,
)

Kind = Literal["dfw_by_term", "equity", "prerequisite", "grades"]
OUTCOMES = ["DFW", "completed"]
BANDS = ["AB", "C", "DFW", "none"]
BAND_LABELS = {"AB": "A or B", "C": "C", "DFW": "D, F or W", "none": "not taken"}
GAP = 0.10
"""A difference in DFW rate worth stating (ten points), if it is not chance:"""
FAMILY_ERROR = 0.05
"""the chance that any stated gap of a build is luck (Bonferroni over its tables)."""

metadata = MetaData()
ir_course_outcomes = Table(
    "ir_course_outcomes",
    metadata,
    Column("table_id", String(80), primary_key=True),
    Column("row_label", String(60), primary_key=True),
    Column("column_label", String(20), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("course", String(10), nullable=False),
    Column("dimension", String(20)),
    Column("first_term", String(6), nullable=False),
    Column("last_term", String(6), nullable=False),
    Column("count", Integer),
    Column("suppressed", Boolean, nullable=False),
    Column("min_cell", Integer, nullable=False),
    Column("built_at", DateTime(timezone=True), nullable=False),
)
"""One row per entry of every table, totals included (row or column label ``total``); a
hidden entry has ``count`` NULL and ``suppressed`` true. Rebuilt whole by each build."""

ir_reports = Table(
    "ir_reports",
    metadata,
    Column("report", String(20), primary_key=True),
    Column("built_at", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
)
"""The latest build as JSON (already suppressed), which the analytics page shows."""


class NoHistory(BcaError):
    """Banner holds no academic history in the terms asked for (exit 1: the data is missing)."""

    exit_code = 1


class AnalyticsTable(BaseModel):
    """One published table and what it is about."""

    id: str
    kind: Kind
    course: str
    department: str | None = Field(None, description="The course's SCBCRSE department.")
    dimension: str | None = None
    table: PublishedTable


class Narrative(BaseModel):
    """The findings in prose, the model's or the prompt's template.

    A model's sentences are checked against the findings they cite.
    """

    text: str
    prompt_ref: str
    model: str | None
    fallback: str | None = None


class AnalyticsBuild(BaseModel):
    """Everything one build publishes."""

    terms: list[str]
    min_cell: int
    built_at: datetime
    tables: list[AnalyticsTable]
    findings: list[Finding]
    narrative: Narrative | None = None

    @property
    def hidden(self) -> int:
        """Entries hidden across all tables."""
        return sum(t.table.hidden for t in self.tables)


def _course(subj: str, numb: str) -> str:
    return f"{subj} {numb}"


def _table(title: str, rows: list[str], columns: list[str], cells: dict[tuple[str, str], int],
           min_cell: int) -> PublishedTable:  # fmt: skip
    counts = [[cells.get((r, c), 0) for c in columns] for r in rows]
    return suppress(CountTable(title=title, rows=rows, columns=columns, counts=counts), min_cell)


def build(banner: Engine, up_to: str, *, terms: int = 6, min_cell: int = 10) -> AnalyticsBuild:
    """Count, suppress and state findings over the latest ``terms`` terms of history."""
    with banner.connect() as conn:
        window: list[str] = sorted(conn.execute(history_terms(up_to, terms)).scalars())
        if not window:
            raise NoHistory(
                f"no academic history up to term {up_to}: seed Banner with former students"
                " (bca banner seed --former-students N) or choose a later term"
            )
        # rows of counts: (course, term, group, outcome, n) and the like, untyped from SQL
        by_dimension: dict[str, list[Any]] = {
            d: list(conn.execute(course_outcomes(window, d))) for d in DIMENSIONS
        }
        grades: list[Any] = list(conn.execute(grade_distribution(window)))
        pairs: list[Any] = list(conn.execute(prerequisite_outcomes(window)))
        catalog: list[Any] = list(conn.execute(course_departments()))
    departments = {_course(subj, numb): dept for subj, numb, dept in catalog}
    span = f"{window[0]}-{window[-1]}"
    tables: list[AnalyticsTable] = []

    def add(
        id_: str, kind: Kind, course: str, table: PublishedTable, about: str | None = None
    ) -> None:
        department = departments.get(course)
        tables.append(AnalyticsTable(id=id_, kind=kind, course=course, table=table,
                                     department=department, dimension=about))  # fmt: skip

    per_course: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for subj, numb, term, _grp, outcome, n in by_dimension["all"]:
        per_course[_course(subj, numb)][term, outcome] = n
    for course, cells in sorted(per_course.items()):
        title = f"{course}: DFW by term, {span}"
        add(
            f"dfw:{course}", "dfw_by_term", course, _table(title, window, OUTCOMES, cells, min_cell)
        )
    for dimension in DIMENSIONS[1:]:
        grouped: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
        for subj, numb, _term, grp, outcome, n in by_dimension[dimension]:
            grouped[_course(subj, numb)][grp, outcome] += n
        for course, cells in sorted(grouped.items()):
            rows = sorted({g for g, _ in cells})
            title = f"{course}: DFW by {dimension}, {span}"
            table = _table(title, rows, OUTCOMES, cells, min_cell)
            add(f"equity:{course}:{dimension}", "equity", course, table, dimension)
    by_pair: dict[tuple[str, str], dict[tuple[str, str], int]] = defaultdict(dict)
    for subj, numb, psubj, pnumb, band, outcome, n in pairs:
        if band in BANDS:
            by_pair[_course(subj, numb), _course(psubj, pnumb)][BAND_LABELS[band], outcome] = n
    for (course, prerequisite), cells in sorted(by_pair.items()):
        rows = [BAND_LABELS[b] for b in BANDS]
        title = f"{course}: DFW by grade in its prerequisite {prerequisite}, {span}"
        table = _table(title, rows, OUTCOMES, cells, min_cell)
        add(f"prerequisite:{course}:{prerequisite}", "prerequisite", course, table, prerequisite)
    distribution: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for subj, numb, grade, n in grades:
        distribution[_course(subj, numb)]["all", grade] = n
    for course, cells in sorted(distribution.items()):
        columns = sorted({g for _, g in cells}, key=_grade_order)
        title = f"{course}: final grades, {span}"
        add(f"grades:{course}", "grades", course, _table(title, ["all"], columns, cells, min_cell))
    return AnalyticsBuild(
        terms=window, min_cell=min_cell, built_at=utcnow(), tables=tables,
        findings=findings(tables),
    )  # fmt: skip


def findings(tables: Iterable[AnalyticsTable]) -> list[Finding]:
    """Gaps worth stating between rows of a table, the largest first.

    Equity and prerequisite tables only, published cells only. A gap is stated when it is at
    least :data:`GAP` and unlikely to be chance across the whole build: its two-proportion z
    must pass the Bonferroni bound for :data:`FAMILY_ERROR` over every table compared (a
    build compares thousands, and one in a hundred differs at p < 0.01 by luck alone).
    """
    candidates = []
    for t in tables:
        if t.kind not in ("equity", "prerequisite"):
            continue
        rates = {row: t.table.rate(i, 0) for i, row in enumerate(t.table.rows)}
        shown = {row: rate for row, rate in rates.items() if rate is not None}
        if len(shown) < 2:
            continue
        high = max(shown, key=lambda r: shown[r])
        low = min(shown, key=lambda r: shown[r])
        sizes = dict(zip(t.table.rows, t.table.row_totals, strict=True))
        z = _z(shown[high], sizes[high], shown[low], sizes[low])
        candidates.append((t, high, low, shown[high], shown[low], z))
    if not candidates:
        return []
    needed = NormalDist().inv_cdf(1 - FAMILY_ERROR / (2 * len(candidates)))
    found: list[Finding] = []
    for t, high, low, p_high, p_low, z in candidates:
        if p_high - p_low < GAP or z < needed:
            continue
        if t.kind == "prerequisite":
            text = (
                f"In {t.course}, {p_high:.0%} of students whose grade in {t.dimension}"
                f" was {high} earned a D, F or W, against {p_low:.0%} after {low}."
            )
        else:
            text = (f"In {t.course}, the DFW rate is {p_high:.0%} for {high} students and"
                    f" {p_low:.0%} for {low} students.")  # fmt: skip
        gap = round(p_high - p_low, 4)
        found.append(Finding(table_id=t.id, text=text, cells=[high, low], gap=gap))
    return sorted(found, key=lambda f: -f.gap)


def for_department(result: AnalyticsBuild, department: str) -> AnalyticsBuild:
    """The tables and findings of one department's courses (the rest of the build dropped).

    The narrative covers every department, so a department's view has none: its findings are
    the cited facts.
    """
    tables = [t for t in result.tables if t.department == department]
    ids = {t.id for t in tables}
    return result.model_copy(update={
        "tables": tables,
        "findings": [f for f in result.findings if f.table_id in ids],
        "narrative": None,
    })  # fmt: skip


def narrate(result: AnalyticsBuild, drafter: Drafter) -> AnalyticsBuild:
    """Return ``result`` with its findings in prose, citing them as ``[1]``, ``[2]``.

    The prompt gets :func:`~agents.drafting.narrative.narrative_variables` of the findings and
    nothing else, so it sees no student by construction.
    """
    if not result.findings:
        return result
    period = f"{result.terms[0]} to {result.terms[-1]}"
    draft = drafter.draft(NARRATIVE_PROMPT, narrative_variables(period, result.findings))
    narrative = Narrative(
        text=draft.text, prompt_ref=draft.prompt_ref, model=draft.model, fallback=draft.fallback
    )
    return result.model_copy(update={"narrative": narrative})


def _grade_order(grade: str) -> tuple[str, int]:
    """A, A-, B+, B, B-…: by letter, then plus before the bare letter before minus."""
    return grade[:1], {"+": 0, "": 1, "-": 2}.get(grade[1:], 3)


def _z(p1: float, n1: int | None, p2: float, n2: int | None) -> float:
    """The two-proportion z statistic of rates ``p1`` and ``p2`` over groups of ``n1``, ``n2``."""
    if not n1 or not n2:
        return 0.0
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return abs(p1 - p2) / spread if spread else 0.0


def _entries(t: AnalyticsTable) -> Iterable[tuple[str, str, int | None]]:
    p = t.table
    for r, row in enumerate(p.rows):
        for c, column in enumerate(p.columns):
            yield row, column, p.cells[r][c]
        yield row, "total", p.row_totals[r]
    for c, column in enumerate(p.columns):
        yield "total", column, p.column_totals[c]
    yield "total", "total", p.total


def store(app: Engine, result: AnalyticsBuild) -> int:
    """Replace ``ir_course_outcomes`` and the latest report with this build; returns the rows."""
    metadata.create_all(app, checkfirst=True)
    rows = [
        {
            "table_id": t.id, "row_label": row, "column_label": column, "kind": t.kind,
            "course": t.course, "dimension": t.dimension, "first_term": result.terms[0],
            "last_term": result.terms[-1], "count": count, "suppressed": count is None,
            "min_cell": result.min_cell, "built_at": result.built_at,
        }
        for t in result.tables
        for row, column, count in _entries(t)
    ]  # fmt: skip
    with app.begin() as conn:
        conn.execute(delete(ir_course_outcomes))
        if rows:
            conn.execute(insert(ir_course_outcomes), rows)
        conn.execute(delete(ir_reports))
        conn.execute(insert(ir_reports), {
            "report": "latest", "built_at": result.built_at, "body": result.model_dump_json()
        })  # fmt: skip
    return len(rows)


def latest(app: Engine) -> AnalyticsBuild | None:
    """The last stored build, or None when there is none (or no table yet)."""
    metadata.create_all(app, checkfirst=True)
    with app.connect() as conn:
        body = conn.execute(select(ir_reports.c.body)).scalar_one_or_none()
    return None if body is None else AnalyticsBuild.model_validate_json(body)


def export_csv(result: AnalyticsBuild, directory: Path) -> list[Path]:
    """One CSV per table (hidden entries written as ``suppressed``); returns the files."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for t in result.tables:
        path = directory / (t.id.replace(":", "_").replace(" ", "") + ".csv")
        p = t.table
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow([p.title])
            out.writerow(["", *p.columns, "total"])
            shown = [[*cells, total] for cells, total in zip(p.cells, p.row_totals, strict=True)]
            for row, values in zip([*p.rows, "total"], [*shown, [*p.column_totals, p.total]],
                                   strict=True):  # fmt: skip
                out.writerow([row, *("suppressed" if v is None else v for v in values)])
        written.append(path)
    return written
