"""``bca up`` as a real process from a fresh var directory, until SIGINT or SIGTERM.

The command seeds a small Banner sandbox, starts the Canvas simulator, the API, the worker and
the scheduler, and prints the dashboard URL and sign-in tokens. Once it serves, the printed URL
and tokens are used as a person would: ``/health`` names its components, a token reads the
approvals, the dashboard answers, a Canvas Live Event posted to the webhook is processed by the
running worker; then a stop signal ends the process with exit code 0 and no traceback.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jwt
import pytest

from sandbox.canvas.testing import free_port

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
DASHBOARD = re.compile(r"Dashboard:\s+(http://\S+/dashboard)\b")
TOKEN = re.compile(r"^(eyJ[\w-]+\.[\w-]+\.[\w-]+)$", re.MULTILINE)
READY = "Ctrl-C stops everything."
KEY = "bca-up-test-live-events-key-of-32-bytes!"
"""The deployment's Live Events key: the simulator signs with it and the webhook requires it."""

T = TypeVar("T")


@dataclass
class Up:
    """A running ``bca up``: its process, output files and what it printed."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    dashboard: str
    base: str
    tokens: list[str]

    def output(self) -> str:
        return ANSI.sub("", self.stdout.read_text(errors="replace"))

    def errors(self) -> str:
        return self.stderr.read_text(errors="replace")

    def headers(self, token: str | None = None) -> dict[str, str]:
        """Bearer header of ``token``, else of the printed registrar's (events and audit)."""
        if token is None:
            token = next(
                t
                for t in self.tokens
                if jwt.decode(t, options={"verify_signature": False})["role"] == "registrar"
            )
        return {"Authorization": f"Bearer {token}"}


def wait_for(check: Callable[[], T | None], timeout: float, what: str, up: Up | None = None) -> T:
    """The first truthy answer of ``check`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    detail = f"\nstdout:\n{up.output()}\nstderr:\n{up.errors()[-3000:]}" if up else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def environment(tmp: Path) -> dict[str, str]:
    """``bca up``'s environment: a fresh var directory and the Live Events key."""
    var = tmp / "var"
    return {
        **os.environ,
        "BCA_VAR_DIR": str(var),
        "BCA_BANNER_URL": f"sqlite:///{var}/banner.db",
        "BCA_DATABASE_URL": f"sqlite:///{var}/app.db",
        "BCA_CHECKPOINT_URL": str(var / "checkpoints.db"),
        "PYTHONUNBUFFERED": "1",
        "NO_COLOR": "1",
        "COLUMNS": "400",
        "BCA_CANVAS_LIVE_EVENTS_JWT_KEY": KEY,
    }


def start(tmp: Path) -> Up:
    """``bca up`` on a free port over a fresh var directory, serving and printed out."""
    env = environment(tmp)
    port = free_port()
    bca = Path(sys.executable).with_name("bca")
    stdout, stderr = tmp / "stdout.txt", tmp / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [str(bca), "up", "--host", "127.0.0.1", "--port", str(port), "--students", "12",
             "--sections", "2"],
            cwd=tmp, env=env, stdout=out, stderr=err, start_new_session=True,
        )  # fmt: skip
    up = Up(process, stdout, stderr, dashboard="", base=f"http://127.0.0.1:{port}", tokens=[])

    def printed() -> bool:
        if process.poll() is not None:
            raise AssertionError(
                f"bca up exited with {process.returncode} before it was ready\n"
                f"stdout:\n{up.output()}\nstderr:\n{up.errors()[-3000:]}"
            )
        return READY in up.output()

    wait_for(printed, START_TIMEOUT_S, "the dashboard URL and tokens", up)
    text = up.output()
    dashboard = DASHBOARD.search(text)
    assert dashboard, text
    up.dashboard = dashboard.group(1)
    up.tokens = TOKEN.findall(text)
    assert up.tokens, f"no sign-in token printed:\n{text}"
    assert up.dashboard == f"{up.base}/dashboard"
    wait_for(lambda: _answers(f"{up.base}/health"), START_TIMEOUT_S, "the API to serve", up)
    return up


def stop(up: Up, sig: signal.Signals) -> int:
    """Send ``sig`` and the exit code within the timeout."""
    up.process.send_signal(sig)
    return up.process.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    """One ``bca up`` shared by the checks; the last test stops it with SIGINT."""
    running = start(tmp_path_factory.mktemp("bca-up"))
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(timeout=STOP_TIMEOUT_S)


def test_health_answers_200_naming_its_components(up: Up) -> None:
    answer = httpx.get(f"{up.base}/health", timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ok"
    assert {"app_database", "banner"} <= set(body["components"])
    assert all(component["ok"] for component in body["components"].values())


def test_every_printed_token_reads_what_its_role_works_on(up: Up) -> None:
    """Approvers read the approvals; the LMS admin's token is valid but approves nothing."""
    for token in up.tokens:
        role = jwt.decode(token, options={"verify_signature": False})["role"]
        answer = httpx.get(f"{up.base}/api/approvals", headers=up.headers(token), timeout=10)
        if role == "lms_admin":  # signed in (not 401), refused by role: exceptions are its work
            assert answer.status_code == 403 and "lms_admin" in answer.text, answer.text
            continue
        assert answer.status_code == 200, (role, answer.text)
        assert isinstance(answer.json(), list)
    assert "lms_admin" in {
        jwt.decode(t, options={"verify_signature": False})["role"] for t in up.tokens
    }
    refused = httpx.get(f"{up.base}/api/approvals", timeout=10)
    assert refused.status_code == 401


def test_the_printed_dashboard_url_leads_to_the_sign_in_page(up: Up) -> None:
    answer = httpx.get(up.dashboard, timeout=10, follow_redirects=True)
    assert answer.status_code == 200
    assert answer.url.path == "/dashboard/sign-in"
    assert "<form" in answer.text and "token" in answer.text.lower()


def test_a_live_event_posted_to_the_webhook_is_processed_by_the_running_worker(up: Up) -> None:
    # A submission in a course that names no single Banner section: the alerts specialist
    # leaves it for the term scan (noop), so the event ends done whatever the seed holds.
    envelope = {
        "metadata": {
            "event_name": "submission_created",
            "event_time": datetime.now(UTC).isoformat(),
            "request_id": f"bca-up-test-{time.time_ns()}",
            "root_account_id": "1",
            "context_type": "Course",
            "context_id": "424242",
        },
        "body": {
            "submission_id": "9001",
            "assignment_id": "77",
            "user_id": "501",
            "course_id": "424242",
        },
    }
    unsigned = httpx.post(f"{up.base}/webhooks/canvas", json=envelope, timeout=10)
    assert unsigned.status_code == 401, unsigned.text
    signed = jwt.encode({**envelope, "iat": int(time.time())}, KEY, algorithm="HS256")
    stored = httpx.post(f"{up.base}/webhooks/canvas", content=signed, timeout=10)
    assert stored.status_code == 200, stored.text
    assert stored.json()["status"] == "stored"
    event_id = stored.json()["event_id"]

    def final() -> dict[str, Any] | None:
        answer = httpx.get(f"{up.base}/api/events", params={"source": "canvas"},
                           headers=up.headers(), timeout=10)  # fmt: skip
        assert answer.status_code == 200, answer.text
        row = next((e for e in answer.json()["events"] if e["event_id"] == event_id), None)
        return row if row and row["status"] not in ("received", "processing") else None

    row = wait_for(final, 30, f"event {event_id} to be processed", up)
    assert row["status"] == "done", row
    assert row["attempts"] == 1 and row["last_error"] is None, row


def test_sigint_ends_it_with_exit_code_0_and_no_traceback(up: Up) -> None:
    code = stop(up, signal.SIGINT)
    assert code == 0, up.errors()[-3000:]
    assert "Traceback" not in up.errors(), up.errors()[-3000:]


def test_sigterm_ends_it_with_exit_code_0_and_no_traceback(tmp_path: Path) -> None:
    up = start(tmp_path)
    try:
        code = stop(up, signal.SIGTERM)
    finally:
        if up.process.poll() is None:
            up.process.kill()
            up.process.wait(timeout=STOP_TIMEOUT_S)
    assert code == 0, up.errors()[-3000:]
    assert "Traceback" not in up.errors(), up.errors()[-3000:]


def test_unsigned_live_events_are_refused_off_loopback_before_anything_starts(tmp_path: Path):
    env = {**environment(tmp_path), "BCA_CANVAS_LIVE_EVENTS_ACCEPT_UNSIGNED": "true"}
    del env["BCA_CANVAS_LIVE_EVENTS_JWT_KEY"]
    bca = Path(sys.executable).with_name("bca")
    run = subprocess.run(
        [str(bca), "up", "--host", "0.0.0.0", "--port", str(free_port())],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2, run.stdout + run.stderr
    assert "ACCEPT_UNSIGNED" in run.stderr and "loopback" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "var").exists()
