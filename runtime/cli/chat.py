"""`bca chat`: ask the support assistant as a student, and `bca chat purge` (retention).

``bca chat --student PIDM [--conversation ID] [--json] MESSAGE`` goes through the same
:class:`~runtime.chat.ChatService` as ``POST /api/chat`` (built by
:func:`runtime.chat.factory.build_chat_service`), so the conversation, the case a hand-off
opens and the audit records are the API's; ``--json`` prints the API's JSON. The message is
the group's default command, so ``purge`` stays a subcommand beside it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from runtime.cli.api import parse_ttl


class _AskByDefault(TyperGroup):
    """``bca chat …`` is ``bca chat ask …`` unless it names a subcommand."""

    # ``ctx`` is typer's vendored click Context, a type typer exports no public name for.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Route anything that is neither a subcommand's name nor ``--help`` to ``ask``."""
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["ask", *args]
        return super().parse_args(ctx, args)


chat_app = typer.Typer(
    cls=_AskByDefault,
    help="Ask the support assistant as a student; purge old conversations.",
    no_args_is_help=True,
)


@chat_app.command("ask")
def ask(
    message: Annotated[str, typer.Argument(help="The student's question.")],
    student: Annotated[int, typer.Option(help="The student's Banner PIDM.")],
    conversation: Annotated[
        str | None, typer.Option(help="Continue this conversation (default: a new one).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """Ask as student PIDM; prints the answer, its sources, the tools used and any hand-off."""
    from core.settings import get_settings
    from runtime.chat.factory import build_chat_service

    service = build_chat_service(get_settings())
    try:
        reply = service.ask(student, message, conversation)
    finally:
        service.close_resources()
    if as_json:
        print(reply.model_dump_json())
        return
    typer.echo(reply.answer)
    for cite in reply.citations:
        typer.echo(f"  source: {cite.title} — {cite.heading} ({cite.source}#{cite.anchor})")
    for staff in reply.staff_answers:
        typer.echo(f"  help desk ({staff.at:%Y-%m-%d %H:%M}): {staff.text}")
    typer.echo(f"tools: {', '.join(reply.tools_used) or 'none'}")
    if reply.handoff:
        typer.echo(f"handed off: {reply.handoff.case_id} ({reply.handoff.reason})")
    typer.echo(f"conversation: {reply.conversation_id}")


@chat_app.command("purge")
def purge(
    older_than: Annotated[
        str, typer.Option("--older-than", help="Age of what goes: 180d, 12h, …")
    ] = "180d",
) -> None:
    """Delete old conversations (messages, vaults, checkpoint threads) and closed cases."""
    from agents.checkpoints import open_checkpointer
    from core.db import make_engine
    from core.settings import get_settings
    from runtime.chat.purge import purge as purge_chat

    settings = get_settings()
    age = parse_ttl(older_than, "--older-than")
    engine = make_engine(settings.database_url)
    try:
        with open_checkpointer(settings.resolved_checkpoint_url()) as saver:
            counts = purge_chat(engine, age, delete_thread=saver.delete_thread)
    finally:
        engine.dispose()
    print(json.dumps(counts.model_dump(), sort_keys=True))


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    root.add_typer(chat_app, name="chat")
