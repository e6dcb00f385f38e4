"""The default throttle over raw HTTP (no client pacing): many concurrent callers on one token
are refused, one caller making its requests one at a time is not, and every request pays the
fixed cost."""

from __future__ import annotations

import threading
from collections import Counter

import httpx

from sandbox.canvas.config import ThrottleConfig
from sandbox.canvas.testing import SimulatorHandle

THREADS, CALLS = 32, 20


def _headers(sim: SimulatorHandle) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.token}"}


def test_32_concurrent_callers_on_one_token_receive_429s(sim: SimulatorHandle) -> None:
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def caller() -> None:
        with httpx.Client(base_url=sim.base_url, headers=_headers(sim)) as client:
            start.wait()
            for _ in range(CALLS):
                status = client.get("/api/v1/accounts/1").status_code
                with lock:
                    statuses[status] += 1

    threads = [threading.Thread(target=caller) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(statuses.values()) == THREADS * CALLS
    assert set(statuses) == {200, 429}, statuses
    assert statuses[429] > 0


def test_one_sequential_caller_is_never_throttled_and_pays_the_fixed_cost(
    sim: SimulatorHandle,
) -> None:
    fixed = ThrottleConfig().extra_cost
    assert fixed > 0
    statuses: Counter[int] = Counter()
    lowest = float("inf")
    with httpx.Client(base_url=sim.base_url, headers=_headers(sim)) as client:
        for _ in range(1_000):
            response = client.get("/api/v1/accounts/1")
            statuses[response.status_code] += 1
            assert float(response.headers["X-Request-Cost"]) >= fixed
            lowest = min(lowest, float(response.headers["X-Rate-Limit-Remaining"]))
    assert statuses == {200: 1_000}
    assert lowest < ThrottleConfig().hwm  # the fixed costs stayed in the bucket
