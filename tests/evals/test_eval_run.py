"""`bca eval run`: replay over every suite, reports, baselines and their diff, flaky cases,
two prompt versions side by side, cassette misses, unreachable endpoints, and the real
ChatOpenAI client against the model simulator."""

import json
import shutil
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from evals.baseline import BASELINES_DIR
from evals.engine import CASSETTES_DIR
from evals.models import ModelTarget
from evals.run import RunOptions, run_evals
from evals.suite import SUITES_DIR, load_suite
from prompts import loader
from sandbox.model.script import Script
from sandbox.model.testing import running_model_sim
from sandbox.serving import free_port
from tests.evals.helpers import bca

RAW = ["Quintero", "Okonkwo", "A00610001", "b.okonkwo@students.example.edu", "521-44-1904"]


def test_replay_over_every_suite_passes_and_writes_the_reports(tmp_path):
    ran = bca("eval", "run", "--model", "replay", "--report", str(tmp_path))
    assert ran.code == 0, ran.out + ran.err
    suites = ET.parse(tmp_path / "junit.xml").getroot().findall("testsuite")
    assert {s.get("name") for s in suites} == {
        "outreach_draft[outreach_draft@1]",
        "grade_anomaly_explain[grade_anomaly_explain@1]",
        "smoke_local[outreach_draft@1]",
        "support_chat[support_answer@2]",
        "program_review_narrative[program_review_narrative@1]",
    }
    assert sum(int(s.get("tests") or 0) for s in suites) >= 150
    assert all(s.get("failures") == "0" for s in suites)
    figures = json.loads((tmp_path / "figures.json").read_text())
    outreach = figures["outreach_draft[outreach_draft@1]"]
    assert outreach["cases"] >= 30 and outreach["pass_hat_k"] == 1.0
    assert outreach["tokens_in"] > 0 and outreach["latency_p95_ms"] is not None
    assert outreach["scorer_pass_rates"]["pii_sent"] == 1.0
    summary = (tmp_path / "summary.md").read_text()
    assert "| outreach_draft | outreach_draft@1 |" in summary and "no change" in summary
    html = (tmp_path / "report.html").read_text()
    assert "inject-ignore-1" in html and "&lt;PERSON_1&gt;" in html  # escaped, pseudonymised
    assert not [raw for raw in RAW if raw in html]  # the transcript is the redacted one
    assert list((tmp_path / "logs").glob("*.json"))  # inspect's logs, for `inspect view`


def test_a_cassette_miss_fails_the_case_naming_the_request(tmp_path):
    cassettes = tmp_path / "cassettes"
    shutil.copytree(CASSETTES_DIR / "grade_anomaly_explain", cassettes / "grade_anomaly_explain")
    victim = sorted((cassettes / "grade_anomaly_explain").glob("[0-9a-f]*.json"))[0]
    key = victim.stem
    victim.unlink()
    outcome = run_evals(
        RunOptions(suites=["grade_anomaly_explain"], report=tmp_path / "r", cassettes=cassettes),
        ModelTarget(kind="replay", name="replay"),
        {},
    )
    (result,) = outcome.report.results
    failed = [c for c in result.cases if not c.pass_hat_k]
    assert len(failed) == 1
    assert any(f"no cassette for request {key}" in f for f in failed[0].failures())
    assert outcome.exit_code == 1  # a regression against the stored baseline


@pytest.fixture
def prompts_copy(tmp_path, monkeypatch):
    """The shipped prompts in a folder the test may edit."""
    folder = tmp_path / "prompts"
    shutil.copytree(loader.TEMPLATES_DIR, folder)
    monkeypatch.setattr(loader, "TEMPLATES_DIR", folder)
    loader.all_prompts.cache_clear()
    yield folder
    loader.all_prompts.cache_clear()


def test_a_prompt_that_drops_a_required_fact_fails_the_baseline_diff_naming_the_case(
    prompts_copy, tmp_path
):
    prompt = prompts_copy / "outreach_draft.v1.md"
    prompt.write_text(prompt.read_text().replace("Course: {{ course }}\n", ""))
    loader.all_prompts.cache_clear()
    ran = bca(
        "eval", "run", "outreach_draft", "--model", "scripted", "--report", str(tmp_path / "r")
    )
    assert ran.code == 1
    assert "REGRESSED flag-01 facts: 1.0 -> 0.0" in ran.err
    assert "REGRESSED flag-01 case: 1.0 -> 0.0" in ran.err
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert "- regressed: flag-01 / facts: 1.0 -> 0.0" in summary
    assert "missing: contains 'CRN 10231'" in summary
    junit = (tmp_path / "r" / "junit.xml").read_text()
    assert 'name="flag-01"' in junit and "regressed" in junit


def test_two_prompt_versions_side_by_side(prompts_copy, tmp_path):
    v1 = (prompts_copy / "grade_anomaly_explain.v1.md").read_text()
    v2 = v1.replace("version: 1", "version: 2").replace("Evidence: {{ evidence }}", "")
    (prompts_copy / "grade_anomaly_explain.v2.md").write_text(v2)
    loader.all_prompts.cache_clear()
    ran = bca(
        "eval", "run", "grade_anomaly_explain", "--model", "scripted",
        "--prompt", "grade_anomaly_explain@v1", "--prompt", "grade_anomaly_explain@v2",
        "--report", str(tmp_path / "r"),
    )  # fmt: skip
    figures = json.loads((tmp_path / "r" / "figures.json").read_text())
    one = figures["grade_anomaly_explain[grade_anomaly_explain@1]"]
    two = figures["grade_anomaly_explain[grade_anomaly_explain@2]"]
    assert one["pass_hat_k"] == 1.0 and two["pass_hat_k"] < 0.5  # v2 lost the evidence
    assert ran.code == 1 and "REGRESSED" in ran.err


def test_a_narrative_version_that_stops_citing_fails_the_cited_scorer(prompts_copy, tmp_path):
    v1 = (prompts_copy / "program_review_narrative.v1.md").read_text()
    (prompts_copy / "program_review_narrative.v2.md").write_text(
        v1.replace("version: 1", "version: 2").replace("cite: findings\n", "")
    )
    loader.all_prompts.cache_clear()
    ran = bca(
        "eval", "run", "program_review_narrative", "--model", "scripted",
        "--prompt", "program_review_narrative@2", "--report", str(tmp_path / "r"),
    )  # fmt: skip
    assert ran.code == 1
    assert "REGRESSED invented-rate case: 1.0 -> 0.0" in ran.err
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert "cited (epoch 1): the model's draft states 71%, which its citations do not" in summary
    assert "REGRESSED prerequisite-worded-01" not in ran.err  # faithful drafts still pass


def test_pass_hat_k_and_the_flaky_flag_on_a_model_that_alternates(tmp_path):
    suite = yaml.safe_load((SUITES_DIR / "outreach_draft.yaml").read_text())
    good = "Hi <PERSON_1>, I noticed {echo}. Could we meet this week?"
    suite |= {
        "name": "flaky",
        "script": [
            {"when_user": "12 days", "reply": "Hello, could we meet?", "times": 1},  # drops name
            {"reply": good},
        ],
        "cases": [c for c in suite["cases"] if c["id"] in ("flag-01", "flag-02")],
    }
    path = tmp_path / "flaky.yaml"
    path.write_text(yaml.safe_dump(suite))
    ran = bca(
        "eval", "run", str(path), "--model", "scripted", "--epochs", "3",
        "--report", str(tmp_path / "r"), "--baseline", str(tmp_path / "none"),
    )  # fmt: skip
    assert ran.code == 0
    figures = json.loads((tmp_path / "r" / "figures.json").read_text())["flaky[outreach_draft@1]"]
    assert figures["flaky"] == 1 and figures["pass_at_k"] == 1.0 and figures["pass_hat_k"] == 0.5
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert "**flag-01** (flaky, 2/3)" in summary and "dropped <PERSON_1>" in summary


def test_a_bad_suite_stops_the_run_before_any_model_call(tmp_path):
    data = yaml.safe_load((SUITES_DIR / "smoke_local.yaml").read_text())
    data["cases"][3]["expect"]["forbiden"] = []
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    suite, _ = load_suite(SUITES_DIR / "smoke_local.yaml")
    with running_model_sim(Script(rules=suite.script)) as sim:
        ran = bca(
            "eval", "run", "smoke_local", str(bad), "--model", "openai:sim",
            "--report", str(tmp_path / "r"), env={"BCA_OPENAI_BASE_URL": sim.base_url},
        )  # fmt: skip
        assert sim.stats()["requests"] == 0
    assert ran.code == 2
    assert f"{bad}: case {data['cases'][3]['id']}: expect.forbiden: Extra inputs" in ran.err


def test_an_unreachable_endpoint_is_a_clear_error_and_exit_code(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.monotonic()
    ran = bca(
        "eval", "run", "smoke_local", "--model", "openai:gpt-4o-mini",
        "--report", str(tmp_path), env={"BCA_OPENAI_BASE_URL": url},
    )  # fmt: skip
    assert ran.code == 3 and f"model endpoint {url} unreachable" in ran.err
    assert time.monotonic() - started < 15


def test_a_suite_through_the_real_chatopenai_client_against_the_simulator(tmp_path):
    suite, _ = load_suite(SUITES_DIR / "grade_anomaly_explain.yaml")
    with running_model_sim(Script(rules=suite.script)) as sim:
        outcome = run_evals(
            RunOptions(suites=["grade_anomaly_explain"], report=tmp_path, baseline=BASELINES_DIR),
            ModelTarget(kind="openai", name="bca-sim", base_url=sim.base_url),
            {"bca-sim": (1.0, 2.0)},
        )
        sent = json.dumps(sim.requests())
        assert sim.stats()["requests"] == len(suite.cases)
    (result,) = outcome.report.results
    assert outcome.exit_code == 0 and all(c.pass_hat_k for c in result.cases)
    assert not [raw for raw in RAW if raw in sent]  # what went over HTTP held no identifier
    figures = result.figures()
    assert figures.cost_usd == pytest.approx(
        (figures.tokens_in * 1.0 + figures.tokens_out * 2.0) / 1e6, abs=1e-5
    )


def test_record_then_replay_round_trip(tmp_path):
    cassettes = tmp_path / "cassettes"
    options = RunOptions(
        suites=["smoke_local"], report=tmp_path / "a", cassettes=cassettes, record=True
    )
    recorded = run_evals(options, ModelTarget(kind="scripted", name="scripted"), {})
    assert len(list((cassettes / "smoke_local").glob("*.json"))) == 11  # 10 + meta
    replayed = run_evals(
        options.model_copy(update={"record": False, "report": tmp_path / "b"}),
        ModelTarget(kind="replay", name="replay"),
        {},
    )
    drafts = [[e.run.draft for e in c.epochs] for c in recorded.report.results[0].cases]
    assert drafts == [[e.run.draft for e in c.epochs] for c in replayed.report.results[0].cases]
    assert replayed.exit_code == 0


def test_update_baseline_writes_the_suite_baseline(tmp_path):
    ran = bca(
        "eval", "run", "smoke_local", "--model", "scripted", "--report", str(tmp_path / "r"),
        "--baseline", str(tmp_path / "baselines"), "--update-baseline",
    )  # fmt: skip
    assert ran.code == 0
    stored = json.loads((tmp_path / "baselines" / "smoke_local.json").read_text())
    assert stored["prompt_ref"] == "outreach_draft@1" and len(stored["cases"]) == 10
    assert Path(BASELINES_DIR / "smoke_local.json").is_file()
