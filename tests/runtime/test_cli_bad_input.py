"""Every `bca` command answers bad input with one line, the right exit code and no traceback.

Exit code 2: the command line is wrong. Exit code 1: the command was right but could not do its
work (Banner not seeded, Canvas down, a bad setting). The rows run in process through
:func:`runtime.cli.main`, which is what the console script calls; two rows go through the real
``bca`` script to prove the installed entry point behaves the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import runtime.cli
import runtime.cli.api
from core.db import make_engine
from core.settings import get_settings
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner

SEEDED_TERM = "202710"
PASSWORD = "hunter2"


@dataclass(frozen=True)
class Case:
    argv: list[str]
    code: int
    says: str
    env: dict[str, str] | None = None

    def __str__(self) -> str:
        return " ".join(self.argv)


SEEDED = {"BCA_BANNER_URL": "{seeded}"}
CASES = [
    # token
    Case(["token", "--role", "advisor", "--subject", "notapidm"], 2, "numeric Banner PIDM"),
    Case(["token", "--role", "admin", "--subject", "a", "--term", "notaterm"], 2, "six digits"),
    Case(["token", "--role", "wizard", "--subject", "1"], 2, "Invalid value for '--role'"),
    Case(["token", "--role", "chair", "--subject", "c1"], 2, "role chair needs --department"),
    Case(["token", "--role", "chair", "--subject", "c1", "--department", "math"], 2, "dept 'math'"),
    Case(["token", "--role", "admin", "--subject", "a", "--ttl", "0h"], 2, "--ttl '0h'"),
    # reconcile
    Case(["reconcile", "--term", "notaterm"], 2, "'notaterm' is not a Banner term code"),
    Case(["reconcile"], 2, "Missing option '--term'"),
    Case(
        ["reconcile", "--term", SEEDED_TERM],
        1,
        "BCA_BANNER_URL: database sqlite:///{tmp}/no/such/dir/banner.db does not exist",
        {"BCA_BANNER_URL": "sqlite:///{tmp}/no/such/dir/banner.db"},
    ),
    Case(
        ["reconcile", "--term", SEEDED_TERM],
        1,
        "BCA_BANNER_URL: unsupported database URL 'foo://bca:***@x'",
        {"BCA_BANNER_URL": f"foo://bca:{PASSWORD}@x"},
    ),
    Case(["reconcile", "--term", SEEDED_TERM], 1, "run `bca banner seed` first"),
    Case(
        ["reconcile", "--term", SEEDED_TERM],
        1,
        "has no Banner tables: run `bca banner seed` first",
        {"BCA_BANNER_URL": "sqlite:///{tmp}/empty.db"},
    ),
    Case(
        ["reconcile", "--apply", "--term", SEEDED_TERM],
        1,
        "Canvas at http://127.0.0.1:9 does not answer",
        {**SEEDED, "BCA_CANVAS_URL": "http://127.0.0.1:9"},
    ),
    # close-grading
    Case(["close-grading", "--term", "fall"], 2, "'fall' is not a Banner term code"),
    Case(["close-grading", "--term", SEEDED_TERM], 1, "run `bca banner seed` first"),
    Case(["close-grading", "--term", "202610"], 1, "nothing to close", SEEDED),
    # banner, search, intake: Banner must be there
    Case(["banner", "seed", "--students", "-1"], 2, "Invalid value for '--students'"),
    Case(["banner", "seed", "--term", "2027"], 2, "'2027' is not a Banner term code"),
    Case(["banner", "summary", "--url", "nonsense://"], 2, "--url: unsupported database URL"),
    Case(["banner", "summary"], 1, "run `bca banner seed` first"),
    Case(["search", "index"], 1, "run `bca banner seed` first"),
    Case(["intake", "db-poll", "--once"], 1, "run `bca banner seed` first"),
    # events, worker, audit, chat, servers
    Case(["events", "list", "--limit", "0"], 2, "Invalid value for '--limit'"),
    Case(["events", "list", "--status", "bogus"], 2, "unknown status ['bogus']"),
    Case(["events", "replay", "nosuchid"], 2, "inbox event not found: event_id='nosuchid'"),
    Case(["worker", "--term", "1"], 2, "'1' is not a Banner term code"),
    Case(["worker", "--concurrency", "0"], 2, "Invalid value for '--concurrency'"),
    Case(["worker", "--once", "--handler", "nosuch:thing"], 2, "cannot load handler"),
    Case(["audit", "tail", "-n", "0"], 2, "Invalid value for '-n' / '--limit'"),
    Case(["chat", "--student", "notapidm", "hi"], 2, "Invalid value for '--student'"),
    Case(["chat", "purge", "--older-than", "5x"], 2, "--older-than '5x'"),
    Case(["serve", "--port", "0"], 2, "Invalid value for '--port'"),
    Case(["canvas-sim", "--port", "99999"], 2, "Invalid value for '--port'"),
    Case(["up", "--port", "-1"], 2, "Invalid value for '--port'"),
    Case(["model-sim", "--mode", "bogus"], 2, "--mode must be script, replay or record"),
    Case(["intake", "ethos", "--once"], 2, "set BCA_ETHOS_URL"),
    Case(["pii", "eval", "--corpus", "test", "--misses"], 2, "the test split's misses"),
    Case(["pii", "eval", "--corpus", "train"], 2, "Invalid value for '--corpus'"),
    Case(["analytics", "build", "fall"], 2, "'fall' is not a Banner term code"),
    Case(["analytics", "build", SEEDED_TERM, "--terms", "0"], 2, "Invalid value for '--terms'"),
    Case(["analytics", "build", SEEDED_TERM], 1, "run `bca banner seed` first"),
    Case(["analytics", "build", "199910"], 1, "no academic history up to term 199910", SEEDED),
    # settings: every command reads them first
    Case(["banner", "summary"], 1, "BCA_LOG_LEVEL: Input should be", {"BCA_LOG_LEVEL": "loud"}),
    Case(
        ["events", "list"],
        1,
        "BCA_LOG_FORMAT: Input should be 'text' or 'json' (got 'xml')",
        {"BCA_LOG_FORMAT": "xml"},
    ),
    Case(["nosuch"], 2, "No such command 'nosuch'"),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('banner')}/banner.db"
    engine = make_engine(url)
    seed_banner(engine, SeedPlan(students=30, sections=4, term=SEEDED_TERM, seed=1))
    engine.dispose()
    return url


@pytest.fixture
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty deployment under ``tmp_path``; the working directory too, so ./var is never hit."""
    monkeypatch.chdir(tmp_path)
    var = tmp_path / "var"
    for name, value in {
        "BCA_VAR_DIR": str(var),
        "BCA_BANNER_URL": f"sqlite:///{var}/banner.db",
        "BCA_DATABASE_URL": f"sqlite:///{var}/app.db",
        "BCA_CHECKPOINT_URL": str(var / "checkpoints.db"),
        "BCA_CANVAS_URL": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "empty.db").touch()
    get_settings.cache_clear()
    yield var
    get_settings.cache_clear()


def run_bca(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``bca ARGV`` in this process, as the console script runs it."""
    sys.argv = ["bca", *argv]
    get_settings.cache_clear()
    try:
        runtime.cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    else:
        code = 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(code: int, out: str, err: str) -> str:
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert code != 0
    return lines[0]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_is_one_line_with_its_exit_code(
    case: Case,
    var: Path,
    seeded: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill = {"tmp": str(var.parent), "seeded": seeded}
    for name, value in (case.env or {}).items():
        monkeypatch.setenv(name, value.format(**fill))
    monkeypatch.setattr(sys, "argv", sys.argv)  # restored after run_bca replaces it
    code, out, err = run_bca(case.argv, capsys)
    line = one_error_line(code, out, err)
    assert code == case.code, line
    assert case.says.format(**fill) in line
    assert PASSWORD not in out + err


def test_a_refused_run_creates_nothing(
    var: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", sys.argv)
    for argv in (["reconcile", "--term", SEEDED_TERM], ["close-grading", "--term", SEEDED_TERM]):
        code, _, _ = run_bca(argv, capsys)
        assert code == 1
    assert not var.exists()  # no empty banner.db, no app.db with a "failed" audit row


def test_an_unexpected_error_is_one_line_unless_debug(
    var: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(text: str, option: str = "--ttl") -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(runtime.cli.api, "parse_ttl", broken)
    monkeypatch.setattr(sys, "argv", sys.argv)
    argv = ["token", "--role", "admin", "--subject", "a"]
    code, out, err = run_bca(argv, capsys)
    line = one_error_line(code, out, err)
    assert code == 1
    assert line == "error: RuntimeError: boom second line (run with --debug for the traceback)"
    with pytest.raises(RuntimeError, match="boom"):
        run_bca(["--debug", *argv], capsys)


def test_help_shows_no_type_on_flags_and_no_rst_markup(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", sys.argv)
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run_bca(["reconcile", "--help"], capsys)
    assert code == 0 and "--apply" in out and "<bool>" not in out
    code, out, _ = run_bca(["close-grading", "--help"], capsys)
    assert code == 0 and "scheduled.close_grading" in out and "``" not in out
    assert "the worker (bca up, bca worker) proposes" in " ".join(out.split())


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["token", "--role", "advisor", "--subject", "notapidm"], 2, "numeric Banner PIDM"),
        (["reconcile", "--term", SEEDED_TERM], 1, "run `bca banner seed` first"),
    ],
)
def test_the_console_script_prints_no_traceback(
    argv: list[str], code: int, says: str, var: Path
) -> None:
    script = Path(sys.executable).parent / "bca"
    done = subprocess.run(
        [str(script), *argv], capture_output=True, text=True, timeout=60, env=dict(os.environ)
    )
    line = one_error_line(done.returncode, done.stdout, done.stderr)
    assert done.returncode == code and says in line
