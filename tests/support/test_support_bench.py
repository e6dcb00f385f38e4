"""The chatbot benchmark's corpus is exact and deterministic, and the benchmark runs end to end.

The figures themselves are the benchmark's to judge (`python -m bench.support`); here a tiny
run only proves that every part still works and that no chat turn fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bench.support import bench_settings, build_corpus, held_student, queries
from runtime.demo import ensure_banner
from tools.kb.store import read_folder


def test_the_corpus_has_exactly_the_chunks_asked_for_and_the_same_bytes_twice(tmp_path: Path):
    pages: list[dict[str, str]] = []
    for run in ("one", "two"):
        settings = bench_settings(tmp_path / run)
        banner, _term = ensure_banner(settings, students=60, sections=6)
        folder = settings.resolved_kb_dir()
        figures = build_corpus(banner, settings, folder, 333)
        assert figures["chunks"] == 333 and figures["sandbox_chunks"] < 333
        assert held_student(banner, date.today())[1]
        banner.dispose()
        assert len(read_folder(folder)) == 333
        pages.append(
            {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*.md")}
        )
    assert pages[0] == pages[1]


def test_queries_are_varied_and_as_many_as_asked():
    asked = queries(300)
    assert len(asked) == 300 and len(set(asked)) == 300


@pytest.mark.slow
def test_a_tiny_run_prints_its_figures_and_targets_as_the_last_line():
    run = subprocess.run(
        [sys.executable, "-m", "bench.support", "--chunks", "150", "--queries", "10",
         "--turns", "3", "--per-conversation", "2"],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["chunks"] == 150 and figures["retrieval_queries"] == 10
    assert figures["chat_turns"] == 3 and figures["chat_outcomes"].get("tool_error", 0) == 0
    assert len(figures["targets"]) == 3 and isinstance(figures["targets_met"], bool)
