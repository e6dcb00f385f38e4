"""`bca notify ...` (the operations notifications' outbox) and `bca notify-sink` (a receiver).

``list`` shows what the outbox holds (``--dead``: what gave up, with the reason), ``deliver``
runs one delivery pass, ``test CHANNEL`` posts a test message straight to one configured
channel and says in one line how it went. Channels come from ``BCA_NOTIFY_CHANNELS``.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.errors import BcaError, ServiceUnavailable
from runtime.cli.checks import Port

notify_app = typer.Typer(help="Operations notifications: the outbox, delivery, a test post.")
console = Console()


class UnknownChannel(BcaError):
    """``bca notify test`` named a channel BCA_NOTIFY_CHANNELS does not configure."""


@notify_app.command("list")
def list_messages(
    dead: Annotated[bool, typer.Option("--dead", help="Only messages that gave up.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Rows to show, newest first.")] = 50,
) -> None:
    """List the outbox's messages per channel: status, attempts, last error."""
    from core.db import make_engine
    from core.settings import get_settings
    from runtime.notify import outbox_in

    outbox = outbox_in(make_engine(get_settings().database_url))
    rows = outbox.list(dead=dead, limit=limit)
    counts = outbox.counts()
    table = Table("created", "channel", "rule", "title", "status", "attempts", "last error")
    for row in rows:
        table.add_row(
            row.created_at.isoformat(timespec="seconds"),
            row.channel,
            row.message.rule,
            row.message.title,
            row.status,
            str(row.attempts),
            row.last_error or "",
        )
    console.print(table)
    console.print(", ".join(f"{status} {n}" for status, n in counts.items()))


@notify_app.command("deliver")
def deliver() -> None:
    """Run one delivery pass: sweep new dead events, post everything due."""
    from core.db import make_engine
    from core.settings import get_settings
    from runtime.notify import deliverer

    settings = get_settings()
    print(deliverer(settings, make_engine(settings.database_url)).deliver().line())


@notify_app.command("test")
def test_channel(
    channel: Annotated[str, typer.Argument(help="A channel name from BCA_NOTIFY_CHANNELS.")],
) -> None:
    """Post a test message to CHANNEL now (not through the outbox) and report the outcome."""
    from core.clock import utcnow
    from core.settings import get_settings
    from runtime.notify.channels import DeliveryFailed, post
    from runtime.notify.models import Message, stable_id

    settings = get_settings()
    found = {c.name: c for c in settings.notify_channels}
    if channel not in found:
        names = ", ".join(found) or "none"
        raise UnknownChannel(f"no channel {channel!r} in BCA_NOTIFY_CHANNELS (configured: {names})")
    now = utcnow()
    message = Message(
        id=stable_id("test", channel, now.isoformat()),
        rule="test",
        title="Test notification from banner-canvas-agents",
        facts=[("Channel", channel)],
        at=now,
    )
    started = time.perf_counter()
    try:
        post(found[channel], [message], timeout=settings.notify_timeout_seconds)
    except DeliveryFailed as exc:
        raise ServiceUnavailable(f"channel {channel} ({found[channel].kind}): {exc}") from None
    elapsed = time.perf_counter() - started
    print(f"sent to {channel} ({found[channel].kind}) in {elapsed:.2f} s, key {message.id}")


def notify_sink(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Port = 8930,
    fail_first: Annotated[
        int, typer.Option(min=0, help="Answer 500 to this many posts first.")
    ] = 0,
    delay: Annotated[
        float, typer.Option(min=0, help="Seconds to wait before answering (a slow receiver).")
    ] = 0.0,
    out: Annotated[Path, typer.Option(help="JSON lines file of the accepted posts.")] = Path(
        "var/notify-sink.jsonl"
    ),
) -> None:
    """A local webhook receiver: one JSON line per post, repeats of a key counted once."""
    from runtime.notify.sink import SinkState, serve

    out.parent.mkdir(parents=True, exist_ok=True)
    state = SinkState(fail_first=fail_first, delay=delay, out=out)
    try:
        server = serve(host, port, state)
    except OSError as exc:
        raise ServiceUnavailable(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    console.print(f"notify sink on http://{host}:{server.server_address[1]}/hook, posts to {out}")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
        console.print(f"{len(state.keys)} messages, {len(state.posts) - len(state.keys)} repeats")


def register(root: typer.Typer) -> None:
    """Add ``notify`` and ``notify-sink`` to ``bca``."""
    root.add_typer(notify_app, name="notify")
    root.command("notify-sink")(notify_sink)
