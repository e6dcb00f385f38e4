"""The HTTP session under canvasapi: paces itself from Canvas's throttle headers and retries.

canvasapi sends every request through one ``requests.Session``. We replace it with
:class:`CanvasSession`, so that *every* call (including each page of a paginated list) is:

* paced: a response hook reads ``X-Rate-Limit-Remaining``; before sending, the session books the
  request's up-front cost against a local mirror of Canvas's leaky bucket and sleeps until the
  bucket has drained enough, so Canvas does not have to answer 429;
* retried with exponential backoff and jitter (tenacity) on 429, 5xx and connection errors.
  A 429 is always safe to resend (Canvas refused before doing anything), and so are GET, PUT
  and DELETE. A POST that got a 5xx or lost its connection may have been applied: the session
  raises :class:`AmbiguousWrite` instead and leaves the retry to the operation, which knows how
  to check before re-creating.

The session sees each ``requests.Response`` itself, so it knows the status exactly; canvasapi
would otherwise turn a 5xx into a bare ``CanvasException``.

It reads the environment (proxies, CA bundle) once, when it is built, instead of on every
request as ``requests`` does (see :class:`CanvasSession`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field
from requests.utils import get_environ_proxies
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random,
)

from tools.canvas.errors import AmbiguousWrite, CanvasUnavailable

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class RetryPolicy(BaseModel):
    """How hard to try before telling the caller Canvas is unavailable."""

    model_config = ConfigDict(frozen=True)

    attempts: int = Field(8, ge=1, description="Tries per request, the first one included.")
    max_elapsed: float = Field(120.0, gt=0, description="Seconds after which retrying stops.")
    initial_wait: float = Field(0.1, ge=0, description="First backoff, doubled each retry.")
    max_wait: float = Field(10.0, ge=0, description="Ceiling of one backoff.")
    jitter: float = Field(0.5, ge=0, description="Random seconds added to each backoff.")
    request_timeout: float = Field(60.0, gt=0, description="Seconds to wait for one response.")

    def retrying(
        self,
        retry: Callable[[BaseException], bool],
        before_sleep: Callable[[RetryCallState], None] | None = None,
    ) -> Retrying:
        """A tenacity controller that retries the exceptions ``retry`` accepts."""
        return Retrying(
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.max_elapsed),
            wait=wait_exponential(multiplier=self.initial_wait, max=self.max_wait)
            + wait_random(0, self.jitter),
            retry=retry_if_exception(retry),
            before_sleep=before_sleep,
            reraise=True,
        )


INTERACTIVE_RETRY = RetryPolicy(attempts=3, max_elapsed=4.0, max_wait=1.0, request_timeout=8.0)
"""A person is waiting (a student in the chat, staff on a profile): Canvas down is "Canvas is
unavailable" within seconds, not after the workers' two-minute retry budget."""


class PacingPolicy(BaseModel):
    """Canvas's leaky-bucket parameters (open-source defaults) and how much headroom to keep."""

    model_config = ConfigDict(frozen=True)

    high_water: float = Field(600.0, gt=0, description="Bucket level at which Canvas throttles.")
    drain_per_second: float = Field(10.0, gt=0, description="How fast the bucket empties.")
    up_front_cost: float = Field(50.0, ge=0, description="Cost Canvas holds per request in flight.")
    reserve: float = Field(
        100.0, ge=0, description="Capacity left unused, for other clients of the same token."
    )


class RequestStats(BaseModel):
    """Counts of what the session sent and what Canvas answered."""

    requests: int = 0
    throttled: int = Field(0, description="429 responses seen (all retried or surfaced).")
    server_errors: int = Field(0, description="5xx responses seen.")
    connection_errors: int = 0
    retries: int = 0
    paced_seconds: float = Field(0.0, description="Time spent waiting for the bucket to drain.")
    last_remaining: float | None = None


class Pacer:
    """A local mirror of Canvas's leaky bucket, fed by ``X-Rate-Limit-Remaining``.

    Canvas's bucket holds the settled cost of past requests, which drains over time, plus the
    up-front cost of each request in flight, which comes back when it finishes. The pacer knows
    its own requests in flight, so from Canvas's ``Remaining`` it can tell the settled part, and
    it sends a request only when the bucket, with that request's up-front cost added, stays
    under the high-water mark minus the reserve. Otherwise it waits for a request of its own to
    finish or for the settled cost to drain, whichever lets it go first.
    """

    def __init__(self, policy: PacingPolicy) -> None:
        self._policy = policy
        self._ready = threading.Condition()
        self._in_flight = 0
        self._settled = 0.0
        self._as_of = time.monotonic()

    def _settled_now(self, now: float) -> float:
        drained = self._policy.drain_per_second * (now - self._as_of)
        return max(0.0, self._settled - drained)

    def observe(self, remaining: float) -> None:
        """Take Canvas's word on the bucket, as one of our in-flight requests settles."""
        policy = self._policy
        with self._ready:
            others = max(0, self._in_flight - 1)
            self._settled = max(0.0, policy.high_water - remaining - others * policy.up_front_cost)
            self._as_of = time.monotonic()

    def acquire(self) -> float:
        """Wait until one more request fits under the mark; return the seconds waited."""
        policy = self._policy
        ceiling = policy.high_water - policy.reserve
        waited = 0.0
        with self._ready:
            while True:
                now = time.monotonic()
                level = self._settled_now(now) + policy.up_front_cost * (self._in_flight + 1)
                if level <= ceiling or (self._in_flight == 0 and policy.up_front_cost >= ceiling):
                    self._in_flight += 1
                    return waited
                self._ready.wait((level - ceiling) / policy.drain_per_second)
                waited += time.monotonic() - now

    def release(self) -> None:
        """One of our requests finished: its up-front cost is back."""
        with self._ready:
            self._in_flight -= 1
            self._ready.notify()


class CanvasSession(requests.Session):
    """A ``requests.Session`` that paces, retries and counts every Canvas request.

    ``requests`` consults the environment on every request when ``trust_env`` is on: it scans
    all of ``os.environ`` for proxy variables several times (settings merge, then proxy
    resolution) and looks for a ``.netrc``: 0.3 ms of CPU per request with 35 variables, more
    in a larger environment, a sizeable share of the client's whole cost per request. Every
    request of this session goes to one Canvas, so the session takes what ``requests`` would
    take from the environment for ``base_url`` once, here: the proxies (``HTTPS_PROXY``,
    ``HTTP_PROXY``, ``ALL_PROXY``, none when ``NO_PROXY`` covers the host) and the CA bundle
    (``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE``), then turns ``trust_env`` off. Changing
    those variables later needs a new client. Dropping the ``.netrc`` lookup is deliberate:
    a ``.netrc`` entry for the Canvas host would replace the bearer token with Basic auth.
    """

    def __init__(self, retry: RetryPolicy, pacing: PacingPolicy, base_url: str) -> None:
        super().__init__()
        self.proxies.update(get_environ_proxies(base_url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            self.verify = bundle
        self.trust_env = False
        self._retry = retry
        self._pacer = Pacer(pacing)
        self._stats = RequestStats()
        self._stats_lock = threading.Lock()
        self.hooks["response"].append(self._observe)

    def stats(self) -> RequestStats:
        """A snapshot of the counters."""
        with self._stats_lock:
            return self._stats.model_copy()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send with pacing and retries; the prepared body is reused as-is on each attempt."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._retry.request_timeout
        retrying = self._retry.retrying(_resendable, before_sleep=self._count_retry)
        response: requests.Response = retrying(self._send_once, request, **kwargs)
        return response

    def _send_once(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        waited = self._pacer.acquire()
        if waited > 0:
            self._count(paced_seconds=waited)
        try:
            return self._checked(request, **kwargs)
        finally:
            self._pacer.release()

    def _checked(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        method = (request.method or "GET").upper()
        what = f"{method} {request.path_url.split('?')[0]}"
        failure = AmbiguousWrite if method not in IDEMPOTENT_METHODS else CanvasUnavailable
        try:
            response = super().send(request, **kwargs)
        except requests.ConnectTimeout as exc:
            self._count(connection_errors=1)
            raise CanvasUnavailable(f"Canvas unreachable for {what}: {exc}") from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            self._count(connection_errors=1)
            raise failure(f"Canvas connection lost during {what}: {exc}") from exc
        status = response.status_code
        if status == 429:
            raise CanvasUnavailable(f"Canvas throttled {what} (429)", status=status)
        if status >= 500:
            raise failure(f"Canvas failed {what} ({status})", status=status)
        return response

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Response hook: feed the pacer and the counters from every response."""
        remaining = _float_header(response, "X-Rate-Limit-Remaining")
        if remaining is not None:
            self._pacer.observe(remaining)
        status = response.status_code
        with self._stats_lock:
            stats = self._stats
            stats.requests += 1
            stats.throttled += status == 429
            stats.server_errors += status >= 500
            if remaining is not None:
                stats.last_remaining = remaining

    def _count(self, **increments: float) -> None:
        with self._stats_lock:
            for name, amount in increments.items():
                setattr(self._stats, name, getattr(self._stats, name) + amount)

    def _count_retry(self, state: RetryCallState) -> None:
        self._count(retries=1)


def _resendable(exc: BaseException) -> bool:
    """Whether resending the same request cannot apply it twice (see :meth:`_send_once`)."""
    return isinstance(exc, CanvasUnavailable) and not isinstance(exc, AmbiguousWrite)


def _float_header(response: requests.Response, name: str) -> float | None:
    value = response.headers.get(name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
