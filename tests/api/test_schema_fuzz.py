"""The API under attack: schemathesis generates requests from the app's own OpenAPI schema.

Every operation the app publishes gets generated requests with a token that may use it (a
student's for the chat, a registrar's elsewhere, so they reach each route's own validation
rather than stopping at sign-in), against the app served over HTTP. A route may refuse what it
is sent, but never with a server error, and every answer must match the schema the route
publishes for its status and content type. Then a stateful run follows the schema's links
(list approvals and open one, search students and open a profile, chat and read the
transcript) so routes are also called with ids that exist, not only with generated ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
)
from schemathesis.core.failures import FailureGroup

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]
EXAMPLES = 25
"""Per operation: about 400 requests, a few seconds."""
STATEFUL_EXAMPLES = 60
"""Scenarios of up to five linked calls."""


def fuzzed(operation: schemathesis.APIOperation, headers: dict[str, str]) -> Callable[[], None]:
    """A Hypothesis test of one operation (a failure raises schemathesis's FailureGroup)."""

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    return fuzz


def test_no_request_makes_a_server_error_or_an_answer_outside_the_schema(
    served_schema, fuzz_headers: Callable[[str], dict[str, str]]
) -> None:
    failures: dict[str, str] = {}
    operations = [result.ok() for result in served_schema.get_all_operations()]
    assert len(operations) >= 15, [o.label for o in operations]
    for operation in operations:
        try:
            fuzzed(operation, fuzz_headers(operation.path))()
        except FailureGroup as found:  # collected, so one report names every failing route
            failures[operation.label] = str(found)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_following_the_links_makes_no_server_error_either(
    served_schema, fuzz_headers: Callable[[str], dict[str, str]]
) -> None:
    links = {
        (op.path, name)
        for result in served_schema.get_all_operations()
        for op in [result.ok()]
        for response in op.definition.raw["responses"].values()
        for name in response.get("links", {})
    }
    assert len(links) >= 7, links
    # Links into routes that change what later answers say (a decision empties the list it
    # came from) make Hypothesis's replays diverge; those routes are fuzzed above.
    reading = served_schema.exclude(path_regex=r"/(decision|replay|answer|close)$")
    machine = reading.as_state_machine()
    answered: Counter[tuple[str, str, int]] = Counter()

    class Signed(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": fuzz_headers(case.path)}

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            answered[case.method, case.path, response.status_code] += 1

        def validate_response(self, response: Any, case: schemathesis.Case, **_: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Signed.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=5,
            deadline=None,
            derandomize=True,
            database=None,  # the server's state moves on: a saved scenario cannot be replayed
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    # a listed id reached the route it links to: the run followed links, not only guesses
    assert answered["GET", "/api/approvals/{request_id}", 200] > 0, answered
