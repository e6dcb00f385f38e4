"""Benchmark of the staff student search and profile (issue 16) on a Banner of 30,000 students.

Setup: a Banner sandbox of ``--students`` students seeded (or reused from ``--var-dir``), the
student search index built in the app database (``bca search index``), and the Canvas simulator
running over real HTTP on its own SQLite, provisioned in one SIS import with every section of
the term as a course with its whole Banner roster enrolled, every enrolled student a Canvas
user, then simulated activity per course. ``--canvas sample`` provisions only the sections of
the ``--sample`` students that are opened (default 120), still with whole rosters (so a course's
analytics are as big as at full size): a faster setup, the same profile figures.

Then ``--queries`` rounds (after a warm-up) through the real app in a TestClient, each as an
advisor (about an advisee), an instructor (about a student in their section) or the registrar:

1. **Search** (target p95 < 100 ms): ``GET /api/students?q=`` with a misspelt surname fragment,
   the Banner ID or the e-mail address of the student;
2. **Profile** (target p95 < 300 ms): ``GET /api/students/{banner_id}?purpose=…``, the Banner
   reads, the Canvas part over HTTP to the simulator (enrollments, then an analytics summary
   per course) and the audit record.

The search index refreshes from Banner's activity dates inside a search at most once a minute,
as in production; those refreshes are part of the figures. Human lines go to stderr; stdout is
one JSON object with the figures, the targets and whether they were met (exit 0 either way, as
for the other benchmarks).

    .venv/bin/python -m bench.profile [--students 30000] [--queries 300] [--var-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, Executable, bindparam, text

from core.db import make_engine
from core.ids import section_sis_id
from core.settings import Settings
from policies.rbac import Role
from runtime.api.app import create_app
from runtime.api.auth import mint_token
from runtime.demo import ensure_banner
from sandbox.canvas.testing import SimulatorHandle, running_simulator
from tools.banner.search.index import StudentSearchIndex
from tools.canvas.client import CanvasClient
from tools.canvas.lookup import get_course
from tools.canvas.models import (
    SisCourseRow,
    SisEnrollmentRow,
    SisImportSpec,
    SisSectionRow,
    SisUserRow,
)
from tools.canvas.sis_imports import run_sis_import

SEARCH_TARGET_MS = 100.0
PROFILE_TARGET_MS = 300.0
WARM_UP = 6
KINDS = ("surname", "banner_id", "email")
ROLES = (
    (Role.ADVISOR, "advising"),
    (Role.INSTRUCTOR, "teaching"),
    (Role.REGISTRAR, "registration"),
)
REGISTRAR = "registrar-bench"


def say(line: str) -> None:
    """A human line, on stderr."""
    print(line, file=sys.stderr, flush=True)


def pct(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (nearest rank), in the values' unit, rounded to 0.1."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


class Phase:
    """Elapsed seconds of a setup phase, said when it ends (the progress indication)."""

    def __init__(self, name: str) -> None:
        self.name = name
        say(f"… {name}")
        self.started = time.perf_counter()

    def done(self, detail: str = "") -> float:
        seconds = time.perf_counter() - self.started
        say(f"  {self.name}: {detail + ', ' if detail else ''}{seconds:.1f} s")
        return seconds


@dataclass(frozen=True)
class Student:
    """What the benchmark knows of a sampled student (read with plain SQL)."""

    pidm: int
    banner_id: str
    last_name: str
    email: str | None
    crns: tuple[str, ...]
    advisor: int | None
    instructor: int | None


@dataclass(frozen=True)
class Sandbox:
    """The seeded Banner as far as the benchmark needs it: the term, its rosters, a sample."""

    term: str
    students: int
    rosters: dict[str, list[int]]
    """Enrolled PIDMs per CRN of the term."""
    sample: list[Student]

    @classmethod
    def read(cls, banner: Engine, term: str, size: int, seed: int) -> Sandbox:
        """The term's rosters and ``size`` students with an advisor and a current schedule."""
        with banner.connect() as conn:
            students = int(
                conn.execute(text("SELECT COUNT(DISTINCT sgbstdn_pidm) FROM sgbstdn")).scalar_one()
            )
            rosters: dict[str, list[int]] = defaultdict(list)
            for pidm, crn in _all(conn,
                text("SELECT r.sfrstcr_pidm, r.sfrstcr_crn FROM sfrstcr r JOIN stvrsts s"
                     " ON s.stvrsts_code = r.sfrstcr_rsts_code AND s.stvrsts_incl_sect_enrl = 'Y'"
                     " WHERE r.sfrstcr_term_code = :t ORDER BY r.sfrstcr_crn, r.sfrstcr_pidm"),
                {"t": term},
            ):  # fmt: skip
                rosters[str(crn)].append(int(pidm))
            advisors = {
                int(s): int(a)
                for a, s in _all(conn,
                    text("SELECT sgradvr_advr_pidm, sgradvr_pidm FROM sgradvr a WHERE"
                         " sgradvr_term_code_eff = (SELECT MAX(sgradvr_term_code_eff) FROM"
                         " sgradvr b WHERE b.sgradvr_pidm = a.sgradvr_pidm AND"
                         " b.sgradvr_term_code_eff <= :t) ORDER BY sgradvr_prim_ind"),
                    {"t": term},
                )
            }  # fmt: skip
            teachers = {
                str(crn): int(p)
                for crn, p in _all(conn,
                    text("SELECT sirasgn_crn, sirasgn_pidm FROM sirasgn WHERE"
                         " sirasgn_term_code = :t AND sirasgn_primary_ind = 'Y'"), {"t": term}
                )
            }  # fmt: skip
            schedules: dict[int, list[str]] = defaultdict(list)
            for crn, pidms in rosters.items():
                for pidm in pidms:
                    schedules[pidm].append(crn)
            candidates = sorted(p for p in schedules if p in advisors)
            chosen = sorted(random.Random(seed).sample(candidates, min(size, len(candidates))))
            names = _names(conn, chosen)
        sample = []
        for pidm in chosen:
            banner_id, last_name, email = names[pidm]
            crns = tuple(sorted(schedules[pidm]))
            taught = [teachers[c] for c in crns if c in teachers]
            sample.append(
                Student(pidm, banner_id, last_name, email, crns, advisors.get(pidm),
                        taught[0] if taught else None)
            )  # fmt: skip
        return cls(term, students, dict(rosters), sample)


def _all(conn: Connection, stmt: Executable, params: dict[str, Any]) -> list[Any]:
    """The rows of a statement, untyped (plain SQL over the sandbox)."""
    return list(conn.execute(stmt, params).all())


def _names(conn: Any, pidms: list[int]) -> dict[int, tuple[str, str, str | None]]:
    """Banner ID, surname and an active e-mail address (preferred first) of each PIDM."""
    found: dict[int, tuple[str, str, str | None]] = {}
    emails: dict[int, str] = {}
    for at in range(0, len(pidms), 500):
        chunk = pidms[at : at + 500]
        for pidm, address in conn.execute(
            text("SELECT goremal_pidm, goremal_email_address FROM goremal"
                 " WHERE goremal_status_ind = 'A' AND goremal_pidm IN :p"
                 " ORDER BY goremal_preferred_ind DESC, goremal_emal_code").bindparams(
                bindparam("p", expanding=True)), {"p": chunk},
        ):  # fmt: skip
            emails.setdefault(int(pidm), str(address))
        for pidm, banner_id, last in conn.execute(
            text("SELECT spriden_pidm, spriden_id, spriden_last_name FROM spriden"
                 " WHERE spriden_change_ind IS NULL AND spriden_pidm IN :p").bindparams(
                bindparam("p", expanding=True)), {"p": chunk},
        ):  # fmt: skip
            found[int(pidm)] = (str(banner_id), str(last), emails.get(int(pidm)))
    return found


# -- Canvas ------------------------------------------------------------------------------------


def provision_canvas(
    sim: SimulatorHandle, banner: Engine, sandbox: Sandbox, seed: int, *, everything: bool = False
) -> dict[str, int]:
    """The sample's sections (or all of the term's with ``everything``) as courses with whole
    rosters, their students as users, in one SIS import; then simulated activity per course."""
    crns = sorted(sandbox.rosters if everything else {c for s in sandbox.sample for c in s.crns})
    with banner.connect() as conn:
        codes = {
            str(crn): f"{subj} {numb}"
            for crn, subj, numb in _all(conn,
                text("SELECT ssbsect_crn, ssbsect_subj_code, ssbsect_crse_numb FROM ssbsect"
                     " WHERE ssbsect_term_code = :t AND ssbsect_crn IN :c").bindparams(
                    bindparam("c", expanding=True)), {"t": sandbox.term, "c": crns},
            )
        }  # fmt: skip
        pidms = sorted({p for c in crns for p in sandbox.rosters[c]})
        names = {}
        for at in range(0, len(pidms), 500):
            for pidm, banner_id, first, last in _all(conn,
                text("SELECT spriden_pidm, spriden_id, spriden_first_name, spriden_last_name"
                     " FROM spriden WHERE spriden_change_ind IS NULL AND spriden_pidm IN :p"
                     ).bindparams(bindparam("p", expanding=True)), {"p": pidms[at : at + 500]},
            ):  # fmt: skip
                names[int(pidm)] = (str(banner_id), f"{first} {last}")
    spec = SisImportSpec(
        users=[
            SisUserRow(user_id=b, login_id=b.lower(), full_name=n, email=f"{b.lower()}@example.edu")
            for b, n in names.values()
        ],
        courses=[
            SisCourseRow(course_id=section_sis_id(sandbox.term, c), short_name=codes[c],
                         long_name=codes[c])
            for c in crns
        ],
        sections=[
            SisSectionRow(section_id=section_sis_id(sandbox.term, c),
                          course_id=section_sis_id(sandbox.term, c), name=codes[c])
            for c in crns
        ],
        enrollments=[
            SisEnrollmentRow(section_id=section_sis_id(sandbox.term, c),
                             course_id=section_sis_id(sandbox.term, c),
                             user_id=names[p][0])
            for c in crns for p in sandbox.rosters[c]
        ],
    )  # fmt: skip
    client = CanvasClient(sim.base_url, sim.token)
    try:
        result = run_sis_import(client, spec)
        if result.errors:
            say(f"  SIS import: {len(result.errors)} bad rows, e.g. {result.errors[:3]}")
        course_ids = [get_course(client, section_sis_id(sandbox.term, c)).id for c in crns]
    finally:
        client.close()
    with httpx.Client(headers={"Authorization": f"Bearer {sim.token}"}, timeout=120) as http:
        for canvas_id in course_ids:
            http.post(
                f"{sim.base_url}/sim/courses/{canvas_id}/activity", json={"days": 14, "seed": seed}
            ).raise_for_status()
    return {"canvas_users": len(names), "canvas_courses": len(crns),
            "canvas_enrollments": len(spec.enrollments)}  # fmt: skip


# -- the rounds --------------------------------------------------------------------------------


def misspelt_fragment(surname: str, rng: random.Random) -> str:
    """A typo'd fragment of a surname: up to 7 letters, two inner letters swapped."""
    word = "".join(ch for ch in surname if ch.isalpha()) or surname
    fragment = word[: max(4, min(len(word), 7))]
    if len(fragment) < 4:
        return fragment
    at = rng.randint(1, len(fragment) - 3)
    return fragment[:at] + fragment[at + 1] + fragment[at] + fragment[at + 2 :]


@dataclass(frozen=True)
class Round:
    """One search then one profile, as one caller about one student."""

    role: Role
    caller: str
    purpose: str
    student: Student
    kind: str
    query: str


def rounds(sandbox: Sandbox, count: int, seed: int) -> list[Round]:
    """``count`` rounds over the sample, roles and kinds of query taken in turn."""
    rng = random.Random(seed)
    made = []
    for n in range(count):
        role, purpose = ROLES[n % len(ROLES)]
        kind = KINDS[(n // len(ROLES)) % len(KINDS)]
        student = sandbox.sample[rng.randrange(len(sandbox.sample))]
        if role is Role.INSTRUCTOR and student.instructor is None:
            role, purpose = Role.REGISTRAR, "registration"
        caller = {
            Role.ADVISOR: str(student.advisor),
            Role.INSTRUCTOR: str(student.instructor),
            Role.REGISTRAR: REGISTRAR,
        }[role]
        if kind == "email" and not student.email:
            kind = "banner_id"
        query = {
            "surname": lambda s: misspelt_fragment(s.last_name, rng),
            "banner_id": lambda s: s.banner_id,
            "email": lambda s: s.email,
        }[kind](student)
        made.append(Round(role, caller, purpose, student, kind, str(query)))
    return made


def measure(
    settings: Settings, sandbox: Sandbox, plan: Sequence[Round], warm_up: int
) -> dict[str, Any]:
    """Timed searches and profiles through the app; the figures."""
    tokens: dict[tuple[Role, str], dict[str, str]] = {}

    def headers(r: Round) -> dict[str, str]:
        if (r.role, r.caller) not in tokens:
            minted = mint_token(settings, role=r.role, subject=r.caller, term=sandbox.term)
            tokens[(r.role, r.caller)] = {"Authorization": f"Bearer {minted}"}
        return tokens[(r.role, r.caller)]

    search_ms: list[float] = []
    profile_ms: list[float] = []
    by_role: dict[str, list[float]] = defaultdict(list)
    search_by_role: dict[str, list[float]] = defaultdict(list)
    by_kind: dict[str, list[float]] = defaultdict(list)
    found: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    canvas: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    app = create_app(settings)
    with TestClient(app) as client:
        for n, r in enumerate([*plan[:warm_up], *plan]):
            timed = n >= warm_up
            started = time.perf_counter()
            answer = client.get("/api/students", params={"q": r.query}, headers=headers(r))
            took = (time.perf_counter() - started) * 1000
            assert answer.status_code == 200, answer.text
            if timed:
                search_ms.append(took)
                by_kind[r.kind].append(took)
                search_by_role[r.role.value].append(took)
                asked[r.kind] += 1
                hit = any(m["banner_id"] == r.student.banner_id for m in answer.json())
                found[r.kind] += hit
                if r.kind == "surname":
                    asked[f"surname as {r.role.value}"] += 1
                    found[f"surname as {r.role.value}"] += hit
            started = time.perf_counter()
            answer = client.get(
                f"/api/students/{r.student.banner_id}",
                params={"purpose": r.purpose},
                headers=headers(r),
            )
            took = (time.perf_counter() - started) * 1000
            if not timed:
                continue
            statuses[answer.status_code] += 1
            profile_ms.append(took)
            by_role[r.role.value].append(took)
            if answer.status_code != 200:
                continue
            part = answer.json().get("canvas")
            if part is None:
                canvas["no_canvas_part"] += 1
            elif part.get("unavailable"):
                canvas["unavailable"] += 1
                canvas[f"unavailable: {part['unavailable']}"[:80]] += 1
            elif part.get("courses"):
                canvas["with_courses"] += 1
            else:
                canvas["no_courses"] += 1
    return {
        "search_p50_ms": pct(search_ms, 0.5),
        "search_p95_ms": pct(search_ms, 0.95),
        "search_max_ms": round(max(search_ms), 1),
        "search_mean_ms": round(statistics.fmean(search_ms), 1),
        "search_p95_ms_by_kind": {k: pct(v, 0.95) for k, v in sorted(by_kind.items())},
        "search_p95_ms_by_role": {k: pct(v, 0.95) for k, v in sorted(search_by_role.items())},
        "search_found_share_by_kind": {k: round(found[k] / asked[k], 3) for k in sorted(asked)},
        "profile_p50_ms": pct(profile_ms, 0.5),
        "profile_p95_ms": pct(profile_ms, 0.95),
        "profile_max_ms": round(max(profile_ms), 1),
        "profile_mean_ms": round(statistics.fmean(profile_ms), 1),
        "profile_p95_ms_by_role": {k: pct(v, 0.95) for k, v in sorted(by_role.items())},
        "profile_statuses": {str(k): v for k, v in sorted(statuses.items())},
        "profile_canvas": dict(sorted(canvas.items())),
    }


def deployment(var: Path) -> Settings:
    """An embedded deployment under ``var`` (model off: nothing here asks one)."""
    settings = Settings.embedded_in(var)
    settings.model = ""
    return settings


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30_000, help="students in the Banner")
    parser.add_argument("--queries", type=int, default=300, help="timed searches and profiles")
    parser.add_argument(
        "--sample", type=int, default=120, help="students opened (and provisioned in Canvas)"
    )
    parser.add_argument(
        "--sections", type=int, default=None, help="sections of the term (default students/16)"
    )
    parser.add_argument(
        "--var-dir",
        type=Path,
        default=None,
        help="reuse (or create) the Banner and app database here (default: a temporary dir)",
    )
    parser.add_argument(
        "--canvas",
        choices=("sample", "all"),
        default="all",
        help="provision in Canvas every section of the term (default) or only the sampled"
        " students' sections (faster setup)",
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run SQLite's ANALYZE on a reused --var-dir Banner (seeding gathers the planner"
        " statistics itself; a Banner seeded before that lacks them and picks poor join orders)",
    )
    parser.add_argument("--seed", type=int, default=16, help="sampling seed")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"cores": os.cpu_count(), "load_1m_before": os.getloadavg()[0]}
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() if args.var_dir is None else nullcontext(str(args.var_dir))
    ) as var:
        settings = deployment(Path(var))
        phase = Phase(f"Banner sandbox of {args.students} students ({settings.banner_url})")
        sections = args.sections or max(12, args.students // 16)
        banner, term = ensure_banner(settings, students=args.students, sections=sections)
        figures["seed_s"] = round(phase.done(f"term {term}"), 1)
        figures["banner_analyzed"] = args.analyze and banner.dialect.name == "sqlite"
        if figures["banner_analyzed"]:
            phase = Phase("ANALYZE on the Banner (--analyze)")
            with banner.begin() as conn:
                conn.execute(text("ANALYZE"))
            phase.done()

        phase = Phase("search index (bca search index)")
        app_engine = make_engine(settings.database_url)
        index = StudentSearchIndex(app_engine)
        index.create()
        indexed = index.refresh(banner) if index.built() else index.build(banner)
        figures |= {"index_s": round(phase.done(f"{indexed} rows, {index.backend}"), 1),
                    "index_backend": index.backend}  # fmt: skip
        app_engine.dispose()

        phase = Phase("sample")
        sandbox = Sandbox.read(banner, term, args.sample, args.seed)
        phase.done(f"{len(sandbox.sample)} students of {sandbox.students}")
        if sandbox.students != args.students:
            say(f"  note: the Banner in {var} has {sandbox.students} students, not"
                f" {args.students} (reused)")  # fmt: skip

        canvas_db = Path(var) / "canvas-profile-bench.db"
        canvas_db.unlink(missing_ok=True)
        token = settings.canvas_token.get_secret_value()
        with running_simulator(canvas_db, token) as sim:
            phase = Phase("Canvas simulator over HTTP (one SIS import, then activity)")
            everything = args.canvas == "all"
            figures |= provision_canvas(sim, banner, sandbox, args.seed, everything=everything)
            figures["canvas_provisioned"] = args.canvas
            figures["canvas_s"] = round(
                phase.done(f"{figures['canvas_courses']} courses, {figures['canvas_users']} users,"
                           f" {figures['canvas_enrollments']} enrollments"), 1,
            )  # fmt: skip
            if not everything:
                say(f"  Canvas holds only the sampled students' sections (whole rosters), not"
                    f" all {sandbox.students} students' (--canvas all: every section)")  # fmt: skip
            banner.dispose()
            wired = settings.model_copy(update={"canvas_url": sim.base_url})
            plan = rounds(sandbox, args.queries, args.seed)
            figures["setup_s"] = round(time.perf_counter() - started, 1)
            say(f"setup {figures['setup_s']} s; {len(plan)} rounds after {WARM_UP} warm-up ones")
            figures |= measure(wired, sandbox, plan, WARM_UP)
    figures |= {"students": sandbox.students, "queries": len(plan), "sample": len(sandbox.sample)}
    say(f"search  p50 {figures['search_p50_ms']} ms, p95 {figures['search_p95_ms']} ms"
        f" (target p95 < {SEARCH_TARGET_MS:g} ms); by kind {figures['search_p95_ms_by_kind']};"
        f" by role {figures['search_p95_ms_by_role']};"
        f" student found {figures['search_found_share_by_kind']}")  # fmt: skip
    say(f"profile p50 {figures['profile_p50_ms']} ms, p95 {figures['profile_p95_ms']} ms"
        f" (target p95 < {PROFILE_TARGET_MS:g} ms); by role {figures['profile_p95_ms_by_role']};"
        f" statuses {figures['profile_statuses']}; Canvas {figures['profile_canvas']}")  # fmt: skip
    targets = {
        f"search_p95_ms < {SEARCH_TARGET_MS:g}": figures["search_p95_ms"] < SEARCH_TARGET_MS,
        f"profile_p95_ms < {PROFILE_TARGET_MS:g}": figures["profile_p95_ms"] < PROFILE_TARGET_MS,
    }
    figures |= {"load_1m_after": os.getloadavg()[0], "targets": targets,
                "targets_met": all(targets.values())}  # fmt: skip
    print(json.dumps(figures, sort_keys=True), flush=True)
    return figures


if __name__ == "__main__":
    main()
