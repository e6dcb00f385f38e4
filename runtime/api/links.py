"""OpenAPI links: which answer's field feeds which route's parameter.

A client generator (and schemathesis's stateful run) learns from them that the ``id`` of a
listed approval is what ``/api/approvals/{request_id}`` takes, and so on: the API's workflows,
not only its routes, are in the published schema.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Link(NamedTuple):
    """From a source operation's 200 answer to a target operation's parameter."""

    source: tuple[str, str]
    name: str
    target: tuple[str, str]
    parameter: str
    expression: str
    description: str


LINKS = [
    Link(("/api/approvals", "get"), "GetApproval", ("/api/approvals/{request_id}", "get"),
         "request_id", "$response.body#/0/id", "The first waiting request's detail."),
    Link(("/api/approvals", "get"), "DecideApproval",
         ("/api/approvals/{request_id}/decision", "post"), "request_id", "$response.body#/0/id",
         "Decide the first waiting request."),
    Link(("/api/events", "get"), "ReplayEvent", ("/api/events/{event_id}/replay", "post"),
         "event_id", "$response.body#/events/0/event_id", "Replay the first listed event."),
    Link(("/api/chat", "post"), "GetTranscript", ("/api/chat/{conversation_id}", "get"),
         "conversation_id", "$response.body#/conversation_id", "The conversation so far."),
    Link(("/api/chat", "post"), "CloseConversation",
         ("/api/chat/{conversation_id}/close", "post"), "conversation_id",
         "$response.body#/conversation_id", "End the conversation."),
    Link(("/api/support/cases", "get"), "AnswerCase",
         ("/api/support/cases/{case_id}/answer", "post"), "case_id",
         "$response.body#/0/case/id", "Answer the oldest open case."),
    Link(("/api/students", "get"), "GetStudent", ("/api/students/{banner_id}", "get"),
         "banner_id", "$response.body#/0/banner_id", "The best match's profile."),
]  # fmt: skip


def add_links(schema: dict[str, Any]) -> None:
    """Write :data:`LINKS` into ``schema``'s 200 answers (by the targets' operation ids)."""
    paths = schema["paths"]
    for link in LINKS:
        path, method = link.source
        target = paths[link.target[0]][link.target[1]]["operationId"]
        answer = paths[path][method]["responses"]["200"]
        answer.setdefault("links", {})[link.name] = {
            "operationId": target,
            "parameters": {link.parameter: link.expression},
            "description": link.description,
        }
