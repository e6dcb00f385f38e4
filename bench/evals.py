"""Benchmark of the evaluation engine: every suite in replay mode, and seconds per case locally.

1. **Replay**: ``bca eval run --model replay`` over every suite (the simulator on the recorded
   cassettes, the real ChatOpenAI client, Presidio, inspect's bookkeeping); target < 60 s.
2. **Local model** (``--local``, needs the ``local-llm`` extra): the smoke suite against
   SmolLM2 through llama.cpp's server, started for the run; seconds per case.

Human lines first; the last line is one JSON object.

    .venv/bin/python -m bench.evals [--local]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # Run as ``python bench/evals.py``, this file's own name would shadow the evals package.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from typer.testing import CliRunner

from runtime.cli import app


def run(args: list[str], report: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["eval", "run", *args, "--report", str(report)])
    seconds = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(f"bca eval run {' '.join(args)} failed: {result.output}{result.exception}")
    return seconds, json.loads((report / "figures.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true", help="also time the local model")
    options = parser.parse_args()
    figures: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        seconds, suites = run(["--model", "replay"], Path(tmp) / "replay")
        cases = sum(s["cases"] for s in suites.values())
        print(f"replay: {cases} cases in {len(suites)} suites, {seconds:.1f} s (target < 60 s)")
        figures |= {"replay_seconds": round(seconds, 2), "replay_cases": cases,
                    "replay_seconds_per_case": round(seconds / cases, 3)}  # fmt: skip
        if options.local:
            seconds, suites = run(
                ["smoke_local", "--model", "local", "--baseline", str(Path(tmp) / "none"),
                 "--timeout", "30"],
                Path(tmp) / "local",
            )  # fmt: skip
            smoke = suites["smoke_local[outreach_draft@1]"]
            print(
                f"local SmolLM2: {smoke['cases']} cases, {seconds:.1f} s with the server's start,"
                f" {smoke['seconds'] / smoke['cases']:.1f} s per case;"
                f" p50 {smoke['latency_p50_ms']}"
                f" ms, p95 {smoke['latency_p95_ms']} ms"
            )
            figures |= {
                "local_seconds": round(seconds, 2),
                "local_cases": smoke["cases"],
                "local_seconds_per_case": round(smoke["seconds"] / smoke["cases"], 2),
                "local_latency_p50_ms": smoke["latency_p50_ms"],
                "local_latency_p95_ms": smoke["latency_p95_ms"],
            }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
