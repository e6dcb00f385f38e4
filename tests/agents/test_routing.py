import typing

from agents import events
from agents.routing import ROLES, ROUTES, Specialist, specialist_for


def _kinds() -> set[str]:
    union = typing.get_args(typing.get_args(events.Event)[0])
    return {typing.get_args(cls.model_fields["kind"].annotation)[0] for cls in union}


def test_every_event_kind_has_exactly_one_route():
    assert set(ROUTES) == _kinds()


def test_every_specialist_has_a_role_and_unknown_kinds_have_none():
    assert set(ROLES) == set(Specialist)
    assert specialist_for("banner.unknown") is None
