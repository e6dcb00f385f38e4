"""Sending a Canvas conversation (an approved outreach message)."""

from __future__ import annotations

import json

from canvasapi.exceptions import BadRequest

from tools.canvas.client import CanvasClient, canvas_operation
from tools.canvas.errors import CanvasNotFound
from tools.canvas.models import ConversationSent, ConversationSpec

# Canvas refuses a conversation none of whose recipients it knows with 400 and the array body
# [{"attribute": "recipients", "message": "invalid"}] (ConversationsController#create).
_NO_KNOWN_RECIPIENT = [{"attribute": "recipients", "message": "invalid"}]


def _no_known_recipient(exc: BadRequest) -> bool:
    try:
        return bool(json.loads(str(exc.message)) == _NO_KNOWN_RECIPIENT)
    except ValueError:
        return False


@canvas_operation
def send_conversation(client: CanvasClient, spec: ConversationSpec) -> ConversationSent:
    """Deliver an approved message to students through Canvas's inbox.

    Canvas has no idempotency key for conversations, so a send that fails ambiguously (5xx or
    a dropped connection) is *not* retried: it raises ``AmbiguousWrite`` for a person to check,
    because a student receiving the same message twice is worse than a delayed message.
    """
    only = spec.recipients[0] if len(spec.recipients) == 1 else None
    try:
        sent = client.canvas.create_conversation(
            [str(r) for r in spec.recipients], spec.body, subject=spec.subject, force_new=True
        )
    except BadRequest as exc:
        if _no_known_recipient(exc):  # no recipient is a user Canvas knows
            raise CanvasNotFound("user", canvas_id=only) from exc
        raise
    return ConversationSent(conversation_ids=[c.id for c in sent])
