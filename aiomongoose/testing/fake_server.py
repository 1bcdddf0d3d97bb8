"""FakeMongooseIM: an in-process MongooseIM REST admin server on ``aiohttp.web``.

It follows ``shared/mongooseim-rest-api.md`` (the behaviour of MongooseIM 6.5, or 3.7 with
``version="3.7"``): second-granular rounded timestamps, an inclusive ``before``, the silent
``limit`` cap, the exact error texts, Basic auth, Host matching and percent-decoded JID
segments. Tests seed it synchronously and can inject faults.
"""

from __future__ import annotations

import asyncio
import socket
from types import TracebackType

from aiohttp import web

from ._app import Handler
from ._archive import StoredMessage
from ._faults import DEFAULT_MALFORMED_BODY, Decision, DropWhen, FaultKind
from ._jid import parse_or_raise
from ._records import RecordedRequest
from ._state import AppState
from ._versions import profile_for

__all__ = ["FakeMongooseIM"]

_DEFAULT_BODY = "Hello!"


class FakeMongooseIM:
    """A fake MongooseIM REST admin API, served on ``listen_host`` (127.0.0.1) at ``url``.

    ``max_result_limit`` is the MAM cap of 6.x (ignored by 3.7, whose cap is 500);
    ``auth`` is ``None`` or ``(user, password)`` for HTTP Basic; ``version`` is "6.5" or
    "3.7" ("6.6", GraphQL only, raises ``NotImplementedError`` for now); ``host``, when set
    (e.g. "localhost"), makes every request whose Host header names another host get an
    empty 400, as the default listener does. ``port=0`` picks a free port.

    Use it as ``async with FakeMongooseIM() as server:`` or with :meth:`start` and
    :meth:`close`. Seed it with :meth:`add_user` and :meth:`add_message`.
    """

    def __init__(
        self,
        max_result_limit: int = 50,
        auth: tuple[str, str] | None = None,
        version: str = "6.5",
        host: str | None = None,
        *,
        listen_host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if isinstance(max_result_limit, bool) or not isinstance(max_result_limit, int):
            raise TypeError("max_result_limit must be an int")
        if max_result_limit < 1:
            raise ValueError("max_result_limit must be at least 1")
        if auth is not None and (len(auth) != 2 or not all(isinstance(p, str) for p in auth)):
            raise TypeError("auth must be None or a (user, password) tuple of str")
        self._state = AppState(
            profile=profile_for(version),
            max_result_limit=max_result_limit,
            auth=None if auth is None else (auth[0], auth[1]),
            host=host,
        )
        self._listen_host = listen_host
        self._port = port
        self._runner: web.ServerRunner | None = None
        self._url: str | None = None

    # Lifecycle

    async def start(self) -> None:
        """Start serving (does nothing if already started)."""
        if self._runner is not None:
            return
        self._state.closing = asyncio.Event()
        server = web.Server(Handler(self._state), access_log=None)
        runner = web.ServerRunner(server, shutdown_timeout=1.0)
        await runner.setup()
        family = socket.AF_INET6 if ":" in self._listen_host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._listen_host, self._port))
            site = web.SockSite(runner, sock)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        port = sock.getsockname()[1]
        shown = f"[{self._listen_host}]" if family == socket.AF_INET6 else self._listen_host
        self._runner = runner
        self._url = f"http://{shown}:{port}/api"

    async def close(self) -> None:
        """Stop serving and close every connection. Idempotent."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        if self._state.closing is not None:
            self._state.closing.set()
        await runner.cleanup()

    async def __aenter__(self) -> FakeMongooseIM:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # Configuration

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT/api`` (``RuntimeError`` before :meth:`start`)."""
        if self._url is None:
            raise RuntimeError("FakeMongooseIM is not started")
        return self._url

    @property
    def port(self) -> int:
        """The TCP port it listens on (``RuntimeError`` before :meth:`start`)."""
        return int(self.url.rsplit(":", 1)[1].split("/", 1)[0])

    @property
    def version(self) -> str:
        """The imitated MongooseIM version."""
        return self._state.profile.version

    @property
    def max_result_limit(self) -> int:
        """The 6.x cap on ``limit`` (settable)."""
        return self._state.max_result_limit

    @max_result_limit.setter
    def max_result_limit(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("max_result_limit must be an int >= 1")
        self._state.max_result_limit = value

    @property
    def clock_us(self) -> int:
        """The fake clock, in microseconds since the epoch (read/write).

        It starts at the wall-clock time and runs at wall-clock speed from its last setting.
        Each ``POST /messages`` is archived at the clock's time and advances it by at least
        1 µs. In 3.7 mode a missing or zero ``before`` means this clock plus 10^6 seconds.
        """
        return self._state.clock.now_us()

    @clock_us.setter
    def clock_us(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("clock_us must be an int")
        self._state.clock.set_us(value)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (the live list: ``.clear()`` it)."""
        return self._state.requests

    # Seeding

    def add_domain(self, domain: str) -> None:
        """Register a domain without users."""
        self._state.archive.add_domain(parse_or_raise(domain, "domain").domain_key)

    def add_user(self, jid: str) -> None:
        """Register the bare part of ``jid`` and its domain (idempotent)."""
        self._state.archive.add_user(parse_or_raise(jid, "user"))

    def add_message(
        self,
        sender: str,
        recipient: str,
        *,
        at_us: int,
        body: str | None = _DEFAULT_BODY,
        message_id: str | None = None,
    ) -> StoredMessage:
        """Archive one message exchanged at ``at_us`` (microseconds since the epoch).

        The message goes into the archive of each party that is a registered user (nothing
        is stored for an unregistered one; neither party is registered here), once when
        sender and recipient have the same bare JID. JIDs may be full: the sender's resource
        shows in the records' ``sender``. ``body=None`` stores a bodyless stanza (read back
        as the string "undefined"); ``message_id=None`` generates 16 lowercase hex
        characters, ``""`` stores none. Returns the stored message. Raises ``ValueError``
        for an invalid JID.
        """
        if isinstance(at_us, bool) or not isinstance(at_us, int):
            raise TypeError("at_us must be an int (microseconds since the epoch)")
        if body is not None and not isinstance(body, str):
            raise TypeError("body must be a str or None")
        state = self._state
        return state.archive.store(
            parse_or_raise(sender, "sender"),
            sender,
            parse_or_raise(recipient, "recipient"),
            recipient,
            time_us=at_us,
            body=body,
            message_id=state.new_message_id() if message_id is None else message_id,
        )

    def archive_of(self, jid: str) -> list[StoredMessage]:
        """The archive of the bare part of ``jid``, oldest first (empty for a non-user)."""
        return self._state.archive.messages_of(parse_or_raise(jid, "owner").key)

    def users_of(self, domain: str) -> list[str]:
        """The registered bare JIDs of ``domain``, sorted (empty for an unknown domain)."""
        return self._state.archive.users_of(domain.lower()) or []

    # Fault injection. A fault is decided when a request arrives, after the delay and before
    # Host matching, authentication or any handling.

    def fail_next(
        self, n: int = 1, *, status: int = 503, body: bytes | str = b"", method: str | None = None
    ) -> None:
        """Answer the next ``n`` requests (of ``method`` only, if given) with ``status``.

        The requests are not handled. A ``bytes`` body is sent as is without Content-Type; a
        ``str`` body is sent as this version's error text (a JSON string in 6.x).
        """
        self._state.faults.add(Decision("fail", status, body), n, method)

    def delay(self, seconds: float) -> None:
        """Delay every answer by ``seconds`` (0 turns the delay off).

        A delay in progress ends early when the server closes.
        """
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._state.faults.delay_s = float(seconds)

    def drop_next(
        self, n: int = 1, *, when: DropWhen = "before", method: str | None = None
    ) -> None:
        """Drop the connection of the next ``n`` requests (of ``method`` only, if given).

        ``when="before"``: the request is not handled and no byte of answer is sent.
        ``when="during"``: the request is handled (a send is archived), then a 200 header
        with the full Content-Length and half of the body are sent, and the connection closes.

        Note that aiohttp's client (3.x) silently retries a GET (any idempotent method)
        once when the connection closes before the answer, so ``drop_next(1)`` is invisible
        to it: use ``n=2`` to make an aiohttp GET fail. The retry is another request.
        """
        if when not in ("before", "during"):
            raise ValueError(f"when must be 'before' or 'during', not {when!r}")
        kind: FaultKind = "drop-before" if when == "before" else "drop-during"
        self._state.faults.add(Decision(kind), n, method)

    def malformed_next(
        self, n: int = 1, *, body: bytes = DEFAULT_MALFORMED_BODY, method: str | None = None
    ) -> None:
        """Answer the next ``n`` requests (not handled) with 200, JSON Content-Type and ``body``.

        The default body is truncated JSON.
        """
        self._state.faults.add(Decision("malformed", 200, body), n, method)

    def faults(
        self,
        *,
        fail_rate: float = 0.0,
        drop_rate: float = 0.0,
        max_consecutive: int = 2,
        seed: int | str = 0,
        method: str | None = None,
        status: int = 503,
        drop_when: DropWhen = "before",
    ) -> None:
        """Fail (``status``) or drop requests at random; both rates 0 turns it off.

        Attempts at the same request (same method, raw path and raw query) are counted: the
        outcome of attempt k of a request depends only on ``seed``, the request and k, so a
        run is reproducible even with concurrent requests, and no request fails more than
        ``max_consecutive`` times in a row. One-shot faults take precedence.
        """
        self._state.faults.set_random(
            fail_rate=fail_rate,
            drop_rate=drop_rate,
            max_consecutive=max_consecutive,
            seed=seed,
            method=method,
            status=status,
            drop_when=drop_when,
        )

    def clear_faults(self) -> None:
        """Remove every pending fault, the random mode and the delay."""
        self._state.faults.clear()
