"""The sandbox a support suite runs in, and its students, picked by what their records hold.

The chatbot under evaluation is the deployed one, so it needs what a deployment gives it: a
Banner (the project's seeded sandbox: the same plan gives the same rows, so recorded model
requests replay), the help pages written from that Banner's data in an embedded chromadb with
the packaged embedder, the default policy's guard over an audit trail, and the Presidio
redactor with SPRIDEN's names. A suite's people file names kinds of students (``pick:
[hold:AR]``), never a PIDM or a name: each key becomes the first student, by PIDM, whose
records fit, read through the Banner reads the chatbot's own tools use, so the cases keep
meaning "a student with an AR hold" whatever the generator's names are.

Embedding the corpus is the one slow step (10 to 25 s on two busy cores, more than the whole
replay of the other suites), so the ingested collection is kept under ``var/evals/kb/<digest>``:
the digest covers every chunk and the embedder's own vector for a fixed sentence, so a changed
page, model or CPU gets a new collection and an unchanged one is never embedded twice. A lock
file lets parallel runs share it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Engine, select

from agents.toolbox import load_default_policy
from core.db import make_engine
from core.errors import ConfigurationError
from core.ids import aid_year_of
from evals.people import FIXTURES_DIR, People, Person, first_error, read_yaml
from policies.audit import AuditLog
from policies.guard import Guard
from policies.pii import Redactor
from policies.pii.spriden import load_directory
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner
from sandbox.kb.corpus import write_corpus
from tools.banner import reads
from tools.banner.models import AidSummary, HoldSummary, TermRegistrations
from tools.banner.schema import sgbstdn
from tools.kb.embedding import Embedder, load_embedder
from tools.kb.models import Hit
from tools.kb.store import KnowledgeBase, read_folder

KB_CACHE = Path("var") / "evals" / "kb"
_FINGERPRINT = "Which office clears a registration hold?"


@dataclass(frozen=True)
class Records:
    """What the chatbot's tools would read for one student (what a pick is decided on)."""

    holds: HoldSummary
    aid: AidSummary
    registrations: TermRegistrations


Condition = Callable[[Records, str], bool]
"""Whether a student's records fit, given the condition's argument (``hold:AR`` → ``AR``)."""

CONDITIONS: dict[str, Condition] = {
    "student": lambda r, _: True,
    "hold": lambda r, code: any(h.code == code for h in r.holds.holds),
    "registration_hold": lambda r, _: r.holds.blocks_registration,
    "no_holds": lambda r, _: not r.holds.holds,
    "aid_awards": lambda r, _: bool(r.aid.awards),
    "aid_incomplete": lambda r, _: r.aid.has_aid_record and not r.aid.requirements_complete,
    "no_aid": lambda r, _: not r.aid.has_aid_record,
    "registered": lambda r, _: any(c.enrolled for c in r.registrations.courses),
    "waitlisted": lambda r, _: any(c.waitlisted for c in r.registrations.courses),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SandboxPlan(_Strict):
    """The seeded Banner every case of a suite shares, and the day its tools read as today."""

    students: int = Field(150, ge=10, le=5000)
    sections: int = Field(30, ge=1, le=2000)
    term: str = Field("202610", pattern=r"^\d{6}$")
    seed: int = 7
    today: date


class Pick(_Strict):
    """A key of the suite's people and what that student's records must hold."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    pick: list[str] = Field(min_length=1, description="Conditions, all of which must hold.")

    @field_validator("pick")
    @classmethod
    def _known(cls, conditions: list[str]) -> list[str]:
        for condition in conditions:
            name, _, argument = condition.partition(":")
            if name not in CONDITIONS:
                raise ValueError(f"unknown condition {name!r}: one of {', '.join(CONDITIONS)}")
            if (name == "hold") != bool(argument):
                raise ValueError(f"{condition!r}: only hold takes an argument (hold:CODE)")
        return conditions

    def fits(self, records: Records) -> bool:
        """Every condition holds for ``records``."""
        return all(
            CONDITIONS[name](records, argument)
            for name, _, argument in (c.partition(":") for c in self.pick)
        )


class Cast(_Strict):
    """A people file of sandbox students: the sandbox, and who is picked for each key."""

    sandbox: SandboxPlan
    people: list[Pick] = Field(min_length=1)

    @field_validator("people")
    @classmethod
    def _unique(cls, picks: list[Pick]) -> list[Pick]:
        keys = [p.key for p in picks]
        if len(set(keys)) != len(keys):
            raise ValueError("people keys are not unique")
        return picks


def is_cast(name: str) -> bool:
    """Whether the people file ``name`` picks sandbox students (it has a ``sandbox``)."""
    path = FIXTURES_DIR / name
    if not path.is_file():
        return False  # the fixture loader names the missing file
    data = read_yaml(path)
    return isinstance(data, dict) and "sandbox" in data


def load_cast(name: str) -> Cast:
    """The people file ``evals/fixtures/<name>`` of sandbox students, checked."""
    path = FIXTURES_DIR / name
    try:
        return Cast.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise ConfigurationError(f"{path}: {first_error(exc)}") from None


class _SteadyScores:
    """The knowledge base with similarities rounded to two decimals.

    Search results reach the model inside ``kb_search``'s answer, and a replayed cassette is
    keyed on every byte of the request: the fourth decimal of a cosine similarity depends on
    the CPU's float kernels, the second does not in practice, so recordings replay on another
    machine. Ranking, chunks and texts are the knowledge base's own.
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def search(self, query: str, *, k: int = 5, min_score: float | None = None) -> list[Hit]:
        """The knowledge base's hits, scores rounded."""
        hits = self.kb.search(query, k=k, min_score=min_score)
        return [h.model_copy(update={"score": round(h.score, 2)}) for h in hits]


@dataclass(frozen=True)
class ChatBench:
    """What the support agent of every case shares: the guard, the knowledge base, the redactor."""

    plan: SandboxPlan
    banner: Engine
    audit: AuditLog
    guard: Guard
    redactor: Redactor
    embedder: Embedder
    kb: _SteadyScores


@dataclass(frozen=True)
class _Shared:
    audit: AuditLog
    guard: Guard
    embedder: Embedder
    kb: _SteadyScores


class Sandbox:
    """One seeded Banner in a temporary folder that lives as long as the process."""

    def __init__(self, plan: SandboxPlan) -> None:
        self.plan = plan
        self._folder = tempfile.TemporaryDirectory(prefix="bca-evals-sandbox-")
        self.root = Path(self._folder.name)
        self.banner = make_engine(f"sqlite:///{self.root / 'banner.db'}")
        size = SeedPlan(plan.students, plan.sections, plan.term, plan.seed)
        seed_banner(self.banner, size)
        self._lock = threading.Lock()
        self._records: dict[int, Records] = {}
        self._shared: _Shared | None = None
        self._redactors: dict[str, Redactor] = {}

    def records(self, pidm: int) -> Records:
        """What the chatbot's tools read for ``pidm`` on the plan's day."""
        if pidm not in self._records:
            term = self.plan.term
            self._records[pidm] = Records(
                holds=reads.student_holds(self.banner, pidm, self.plan.today),
                aid=reads.aid_summary(self.banner, pidm, aid_year_of(term)),
                registrations=reads.student_registrations(self.banner, pidm, term),
            )
        return self._records[pidm]

    def people(self, cast: Cast, source: Path) -> People:
        """Each pick's student (a different one each, lowest PIDM first), with identifiers.

        Students without a first name or a preferred e-mail are passed over: the PII scorers
        look for every identifier, so each must exist.
        """
        students = select(sgbstdn.c.sgbstdn_pidm).distinct().order_by(sgbstdn.c.sgbstdn_pidm)
        with self.banner.connect() as conn:
            pidms: list[int] = list(conn.scalars(students))
        taken: set[int] = set()
        found: list[Person] = []
        for pick in cast.people:
            person = None
            for pidm in pidms:
                if pidm in taken or not pick.fits(self.records(pidm)):
                    continue
                row = reads.person_by_pidm(self.banner, pidm)
                if row.first_name and row.preferred_email:
                    person = Person(key=pick.key, pidm=pidm, banner_id=row.banner_id,
                                    first_name=row.first_name, last_name=row.last_name,
                                    email=row.preferred_email)  # fmt: skip
                    break
            if person is None:
                raise ConfigurationError(
                    f"{source}: {pick.key}: no sandbox student fits {' and '.join(pick.pick)}"
                )
            taken.add(person.pidm)
            found.append(person)
        return People(people=found)

    def bench(self, banner_id_pattern: str) -> ChatBench:
        """The chat pieces over this Banner, built on first use (the corpus takes seconds)."""
        with self._lock:
            if self._shared is None:
                self._shared = self._build()
            if banner_id_pattern not in self._redactors:
                url = self.banner.url.render_as_string(hide_password=False)
                self._redactors[banner_id_pattern] = Redactor(
                    load_directory(url), banner_id_pattern=banner_id_pattern
                )
            shared = self._shared
            return ChatBench(
                plan=self.plan, banner=self.banner, audit=shared.audit, guard=shared.guard,
                redactor=self._redactors[banner_id_pattern], embedder=shared.embedder,
                kb=shared.kb,
            )  # fmt: skip

    def _build(self) -> _Shared:
        write_corpus(self.banner, self.root / "corpus")
        embedder = load_embedder().in_float32()  # cassettes quote scores: same on every CPU
        audit = AuditLog(make_engine(f"sqlite:///{self.root / 'audit.db'}"))
        audit.create()
        return _Shared(
            audit=audit,
            guard=Guard(load_default_policy(), audit),
            embedder=embedder,
            kb=_SteadyScores(cached_kb(self.root / "corpus", embedder)),
        )


def cached_kb(corpus: Path, embedder: Embedder, cache: Path = KB_CACHE) -> KnowledgeBase:
    """The corpus ingested into the collection of its digest, embedding only what it lacks."""
    chunks = [c.model_dump(exclude={"text"}) for c in read_folder(corpus)]
    payload = json.dumps([chunks, embedder.name, embedder.embed([_FINGERPRINT])], sort_keys=True)
    folder = cache / hashlib.sha256(payload.encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process ingests; the others wait, then read
        kb = KnowledgeBase.open(
            path=folder / "chroma", url=None, collection="support-evals", embedder=embedder
        )
        if not (folder / "ready").is_file():
            kb.ingest(corpus)
            (folder / "ready").touch()
    return kb


@cache
def sandbox(plan: SandboxPlan) -> Sandbox:
    """The process's sandbox for ``plan`` (seeded once, shared by loading and running)."""
    return Sandbox(plan)


def sandbox_people(name: str) -> People:
    """The students the people file ``name`` picks from its sandbox."""
    cast = load_cast(name)
    return sandbox(cast.sandbox).people(cast, FIXTURES_DIR / name)
