"""The one transport: builds URLs, sends requests, retries, reads answers, opens streams.

The groups hand it a :class:`~aiomongoose._wire.RestCall` (:meth:`Transport.rest`) or a
:class:`~aiomongoose._wire.GraphQLCall` (:meth:`Transport.graphql`). Path *segments* are
quoted with ``safe=""`` so a JID's ``/`` travels as ``%2F`` (yarl's ``/`` operator would
keep it as a path separator, and the server would read the resource as the next segment).
What is retried is decided in :mod:`aiomongoose.retry`; GraphQL's error envelope is read
by :mod:`aiomongoose._graphql`. The session and the slots, per event loop, are
:mod:`aiomongoose._sessions`' (a base class); failures mapped to errors, and credentials
kept out of them, :mod:`aiomongoose._failures`' (the other).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from . import _graphql
from ._codec import dumps
from ._failures import Redacting, transport_error
from ._secrets import Redactor, basic_token
from ._sessions import SessionOwner
from ._wire import GraphQLCall, RestCall
from .errors import (
    ClientClosedError,
    InvalidArgumentError,
    ProtocolError,
    error_for,
)
from .retry import RetryPolicy, retry_after_seconds, retryable_failure, retryable_status

__all__ = ["Transport"]

log = logging.getLogger("aiomongoose")

JSON_HEADERS = {"Content-Type": "application/json"}
#: The largest answer read, decoded (gzip inflated): far above a real page (500 records of
#: 64 KiB bodies are 32 MiB), far below what would hurt a client.
DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024
_GRAPHQL = ("graphql",)


class Transport(SessionOwner, Redacting):
    """One base URL, one session, one set of credentials."""

    def __init__(
        self,
        base_url: str,
        *,
        credentials: tuple[str, str] | None,
        session: aiohttp.ClientSession | None,
        timeout: aiohttp.ClientTimeout,
        host_header: str | None,
        max_connections: int,
        ssl: Any,
        retry: RetryPolicy | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    ) -> None:
        SessionOwner.__init__(self, session, max_connections)
        self.base_url = base_url
        self._user = None if credentials is None else credentials[0]
        self._timeout = timeout
        self._headers = {"Host": host_header} if host_header else {}
        redactor: Redactor | None = None
        if credentials is not None:
            # Built once, here: the only place the password exists after __init__ (besides
            # the redactor, which keeps echoed credentials out of errors).
            self._headers["Authorization"] = basic_authorization(*credentials)
            redactor = Redactor(*credentials)
        Redacting.__init__(self, redactor)
        self._json_headers = {**self._headers, **JSON_HEADERS}
        self._ssl = ssl
        self.max_answer_bytes = max_answer_bytes
        self._graphql_url: str | None = None
        #: The retry policy (None: every request is tried once).
        self.retry = retry
        #: Retries made so far: tries beyond the first, over all requests.
        self.retries = 0

    @property
    def auth_user(self) -> str | None:
        return self._user

    def url(self, segments: Sequence[str], params: Mapping[str, int] | None = None) -> URL:
        text = f"{self.base_url}/{_quoted_path(tuple(segments))}"
        if params:
            # Keys are our own ASCII names and values ints: nothing to escape.
            text += "?" + "&".join(f"{key}={int(value)}" for key, value in params.items())
        return URL(text, encoded=True)

    async def open_event_stream(
        self, segments: Sequence[str], query: Mapping[str, str]
    ) -> aiohttp.ClientResponse:
        """``GET`` a Server-Sent Events stream (one try); the open response, to be read and
        closed by the caller. Whatever is not ``200 text/event-stream`` is read whole and
        raised as GraphQL reports it (an unknown caller is a 200 with ``errors``), or as
        :class:`ProtocolError`. The connect timeout applies; reading has none (a quiet
        stream says nothing for as long as it likes). Not counted in ``max_connections``'
        slots: a stream holds its connection for as long as it is open."""
        await self._enter_loop()
        session = await self._session_now()
        url = URL(
            f"{self.base_url}/{_quoted_path(tuple(segments))}?{urlencode(query)}", encoded=True
        )
        timeout = aiohttp.ClientTimeout(
            total=None, connect=self._timeout.connect, sock_connect=self._timeout.sock_connect
        )
        headers = {**self._headers, "Accept": "text/event-stream"}
        try:
            resp = await session.get(
                url,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                raise_for_status=False,
                ssl=self._ssl,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise transport_error("GET", url, exc, 1) from exc
        kind = resp.headers.get("Content-Type", "").partition(";")[0].strip().lower()
        if resp.status == 200 and kind == "text/event-stream":
            return resp
        try:
            body = self.clean(await self._read(resp))
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise self.redact(transport_error("GET", url, exc, 1)) from exc
        finally:
            resp.release()
        shown = str(url.with_query(None))
        if 300 <= resp.status < 400:
            location = resp.headers.get("Location")
            error = error_for(resp.status, body, method="GET", url=shown, location=location)
            raise self.redact(error)
        self.parse(functools.partial(_graphql.check, method="GET", url=shown), resp.status, body)
        raise ProtocolError("expected an event stream", status=resp.status, body=body)

    def rest(
        self, call: RestCall, timeout: aiohttp.ClientTimeout | None
    ) -> Coroutine[Any, Any, tuple[int, bytes]]:
        """Send a REST call; ``(status, body)`` of its 2xx answer (else an ``ApiError``).
        (A plain function returning :meth:`request`'s coroutine: one frame less to await.)"""
        return self.request(
            call.method,
            call.segments,
            params=call.params,
            body=call.body,
            timeout=timeout,
            accept=call.accept,
        )

    async def graphql(
        self, call: GraphQLCall, timeout: aiohttp.ClientTimeout | None
    ) -> tuple[dict[str, Any], int, bytes]:
        """Send a GraphQL operation; its ``data`` object, with the status and raw body (for
        ``ProtocolError``). Any answer that carries ``errors`` raises, whatever its status."""
        payload = {
            "query": call.document,
            "variables": call.variables,
            "operationName": call.operation,
        }
        status, body = await self.request(
            "POST",
            _GRAPHQL,
            body=dumps(payload),
            timeout=timeout,
            idempotent=call.reads,  # a query only reads: retried like a GET
            raise_for_status=False,
        )
        if self._graphql_url is None:
            self._graphql_url = str(self.url(_GRAPHQL))  # named in errors
        check = functools.partial(_graphql.check, method="POST", url=self._graphql_url)
        data = self.parse(check, status, body)
        return data, status, body

    async def request(
        self,
        method: str,
        segments: Sequence[str],
        *,
        params: Mapping[str, int] | None = None,
        body: bytes | None = None,
        timeout: aiohttp.ClientTimeout | None = None,
        idempotent: bool | None = None,
        raise_for_status: bool = True,
        accept: str | None = None,
    ) -> tuple[int, bytes]:
        """Send one request, retried by the policy; return ``(status, body)`` of a 2xx answer.

        Raises ``ApiError`` for an error answer and ``TransportError`` for a failure below
        HTTP, once the policy gives up (see :mod:`aiomongoose.retry`). ``idempotent``
        overrides what the method implies for retries; with ``raise_for_status=False`` an
        error answer that is not retried is returned instead (GraphQL maps its own errors),
        except a redirect: a 3xx always raises ``ApiError`` with ``.location``.
        """
        url = self.url(segments, params)
        policy = self.retry
        failures = 0
        while True:
            try:
                status, data, headers = await self._attempt(method, url, body, timeout, accept)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                if self.closed:  # close() aborted it: the caller learns why
                    raise ClientClosedError("this AdminClient was closed during the call") from exc
                failures += 1
                if (
                    policy is None
                    or failures >= policy.attempts
                    or not retryable_failure(method, exc, idempotent=idempotent)
                ):
                    raise self.redact(transport_error(method, url, exc, failures)) from exc
                await self._pause(policy, method, url, failures, type(exc).__name__, None)
                continue
            if status < 300:
                return status, data
            data = self.clean(data)  # an error answer may echo the Authorization header
            failures += 1
            if (
                policy is not None
                and failures < policy.attempts
                and retryable_status(method, status, policy, idempotent=idempotent)
            ):
                retry_after = retry_after_seconds(headers.get("Retry-After"))
                await self._pause(policy, method, url, failures, str(status), retry_after)
                continue
            if not raise_for_status and not 300 <= status < 400:
                return status, data  # a redirect is never an answer, GraphQL's included
            error = error_for(
                status,
                data,
                method=method,
                url=str(url.with_query(None)),
                location=headers.get("Location") if 300 <= status < 400 else None,
            )
            raise self.redact(error)

    async def _attempt(
        self,
        method: str,
        url: URL,
        body: bytes | None,
        timeout: aiohttp.ClientTimeout | None,
        accept: str | None = None,
    ) -> tuple[int, bytes, Mapping[str, str]]:
        if self.closed or self._loop is not asyncio.get_running_loop():
            await self._enter_loop()
        slots = self._semaphore or self._slots()
        # _take_slot, inline: one coroutine less per request.
        self._waiting += 1
        try:
            await slots.acquire()
        finally:
            self._waiting -= 1
        if self.closed:  # woken by close()
            slots.release()
            raise ClientClosedError("this AdminClient was closed while the call waited")
        try:
            session = self._session
            if session is None or session.closed or self.closed:
                session = await self._session_now()
            headers = self._json_headers if body is not None else self._headers
            if accept is not None:
                headers = {**headers, "Accept": accept}
            started = time.perf_counter()
            try:
                async with session.request(
                    method,
                    url,
                    data=body,
                    headers=headers,
                    timeout=timeout or self._timeout,
                    allow_redirects=False,
                    raise_for_status=False,  # a caller's session may default to True
                    ssl=self._ssl,
                ) as resp:
                    data = await self._read(resp)
            except ValueError as exc:
                if isinstance(exc, aiohttp.ClientError):  # some are ValueErrors too
                    raise
                # e.g. a netrc entry for the host written after the client was made: aiohttp
                # refuses to send it with our Authorization header (see client._check_session)
                raise InvalidArgumentError(
                    f"aiohttp refused to send {method} {url}: {exc}"
                ) from None
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.debug(
                    "%s %s failed in %.1f ms: %s",
                    method,
                    url.raw_path,
                    (time.perf_counter() - started) * 1000,
                    type(exc).__name__,
                )
                raise
        finally:
            slots.release()
        log.debug(
            "%s %s -> %d in %.1f ms",
            method,
            url.raw_path,
            resp.status,
            (time.perf_counter() - started) * 1000,
        )
        return resp.status, data, resp.headers

    async def _pause(
        self,
        policy: RetryPolicy,
        method: str,
        url: URL,
        failures: int,
        reason: str,
        retry_after: float | None,
    ) -> None:
        delay = policy.delay(failures, retry_after)
        log.info(
            "%s %s: try %d of %d failed (%s); retrying in %.3f s",
            method,
            url.raw_path,
            failures,
            policy.attempts,
            reason,
            delay,
        )
        self.retries += 1
        await asyncio.sleep(delay)

    async def _read(self, resp: aiohttp.ClientResponse) -> bytes:
        """The answer's body, decoded, at most ``max_answer_bytes`` of it: past that a 2xx
        answer raises ProtocolError and an error answer keeps its start (for ApiError); the
        rest is never read (the connection is closed). aiohttp inflates gzip and deflate
        in bounded steps as the body is read, so the inflated size is what counts."""
        cap = self.max_answer_bytes
        encoded = resp.headers.get("Content-Encoding", "identity").lower() != "identity"
        declared = resp.content_length
        chunks: list[bytes] = []
        size = 0
        if declared is None or declared <= cap or encoded or resp.status >= 300:
            while chunk := await resp.content.readany():
                size += len(chunk)
                chunks.append(chunk)
                if size > cap:
                    break
            else:
                return b"".join(chunks)
        resp.close()  # the rest is not read: the connection goes
        data = b"".join(chunks)[:cap]
        if resp.status >= 300:
            return data
        what = f"{declared} bytes declared" if size <= cap else "more than that decoded"
        raise self.redact(
            ProtocolError(
                f"answer larger than max_answer_bytes ({cap} bytes; {what}); not read further",
                status=resp.status,
                body=self.clean(data[:1024]),
            )
        )


@functools.lru_cache(maxsize=1024)
def _quoted_path(segments: tuple[str, ...]) -> str:
    # Each segment quoted whole: a JID's "/" travels as %2F (see the module docstring).
    return "/".join(quote(segment, safe="") for segment in segments)


def basic_authorization(user: str, password: str) -> str:
    """The ``Authorization`` value for HTTP Basic, UTF-8 encoded (RFC 7617)."""
    return f"Basic {basic_token(user, password)}"
