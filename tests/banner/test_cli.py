"""`bca banner`: seeding and summary through the CLI, and bad URLs as one readable line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runtime.cli import app


def bca(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from runtime.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("url", "code", "words"),
    [
        ("nonsense://", 2, "nonsense"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/none", 1, "cannot reach database"),
    ],
)
def test_bad_url_is_one_line_without_traceback(url: str, code: int, words: str) -> None:
    done = bca("banner", "summary", "--url", url)
    assert done.returncode == code
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]


def test_summary_of_an_empty_database_says_to_seed(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    done = bca("banner", "summary", "--url", f"sqlite:///{tmp_path / 'empty.db'}")
    assert done.returncode == 1
    assert "bca banner seed" in done.stderr and "Traceback" not in done.stderr


def test_seed_then_summary(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    runner = CliRunner()
    args = ["banner", "seed", "--url", url, "--students", "60", "--sections", "8", "--seed", "4"]
    seeded = runner.invoke(app, args)
    assert seeded.exit_code == 0, seeded.output
    assert "60 students, 8 sections, term 202610, seed 4" in seeded.output
    again = runner.invoke(app, [*args, "--if-empty"])
    assert "nothing to do" in again.output
    summary = runner.invoke(app, ["banner", "summary", "--url", url])
    assert summary.exit_code == 0, summary.output
    assert "SFRSTCR" in summary.output and "enrolled registrations" in summary.output
