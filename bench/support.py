"""Benchmark of the support chatbot (issue 13): knowledge-base ingest, retrieval, chat answers.

1. **Ingest** (target >= 200 chunks/s): the sandbox help corpus (``bca kb build``'s pages for a
   seeded Banner) plus generated help pages, exactly ``--chunks`` heading chunks in all, ingested
   into an embedded chromadb by :class:`~tools.kb.store.KnowledgeBase` with the packaged
   embedder. The model's load is timed on its own and not in chunks/s (a process pays it once).
2. **Retrieval** (target top-5 p95 < 50 ms): ``KnowledgeBase.search`` over that store, as the
   chatbot calls it (k=5 at ``BCA_KB_MIN_SCORE``), for the labelled support questions in three
   phrasings each; the query's embedding is included and reported as a share.
3. **Answers** (target p95 < 300 ms): ``POST /api/chat`` over real HTTP to the app in a uvicorn
   thread, with the chat service ``bca serve`` builds in template mode (no ``BCA_MODEL``) over
   the same store, for a student with a registration hold asking routine Banner and policy
   questions in conversations of a few turns, after a warm-up. The per-student rate limit
   (``BCA_CHAT_RATE_PER_MINUTE``, 10) is raised for the run: one student sends hundreds a minute.

Questions that need Canvas (assignments, grades, modules) are left out: no Canvas runs here.
Human lines go to stderr; stdout is one JSON object with the figures, each target and whether
it was met (the exit code is 0 either way, as for the other benchmarks).

    .venv/bin/python -m bench.support [--chunks 2000] [--queries 300] [--turns 150]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import torch
from sqlalchemy import Engine, text

from core.settings import Settings
from evals.support.retrieval import load_questions
from policies.rbac import Role
from runtime.api.app import create_app
from runtime.api.auth import mint_token
from runtime.demo import ensure_banner
from sandbox.kb.corpus import write_corpus
from sandbox.serving import serving
from tools.kb.embedding import Embedder, load_embedder
from tools.kb.store import KnowledgeBase, read_folder

INGEST_TARGET = 200.0
RETRIEVAL_TARGET_MS = 50.0
ANSWER_TARGET_MS = 300.0
RATE_PER_MINUTE = 1_000_000
SECTIONS_PER_PAGE = 10

ROUTINE = (
    "why can't I register?",
    "what are my holds?",
    "when is the last day to drop?",
    "what classes am I registered for?",
    "how do I get my hold removed?",
    "what is my financial aid status?",
    "when is the census date this term?",
    "how do I withdraw from a class?",
    "how do I order an official transcript?",
    "how do I request an incomplete?",
)
"""What a student with a hold asks: Banner lookups and help pages, nothing that needs Canvas."""

TOPICS = (
    "Parking permits", "Residence hall deposits", "Meal plans", "Study abroad", "Recreation centre",
    "Printing credits", "Student ID cards", "Library study rooms", "Tutoring centre",
    "Career services", "Counselling appointments", "Disability accommodations",
    "Veterans education benefits", "Graduation application", "Commencement tickets",
    "Laboratory safety training", "Campus shuttle", "Lost and found", "Bookstore returns",
    "Computer labs", "Wireless network accounts", "Student e-mail accounts", "Emergency alerts",
    "Student clubs", "Intramural sports", "Child care centre", "Health insurance waiver",
    "Orientation sessions", "Peer mentoring", "Writing centre",
)  # fmt: skip
PLACES = ("main campus", "the downtown centre", "online students", "evening programmes",
          "the north campus", "summer session", "graduate students")  # fmt: skip
ASPECTS = ("Who is eligible", "How to apply", "Fees and deadlines", "Refunds", "Where to go",
           "Opening hours", "What to bring", "Common problems", "Exceptions", "Who to contact",
           "Renewals", "Accessibility")  # fmt: skip
OFFICES = ("Student Services", "the Business Office", "Campus Life", "the Registrar's Office",
           "Information Technology", "the Dean of Students", "Facilities")  # fmt: skip
SENTENCES = (
    "Requests are handled by {office} in room {room}, {day} to Friday from {hour}:00.",
    "Allow {n} business days for a request to be processed; you will get an e-mail when it is.",
    "The fee is ${fee} per term and is charged to your student account after the census date.",
    "Bring your student ID card and, for {place}, proof of enrolment for the current term.",
    "If the online form is unavailable, ask {office} for a paper copy and return it by hand.",
    "Changes made after week {n} of the term need the written approval of {office}.",
    "A refund of {pct}% is given when the request reaches {office} before the first class day.",
    "Students on academic probation may still apply but should speak to an advisor first.",
    "Questions about {topic} for {place} go to {office}; say which term you mean.",
    "The deadline for {place} is the Friday of week {n}; late requests cost ${fee} more.",
    "Part-time students pay half the fee and have the same access as full-time students.",
    "An approval is valid for one academic year and must be renewed each autumn.",
)  # fmt: skip


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


class TimedEmbedder(Embedder):
    """The packaged embedder, adding up the seconds spent embedding to tell them from chromadb's."""

    def __init__(self, inner: Embedder) -> None:  # the inner embedder owns the model
        self.inner = inner
        self.name = inner.name
        self.seconds = 0.0

    def embed(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started


# -- the corpus --------------------------------------------------------------------------------


def _section(rng: random.Random, topic: str, place: str) -> str:
    """One help-page section of 80-500 characters, as long as the sandbox's (about 200)."""
    wanted = rng.randint(80, 400)
    sentences: list[str] = []
    while sum(len(s) + 1 for s in sentences) < wanted:
        sentences.append(
            rng.choice(SENTENCES).format(
                office=rng.choice(OFFICES), room=rng.randint(100, 499), day=rng.choice(
                    ("Monday", "Tuesday")), hour=rng.randint(8, 10), n=rng.randint(2, 10),
                fee=rng.randint(5, 250), place=place, pct=rng.choice((25, 50, 75, 100)),
                topic=topic.lower(),
            )
        )  # fmt: skip
    return " ".join(sentences)


def generated_pages(count: int, seed: int = 13) -> list[tuple[str, str]]:
    """``count`` sections of made-up campus-service pages, ``SECTIONS_PER_PAGE`` to a page."""
    rng = random.Random(seed)
    pages: list[tuple[str, str]] = []
    for page in range(-(-count // SECTIONS_PER_PAGE)):
        topic = TOPICS[page % len(TOPICS)]
        place = PLACES[(page // len(TOPICS)) % len(PLACES)]
        sections = min(SECTIONS_PER_PAGE, count - page * SECTIONS_PER_PAGE)
        lines = [f"# {topic} for {place}", ""]
        for aspect in rng.sample(ASPECTS, sections):
            lines += [f"## {aspect}", "", _section(rng, topic, place), ""]
        pages.append((f"services/page-{page:04d}.md", "\n".join(lines)))
    return pages


def build_corpus(banner: Engine, settings: Settings, folder: Path, chunks: int) -> dict[str, int]:
    """The sandbox's pages, topped up with generated ones to exactly ``chunks`` chunks."""
    write_corpus(
        banner,
        folder,
        census_dates=settings.census_dates,
        census_offset_days=settings.census_offset_days,
    )
    sandbox = len(read_folder(folder))
    if chunks < sandbox:
        raise SystemExit(f"--chunks {chunks} is below the sandbox corpus's {sandbox} chunks")
    for relative, page in generated_pages(chunks - sandbox):
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(page, encoding="utf-8")
    total = read_folder(folder)
    if len(total) != chunks:
        raise SystemExit(f"the corpus has {len(total)} chunks, not {chunks}")
    return {
        "chunks": len(total),
        "sandbox_chunks": sandbox,
        "documents": len({c.source for c in total}),
    }


# -- the three measurements --------------------------------------------------------------------


def ingest(kb: KnowledgeBase, embedder: TimedEmbedder, folder: Path) -> dict[str, Any]:
    before, cpu = embedder.seconds, time.process_time()
    started = time.perf_counter()
    report = kb.ingest(folder)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if report.added != report.chunks:
        raise SystemExit(f"the fresh store did not take every chunk: {report}")
    return {
        "ingest_s": round(seconds, 2),
        "ingest_chunks_per_s": round(report.chunks / seconds, 1),
        "ingest_embed_share": round((embedder.seconds - before) / seconds, 3),
        "ingest_cpu_s": round(cpu, 2),
    }


def queries(count: int) -> list[str]:
    """The labelled questions as asked, in lower case, and with a lead-in, until ``count``."""
    asked = [q.question for q in load_questions()]
    phrasings = [*asked, *(q.lower() for q in asked), *(f"Quick question: {q}" for q in asked)]
    return [phrasings[n % len(phrasings)] for n in range(count)]


def retrieval(
    kb: KnowledgeBase, embedder: TimedEmbedder, settings: Settings, count: int
) -> dict[str, Any]:
    asked = queries(count)
    for question in asked[:10]:  # the first queries load the index
        kb.search(question, k=5, min_score=settings.kb_min_score)
    samples, found = [], 0
    before, cpu = embedder.seconds, time.process_time()
    for question in asked:
        started = time.perf_counter()
        hits = kb.search(question, k=5, min_score=settings.kb_min_score)
        samples.append((time.perf_counter() - started) * 1000)
        found += bool(hits)
    return {
        "retrieval_queries": len(samples),
        "retrieval_p50_ms": pct(samples, 0.5),
        "retrieval_p95_ms": pct(samples, 0.95),
        "retrieval_max_ms": round(max(samples), 1),
        "retrieval_embed_share": round((embedder.seconds - before) * 1000 / sum(samples), 3),
        "retrieval_cpu_ms_per_query": round((time.process_time() - cpu) * 1000 / len(samples), 1),
        "retrieval_with_hits": found,
    }


def held_student(banner: Engine, today: date) -> tuple[int, str]:
    """A student with a registration hold in force today (PIDM, hold code)."""
    sql = text(
        "SELECT h.sprhold_pidm, h.sprhold_hldd_code FROM sprhold h"
        " JOIN stvhldd t ON t.stvhldd_code = h.sprhold_hldd_code"
        " JOIN sgbstdn s ON s.sgbstdn_pidm = h.sprhold_pidm"
        " WHERE t.stvhldd_reg_hold_ind = 'Y' AND h.sprhold_from_date <= :d"
        " AND h.sprhold_to_date > :d ORDER BY h.sprhold_pidm LIMIT 1"
    )
    with banner.connect() as conn:
        row = conn.execute(sql, {"d": today}).first()
    if row is None:
        raise SystemExit("the seeded Banner has no student with a registration hold today")
    return int(row[0]), str(row[1])


def chat(settings: Settings, pidm: int, term: str, turns: int, per_conversation: int):
    """``turns`` timed ``POST /api/chat`` after one warm-up conversation of every question."""
    token = mint_token(settings, role=Role.STUDENT, subject=str(pidm), term=term)
    headers = {"Authorization": f"Bearer {token}"}
    reasons: Counter[str] = Counter()
    tools: Counter[str] = Counter()

    def ask(client: httpx.Client, message: str, conversation: str | None) -> dict[str, Any]:
        answer = client.post(
            "/api/chat", json={"message": message, "conversation_id": conversation}
        )
        if answer.status_code != 200:
            raise SystemExit(f"POST /api/chat {message!r}: {answer.status_code} {answer.text}")
        reply: dict[str, Any] = answer.json()
        return reply

    with (
        serving(create_app(settings), "api") as base,
        httpx.Client(base_url=base, headers=headers, timeout=60) as client,
    ):
        started = time.perf_counter()
        first = ask(client, ROUTINE[0], None)
        first_s = time.perf_counter() - started
        say(f"chat: first answer {first_s:.1f} s (builds the service); tools {first['tools_used']}")
        say("  " + first["answer"].replace("\n", "\n  ")[:900])
        for message in ROUTINE[1:]:
            reply = ask(client, message, first["conversation_id"])
            outcome = reply["handoff"]["reason"] if reply["handoff"] else "answered"
            say(f"  warm-up {message!r}: {outcome}, tools {reply['tools_used']}")
        samples: list[float] = []
        conversation: str | None = None
        for n in range(turns):
            if n % per_conversation == 0:
                conversation = None
            message = ROUTINE[n % len(ROUTINE)]
            started = time.perf_counter()
            reply = ask(client, message, conversation)
            samples.append((time.perf_counter() - started) * 1000)
            conversation = reply["conversation_id"]
            reasons[reply["handoff"]["reason"] if reply["handoff"] else "answered"] += 1
            tools.update(reply["tools_used"])
    return {
        "chat_first_answer_s": round(first_s, 2),
        "chat_turns": len(samples),
        "chat_turns_per_conversation": per_conversation,
        "chat_p50_ms": pct(samples, 0.5),
        "chat_p95_ms": pct(samples, 0.95),
        "chat_max_ms": round(max(samples), 1),
        "chat_outcomes": dict(sorted(reasons.items())),
        "chat_tool_calls": dict(sorted(tools.items())),
        "chat_rate_per_minute": settings.chat_rate_per_minute,
    }


def bench_settings(var: Path) -> Settings:
    """A throwaway deployment in template mode on the embedded store, whatever BCA_ says."""
    settings = Settings.embedded_in(var)
    settings.model = ""
    settings.chroma_url = ""
    settings.kb_dir = var / "kb"
    settings.chat_rate_per_minute = RATE_PER_MINUTE
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=2000, help="chunks in the corpus")
    parser.add_argument("--queries", type=int, default=300, help="timed searches")
    parser.add_argument("--turns", type=int, default=150, help="timed chat turns")
    parser.add_argument("--per-conversation", type=int, default=5, help="turns per conversation")
    parser.add_argument("--students", type=int, default=300, help="students in the seeded Banner")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="torch's intra-op threads for the run (default: torch's own, one per core, as the"
        " app runs)",
    )
    args = parser.parse_args()
    figures: dict[str, Any] = {"cores": os.cpu_count(), "load_1m_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(Path(tmp) / "var")
        started = time.perf_counter()
        banner, term = ensure_banner(settings, students=args.students, sections=30)
        seeded = time.perf_counter() - started
        say(f"Banner seeded: {args.students} students, term {term}, {seeded:.1f} s")
        figures |= build_corpus(banner, settings, settings.resolved_kb_dir(), args.chunks)
        say(f"corpus: {figures['chunks']} chunks in {figures['documents']} pages"
            f" ({figures['sandbox_chunks']} from the sandbox's help pages)")  # fmt: skip

        started = time.perf_counter()
        embedder = TimedEmbedder(load_embedder())
        figures["model_load_s"] = round(time.perf_counter() - started, 2)
        if args.torch_threads:
            torch.set_num_threads(args.torch_threads)
        figures["torch_threads"] = torch.get_num_threads()
        kb = KnowledgeBase.open(
            path=settings.var_dir / "chroma",
            url=None,
            collection=settings.kb_collection,
            embedder=embedder,
        )
        figures |= ingest(kb, embedder, settings.resolved_kb_dir())
        say(f"ingest: {figures['ingest_chunks_per_s']} chunks/s ({figures['ingest_s']} s,"
            f" {figures['ingest_embed_share']:.0%} embedding; model load"
            f" {figures['model_load_s']} s apart) target >= {INGEST_TARGET:g}")  # fmt: skip

        figures |= retrieval(kb, embedder, settings, args.queries)
        say(f"retrieval: top-5 p50 {figures['retrieval_p50_ms']} ms, p95"
            f" {figures['retrieval_p95_ms']} ms over {figures['retrieval_queries']} queries"
            f" ({figures['retrieval_embed_share']:.0%} embedding the query)"
            f" target p95 < {RETRIEVAL_TARGET_MS:g}")  # fmt: skip

        pidm, hold = held_student(banner, date.today())
        banner.dispose()
        figures |= {"chat_student_hold": hold}
        figures |= chat(settings, pidm, term, args.turns, args.per_conversation)
        say(f"answers: p50 {figures['chat_p50_ms']} ms, p95 {figures['chat_p95_ms']} ms over"
            f" {figures['chat_turns']} turns, outcomes {figures['chat_outcomes']}"
            f" target p95 < {ANSWER_TARGET_MS:g}")  # fmt: skip

    failed = sum(n for reason, n in figures["chat_outcomes"].items() if reason == "tool_error")
    targets = {
        f"ingest_chunks_per_s >= {INGEST_TARGET:g}": figures["ingest_chunks_per_s"]
        >= INGEST_TARGET,
        f"retrieval_p95_ms < {RETRIEVAL_TARGET_MS:g}": figures["retrieval_p95_ms"]
        < RETRIEVAL_TARGET_MS,
        f"chat_p95_ms < {ANSWER_TARGET_MS:g} (no failed turn)": figures["chat_p95_ms"]
        < ANSWER_TARGET_MS
        and failed == 0,
    }
    figures |= {"load_1m_after": os.getloadavg()[0], "targets": targets}
    figures["targets_met"] = all(targets.values())
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
