"""Banner sandbox figures: seed time, whole-term roster snapshot, single-section roster reads.

Seeds a fresh temporary SQLite sandbox (default 30,000 students, 2,000 sections), then times the
one-statement term snapshot and single-section roster reads of random CRNs. Human lines first;
the last line is one JSON object. Targets (issue 2): seed < 90 s, snapshot < 3 s,
single-section p95 < 10 ms.

    .venv/bin/python bench/banner_reads.py [--students N] [--sections M] [--reads K] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.db import make_engine
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner
from tools.banner import reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30000)
    parser.add_argument("--sections", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--term", default="202610")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'banner.db'}")
        plan = SeedPlan(args.students, args.sections, args.term, args.seed)
        started = time.perf_counter()
        counts = seed_banner(engine, plan)
        seed_s = time.perf_counter() - started
        print(f"seed: {sum(counts.values()):,} rows ({args.students:,} students, "
              f"{args.sections:,} sections) in {seed_s:.1f} s")  # fmt: skip

        snapshots = []
        for _ in range(3):
            started = time.perf_counter()
            snapshot = reads.term_roster_snapshot(engine, args.term)
            snapshots.append(time.perf_counter() - started)
        snapshot_s = min(snapshots)
        print(f"term roster snapshot: {len(snapshot):,} registrations in {snapshot_s:.2f} s "
              f"(best of 3; runs {', '.join(f'{s:.2f}' for s in snapshots)})")  # fmt: skip

        crns = [s.crn for s in reads.term_sections(engine, args.term)]
        picks = random.Random(args.seed).choices(crns, k=args.reads)
        reads.section_roster(engine, args.term, picks[0])  # warm the pool
        timings = []
        for crn in picks:
            started = time.perf_counter()
            reads.section_roster(engine, args.term, crn)
            timings.append((time.perf_counter() - started) * 1000)
        cuts = statistics.quantiles(timings, n=100)
        p50, p95 = statistics.median(timings), cuts[94]
        print(f"single-section roster: p50 {p50:.2f} ms, p95 {p95:.2f} ms over {args.reads} CRNs")
        engine.dispose()

    figures = {
        "students": args.students,
        "sections": args.sections,
        "rows_seeded": sum(counts.values()),
        "registrations": len(snapshot),
        "seed_s": round(seed_s, 2),
        "snapshot_s": round(snapshot_s, 3),
        "section_roster_p50_ms": round(p50, 3),
        "section_roster_p95_ms": round(p95, 3),
        "targets_met": seed_s < 90 and snapshot_s < 3 and p95 < 10,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
