"""FakeMongooseIM: an in-process MongooseIM admin server (REST and GraphQL) on ``aiohttp.web``.

The REST side follows ``docs/server-behaviour.md`` (the behaviour of MongooseIM 6.5, or
3.7 with ``version="3.7"``): second-granular rounded timestamps, an inclusive ``before``,
the silent ``limit`` cap, the exact error texts, Basic auth, Host matching and
percent-decoded JID segments. The GraphQL side (``/api/graphql``, versions 6.5 and 6.6)
follows the GraphQL sections of ``docs/server-behaviour.md`` and MongooseIM's own code (see
:mod:`._graphql`): microsecond timestamps, the 200 answers that carry ``errors``, input
coercion errors; ``/api/graphql/sse`` streams the messages routed to a user (:mod:`._sse`,
:mod:`._routing`). Both read and write one archive. Tests seed it synchronously, route
messages, put client sessions online and can inject faults.
"""

from __future__ import annotations

import asyncio
import math
import socket
from collections.abc import Iterable
from types import TracebackType

from aiohttp import web

from ._app import Handler
from ._archive import StoredMessage
from ._fault_api import FaultInjection
from ._graphql import load_engine
from ._jid import parse_or_raise
from ._records import RecordedRequest
from ._room_seeding import RoomSeeding
from ._rooms import RoomKind
from ._session_api import LiveMessaging
from ._sse import WatchedServer
from ._state import AppState
from ._versions import profile_for

__all__ = ["FakeMongooseIM"]

_DEFAULT_BODY = "Hello!"


class FakeMongooseIM(FaultInjection, LiveMessaging, RoomSeeding):
    """A fake MongooseIM admin API, served on ``listen_host`` (127.0.0.1) at ``url``.

    ``version`` chooses the APIs: "6.5" serves REST under ``url`` and GraphQL at
    :attr:`graphql_url`; "6.6" and "6.8" serve GraphQL only (REST paths answer an empty 404);
    "3.7" serves REST only (``/api/graphql`` answers 404). The real server runs the two APIs on
    separate listeners (ports 8088 and 5551 by default); the fake serves both on one port.

    ``max_result_limit`` is the MAM cap of 6.x, for REST and GraphQL (ignored by 3.7, whose
    cap is 500); ``auth`` is ``None`` or ``(user, password)`` for HTTP Basic, on both APIs;
    ``host``, when set (e.g. "localhost"), makes every request whose Host header names
    another host get an empty 400, as the default listener does. ``port=0`` picks a free
    port. ``mam_enabled``, ``graphql_disabled_categories``, ``sse_idle_timeout`` and
    ``request_log_size`` (the number of requests :attr:`requests` keeps, 1000 by default)
    are described at their properties.

    Use it as ``async with FakeMongooseIM() as server:`` or with :meth:`start` and
    :meth:`close`. Seed it with :meth:`add_user` and :meth:`add_message`. For live messages
    (GraphQL subscriptions over SSE at :attr:`sse_url`): :meth:`route_message`,
    :meth:`connect_client` / :meth:`disconnect_client`, :meth:`sse_sessions`,
    :meth:`wait_for_sse_sessions` and the fault :meth:`drop_stream_after`. Rooms (MUC Light
    and MUC, read over GraphQL, sent to over both APIs): :meth:`add_room`,
    :meth:`add_room_member`, :meth:`enter_room`, :meth:`add_room_message`,
    :meth:`room_archive_of`; ``archived_rooms``, ``muc_light_enabled`` and ``muc_enabled``
    configure the modules. Version "6.8" also serves MUC Light ``listRooms``.
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
        mam_enabled: bool = True,
        graphql_disabled_categories: Iterable[str] = (),
        sse_idle_timeout: float = 3600.0,
        request_log_size: int | None = 1000,
        archived_rooms: RoomKind | None = "muc",
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
        self.mam_enabled = mam_enabled
        self.graphql_disabled_categories = set(graphql_disabled_categories)
        self.sse_idle_timeout = sse_idle_timeout
        self.request_log_size = request_log_size
        self.archived_rooms = archived_rooms
        self._listen_host = listen_host
        self._port = port
        self._runner: web.ServerRunner | None = None
        self._url: str | None = None

    # Lifecycle

    async def start(self) -> None:
        """Start serving (does nothing if already started)."""
        if self._runner is not None:
            return
        if not self._state.profile.rest:
            load_engine()  # a GraphQL-only version needs graphql-core: fail here, clearly
        self._state.closing = asyncio.Event()
        handler = Handler(self._state)
        server = WatchedServer(handler, handler.sse.connection_lost, access_log=None)
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
        """Stop serving and close every connection (SSE streams break off). Idempotent."""
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
    def graphql_url(self) -> str:
        """The GraphQL endpoint, ``http://127.0.0.1:PORT/api/graphql`` (after :meth:`start`).

        The GraphQL side needs graphql-core (``pip install 'aiomongoose[testing]'``); without
        it this raises ``ImportError``, as :meth:`start` does for version "6.6".
        """
        load_engine()
        return self.url + "/graphql"

    @property
    def sse_url(self) -> str:
        """The SSE endpoint of subscriptions, ``.../api/graphql/sse`` (after :meth:`start`).

        ``GET`` with ``query``, ``variables`` (JSON text) and ``operationName`` in the query
        string; see the module ``aiomongoose.testing._sse`` for the answers. Needs graphql-core, as
        :attr:`graphql_url` does.
        """
        return self.graphql_url + "/sse"

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
    def mam_enabled(self) -> bool:
        """Whether the archive module (``mod_mam_pm``) runs (settable; default True).

        When False, GraphQL ``getLastMessages`` answers 200 with ``deps_not_loaded`` (for a
        caller of a known domain), and routed messages (REST and GraphQL sends,
        :meth:`route_message`) are delivered live but not archived, so their live stanzas
        carry no ``<stanza-id/>``. REST reads and :meth:`add_message` are not affected.
        """
        return self._state.mam_enabled

    @mam_enabled.setter
    def mam_enabled(self, value: bool) -> None:
        self._state.mam_enabled = bool(value)

    @property
    def graphql_disabled_categories(self) -> set[str]:
        """GraphQL categories the listener leaves out of ``allowed_categories`` (live set).

        A disabled ``"stanza"`` makes both operations answer 200 with ``data.stanza: null``
        and a ``category_disabled`` error; a disabled ``"account"`` does so for
        ``listUsers``. Empty by default (every category allowed).
        """
        return self._state.disabled_categories

    @graphql_disabled_categories.setter
    def graphql_disabled_categories(self, value: Iterable[str]) -> None:
        self._state.disabled_categories = set(value)

    @property
    def sse_idle_timeout(self) -> float:
        """Seconds after its start at which every SSE stream ends (settable; default 3600).

        Like the listener option of MongooseIM, it counts from the start of the stream,
        busy or quiet: the connection then closes without the last chunk (aiohttp's client
        raises a payload error) and the session ends. ``math.inf``: never. A new value
        applies to the streams that start after it.
        """
        return self._state.sse_idle_timeout

    @sse_idle_timeout.setter
    def sse_idle_timeout(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("sse_idle_timeout must be a number of seconds")
        if math.isnan(value) or value <= 0:
            raise ValueError("sse_idle_timeout must be > 0")
        self._state.sse_idle_timeout = float(value)

    @property
    def clock_us(self) -> int:
        """The fake clock, in microseconds since the epoch (read/write).

        It follows the wall clock until it is set; a set clock reads back exactly as set
        and stands still. Each routed message (``POST /messages``, GraphQL ``sendMessage``,
        :meth:`route_message`) takes the clock's time, at which it is archived and which
        its live event reports, and moves it past that time (a set clock by 1 µs), so
        messages never share a time. In 3.7 mode a missing or zero ``before`` means this
        clock plus 10^6 seconds.
        """
        return self._state.clock.now_us()

    @clock_us.setter
    def clock_us(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("clock_us must be an int")
        self._state.clock.set_us(value)

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far, oldest first: the last :attr:`request_log_size` ones.

        This is the live list, which the server appends to (``.clear()`` it); when a new
        request makes it longer than :attr:`request_log_size`, the oldest ones are dropped
        from its front.
        """
        return self._state.requests

    @property
    def request_log_size(self) -> int | None:
        """How many requests :attr:`requests` keeps, with their bodies (settable; 1000).

        The log holds every body it keeps, so a long test that sends large bodies would grow
        without a bound. ``None`` keeps every request. Setting a smaller size drops the
        oldest requests at once.
        """
        return self._state.request_log_size

    @request_log_size.setter
    def request_log_size(self, value: int | None) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError("request_log_size must be an int or None")
        if value is not None and value < 0:
            raise ValueError("request_log_size must be >= 0 (or None for no limit)")
        self._state.request_log_size = value
        self._state.trim_request_log()

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
        as the string "undefined" on REST, as a ``stanza`` without ``<body>`` on GraphQL);
        ``message_id=None`` generates 16 lowercase hex characters, ``""`` stores none (no
        ``id`` attribute in the stanza). Both APIs read the message: REST with its rounded
        seconds, GraphQL with ``at_us`` itself and a unique ``stanza_id`` (messages that
        share a microsecond get consecutive node numbers). Returns the stored message.
        Raises ``ValueError`` for an invalid JID.
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
