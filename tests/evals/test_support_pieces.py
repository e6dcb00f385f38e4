"""The pieces the support suite adds: its people file, its case checks, the chat scorers, the
guard's decision in a trajectory, and a scripted model that makes tool calls."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool

from core.errors import ConfigurationError
from evals import chat_sandbox
from evals.matching import CallRecord, trajectory_matches
from evals.models import Capture, ModelTarget, chat_model
from evals.people import People, Person
from evals.scorers import SCORERS
from evals.solvers import CaseRun
from evals.suite import Case, Trajectory, load_suite
from sandbox.model.script import Rule, Script, ScriptPlayer

CASE: dict[str, Any] = {
    "id": "one",
    "input": {"student": "held", "message": "why can't I register?"},
}
CAST: dict[str, Any] = {
    "sandbox": {"today": "2025-10-06"},
    "people": [{"key": "held", "pick": ["hold:AR"]}],
}


@pytest.fixture
def fixtures(tmp_path, monkeypatch):
    """A fixtures folder the test writes people files into."""
    monkeypatch.setattr(chat_sandbox, "FIXTURES_DIR", tmp_path)
    return tmp_path


def write_suite(folder: Path, cast=CAST, **changes: Any) -> Path:
    (folder / "cast.yaml").write_text(yaml.safe_dump(cast))
    data = {
        "name": "tmp", "prompt": "support_answer@2", "solver": "support",
        "fixtures": "cast.yaml", "cases": [CASE],
    } | changes  # fmt: skip
    path = folder / "tmp.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_people_file_picks_a_sandbox_student_by_their_records(fixtures):
    _, people = load_suite(write_suite(fixtures))
    (held,) = people.people
    box = chat_sandbox.sandbox(chat_sandbox.load_cast("cast.yaml").sandbox)
    records = box.records(held.pidm)
    assert any(h.code == "AR" for h in records.holds.holds)
    assert held.key == "held" and held.email and held.first_name


@pytest.mark.parametrize(
    ("changes", "cast", "expected"),
    [
        ({}, CAST | {"people": [{"key": "held", "pick": ["hold"]}]},
         "only hold takes an argument"),
        ({}, CAST | {"people": [{"key": "held", "pick": ["rich"]}]}, "unknown condition 'rich'"),
        ({}, CAST | {"people": [{"key": "held", "pick": ["hold:ZZ"]}]},
         "held: no sandbox student fits hold:ZZ"),
        ({"prompt": "outreach_draft@1"}, CAST, "prompt: the support agent answers with"),
        ({"cases": [CASE | {"input": CASE["input"] | {"message": "hi {ben.name}"}}]}, CAST,
         "case one: input.message: Value error, {ben.name}: 'ben' is not the student or a mention"),
        ({"cases": [CASE | {"input": CASE["input"] | {"message": "hi {held.ssn}"}}]}, CAST,
         "case one: input.message: Value error, {held.ssn}: a reference names one of"),
        ({"cases": [CASE | {"expect": {"handoff": {"reason": "bored"}}}]}, CAST,
         "case one: expect.handoff.reason.0"),
        ({"script": [{"name": "r", "tool_calls": [{"name": "my_holds"}]}]}, CAST,
         "script.0 (r): every tool call needs an id"),
        ({"fixtures": "people.yaml"}, CAST, "fixtures: a support suite takes sandbox students"),
    ],
)  # fmt: skip
def test_a_bad_support_suite_is_one_error_naming_what(fixtures, changes, cast, expected):
    if changes.get("fixtures") == "people.yaml":
        (fixtures / "people.yaml").write_text(yaml.safe_dump({"people": []}))
    path = write_suite(fixtures, cast, **changes)
    with pytest.raises(ConfigurationError) as caught:
        load_suite(path)
    assert expected in str(caught.value), str(caught.value)


PEOPLE = People(people=[
    Person(key="held", pidm=1, banner_id="A00000001", first_name="Ada", last_name="Quill",
           email="ada@example.edu"),
])  # fmt: skip


def run(**fields: Any) -> CaseRun:
    base = {"case_id": "one", "prompt_ref": "p@1", "model": "m", "sent": [], "draft": "",
            "output": "", "drafted_by": "model"}  # fmt: skip
    return CaseRun.model_validate(base | fields)


def case(**expect: Any) -> Case:
    return Case.model_validate(CASE | {"expect": expect})


@pytest.mark.parametrize(
    ("expect", "fields", "passed", "detail"),
    [
        ({}, {}, None, ""),
        ({}, {"citations": ["a.md#x"], "retrieved": []}, False, "never retrieved: a.md#x"),
        ({"citations": {"min": 1}}, {"citations": ["a.md#x"], "retrieved": ["a.md#x"]}, True, ""),
        ({"citations": {"min": 1}}, {}, False, "0 citations, expected 1.."),
        ({"citations": {"max": 0}}, {"citations": ["a.md#x"], "retrieved": ["a.md#x"]}, False,
         "1 citations, expected 0..0"),
        ({"citations": {"sources": ["b.md"]}}, {"citations": ["a.md#x"], "retrieved": ["a.md#x"]},
         False, "none from ['b.md']"),
    ],
)  # fmt: skip
def test_the_citations_scorer(expect, fields, passed, detail):
    verdict = SCORERS["citations"](case(**expect), run(**fields), PEOPLE)
    assert verdict.passed is passed and detail in verdict.detail


@pytest.mark.parametrize(
    ("expect", "fields", "passed", "detail"),
    [
        ({}, {"handoff": "sensitive"}, None, ""),
        ({"handoff": {"reason": "none"}}, {}, True, ""),
        ({"handoff": {"reason": "none"}}, {"handoff": "max_steps"}, False,
         "hand-off max_steps, expected none"),
        ({"handoff": {"reason": ["no_answer", "asked_for_person"]}},
         {"handoff": "asked_for_person"}, True, ""),
        ({"handoff": {"reason": "no_answer", "says_unknown": True}},
         {"handoff": "no_answer", "output": "I have asked a person."}, False, "does not say"),
        ({"handoff": {"reason": "no_answer", "says_unknown": True}},
         {"handoff": "no_answer", "output": "I don’t know the answer to that."}, True, ""),
    ],
)  # fmt: skip
def test_the_handoff_scorer(expect, fields, passed, detail):
    verdict = SCORERS["handoff"](case(**expect), run(**fields), PEOPLE)
    assert verdict.passed is passed and detail in verdict.detail


def test_a_case_that_needs_no_model_fails_when_one_was_called():
    called = run(sent=[[{"role": "user", "content": "hi"}]])
    verdict = SCORERS["limits"](case(limits={"max_model_calls": 0}), called, PEOPLE)
    assert verdict.passed is False and "model calls 1 > 0" in verdict.detail
    assert SCORERS["limits"](case(limits={"max_model_calls": 0}), run(), PEOPLE).passed


def test_a_trajectory_can_name_the_guards_decision():
    made = [CallRecord(tool="my_holds", args={"student": "<PERSON_1>"}, decision="denied")]
    want = {"tool": "my_holds", "args": {"student": {"any": True}}}
    assert trajectory_matches(Trajectory(calls=[want | {"decision": "denied"}]), made)[0]
    assert not trajectory_matches(Trajectory(calls=[want | {"decision": "allowed"}]), made)[0]


@tool
def my_holds(registration_only: bool = False) -> str:
    """The signed-in student's holds."""
    return "[]"


def test_the_scripted_model_sees_the_bound_tools_and_makes_tool_calls():
    script = Script(rules=[
        Rule(when_tools=True, after_tool=False, tool_calls=[{"name": "my_holds", "id": "c1"}]),
        Rule(after_tool=True, reply="No holds (my_holds)."),
    ])  # fmt: skip
    capture = Capture()
    model = chat_model(ModelTarget(kind="scripted", name="s"), capture, ScriptPlayer(script))
    bound = model.bind_tools([my_holds])
    first = bound.invoke([HumanMessage("holds?")])
    assert first.tool_calls == [{"name": "my_holds", "args": {}, "id": "c1", "type": "tool_call"}]
    second = bound.invoke(
        [HumanMessage("holds?"), first, ToolMessage("[]", tool_call_id="c1", name="my_holds")]
    )
    assert second.text == "No holds (my_holds)."
    assert capture.calls[1][1]["tool_calls"] == [{"name": "my_holds", "args": {}}]
    assert capture.tokens_in > 0 and capture.tokens_out > 0
