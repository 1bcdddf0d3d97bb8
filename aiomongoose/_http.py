"""The thin transport: owns the aiohttp session, builds URLs, maps failures to our errors.

Resources call :meth:`Transport.request` with path *segments*; each segment is quoted with
``safe=""`` so a JID's ``/`` travels as ``%2F`` (yarl's ``/`` operator would keep it as a
path separator, and the server would read the resource as the next segment).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from .errors import ClientClosedError, TransportError, error_for

__all__ = ["Transport"]

log = logging.getLogger("aiomongoose")

JSON_HEADERS = {"Content-Type": "application/json"}


class Transport:
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
    ) -> None:
        self.base_url = base_url
        self._user = None if credentials is None else credentials[0]
        self._session = session
        self._owns_session = session is None
        self._timeout = timeout
        self._headers = {"Host": host_header} if host_header else {}
        if credentials is not None:
            # Built once, here: the only place the password exists after __init__.
            self._headers["Authorization"] = basic_authorization(*credentials)
        self._json_headers = {**self._headers, **JSON_HEADERS}
        self._max_connections = max_connections
        self._ssl = ssl
        self.closed = False

    @property
    def auth_user(self) -> str | None:
        return self._user

    def _get_session(self) -> aiohttp.ClientSession:
        if self.closed:
            raise ClientClosedError("this AdminClient is closed")
        if self._session is None:
            # Created lazily, inside the running loop (aiohttp warns otherwise).
            connector = aiohttp.TCPConnector(limit=self._max_connections)
            self._session = aiohttp.ClientSession(connector=connector)
        elif self._session.closed:
            raise ClientClosedError("the aiohttp session given to AdminClient is closed")
        return self._session

    def url(self, segments: Sequence[str], params: Mapping[str, int] | None = None) -> URL:
        path = "/".join(quote(segment, safe="") for segment in segments)
        text = f"{self.base_url}/{path}"
        if params:
            text += "?" + urlencode(params)
        return URL(text, encoded=True)

    async def request(
        self,
        method: str,
        segments: Sequence[str],
        *,
        params: Mapping[str, int] | None = None,
        body: bytes | None = None,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> tuple[int, bytes]:
        """Send one request; return ``(status, body)`` of a 2xx answer or raise ``ApiError``."""
        session = self._get_session()
        url = self.url(segments, params)
        started = time.perf_counter()
        try:
            async with session.request(
                method,
                url,
                data=body,
                headers=self._json_headers if body is not None else self._headers,
                timeout=timeout or self._timeout,
                allow_redirects=False,
                raise_for_status=False,  # a caller's session may default to True
                ssl=self._ssl,
            ) as resp:
                data = await resp.read()
                status = resp.status
                location = resp.headers.get("Location")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise _transport_error(method, url, exc) from exc
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %d in %.1f ms",
                method,
                url.raw_path,
                status,
                (time.perf_counter() - started) * 1000,
            )
        if status >= 300:
            raise error_for(
                status,
                data,
                method=method,
                url=str(url.with_query(None)),
                location=location if 300 <= status < 400 else None,
            )
        return status, data

    async def close(self) -> None:
        self.closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()


def basic_authorization(user: str, password: str) -> str:
    """The ``Authorization`` value for HTTP Basic, UTF-8 encoded (RFC 7617)."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _transport_error(method: str, url: URL, exc: BaseException) -> TransportError:
    if isinstance(exc, asyncio.TimeoutError):
        what = "timed out"
    else:
        what = f"failed: {type(exc).__name__}: {exc}"
    return TransportError(f"{method} {url.with_query(None)} {what}")
