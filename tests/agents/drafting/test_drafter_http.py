"""The drafter against the model simulator over HTTP, through the real ChatOpenAI client.

Each fallback reason, the circuit breaker and the concurrency limit: the client's timeouts,
retries and parsing are the real ones, only the model is simulated.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from langchain_openai import ChatOpenAI

from agents.drafting import (
    BreakerPolicy,
    Drafter,
    DrafterLimits,
    DraftRequest,
    MemoryDraftLog,
    fallback_label,
)
from policies.pii import PseudonymVault
from policies.pii.models import PiiType
from prompts import load_prompt
from sandbox.model.script import Rule
from sandbox.model.testing import ModelSimHandle, running_model_sim
from sandbox.serving import free_port

OUTREACH = "outreach_draft@1"
VARS = {
    "student": "<PERSON_1>",
    "course": "your course (CRN 10001)",
    "reasons": ["no activity for 9 days", "2 missing assignments"],
    "advisor": "Your advisor",
}
GOOD = "Hi {placeholders}, I noticed you have not been in the course lately. Could we meet?"


@pytest.fixture
def sim():
    with running_model_sim([Rule(reply=GOOD)]) as handle:
        yield handle


def drafter(
    base_url: str, *, timeout: float = 2.0, retries: int = 1, concurrency: int = 4,
    failures: int = 5, log: MemoryDraftLog | None = None, clock=None,
) -> Drafter:  # fmt: skip
    model = ChatOpenAI(
        model="sim", base_url=base_url, api_key="x", timeout=timeout, max_retries=0, temperature=0
    )
    extra = {"clock": clock} if clock else {}
    return Drafter(
        model,
        "sim",
        limits=DrafterLimits(
            timeout_seconds=timeout,
            max_retries=retries,
            concurrency=concurrency,
            breaker=BreakerPolicy(failures=failures, cooldown=timedelta(seconds=60)),
        ),
        log=log or MemoryDraftLog(),
        **extra,
    )


def test_a_good_draft_comes_from_the_model_bounded_by_the_prompts_max_tokens(sim):
    log = MemoryDraftLog()
    draft = drafter(sim.base_url, log=log).draft(OUTREACH, VARS)
    assert draft.model == "sim" and draft.fallback is None
    assert draft.text == GOOD.replace("{placeholders}", "<PERSON_1>")
    (sent,) = sim.requests()
    assert sent["max_completion_tokens"] == load_prompt(OUTREACH).max_tokens
    (record,) = log.all()
    assert record.outcome == "model" and record.tokens_out > 0 and record.tokens_in > 0


def test_endpoints_that_read_max_tokens_get_it_instead(sim):
    d = drafter(sim.base_url)
    d.limits = d.limits.model_copy(update={"token_field": "max_tokens"})
    d.draft(OUTREACH, VARS)
    (sent,) = sim.requests()
    assert sent["max_tokens"] == load_prompt(OUTREACH).max_tokens
    assert "max_completion_tokens" not in sent


def test_the_stop_sequence_of_a_prompt_is_sent(sim):
    sim.set_script([Rule(reply="One sentence about {placeholders}.")])
    variables = {"student": "<PERSON_1>", "course": "CRN 10001", "grade": "F", "check": "drop",
                 "evidence": "scored 91% last term"}  # fmt: skip
    drafter(sim.base_url).draft("grade_anomaly_explain", variables)
    assert sim.requests()[0]["stop"] == ["\n\n"]


def test_a_model_that_never_answers_falls_back_after_the_timeout_without_a_retry(sim):
    sim.set_script([Rule(hang=True)])
    started = time.monotonic()
    draft = drafter(sim.base_url, timeout=1.0).draft(OUTREACH, VARS)
    assert time.monotonic() - started < 5
    assert draft.fallback == "the model did not answer in 1 s" and draft.model is None
    assert draft.text.startswith(fallback_label("the model did not answer in 1 s"))
    assert "<PERSON_1>" in draft.text and "2 missing assignments" in draft.text
    assert sim.stats()["requests"] == 1  # a timeout is not retried


def test_an_unreachable_endpoint_falls_back():
    log = MemoryDraftLog()
    draft = drafter(f"http://127.0.0.1:{free_port()}/v1", log=log).draft(OUTREACH, VARS)
    assert draft.fallback == "the model endpoint could not be reached"
    assert [r.outcome for r in log.all()] == ["unreachable"] and log.all()[0].failed


@pytest.mark.parametrize(("status", "outcome"), [(500, "model_error"), (429, "rate_limited")])
def test_retryable_errors_are_retried_once_then_fall_back(sim, status, outcome):
    sim.set_script([Rule(status=status)])
    log = MemoryDraftLog()
    draft = drafter(sim.base_url, retries=1, log=log).draft(OUTREACH, VARS)
    assert draft.fallback == f"the model endpoint answered HTTP {status}"
    assert sim.stats()["requests"] == 2
    assert log.all()[0].outcome == outcome


def test_a_retried_error_that_then_succeeds_is_the_models_draft(sim):
    sim.set_script([Rule(status=503, times=1), Rule(reply=GOOD)])
    draft = drafter(sim.base_url, retries=1).draft(OUTREACH, VARS)
    assert draft.fallback is None and sim.stats()["requests"] == 2


def test_a_client_error_is_not_retried(sim):
    sim.set_script([Rule(status=400, error="bad request")])
    draft = drafter(sim.base_url, retries=3).draft(OUTREACH, VARS)
    assert draft.fallback == "the model endpoint answered HTTP 400"
    assert sim.stats()["requests"] == 1


HELD = "the model's draft held a personal identifier"
BROKEN = [
    ("Hi there, could we meet this week?", "the model's draft dropped <PERSON_1>"),
    (
        "Hi <PERSON_1> and <PERSON_7>, could we meet?",
        "the model's draft invented the placeholder PERSON_7",
    ),
    ("Hi <PERSON_1>, " + "so " * 160 + "meet?", "the model's draft had 163 words (limit 150)"),
    ("Hi <PERSON_1>, " + "really " * 200, "the model's draft was cut off at 220 tokens"),
    ("Hi <PERSON_1>, write to jo.doe@example.edu", f"{HELD} (EMAIL)"),
    ("Hi <PERSON_1> (A00123456), could we meet?", f"{HELD} (BANNER_ID)"),
    ("Hi <PERSON_1>, call 555-867-5309 today", f"{HELD} (PHONE)"),
    ("   ", "the model's draft was empty"),
]


@pytest.mark.parametrize(("reply", "reason"), BROKEN)
def test_a_draft_that_breaks_its_prompts_rules_falls_back(sim, reply, reason):
    sim.set_script([Rule(reply=reply)])
    log = MemoryDraftLog()
    draft = drafter(sim.base_url, log=log).draft(OUTREACH, VARS)
    assert draft.fallback == reason
    assert draft.text.startswith(fallback_label(reason)) and draft.model is None
    (record,) = log.all()
    assert record.attempted and not record.failed  # the model answered: not a breaker failure


def test_a_draft_spelling_out_a_real_value_of_the_run_falls_back(sim):
    vault = PseudonymVault()
    token = vault.pseudonym(PiiType.PERSON, "Arjun Patel")
    sim.set_script([Rule(reply="Hi {placeholders}, I hope Arjun Patel is well.")])
    draft = drafter(sim.base_url).draft(OUTREACH, VARS | {"student": token}, vault)
    assert draft.fallback == "the model's draft held a personal identifier (PERSON)"


def test_the_breaker_opens_after_consecutive_failures_and_closes_after_the_cool_down(sim):
    now = [datetime(2026, 12, 6, 12, tzinfo=UTC)]
    d = drafter(sim.base_url, timeout=0.5, failures=3, clock=lambda: now[0])
    sim.set_script([Rule(hang=True)])
    for _ in range(3):
        assert d.draft(OUTREACH, VARS).fallback == "the model did not answer in 0.5 s"
    assert d.breaker().open
    before = sim.stats()["requests"]
    skipped = d.draft(OUTREACH, VARS)
    assert sim.stats()["requests"] == before  # no call while open
    assert skipped.fallback == (
        "the model failed 3 times in a row; template mode until 12:01:00 UTC"
    )
    now[0] += timedelta(seconds=61)
    sim.set_script([Rule(reply=GOOD)])
    assert d.draft(OUTREACH, VARS).fallback is None  # half-open: tried, answered, closed
    assert not d.breaker().open


def test_a_success_between_failures_resets_the_count(sim):
    d = drafter(sim.base_url, timeout=0.5, failures=2)
    sim.set_script([Rule(status=500)])
    d.draft(OUTREACH, VARS)
    sim.set_script([Rule(reply=GOOD)])
    d.draft(OUTREACH, VARS)
    sim.set_script([Rule(status=500)])
    d.draft(OUTREACH, VARS)
    assert not d.breaker().open and d.breaker().consecutive_failures == 1


def test_drafts_run_concurrently_up_to_the_limit_in_request_order(sim: ModelSimHandle):
    sim.set_script([Rule(reply="Hi {placeholders}, could we meet?", delay_s=0.4)])
    requests = [
        DraftRequest(prompt_ref=OUTREACH, variables=VARS | {"student": f"<PERSON_{n}>"})
        for n in range(1, 10)
    ]
    started = time.monotonic()
    drafts = drafter(sim.base_url, concurrency=3).draft_many(requests)
    elapsed = time.monotonic() - started
    assert [d.text for d in drafts] == [f"Hi <PERSON_{n}>, could we meet?" for n in range(1, 10)]
    assert sim.stats()["max_in_flight"] == 3
    assert elapsed < 9 * 0.4  # three at a time, not one after another
