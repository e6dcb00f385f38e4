"""The student support chat around the support agent: conversations, help-desk cases, figures.

The agent (``agents/support``) answers one message; this package keeps what a deployment must
keep around it: who owns which conversation, the redacted transcript, the cases a hand-off
opens and the help desk answers, the rate limit, the audit records and the retention purge.
"""

from runtime.chat.cases import Case, CaseDesk
from runtime.chat.conversations import ConversationStore, StoredMessage
from runtime.chat.service import (
    ChatAgent,
    ChatRateLimited,
    ChatReply,
    ChatService,
    MessageTooLong,
)

__all__ = [
    "Case",
    "CaseDesk",
    "ChatAgent",
    "ChatRateLimited",
    "ChatReply",
    "ChatService",
    "ConversationStore",
    "MessageTooLong",
    "StoredMessage",
]
