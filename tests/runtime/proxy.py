"""A tiny TCP proxy on 127.0.0.1 that a test can cut and restore, to simulate a dead service.

The shared RabbitMQ and PostgreSQL must never be stopped (other tests and people use them), so
an outage is simulated between the client and the service instead: :meth:`TcpProxy.cut` closes
every proxied connection (both ends, so the client sees the connection drop, as when a broker
dies) and closes the listening socket (new connections are **refused**, as by a stopped
server); :meth:`TcpProxy.restore` listens again on the same port. Threads, not asyncio, so the
proxy keeps working whichever event loop (or none) the code under test runs.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

from sqlalchemy.engine import make_url


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream``; ``cut()`` kills it, ``restore()`` revives."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.accepted = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._listen()

    # -- control -----------------------------------------------------------------------------

    @property
    def is_cut(self) -> bool:
        """True while connections are refused."""
        return self._listener is None

    def cut(self) -> None:
        """Close every proxied connection and refuse new ones until :meth:`restore`."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            _close(listener)
        for sock in sockets:
            _close(sock)

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        if self._listener is None:
            self._listen()

    def close(self) -> None:
        """Stop for good."""
        self.cut()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def url_for(self, url: str) -> str:
        """``url`` (a SQLAlchemy or AMQP URL) with host and port replaced by this proxy's."""
        if url.startswith("amqp"):
            scheme, _, rest = url.partition("://")
            credentials, _, location = rest.rpartition("@")
            path = location.partition("/")[2]
            at = f"{credentials}@" if credentials else ""
            return f"{scheme}://{at}127.0.0.1:{self.port}/{path}"
        parsed = make_url(url).set(host="127.0.0.1", port=self.port)
        return parsed.render_as_string(hide_password=False)

    # -- plumbing ----------------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(
            target=self._accept, args=(listener,), name="proxy-accept", daemon=True
        ).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut: the listener was closed
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    _close(client)
                    _close(upstream)
                    continue
                self._sockets.update((client, upstream))
                self.accepted += 1
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=_pump, args=(source, target), name="proxy-pump", daemon=True
                ).start()


def _pump(source: socket.socket, target: socket.socket) -> None:
    """Copy bytes one way until either side closes; then close both."""
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(target)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
