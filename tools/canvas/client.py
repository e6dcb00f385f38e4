"""The Canvas client the tools take: canvasapi's ``Canvas`` over a paced, retrying session.

Besides the canvasapi entry point it offers the three things every operation needs: a retry for
writes whose outcome was ambiguous (used only by operations that check before re-creating), a
poll-until-done for Canvas background jobs, and the mapping of canvasapi's refusals to this
project's error vocabulary.
"""

from __future__ import annotations

import functools
import re
import threading
import warnings
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from canvasapi import Canvas
from canvasapi.account import Account
from canvasapi.canvas_object import CanvasObject
from canvasapi.exceptions import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidAccessToken,
    Unauthorized,
    UnprocessableEntity,
)
from canvasapi.requester import Requester
from tenacity import (
    Retrying,
    retry_if_result,
    stop_after_delay,
    wait_exponential,
    wait_random,
)

from core.settings import Settings
from tools.canvas.errors import (
    AmbiguousWrite,
    CanvasAccessDenied,
    CanvasJobTimeout,
    CanvasRejected,
)
from tools.canvas.session import CanvasSession, PacingPolicy, RequestStats, RetryPolicy

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
P = ParamSpec("P")
R = TypeVar("R")

_LOOKS_LIKE_A_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_canvasapi_set_attributes = CanvasObject.set_attributes


def _set_attributes(self: CanvasObject, attributes: dict[str, Any]) -> None:
    """The ``set_attributes`` of canvasapi, trying the date parse only on values that can be.

    canvasapi offers every attribute to ``arrow.get`` to derive ``<name>_date``; a failed parse
    costs about 0.2 ms, and an enrollment has some thirty fields, so the failures were most of
    the client-side cost of a roster event. Canvas sends dates as ISO 8601 strings, which all
    start with ``YYYY-MM-DD``: those still get their derived attribute; what is lost is only
    arrow's reading of other values as dates (an id like 20250915), which nothing uses.
    """
    dated = {k: v for k, v in attributes.items() if _LOOKS_LIKE_A_DATE.match(str(v))}
    vars(self).update(attributes)
    if dated:
        _canvasapi_set_attributes(self, dated)


CanvasObject.set_attributes = _set_attributes


class CanvasClient:
    """One Canvas connection (base URL, token, account) shared by the tools; thread-safe."""

    def __init__(
        self,
        base_url: str,
        token: str,
        account_id: int = 1,
        *,
        retry: RetryPolicy | None = None,
        pacing: PacingPolicy | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.account_id = account_id
        self.base_url = base_url.rstrip("/")
        """Where Canvas's pages are, for links a person follows (the API is under /api/v1)."""
        with warnings.catch_warnings():
            if urlsplit(base_url).hostname in LOOPBACK:  # the local simulator speaks plain HTTP
                warnings.filterwarnings("ignore", "Canvas may respond unexpectedly")
            self.canvas = Canvas(base_url.rstrip("/"), token)
        self.session = CanvasSession(self.retry, pacing or PacingPolicy(), base_url)
        # canvasapi keeps its Requester private; its ``requests`` session is the documented
        # seam for headers, so we swap in ours, through which every request then goes.
        self.requester: Requester = self.canvas._Canvas__requester
        self.requester._session = self.session
        self._account: Account | None = None
        self._account_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, retry: RetryPolicy | None = None) -> CanvasClient:
        """The client for the configured Canvas (or the local simulator)."""
        return cls(
            settings.canvas_url,
            settings.canvas_token.get_secret_value(),
            settings.canvas_account_id,
            retry=retry,
        )

    @property
    def account(self) -> Account:
        """The account that owns provisioned courses and SIS imports (fetched once)."""
        with self._account_lock:
            if self._account is None:
                self._account = self.canvas.get_account(self.account_id)
            return self._account

    def close(self) -> None:
        """Release the pooled HTTP connections."""
        self.session.close()

    def stats(self) -> RequestStats:
        """What the session has sent and seen so far (requests, 429s, 5xx, retries)."""
        return self.session.stats()

    def retry_ambiguous(self, operation: Callable[[], R]) -> R:
        """Run an operation that checks before creating, again if a write was ambiguous."""
        retrying = self.retry.retrying(lambda exc: isinstance(exc, AmbiguousWrite))
        return retrying(operation)

    def wait_for(
        self, fetch: Callable[[], R], done: Callable[[R], bool], timeout: float, what: str
    ) -> R:
        """Poll ``fetch`` with growing pauses until ``done`` holds or ``timeout`` passes."""
        polling = Retrying(
            retry=retry_if_result(lambda value: not done(value)),
            wait=wait_exponential(multiplier=0.05, max=2.0) + wait_random(0, 0.05),
            stop=stop_after_delay(timeout),
            retry_error_callback=lambda state: _timed_out(what, timeout),
        )
        result: R = polling(fetch)
        return result


def _timed_out(what: str, timeout: float) -> None:
    raise CanvasJobTimeout(f"{what} did not finish within {timeout:g} s")


def canvas_operation(operation: Callable[P, R]) -> Callable[P, R]:
    """Turn canvasapi's refusals into this project's errors, so callers see only BcaError."""

    @functools.wraps(operation)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return operation(*args, **kwargs)
        except (BadRequest, Conflict, UnprocessableEntity) as exc:
            raise CanvasRejected(f"Canvas refused {operation.__name__}: {exc}") from exc
        except (InvalidAccessToken, Unauthorized, Forbidden) as exc:
            raise CanvasAccessDenied(
                f"Canvas denied {operation.__name__}: check the token's permissions ({exc})"
            ) from exc

    return run
