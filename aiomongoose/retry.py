"""When a failed request is tried again, and how long to wait first.

The rule (also in the documentation, docs/guides/reliability.rst):

* A *read* (``GET``) changes nothing on the server, so it is tried again after a connection
  error (refused, reset, dropped before the answer or cut in the middle of the body), a
  timeout, or an answer whose status is in :attr:`RetryPolicy.retry_statuses`
  (502, 503 and 504 by default).
* ``POST /messages`` sends a message: repeating it after the server may have seen it could
  deliver the message twice. It is tried again only when the request certainly never left
  the client, because no connection could be made (connection refused, DNS failure, connect
  timeout); never after any HTTP answer (503 included), a read timeout, or a connection
  reset once the request was written.
* TLS failures (certificate, fingerprint, handshake) and malformed HTTP are never retried:
  trying again gives the same answer.

This module holds the policy and these pure decisions; ``aiomongoose._transport.Transport``
runs the loop.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Iterable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import aiohttp
import attrs

from .errors import InvalidArgumentError

__all__ = ["RetryPolicy"]

#: Methods that read only: safe to repeat whatever happened to the first try.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Failures that trying again cannot fix: TLS trouble and answers that are not HTTP.
_PERMANENT: tuple[type[BaseException], ...] = (
    aiohttp.ClientSSLError,
    aiohttp.ServerFingerprintMismatch,
    aiohttp.ClientResponseError,
    aiohttp.InvalidURL,
)


def _attempts(_: object, __: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value < 1:
        raise InvalidArgumentError(f"attempts must be an int >= 1, not {value!r}")


def _seconds(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < 0
    ):
        raise InvalidArgumentError(f"{attribute.name} must be a number of seconds >= 0")


def _statuses(value: Iterable[int]) -> frozenset[int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidArgumentError("retry_statuses must be a set of HTTP status codes")
    statuses = frozenset(value)
    if any(type(s) is not int or not 400 <= s <= 599 for s in statuses):
        raise InvalidArgumentError("retry_statuses may only hold int error statuses (400-599)")
    return statuses


@attrs.frozen
class RetryPolicy:
    """How :class:`~aiomongoose.AdminClient` tries a failed request again.

    * ``attempts``: tries in all, the first included (``1`` never retries).
    * ``backoff``: seconds; before retry *n* (1, 2, ...) the client sleeps a random time in
      ``[0, min(max_delay, backoff * 2 ** (n - 1))]`` ("full jitter", so that many clients
      failing together do not come back together).
    * ``max_delay``: seconds, the longest single sleep, also the cap on a ``Retry-After``.
    * ``retry_statuses``: the answers worth another try (of a read; a send is never retried
      after an answer). A ``Retry-After`` header on such an answer (seconds or an HTTP
      date) replaces the random sleep, capped at ``max_delay``.

    Only reads are retried after a failure that the server may have seen; a
    ``POST /messages`` is retried only when it never left the client (the documentation's
    reliability guide says why). Sleeps go through :func:`asyncio.sleep`, so cancelling
    the call cancels the wait. Each try gets the full timeout.
    """

    attempts: int = attrs.field(default=3, validator=_attempts)
    backoff: float = attrs.field(default=0.1, validator=_seconds)
    max_delay: float = attrs.field(default=10.0, validator=_seconds)
    retry_statuses: frozenset[int] = attrs.field(
        default=frozenset({502, 503, 504}), converter=_statuses
    )

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to sleep after ``failures`` failed tries (1 after the first one)."""
        if retry_after is not None:
            return min(self.max_delay, max(0.0, retry_after))
        ceiling = min(self.max_delay, self.backoff * 2.0 ** min(max(failures - 1, 0), 64))
        return random.uniform(0.0, ceiling)


def never_sent(exc: BaseException) -> bool:
    """True when ``exc`` proves that no byte of the request reached the server.

    aiohttp raises these while it is still making the connection: refused, unreachable,
    DNS failure (``ClientConnectorError``) or a connect timeout (``ConnectionTimeoutError``).
    """
    if isinstance(exc, _PERMANENT):
        return False
    return isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))


def _safe(method: str, idempotent: bool | None) -> bool:
    return method in SAFE_METHODS if idempotent is None else idempotent


def retryable_failure(method: str, exc: BaseException, *, idempotent: bool | None = None) -> bool:
    """Whether a request that failed with ``exc`` (no HTTP answer) may be tried again.

    ``idempotent`` overrides what the method says (a GraphQL query is a POST that reads).
    """
    if never_sent(exc):
        return True
    if not _safe(method, idempotent) or isinstance(exc, _PERMANENT):
        return False
    return isinstance(
        exc, (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError)
    )


def retryable_status(
    method: str, status: int, policy: RetryPolicy, *, idempotent: bool | None = None
) -> bool:
    """Whether an answer with ``status`` may be tried again: only a read, never a send."""
    return _safe(method, idempotent) and status in policy.retry_statuses


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` value in seconds (delta-seconds or an HTTP date); None if unusable."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when: datetime | None = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:  # older Pythons return None for some unparsable dates
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())
