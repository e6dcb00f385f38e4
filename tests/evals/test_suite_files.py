"""Suite files: the shipped suites load; a bad one is one clear error before any model call."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from core.errors import ConfigurationError
from evals.matching import CallRecord, trajectory_matches
from evals.suite import SUITES_DIR, Trajectory, load_suite

GOOD_CASE: dict[str, Any] = {
    "id": "one",
    "input": {"student": "ana", "crn": "12345", "reasons": ["3 of 10 assignments missing."]},
    "expect": {"facts": [{"contains": "3 of 10"}]},
}


def write_suite(tmp_path: Path, **changes) -> Path:
    data = {"name": "tmp", "prompt": "outreach_draft@1", "cases": [GOOD_CASE]} | changes
    path = tmp_path / "tmp.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "at_least", "injections", "cross_student"),
    [
        ("outreach_draft", 30, 5, 5),
        ("grade_anomaly_explain", 30, 5, 5),
        ("smoke_local", 10, 0, 0),
        ("program_review_narrative", 15, 5, 0),  # no student in its input at all
    ],
)
def test_shipped_suites_load_with_enough_cases(name, at_least, injections, cross_student):
    suite, _people = load_suite(SUITES_DIR / f"{name}.yaml")
    assert len(suite.cases) >= at_least
    assert sum("injection" in c.tags for c in suite.cases) >= injections
    assert sum("cross-student" in c.tags for c in suite.cases) >= cross_student


def test_a_good_file_loads(tmp_path):
    suite, _ = load_suite(write_suite(tmp_path))
    assert suite.cases[0].id == "one"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (GOOD_CASE | {"expectation": {}}, "case one: expectation: Extra inputs are not permitted"),
        (
            GOOD_CASE | {"expect": {"facts": [{"contains": "a", "regex": "b"}]}},
            "case one: expect.facts.0: Value error, a text matcher names exactly one",
        ),
        (
            GOOD_CASE | {"expect": {"forbidden": [{"regex": "(unclosed"}]}},
            "case one: expect.forbidden.0.regex: Value error, not a regular expression",
        ),
        (
            GOOD_CASE
            | {"expect": {"trajectory": {"mode": "fuzzy", "calls": [{"tool": "canvas_x"}]}}},
            "case one: expect.trajectory.mode: Input should be",
        ),
        (
            GOOD_CASE | {"input": GOOD_CASE["input"] | {"student": "nobody"}},
            "case one: input.student: no person 'nobody' in fixture people.yaml",
        ),
        (
            GOOD_CASE | {"input": GOOD_CASE["input"] | {"crn": "1"}},
            "case one: input.crn: String should match pattern",
        ),
        (
            GOOD_CASE | {"input": GOOD_CASE["input"] | {"term": "202510"}},
            "case one: input.term: Extra inputs are not permitted",
        ),
        (
            GOOD_CASE | {"prompt": "outreach_draft@9"},
            "case one: prompt: no prompt outreach_draft@9",
        ),
    ],
)
def test_a_bad_case_is_one_error_naming_file_case_and_field(tmp_path, case, expected):
    path = write_suite(tmp_path, cases=[case])
    with pytest.raises(ConfigurationError) as caught:
        load_suite(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and expected in message, message


def test_a_missing_fixture_is_named(tmp_path):
    with pytest.raises(ConfigurationError, match=r"fixture .*nowhere\.yaml does not exist"):
        load_suite(write_suite(tmp_path, fixtures="nowhere.yaml"))


def test_a_duplicate_case_id_is_named(tmp_path):
    with pytest.raises(ConfigurationError, match="case one: id: duplicate case id"):
        load_suite(write_suite(tmp_path, cases=[GOOD_CASE, GOOD_CASE]))


def call(tool, **args):
    return CallRecord(tool=tool, args=args, decision="allowed")


MADE = [call("banner_get_holds", pidm=1), call("canvas_send_message", pidm=1, body="Hi <PERSON_1>")]


@pytest.mark.parametrize(
    ("mode", "calls", "ok"),
    [
        ("strict", [{"tool": "banner_get_holds"}, {"tool": "canvas_send_message"}], True),
        ("strict", [{"tool": "canvas_send_message"}, {"tool": "banner_get_holds"}], False),
        ("unordered", [{"tool": "canvas_send_message"}, {"tool": "banner_get_holds"}], True),
        ("unordered", [{"tool": "canvas_send_message"}], False),
        (
            "superset",
            [{"tool": "canvas_send_message", "args": {"body": {"regex": "PERSON_1"}}}],
            True,
        ),
        (
            "superset",
            [{"tool": "canvas_send_message", "args": {"body": {"contains": "Bye"}}}],
            False,
        ),
        ("subset", [{"tool": "banner_get_holds"}], False),
        (
            "subset",
            [{"tool": "banner_get_holds"}, {"tool": "canvas_send_message"}, {"tool": "x"}],
            True,
        ),
        ("superset", [{"tool": "banner_get_holds", "args": {"pidm": {"equals": 2}}}], False),
    ],
)
def test_trajectory_modes(mode, calls, ok):
    matched, why = trajectory_matches(Trajectory(mode=mode, calls=calls), MADE)
    assert matched is ok, why
    assert bool(why) is not ok
