"""How a batch of messages becomes one post on a channel, and posting it.

Slack-compatible incoming webhooks get Block Kit JSON (``blocks`` plus a ``text`` fallback for
notifications and clients without blocks); Microsoft Teams webhooks get a message whose one
attachment is an Adaptive Card; SMTP gets a plain-text mail (stdlib ``smtplib``). Every post
carries the batch's stable key: as the ``Idempotency-Key`` header, or the mail's
``Message-ID`` and ``X-Idempotency-Key``, so a receiver can treat a repeat as one. A batch is
one message, or a digest of several. A failure is a :class:`DeliveryFailed` with a one-line
reason the outbox keeps.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

import httpx

from core.settings import NotifyChannel
from runtime.notify.models import Message, batch_key


class DeliveryFailed(Exception):
    """A post the channel did not accept; the text is the reason kept in the outbox."""


def _title(messages: Sequence[Message]) -> str:
    if len(messages) == 1:
        return messages[0].title
    return f"Digest: {len(messages)} operations notifications"


def slack_body(messages: Sequence[Message]) -> dict[str, Any]:
    """Block Kit: a header, then per message its title, facts as fields, and its time."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _title(messages)[:150]}}
    ]
    for message in messages:
        if len(messages) > 1:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": message.title}})
        if message.facts:
            fields = [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in message.facts[:10]]
            blocks.append({"type": "section", "fields": fields})
        stamp = message.at.isoformat(timespec="seconds")
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": stamp}]})
    return {"text": "\n\n".join(m.text() for m in messages), "blocks": blocks[:50]}


def teams_body(messages: Sequence[Message]) -> dict[str, Any]:
    """A Teams webhook message with one Adaptive Card: a title and a fact set per message."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": _title(messages), "weight": "Bolder", "size": "Medium"}
    ]
    for message in messages:
        if len(messages) > 1:
            body.append({"type": "TextBlock", "text": message.title, "weight": "Bolder"})
        facts = [*message.facts, ("at", message.at.isoformat(timespec="seconds"))]
        body.append({"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts]})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def mail(channel: NotifyChannel, messages: Sequence[Message]) -> EmailMessage:
    """The plain-text mail of a batch, its Message-ID derived from the batch key."""
    key = batch_key(messages)
    mail = EmailMessage()
    mail["Subject"] = _title(messages)
    mail["From"] = channel.smtp_from
    mail["To"] = ", ".join(channel.smtp_to)
    mail["Message-ID"] = f"<{key.replace('|', '.').replace(':', '.')}@bca.notify>"
    mail["X-Idempotency-Key"] = key
    mail.set_content("\n\n".join(m.text() for m in messages))
    return mail


def post(channel: NotifyChannel, messages: Sequence[Message], *, timeout: float) -> None:
    """Send one batch to ``channel``; raises :class:`DeliveryFailed` unless it was accepted."""
    key = batch_key(messages)
    if channel.kind == "smtp":
        try:
            with smtplib.SMTP(channel.smtp_host, channel.smtp_port, timeout=timeout) as smtp:
                smtp.send_message(mail(channel, messages))
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"smtp {channel.smtp_host}:{channel.smtp_port}: {exc}") from None
        return
    body = slack_body(messages) if channel.kind == "slack" else teams_body(messages)
    try:
        answer = httpx.post(
            channel.url.get_secret_value(),
            json=body,
            headers={"Idempotency-Key": key},
            timeout=timeout,
        )
    except httpx.TimeoutException:
        raise DeliveryFailed(f"timed out after {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    if answer.status_code >= 300:
        raise DeliveryFailed(f"HTTP {answer.status_code}: {answer.text[:200]}")
