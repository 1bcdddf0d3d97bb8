"""``GET /api/graphql/sse``: GraphQL subscriptions over Server-Sent Events, as MongooseIM
serves them (docs/server-behaviour.md, "Subscriptions over SSE"; ``mongoose_graphql_sse_handler``,
a lasse handler). The 6.5 and 6.6 profiles serve it; 3.7 answers 404 as for ``/api/graphql``.

1. Host match (empty 400). Any method but GET: an empty 405 (Content-Type ``text/html``, no
   ``Allow``), before any credential check: the handler's init does nothing for them and
   lasse answers.
2. :meth:`~._graphql.GraphqlApi.prepare_sse`: credentials as on ``/api/graphql``; the query
   string's ``query``, ``variables`` (JSON text) and ``operationName``; 400
   ``no_query_supplied``; parse, validation, coercion and ``no_permissions`` errors; 400
   ``unsupported_operation`` for a query or mutation. The same JSON bodies as the POST
   endpoint, without Content-Type.
3. The first execution: ``subscribeForMessages`` checks the caller and asks for a session.
   Without exactly one (an unknown caller: 200 with ``data.stanza.subscribeForMessages:
   null`` and an ``unknown_user`` error) the answer is that JSON, 200, without Content-Type.
4. The stream: 200, ``text/event-stream``, ``Cache-Control: no-cache``, chunked. Each message
   routed to the session (:mod:`._routing`) executes the document again, so the event has
   the document's shape; it is written as ``id: N``, ``data: <compact JSON>`` and a blank
   line, N = 1, 2, ... per connection. An execution whose data holds no non-null value is
   not sent (``has_non_null_value``). No ``event:``, ``retry:`` or comment lines;
   ``Last-Event-ID`` is ignored. Each write awaits aiohttp's backpressure, so a slow reader
   holds the stream back; what is routed meanwhile waits in the session's queue.
5. The end: ``sse_idle_timeout`` after the stream began (the handler sets Cowboy's idle
   timeout, whose timer only data from the client resets), a ``drop_stream_after`` fault or
   the server closing: the connection is closed without the last chunk, which aiohttp's
   client reports as a payload error. The client closing the connection ends the session.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from ._api import Reply, host_matches
from ._graphql import GraphqlApi, json_bytes, load_engine
from ._jid import ParsedJID
from ._records import RecordedRequest
from ._routing import LiveMessage, SseSession
from ._state import AppState

if TYPE_CHECKING:
    from ._gql_engine import Prepared

__all__ = ["SseEndpoint", "Subscription", "WatchedServer"]

_STREAM_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


class Subscription:
    """The context of a subscription's executions: the event being resolved (``None`` on
    the first execution) and the callers whose sessions the first execution asked for."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.event: LiveMessage | None = None
        self.callers: list[ParsedJID] = []


class WatchedServer(web.Server):
    """aiohttp's low-level server, which also tells ``on_lost`` of each closed connection."""

    def __init__(
        self,
        handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
        on_lost: Callable[[RequestHandler], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self._on_lost = on_lost

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        super().connection_lost(handler, exc)
        self._on_lost(handler)


def _has_value(value: object) -> bool:
    if isinstance(value, dict):
        return any(_has_value(item) for item in value.values())
    return value is not None


class SseEndpoint:
    """The SSE endpoint of one fake server."""

    def __init__(self, state: AppState, graphql: GraphqlApi) -> None:
        self.state = state
        self.graphql = graphql
        self._lost: dict[RequestHandler, asyncio.Future[None]] = {}

    def connection_lost(self, protocol: RequestHandler) -> None:
        """Called by :class:`WatchedServer`: end the stream of that connection, if any."""
        waiter = self._lost.pop(protocol, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def open(
        self, method: str, query: Sequence[tuple[str, str]], headers: Mapping[str, str]
    ) -> Reply | tuple[Prepared, Subscription]:
        """Steps 1 to 3: the answer, or a subscription whose stream may start."""
        if not host_matches(self.state.host, headers):
            return Reply(400)
        if method != "GET":
            return Reply(405, content_type="text/html")
        prepared = self.graphql.prepare_sse(query, headers)
        if isinstance(prepared, Reply):
            return prepared
        subscription = Subscription(self.state)
        status, answer = load_engine().execute(prepared, subscription)
        if len(subscription.callers) != 1:
            return Reply(status, json_bytes(answer))
        return prepared, subscription

    async def stream(
        self,
        request: web.BaseRequest,
        record: RecordedRequest,
        prepared: Prepared,
        subscription: Subscription,
        cut_after: int | None,
    ) -> web.StreamResponse:
        """Steps 4 and 5: serve the stream until it ends (``cut_after``: a fault's events)."""
        loop = asyncio.get_running_loop()
        router, closing = self.state.router, self.state.closing
        assert closing is not None  # set by FakeMongooseIM.start
        session = router.open_sse(subscription.callers[0])
        lost: asyncio.Future[None] = loop.create_future()
        self._lost[request.protocol] = lost
        timeout = self.state.sse_idle_timeout
        response = web.StreamResponse(status=200, headers=_STREAM_HEADERS)
        tasks: list[asyncio.Future[Any]] = []
        try:
            await response.prepare(request)
            record.status = 200
            if request.transport is None or request.transport.is_closing():
                return response
            pump = asyncio.ensure_future(
                self._pump(response, session, prepared, subscription, cut_after)
            )
            tasks = [pump, asyncio.ensure_future(closing.wait())]
            await asyncio.wait(
                [*tasks, lost],
                timeout=None if math.isinf(timeout) else timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if pump.done() and not pump.cancelled():
                failure = pump.exception()
                if failure is not None and not isinstance(failure, ConnectionError):
                    raise failure  # a bug in the fake: let it surface
        finally:
            for task in tasks:
                task.cancel()
            self._lost.pop(request.protocol, None)
            router.close_sse(session)
            # No last chunk: the stream breaks off, after what was written (the server
            # closing does not wait for a slow reader).
            if request.transport is not None and closing.is_set():
                request.transport.abort()
            elif request.transport is not None:
                request.transport.close()
        return response

    @staticmethod
    async def _pump(
        response: web.StreamResponse,
        session: SseSession,
        prepared: Prepared,
        subscription: Subscription,
        cut_after: int | None,
    ) -> None:
        engine = load_engine()
        sent = 0
        while sent != cut_after:
            subscription.event = await session.inbox.get()
            _status, answer = engine.execute(prepared, subscription)
            if _has_value(answer.get("data")):
                sent += 1
                await response.write(b"id: %d\ndata: %s\n\n" % (sent, json_bytes(answer)))
