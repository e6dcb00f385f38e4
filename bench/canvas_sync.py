"""Benchmark of the Canvas tools against the simulator, run as its own process (`bca canvas-sim`).

Measures a burst of enrollments through ``enroll_many`` at default throttling (enrollments per
second, HTTP requests per enrollment, 429s the session saw) and the wall time of a SIS import
of users + enrollments rows through ``run_sis_import`` (build, upload, wait). Human lines first;
the last line is one JSON object.

    .venv/bin/python bench/canvas_sync.py [--enrollments 2000] [--workers 8] [--sis-rows 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from sandbox.canvas.testing import free_port
from tools.canvas.client import CanvasClient
from tools.canvas.enrollments import enroll_many
from tools.canvas.models import (
    EnrollmentSpec,
    SisCourseRow,
    SisEnrollmentRow,
    SisImportSpec,
    SisSectionRow,
    SisUserRow,
)
from tools.canvas.sis_imports import run_sis_import

TOKEN = "bench-token"


def start_simulator(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    bca = Path(sys.executable).with_name("bca")
    process = subprocess.Popen(
        [str(bca), "canvas-sim", "--port", str(port), "--token", TOKEN, "--db", str(db)]
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/api/v1/accounts/1", headers={"Authorization": f"Bearer {TOKEN}"})
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the simulator did not start")


def users(prefix: str, n: int) -> list[SisUserRow]:
    return [
        SisUserRow(user_id=f"{prefix}{i:07d}", login_id=f"{prefix.lower()}{i:07d}")
        for i in range(n)
    ]


def bench_burst(client: CanvasClient, n: int, workers: int) -> dict[str, float]:
    students = users("B", n)
    seeded = run_sis_import(
        client,
        SisImportSpec(
            users=students,
            courses=[SisCourseRow(course_id="BENCH", short_name="B", long_name="Bench")],
            sections=[SisSectionRow(section_id="BENCH-01", course_id="BENCH", name="01")],
        ),
    )
    assert seeded.succeeded, seeded
    specs = [EnrollmentSpec(sis_section_id="BENCH-01", sis_user_id=u.user_id) for u in students]
    before = client.stats()
    started = time.monotonic()
    results = enroll_many(client, specs, workers=workers)
    elapsed = time.monotonic() - started
    after = client.stats()
    assert all(r.enrollment for r in results)
    requests = after.requests - before.requests
    print(
        f"burst: {n} enrollments, {workers} workers, {elapsed:.1f} s, {requests} requests, "
        f"{after.throttled - before.throttled} x 429, paced {after.paced_seconds:.1f} s (sum)"
    )
    return {
        "enrollments_per_s": round(n / elapsed, 1),
        "requests_per_enrollment": round(requests / n, 3),
        "throttled_429": after.throttled - before.throttled,
    }


def bench_sis_import(client: CanvasClient, rows: int) -> dict[str, float]:
    sections = 500
    people = users("S", rows // 2)
    spec = SisImportSpec(
        users=people,
        courses=[SisCourseRow(course_id="SISB", short_name="S", long_name="SIS bench")],
        sections=[
            SisSectionRow(section_id=f"SISB-{i:03d}", course_id="SISB", name=str(i))
            for i in range(sections)
        ],
        enrollments=[
            SisEnrollmentRow(section_id=f"SISB-{i % sections:03d}", user_id=u.user_id)
            for i, u in enumerate(people)
        ],
        timeout_seconds=1800,
    )
    started = time.monotonic()
    result = run_sis_import(client, spec)
    elapsed = time.monotonic() - started
    print(
        f"SIS import: {len(spec.users)} users + {len(spec.enrollments)} enrollments "
        f"(+{sections + 1} course/section rows) -> {result.workflow_state} in {elapsed:.1f} s, "
        f"counts {result.counts}, {len(result.errors)} errors"
    )
    assert result.workflow_state == "imported", result
    return {
        "sis_import_rows": len(spec.users) + len(spec.enrollments),
        "sis_import_s": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--sis-rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, base = start_simulator(Path(tmp) / "canvas.db")
        client = CanvasClient(base, TOKEN)
        try:
            figures = bench_burst(client, args.enrollments, args.workers)
            figures.update(bench_sis_import(client, args.sis_rows))
        finally:
            client.close()
            process.terminate()
            process.wait(timeout=30)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
