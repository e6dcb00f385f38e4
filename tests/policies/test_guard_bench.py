"""The guard-overhead figures bench/redaction.py reports are produced and plausible."""

from __future__ import annotations

from policies.guard_bench import guard_overhead


def test_guard_overhead_figures() -> None:
    figures = guard_overhead(calls=150, warmup=20)
    assert figures["guard_calls"] == 150
    assert 0 < figures["guard_overhead_p50_ms"] <= figures["guard_overhead_p95_ms"]
    assert figures["guard_overhead_p50_ms"] < 50  # the target (2 ms) is checked by the bench
    assert figures["audit_appends_per_s"] > 0
    assert figures["audit_chain_intact"] is True
