"""Sending a Canvas conversation (an approved outreach message)."""

from __future__ import annotations

from tools.canvas.client import CanvasClient, canvas_operation
from tools.canvas.lookup import missing_is
from tools.canvas.models import ConversationSent, ConversationSpec


@canvas_operation
def send_conversation(client: CanvasClient, spec: ConversationSpec) -> ConversationSent:
    """Deliver an approved message to students through Canvas's inbox.

    Canvas has no idempotency key for conversations, so a send that fails ambiguously (5xx or
    a dropped connection) is *not* retried: it raises ``AmbiguousWrite`` for a person to check,
    because a student receiving the same message twice is worse than a delayed message.
    """
    only = spec.recipients[0] if len(spec.recipients) == 1 else None
    with missing_is("user", canvas_id=only):  # a recipient Canvas does not know
        sent = client.canvas.create_conversation(
            [str(r) for r in spec.recipients], spec.body, subject=spec.subject, force_new=True
        )
    return ConversationSent(conversation_ids=[c.id for c in sent])
