"""AdminClient: the entry point. It owns the transport; API groups hang off it as attributes."""

from __future__ import annotations

import netrc
import os
import ssl as _ssl
import sys
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import aiohttp
from yarl import URL

from ._api import APIS, Api
from ._secrets import redact_url
from ._transport import DEFAULT_MAX_ANSWER_BYTES, Transport
from ._validate import as_timeout
from .errors import ClientClosedError, InvalidArgumentError
from .messages import Messages
from .retry import RetryPolicy
from .rooms import Rooms
from .users import Users

__all__ = ["AdminClient", "DEFAULT_MAX_ANSWER_BYTES", "DEFAULT_RETRY", "DEFAULT_TIMEOUT"]

#: Connect within 10 s, finish any one request within 60 s (each try, when retried).
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=60, connect=10)

#: 3 tries in all, sleeping up to 0.1 s then 0.2 s (see :class:`RetryPolicy`).
DEFAULT_RETRY = RetryPolicy()

Auth = tuple[str, str] | aiohttp.BasicAuth | None


def _credentials(auth: Auth) -> tuple[str, str] | None:
    if auth is None:
        return None
    if isinstance(auth, aiohttp.BasicAuth):
        return auth.login, auth.password
    if isinstance(auth, tuple) and len(auth) == 2 and all(isinstance(p, str) for p in auth):
        if ":" in auth[0]:
            raise InvalidArgumentError("a Basic auth user name may not contain ':'")
        return auth[0], auth[1]
    raise InvalidArgumentError("auth must be None, a (user, password) tuple or aiohttp.BasicAuth")


def _split_base_url(base_url: str, auth: Auth) -> tuple[str, Auth]:
    if not isinstance(base_url, str):
        raise InvalidArgumentError("base_url must be a str")
    shown = redact_url(base_url)  # errors never show a password written in the URL
    error: InvalidArgumentError | None = None
    try:
        url = URL(base_url)
        port = url.port  # yarl checks the port lazily
    except (ValueError, TypeError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        error = InvalidArgumentError(f"base_url is not a valid URL ({reason}): {shown!r}")
    if error is not None:
        raise error  # outside `except`: yarl's exception is not chained to it
    if port is not None and not 0 < port < 65536:
        raise InvalidArgumentError(f"base_url has an invalid port: {shown!r}")
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidArgumentError(f"base_url must be an http:// or https:// URL, not {shown!r}")
    if url.query_string or url.fragment:
        raise InvalidArgumentError("base_url may not carry a query string or fragment")
    if url.user is not None or url.password is not None:
        # Credentials in the URL would end up in every error message: move them to auth.
        if auth is not None:
            raise InvalidArgumentError("give credentials either in base_url or in auth, not both")
        auth = (url.user or "", url.password or "")
        url = url.with_user(None)
    return str(url).rstrip("/"), auth


def _netrc_has(host: str) -> str | None:
    """The netrc file that holds credentials for ``host``, as aiohttp finds it with
    ``trust_env=True`` (``$NETRC``, else ``~/.netrc``; ``_netrc`` on Windows), or None."""
    name = os.environ.get("NETRC")
    try:
        path = (
            Path(name)
            if name is not None
            else Path.home() / ("_netrc" if sys.platform == "win32" else ".netrc")
        )
        if netrc.netrc(str(path)).authenticators(host) is None:
            return None
    except (OSError, RuntimeError, netrc.NetrcParseError):
        return None  # unreadable or malformed: aiohttp ignores it too
    return str(path)


def _check_session(session: aiohttp.ClientSession, credentials: bool, host: str) -> None:
    """Refuse a session whose own credentials aiohttp cannot send together with ours.

    aiohttp raises ``ValueError`` for every request that carries an ``Authorization``
    header (ours) and also credentials of the session (``auth=``, or a netrc entry for the
    host with ``trust_env=True``); it offers no way to override them (``auth=`` itself is
    deprecated), so the conflict is refused here, before any request. A default
    ``Authorization`` header of the session is simply replaced by ours."""
    own_header = "Authorization" in session.headers
    if session.auth is not None and own_header:
        raise InvalidArgumentError(
            "the session has both auth= and a default Authorization header: aiohttp refuses "
            "every request of such a session"
        )
    if not credentials:
        return  # the session's own credentials, if any, are sent
    if session.auth is not None:
        raise InvalidArgumentError(
            "the session has credentials of its own (ClientSession(auth=...)), which aiohttp "
            "cannot send together with the client's: give credentials to AdminClient or to "
            "the session, not both"
        )
    if session.trust_env:
        path = _netrc_has(host)
        if path is not None:
            raise InvalidArgumentError(
                f"the session trusts the environment (trust_env=True) and {path} holds "
                f"credentials of its own for {host}, which aiohttp cannot send together "
                "with the client's: give credentials to AdminClient or to the netrc file, "
                "not both"
            )


class AdminClient:
    """An asyncio client for MongooseIM's admin API.

    ``base_url`` is the API root, e.g. ``http://localhost:8088/api``. ``auth`` is ``None``, a
    ``(user, password)`` tuple or an :class:`aiohttp.BasicAuth`; send none when the server's
    listener has no credentials configured (MongooseIM 6.x then rejects any). Pass
    ``session`` to share your own :class:`aiohttp.ClientSession` (the client never closes
    it); otherwise one is created on first use and closed by :meth:`close` or ``async with``.
    ``timeout`` is seconds or an :class:`aiohttp.ClientTimeout` (default: 10 s connect,
    60 s total, for each try); every call also takes its own ``timeout=``. A timeout raises
    :class:`~aiomongoose.errors.TransportError` naming the method and URL. ``host_header``
    sets the ``Host`` header (MongooseIM's default listener only answers
    ``Host: localhost``). ``max_connections`` bounds the requests this client has in flight
    (and the sockets of the session it creates); further calls wait for a free slot, and
    their timeout starts once they have one. ``ssl`` is passed to aiohttp: certificates
    are verified by default; give an :class:`ssl.SSLContext` for a private CA. Redirects
    are never followed (a 3xx raises :class:`~aiomongoose.errors.ApiError` with
    ``.location``).

    ``max_answer_bytes`` (default 64 MiB) bounds the size of an answer once decoded (gzip
    inflated): a larger successful answer raises
    :class:`~aiomongoose.errors.ProtocolError` as soon as the bound is passed (or at once,
    from its ``Content-Length``), without reading the rest.

    ``retry`` is a :class:`~aiomongoose.retry.RetryPolicy` (default: 3 tries) or ``None``
    to try every request once. Reads are retried after connection errors, timeouts and
    502/503/504; a send only when it never left the client. :attr:`retries` counts the
    retries made.
    """

    def __init__(
        self,
        base_url: str = "http://localhost:8088/api",
        *,
        auth: Auth = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | aiohttp.ClientTimeout | None = None,
        host_header: str | None = None,
        max_connections: int = 32,
        ssl: bool | _ssl.SSLContext | aiohttp.Fingerprint = True,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        api: Literal["rest", "graphql", "auto"] = "rest",
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    ) -> None:
        base_url, auth = _split_base_url(base_url, auth)
        if api not in APIS:
            raise InvalidArgumentError(f"api must be one of {', '.join(APIS)}, not {api!r}")
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise InvalidArgumentError("session must be an aiohttp.ClientSession")
        credentials = _credentials(auth)
        if session is not None:
            _check_session(session, credentials is not None, URL(base_url).host or "")
        if (
            not isinstance(max_connections, int)
            or isinstance(max_connections, bool)
            or max_connections < 1
        ):
            raise InvalidArgumentError("max_connections must be a positive int")
        if host_header is not None and (
            not isinstance(host_header, str)
            or not host_header
            or not all("!" <= ch <= "~" for ch in host_header)
        ):
            # Printable ASCII only (RFC 9110 uri-host): no header injection through CR/LF.
            raise InvalidArgumentError("host_header must be a non-empty ASCII host[:port]")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise InvalidArgumentError("retry must be a RetryPolicy or None")
        if (
            type(max_answer_bytes) is not int  # bool is an int: refused
            or max_answer_bytes < 1
        ):
            raise InvalidArgumentError("max_answer_bytes must be a positive int (bytes)")
        self._transport = Transport(
            base_url,
            credentials=credentials,
            session=session,
            timeout=as_timeout(timeout) or DEFAULT_TIMEOUT,
            host_header=host_header,
            max_connections=max_connections,
            ssl=ssl,
            retry=retry,
            max_answer_bytes=max_answer_bytes,
        )
        self._api = Api(self._transport, api)

    @property
    def base_url(self) -> str:
        """The API root every path is appended to."""
        return self._transport.base_url

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._transport.closed

    @property
    def max_answer_bytes(self) -> int:
        """The largest answer read, in bytes once decoded (see ``AdminClient``)."""
        return self._transport.max_answer_bytes

    @property
    def retry(self) -> RetryPolicy | None:
        """The retry policy (``None``: every request is tried once)."""
        return self._transport.retry

    @property
    def retries(self) -> int:
        """How many retries this client has made so far (tries beyond the first, all calls).

        A running total for progress reports and metrics: read it before and after a piece
        of work to count that work's retries.
        """
        return self._transport.retries

    @property
    def api(self) -> str:
        """The API spoken: "rest" or "graphql" ("auto" until :meth:`detect_api` ran)."""
        return self._api.known or "auto"

    async def detect_api(self) -> str:
        """With ``api="auto"``, probe the server once (``POST {base_url}/graphql``) and pick
        GraphQL if it answers, REST otherwise; return the API chosen. A 5xx answer or a
        connection failure raises, and the next call probes again. ``async with`` calls it;
        awaited methods call it on first use. Free when ``api`` is fixed."""
        return await self._api.resolve()

    @cached_property
    def messages(self) -> Messages:
        """One-to-one messages: send, read recent messages, page through the archive."""
        return Messages(self._transport, self._api)

    @cached_property
    def rooms(self) -> Rooms:
        """Group chats (MUC Light and MUC): read and page room archives (GraphQL), send to
        rooms (both APIs), list rooms (GraphQL)."""
        return Rooms(self._transport, self._api)

    @cached_property
    def users(self) -> Users:
        """Users of a domain."""
        return Users(self._transport, self._api)

    async def close(self) -> None:
        """Close the session if this client created it. Idempotent."""
        await self._transport.close()

    async def __aenter__(self) -> AdminClient:
        if self.closed:
            raise ClientClosedError("this AdminClient is closed: create a new one")
        if self._api.known is None:
            try:
                await self.detect_api()
            except BaseException:
                await self.close()
                raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        # Never the password: only whether credentials are set.
        auth = self._transport.auth_user
        shown = f", auth=({auth!r}, '***')" if auth is not None else ""
        state = ", closed" if self.closed else ""
        return f"AdminClient({self.base_url!r}{shown}{state})"

    def __getstate__(self) -> Any:
        raise TypeError("AdminClient cannot be pickled")
