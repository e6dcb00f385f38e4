"""Reports of a run: JUnit XML for CI, a Markdown summary, an HTML page per run, figures JSON.

The HTML shows each case's transcript as the model received it (already redacted: the
solver captures the messages after redaction), the drafted text with its pseudonyms, the tool
calls with the policy's decision (and, for an agent, what it cited and why it handed off),
every scorer's verdict, tokens, latency and cost. The re-identified output is never written to
a report.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from jinja2 import Environment, select_autoescape
from pydantic import BaseModel

from evals.baseline import DiffEntry
from evals.results import SuiteResult


class RunReport(BaseModel):
    """Everything a run reports: each suite result and its diff against the baseline."""

    model: str
    results: list[SuiteResult]
    diffs: dict[str, list[DiffEntry]]
    """By result key; absent: no baseline was compared."""
    tolerance: float = 0.0


def junit_xml(report: RunReport) -> str:
    """One testsuite per suite and prompt version, one testcase per case."""
    root = ET.Element("testsuites", name=f"bca eval ({report.model})")
    for result in report.results:
        failed = [c for c in result.cases if not c.pass_hat_k]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=result.key,
            tests=str(len(result.cases)),
            failures=str(len(failed)),
            time=f"{result.seconds:.2f}",
        )
        for case in result.cases:
            element = ET.SubElement(
                suite,
                "testcase",
                classname=result.key,
                name=case.case_id,
                time=f"{sum(e.run.latency_ms for e in case.epochs) / 1000:.3f}",
            )
            if not case.pass_hat_k:
                failure = ET.SubElement(
                    element,
                    "failure",
                    message=f"passed {case.passes} of {len(case.epochs)} epochs",
                )
                failure.text = "\n".join(case.failures())
        for entry in report.diffs.get(result.key, []):
            if entry.change == "regressed":
                element = ET.SubElement(
                    suite, "testcase", classname=f"{result.key}.baseline", name=entry.case_id
                )
                ET.SubElement(
                    element,
                    "failure",
                    message=f"{entry.scorer} regressed {entry.before} -> {entry.after}",
                )
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def markdown_summary(report: RunReport) -> str:
    """Figures per suite, failing and flaky cases, the baseline diff."""
    lines = [f"# Evaluation run: {report.model}", ""]
    lines += [
        "| suite | prompt | cases | epochs | pass@k | pass^k | flaky | tokens in/out |"
        " latency p50/p95 ms | cost USD | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report.results:
        f = r.figures()
        lines.append(
            f"| {r.suite} | {r.prompt_ref} | {f.cases} | {f.epochs} | {_pct(f.pass_at_k)} |"
            f" {_pct(f.pass_hat_k)} | {f.flaky} | {f.tokens_in}/{f.tokens_out} |"
            f" {f.latency_p50_ms}/{f.latency_p95_ms} | {f.cost_usd:.4f} | {f.seconds} |"
        )
    for r in report.results:
        f = r.figures()
        lines += ["", f"## {r.key}", "", "pass rate per scorer: " + ", ".join(
            f"{name} {_pct(rate)}" for name, rate in f.scorer_pass_rates.items()
        )]  # fmt: skip
        for case in r.cases:
            if case.pass_hat_k:
                continue
            tag = "flaky" if case.flaky else "failed"
            lines.append(f"- **{case.case_id}** ({tag}, {case.passes}/{len(case.epochs)}):")
            lines += [f"  - {failure}" for failure in case.failures()]
        entries = report.diffs.get(r.key)
        if entries is None:
            lines.append("\nno baseline compared")
            continue
        lines.append(f"\nbaseline diff (tolerance {report.tolerance}):")
        lines += [
            f"- {e.change}: {e.case_id} / {e.scorer}: {e.before} -> {e.after}" for e in entries
        ] or ["- no change"]
    return "\n".join(lines) + "\n"


_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>bca eval: {{ report.model }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}
.pass{color:#176f2c}.fail{color:#b00020}.flaky{color:#a15c00}
pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}details{margin:.3em 0}
</style></head><body>
<h1>Evaluation run: {{ report.model }}</h1>
{% for r in report.results %}{% set f = r.figures() %}
<h2>{{ r.key }}</h2>
<p>{{ f.cases }} cases x {{ f.epochs }} epochs; pass@k {{ "%.0f"|format(f.pass_at_k*100) }}%,
pass^k {{ "%.0f"|format(f.pass_hat_k*100) }}%, flaky {{ f.flaky }}; tokens
{{ f.tokens_in }}/{{ f.tokens_out }}; latency p50 {{ f.latency_p50_ms }} ms, p95
{{ f.latency_p95_ms }} ms; cost ${{ "%.4f"|format(f.cost_usd) }}; {{ f.seconds }} s.</p>
<table><tr><th>scorer</th><th>pass rate</th></tr>
{% for name, rate in f.scorer_pass_rates.items() %}
<tr><td>{{ name }}</td><td>{{ "%.0f"|format(rate*100) }}%</td></tr>{% endfor %}</table>
{% if report.diffs.get(r.key) %}<h3>Baseline diff</h3><ul>
{% for e in report.diffs[r.key] %}<li class="{{ 'fail' if e.change == 'regressed' else '' }}">
{{ e.change }}: {{ e.case_id }} / {{ e.scorer }}: {{ e.before }} &rarr; {{ e.after }}</li>
{% endfor %}</ul>{% endif %}
<h3>Cases</h3>
{% for c in r.cases %}
<details><summary class="{{ 'pass' if c.pass_hat_k else ('flaky' if c.flaky else 'fail') }}">
{{ c.case_id }}: {{ c.passes }}/{{ c.epochs|length }}{% if c.flaky %} (flaky){% endif %}
{% if c.description %} &mdash; {{ c.description }}{% endif %}</summary>
{% for e in c.epochs %}
<h4>epoch {{ e.epoch }}: {{ 'pass' if e.passed else 'fail' }}; {{ e.run.tokens_in }} tokens in,
{{ e.run.tokens_out }} out, {{ e.run.latency_ms }} ms, ${{ "%.6f"|format(e.run.cost_usd) }};
drafted by {{ e.run.drafted_by }}{% if e.run.fallback %} ({{ e.run.fallback }}){% endif %}</h4>
<table><tr><th>scorer</th><th>verdict</th><th>detail</th></tr>
{% for name, ok in e.scores.items() %}<tr><td>{{ name }}</td>
<td class="{{ 'pass' if ok else ('fail' if ok is false else '') }}">
{{ 'pass' if ok else ('fail' if ok is false else 'not scored') }}</td>
<td>{{ e.details[name] }}</td></tr>{% endfor %}</table>
<p>sent to the model (redacted):</p>
{% for call in e.run.sent %}{% for m in call %}<pre><b>{{ m.role }}</b>
{{ m.content }}</pre>{% endfor %}{% endfor %}
{% for err in e.run.model_errors %}<pre class="fail">{{ err }}</pre>{% endfor %}
<p>draft (pseudonyms in place):</p><pre>{{ e.run.draft }}</pre>
<p>tool calls:</p><ul>{% for call in e.run.calls %}<li>{{ call.tool }}: {{ call.decision }}
{% if call.needs_approval %}(needs approval){% endif %}</li>{% endfor %}</ul>
{% if e.run.citations %}<p>cites: {{ e.run.citations|join(", ") }}</p>{% endif %}
{% if e.run.handoff %}<p>handed to a person: {{ e.run.handoff }}</p>{% endif %}
{% endfor %}</details>{% endfor %}{% endfor %}
</body></html>
"""


def html_report(report: RunReport) -> str:
    """The HTML page of a run (autoescaped: model output is untrusted text)."""
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(_HTML).render(report=report)


def write_reports(report: RunReport, folder: Path) -> dict[str, Path]:
    """``junit.xml``, ``summary.md``, ``report.html`` and ``figures.json`` under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        r.key: r.figures().model_dump(mode="json") | {"model": r.model} for r in report.results
    }
    files = {
        "junit": (folder / "junit.xml", junit_xml(report)),
        "markdown": (folder / "summary.md", markdown_summary(report)),
        "html": (folder / "report.html", html_report(report)),
        "figures": (folder / "figures.json", json.dumps(figures, indent=1, sort_keys=True)),
    }
    for path, text in files.values():
        path.write_text(text, encoding="utf-8")
    return {name: path for name, (path, _) in files.items()}
