"""Redaction throughput: free-text messages/s (NER on, batched) and structured records/s.

The process pins itself to one core (Linux) so the figures are per core.
Human lines first; the last line is one JSON object. ``guard_overhead_p50_ms`` is filled in
by ``policies.guard_bench.guard_overhead()`` when that module exists, else null.

    .venv/bin/python bench/redaction.py [--messages N] [--records N] [--no-gazetteer]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.pii.corpus import load_corpus, load_directory_names
from policies.pii import PseudonymVault, Redactor


def _messages(n: int) -> list[str]:
    texts = [i.text for i in load_corpus() if i.kind != "tool_output"]
    # distinct texts so the analysis cache cannot help: suffix a running number
    return [f"{texts[k % len(texts)]} (ref {k})" for k in range(n)]


def _records(n: int) -> list[dict[str, object]]:
    people = load_directory_names()
    out = []
    for k in range(n):
        p = people[k % len(people)]
        out.append({
            "pidm": 1000 + k, "spriden_id": f"A{k:08}", "first_name": p.first, "last_name": p.last,
            "email": f"{(p.first or 'x').lower()}.{k}@eou.edu",
            "phone_number": f"541555{k % 10000:04}",
            "term_code": "202610", "crn": str(40000 + k % 500), "rsts_code": "RE", "credit_hr": 4,
            "gpa": round(2 + (k % 200) / 100, 2),
            "crse_title": ("Intro Biology", "Calculus I")[k % 2],
            "advisor": {"advr_pidm": 77, "advisor_name": "Grant Hill", "prim_ind": "Y"},
        })  # fmt: skip
    return out


def _guard_figures() -> dict[str, object]:
    """The guard engineer's figures (p50 overhead and friends), or a null placeholder."""
    if importlib.util.find_spec("policies.guard_bench") is None:
        return {"guard_overhead_p50_ms": None}
    figures: dict[str, object] = importlib.import_module("policies.guard_bench").guard_overhead()
    print(f"guard: p50 overhead {figures['guard_overhead_p50_ms']} ms per tool call (target < 2)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--no-gazetteer", action="store_true", help="the redactor without it")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    t0 = time.perf_counter()
    redactor = Redactor(load_directory_names(), use_gazetteer=not args.no_gazetteer)
    print(f"engine ready in {time.perf_counter() - t0:.2f}s (NER: {redactor.ner_enabled})")
    redactor.redact_texts(_messages(200), PseudonymVault())  # warm-up

    messages = _messages(args.messages)
    t0 = time.perf_counter()
    redactor.redact_texts(messages, PseudonymVault())
    msg_rate = len(messages) / (time.perf_counter() - t0)
    print(f"free text: {len(messages)} messages, {msg_rate:,.0f} msgs/s (target >= 300)")

    records = _records(args.records)
    t0 = time.perf_counter()
    redactor.redact_records(records, PseudonymVault())
    rec_rate = len(records) / (time.perf_counter() - t0)
    print(f"structured: {len(records)} records of 13 fields, {rec_rate:,.0f} records/s "
          "(target >= 20,000)")  # fmt: skip

    print(json.dumps({
        "free_text_msgs_per_s": round(msg_rate, 1),
        "structured_records_per_s": round(rec_rate, 1),
        "ner_enabled": redactor.ner_enabled,
        "gazetteer": not args.no_gazetteer,
        "cores": 1,
        **_guard_figures(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
