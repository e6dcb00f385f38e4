"""The rollout file: its model, ``decide`` on its boundaries, bad input, and live reloading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.errors import ConfigurationError
from policies.rollout import (
    DEFAULT_ROLLOUT_PATH,
    Mode,
    RolloutConfig,
    RolloutControl,
    Rule,
    ScopeKey,
    Target,
    Workflow,
    WorkflowRollout,
    load_rollout,
    parse_rollout,
    parse_scope,
    write_rollout,
)

MATH_101 = Target(
    term="202610", crn="10001", subject="MATH", course_number="1010", department="MATH",
    college="AS", campus="M",
)  # fmt: skip


def rollout(*rules: Rule, default: Mode = Mode.AUTO) -> WorkflowRollout:
    return WorkflowRollout(default=default, rules=list(rules))


def rule(mode: Mode, **scope: list[str]) -> Rule:
    return Rule(mode=mode, scope={ScopeKey(k): v for k, v in scope.items()})


def test_the_shipped_file_runs_every_workflow_auto() -> None:
    config = load_rollout(DEFAULT_ROLLOUT_PATH)
    assert set(config.workflows) == set(Workflow)
    assert {config.decide(w, MATH_101) for w in Workflow} == {Mode.AUTO}
    assert RolloutConfig().decide(Workflow.CHATBOT, Target()) is Mode.AUTO  # unlisted: auto


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ({"departments": ["MATH"]}, Mode.SHADOW),
        ({"departments": ["math"]}, Mode.SHADOW),  # codes compare in any case
        ({"departments": ["ENGL"]}, Mode.AUTO),
        ({"departments": ["ENGL", "MATH"]}, Mode.SHADOW),  # any value of a key
        ({"departments": ["MATH"], "campuses": ["X"]}, Mode.AUTO),  # every key must match
        ({"subjects": ["MATH"], "colleges": ["AS"], "campuses": ["M"]}, Mode.SHADOW),
        ({"courses": ["10001"]}, Mode.SHADOW),  # a CRN
        ({"courses": ["MATH 1010"]}, Mode.SHADOW),  # or SUBJ NUM
        ({"courses": ["MATH 1011"]}, Mode.AUTO),
        ({"terms": ["202610"]}, Mode.SHADOW),
        ({"terms": ["202620"]}, Mode.AUTO),
    ],
)
def test_a_rule_matches_when_every_key_does(scope: dict[str, list[str]], expected: Mode) -> None:
    assert rollout(rule(Mode.SHADOW, **scope)).decide(MATH_101) is expected


def test_rules_are_evaluated_in_order_and_the_default_is_last() -> None:
    math_off_first = rollout(
        rule(Mode.OFF, subjects=["MATH"]), rule(Mode.AUTO, colleges=["AS"]), default=Mode.SHADOW
    )
    assert math_off_first.decide(MATH_101) is Mode.OFF
    college_first = rollout(
        rule(Mode.APPROVE, colleges=["AS"]), rule(Mode.OFF, subjects=["MATH"]), default=Mode.OFF
    )
    assert college_first.decide(MATH_101) is Mode.APPROVE
    assert college_first.decide(MATH_101.model_copy(update={"college": "EN"})) is Mode.OFF


def test_a_call_bound_to_no_section_gets_the_strictest_mode_that_could_apply() -> None:
    pilot = rollout(rule(Mode.SHADOW, departments=["MATH"]), default=Mode.AUTO)
    term_wide = Target(term="202610")
    assert pilot.decide(term_wide) is Mode.SHADOW  # MATH's sections are among the term's
    assert pilot.decide(Target(term="202610", department="ENGL")) is Mode.AUTO
    # A sure match ends the walk: later, stricter rules cannot apply.
    terms_first = rollout(rule(Mode.APPROVE, terms=["202610"]), rule(Mode.OFF, departments=["X"]))
    assert terms_first.decide(term_wide) is Mode.APPROVE
    # An unknown attribute never loosens: the default still bounds it.
    loose = rollout(rule(Mode.AUTO, departments=["MATH"]), default=Mode.SHADOW)
    assert loose.decide(term_wide) is Mode.SHADOW
    # A rule whose known keys already fail is not a candidate.
    other_term = rollout(rule(Mode.OFF, terms=["202620"], departments=["MATH"]))
    assert other_term.decide(term_wide) is Mode.AUTO


@pytest.mark.parametrize(
    ("text", "line", "named"),
    [
        ("version: 1\nworkflows:\n  roster_sink: {default: auto}\n", 3, "unknown workflow"),
        ("version: 1\nworkflows:\n  roster_sync:\n    default: shadw\n", 4, "unknown mode"),
        (
            "version: 1\nworkflows:\n  roster_sync:\n    rules:\n"
            "      - {mode: shadow, scope: {deparments: [MATH]}}\n",
            5,
            "unknown scope key 'deparments'",
        ),
        ("version: 1\nworkflows:\n  roster_sync: {default: auto, rulez: []}\n", 3, "unknown key"),
        ("version: 1\nworkflows: [\n", 3, "expected"),
        (
            "version: 1\nworkflows:\n  roster_sync:\n    rules:\n"
            "      - {mode: shadow, scope: {}}\n",
            5,
            "at least 1",
        ),
    ],
)
def test_bad_input_is_refused_with_its_line(text: str, line: int, named: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        parse_rollout(text, "rollout.yaml")
    message = str(refused.value)
    assert f"rollout.yaml:{line}:" in message and named in message
    assert "\n" not in message  # one line


def test_a_bare_off_in_yaml_is_the_off_mode() -> None:
    config = parse_rollout("workflows:\n  chatbot: {default: off}\n", "f")
    assert config.decide(Workflow.CHATBOT, Target()) is Mode.OFF


def test_set_writes_a_file_that_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "rollout.yaml"
    scope = parse_scope(["departments=MATH,PHYS", "campuses=M"])
    config = RolloutConfig().with_mode(Workflow.ROSTER_SYNC, Mode.SHADOW, scope)
    config = config.with_mode(Workflow.ROSTER_SYNC, Mode.OFF, None)
    config = config.with_mode(Workflow.ROSTER_SYNC, Mode.APPROVE, scope)  # replaces, not adds
    write_rollout(path, config)
    loaded = load_rollout(path)
    assert loaded == config
    entry = loaded.of(Workflow.ROSTER_SYNC)
    assert entry.default is Mode.OFF and [r.mode for r in entry.rules] == [Mode.APPROVE]
    assert loaded.decide(Workflow.ROSTER_SYNC, MATH_101) is Mode.APPROVE
    assert [p.name for p in tmp_path.iterdir()] == ["rollout.yaml"]  # no temporary left
    with pytest.raises(ConfigurationError, match="unknown scope key 'dept'"):
        parse_scope(["dept=MATH"])
    with pytest.raises(ConfigurationError, match="needs KEY=VALUE"):
        parse_scope(["departments="])


def _touch(path: Path, text: str, tick: int) -> None:
    path.write_text(text, encoding="utf-8")
    stamp = 1_700_000_000 + tick
    os.utime(path, (stamp, stamp))  # a changed mtime even within one clock tick


def test_a_change_takes_effect_without_a_restart_and_a_bad_one_keeps_the_running_config(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rollout.yaml"
    _touch(path, "workflows:\n  roster_sync: {default: auto}\n", 0)
    control = RolloutControl(path)
    assert control.decide(Workflow.ROSTER_SYNC, MATH_101) is Mode.AUTO
    _touch(path, "workflows:\n  roster_sync: {default: 'off'}\n", 1)  # the kill switch
    assert control.decide(Workflow.ROSTER_SYNC, MATH_101) is Mode.OFF
    _touch(path, "workflows:\n  roster_sync: {default: of}\n", 2)
    assert control.decide(Workflow.ROSTER_SYNC, MATH_101) is Mode.OFF  # kept
    assert control.error is not None and f"{path}:2:" in control.error
    _touch(path, "workflows:\n  roster_sync: {default: shadow}\n", 3)
    assert control.decide(Workflow.ROSTER_SYNC, MATH_101) is Mode.SHADOW
    assert control.error is None


def test_a_broken_file_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "rollout.yaml"
    path.write_text("workflows:\n  chatbot: {default: maybe}\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"rollout.yaml:2: .*unknown mode 'maybe'"):
        RolloutControl(path)
    with pytest.raises(ConfigurationError, match="cannot read"):
        RolloutControl(tmp_path / "missing.yaml")
