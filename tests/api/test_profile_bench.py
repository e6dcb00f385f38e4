"""The staff profile benchmark (issue 16) runs end to end at a tiny size.

The figures themselves are the benchmark's to judge (`python -m bench.profile`); here a tiny
run only proves that every part still works: searches find their student, every profile opens,
and each carries Canvas data from the simulator over HTTP (not "Canvas is unavailable").
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bench.profile import misspelt_fragment


def test_a_misspelt_fragment_is_a_typo_of_the_start_of_the_surname():
    rng = random.Random(1)
    fragment = misspelt_fragment("Richardson", rng)
    assert len(fragment) == 7 and fragment != "Richard"
    assert sorted(fragment) == sorted("Richard") and fragment[0] == "R"
    assert misspelt_fragment("Ng", rng) == "Ng"


@pytest.mark.slow
def test_a_tiny_run_prints_positive_figures_and_profiles_with_canvas_data(tmp_path: Path):
    run = subprocess.run(
        [sys.executable, "-m", "bench.profile", "--students", "300", "--queries", "20",
         "--sample", "15", "--var-dir", str(tmp_path / "var")],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["students"] == 300 and figures["queries"] == 20
    for name in ("search_p50_ms", "search_p95_ms", "profile_p50_ms", "profile_p95_ms", "setup_s"):
        assert isinstance(figures[name], int | float) and figures[name] > 0, name
    assert figures["profile_statuses"] == {"200": 20}
    assert figures["profile_canvas"] == {"with_courses": 20}
    assert "Canvas is unavailable" not in run.stderr
    assert figures["search_found_share_by_kind"]["banner_id"] == 1.0
    assert len(figures["targets"]) == 2 and isinstance(figures["targets_met"], bool)
