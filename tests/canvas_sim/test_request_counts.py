"""``GET /sim/requests`` counts every ``/api/`` answer by status, 429s and proxy faults included.

Benchmarks count Canvas requests there (a fleet of worker processes has no shared client), so
the count must include what a client never sees as a success: refusals, injected faults and
dropped connections; and it must not include the ``/sim`` control calls themselves.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sandbox.canvas.testing import running_simulator


def test_requests_are_counted_by_answer_status(tmp_path: Path) -> None:
    throttle = {"hwm": 5, "maximum": 8, "outflow": 0.01, "up_front_cost": 1, "extra_cost": 2}
    with running_simulator(tmp_path / "c.db", throttle=throttle) as sim:
        client = httpx.Client(
            base_url=sim.base_url, headers={"Authorization": f"Bearer {sim.token}"}
        )
        counts = lambda: client.get("/sim/requests").json()  # noqa: E731
        assert counts() == {"requests": 0, "throttled": 0, "by_status": {}}
        statuses = [client.get("/api/v1/accounts/1").status_code for _ in range(4)]
        assert statuses[:2] == [200, 200] and statuses[-1] == 429
        sim.set_throttle(enabled=False)
        assert client.get("/api/v1/courses/999").status_code == 404
        sim.set_faults(error_rate=1.0, after_effect_share=0.0, error_statuses=[503], seed=1)
        assert client.get("/api/v1/accounts/1").status_code == 503
        sim.set_faults(drop_rate=1.0, after_effect_share=0.0, seed=1)
        with pytest.raises(httpx.TransportError):
            client.get("/api/v1/accounts/1")
        sim.set_faults()
        got = counts()
        client.close()
    throttled = statuses.count(429)
    assert got["by_status"] == {"0": 1, "200": 4 - throttled, "404": 1, "429": throttled, "503": 1}
    assert got["requests"] == 7 and got["throttled"] == throttled
