"""``Subscription``: the async iterator returned by ``client.messages.subscribe()``.

Two modes, one promise (every incoming message once, in order, nothing lost silently):

* **GraphQL (SSE).** One ``GET {base}/graphql/sse`` stream, read only as fast as messages
  are consumed. When it ends (the server closes every stream ``sse_idle_timeout`` after it
  began) or drops, the subscription reconnects with the client's retry backoff, then reads
  the caller's archive back to the last archived message it yielded and yields what came
  in meanwhile, before the new stream's messages. A live message names its archive id
  (``<stanza-id by=caller>``): that id anchors the read-back and keys out duplicates.
  Messages of MUC Light rooms (``groupchat``, ``<stanza-id by=room>``) are read back the
  same way from each room of the caller's when it opened, and each room it heard from
  since (:mod:`.gaps`); the caller's own messages, which a room echoes, are not yielded.
* **REST (polling).** ``recent()`` every ``poll_interval`` seconds, paged back with the
  second-granular care of ``history()``: each poll reads the archive back to the last
  reported second it had seen and counts the entries of that second it already knew.
  :class:`~aiomongoose.messages.poll.ArchivePoller` does it; the subscription delegates.

docs/server-behaviour.md, "Subscriptions over SSE", says what the server sends.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Callable
from types import TracebackType

import aiohttp

from .._api import Api
from .._time import from_microseconds
from .._transport import Transport
from ..errors import (
    ApiError,
    BadRequestError,
    ClientClosedError,
    FeatureDisabledError,
    ProtocolError,
    TransportError,
    UnauthorizedError,
)
from ..jid import bare
from ..models import IncomingMessage
from .gaps import ListRooms, ReadPage, ReadRoomPage, RoomAnchors, from_archive, read_gap
from .poll import ArchivePoller, OpenHistory
from .sse import EventDecoder, parse_event, subscribe_query

__all__ = ["Subscription"]

log = logging.getLogger("aiomongoose")

_SSE_PATH = ("graphql", "sse")
# Archive ids yielded lately, against duplicates between a read-back and the live stream.
_REMEMBERED = 4096


class Subscription:
    """Messages routed to ``caller``, in arrival order: see
    :meth:`~aiomongoose.messages.Messages.subscribe`.

    Use it as ``async with client.messages.subscribe(jid) as incoming: async for m in
    incoming``. ``reconnects`` counts the reconnections made so far.
    """

    def __init__(
        self,
        transport: Transport,
        api: Api,
        caller: str,
        *,
        read_page: ReadPage,
        read_room_page: ReadRoomPage | None = None,
        list_rooms: ListRooms | None = None,
        open_history: OpenHistory,
        poll_interval: float,
        max_reconnects: int | None,
        on_reconnect: Callable[[int, str], None] | None,
    ) -> None:
        self._transport = transport
        self._api = api
        self.caller = caller
        self._owner = bare(caller).lower()
        self._read_page = read_page
        self._open_history = open_history
        self._poll_interval = poll_interval
        self._max_reconnects = max_reconnects
        self._on_reconnect = on_reconnect
        self.reconnects = 0
        self._opened = False
        self._poller: ArchivePoller | None = None  # REST: poll the archive; GraphQL: SSE
        self._closed = False
        self._pending: deque[IncomingMessage] = deque()
        # SSE
        self._resp: aiohttp.ClientResponse | None = None
        self._decoder = EventDecoder()
        self._url = ""
        # (room or "", archive id): a room's archive and the caller's are apart
        self._seen: deque[tuple[str, str]] = deque(maxlen=_REMEMBERED)
        self._seen_set: set[tuple[str, str]] = set()
        self._rooms = RoomAnchors(caller, read_room_page, list_rooms)
        self._anchor_id: str | None = None  # the newest archived message accounted for
        self._anchor_us: int | None = None
        self._archive_off = False

    async def __aenter__(self) -> Subscription:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> IncomingMessage:
        if self._closed:
            raise StopAsyncIteration
        if not self._opened:
            await self._open()
        while True:
            while self._pending:
                message = self._pending.popleft()
                if self._is_new(message):
                    return message
            if self._poller is not None:
                self._pending.extend(await self._poller.poll())
            elif self._resp is None:  # a reconnection raised, and iteration goes on
                await self._reconnect("the stream was not open")
            else:
                await self._read_stream()

    @property
    def buffered(self) -> int:
        """Messages read off the stream (or the archive) and not yet handed out: at most
        what one read brings, plus a reconnection's gap."""
        return len(self._pending)

    async def aclose(self) -> None:
        """Close the stream (the server then ends its session). Idempotent."""
        self._closed = True
        self._pending.clear()
        self._drop_stream()

    # -- opening ---------------------------------------------------------------------------

    async def _open(self) -> None:
        if self._transport.closed:
            raise ClientClosedError("this AdminClient is closed")
        if await self._api.resolve() == "graphql":
            # The archive's newest message *before* the stream opens: whatever comes after
            # it is the subscription's, live or read back. (Taken after, it could name a
            # message still in the stream's buffer, which aiohttp drops if the stream then
            # breaks, and the read-back would start past it.)
            await self._anchor_at_newest()
            await self._rooms.anchor_all()
            await self._connect()
            try:
                await self._read_back()  # archived between the anchor and the stream's start
            except BaseException:
                self._drop_stream()
                raise
        else:
            poller = ArchivePoller(
                self._transport, self.caller, self._open_history, self._poll_interval
            )
            self._poller = poller
            await poller.anchor()
        self._opened = True

    async def _connect(self) -> None:
        self._resp = await self._transport.open_event_stream(
            _SSE_PATH, subscribe_query(self.caller)
        )
        self._url = str(self._resp.url.with_query(None))
        self._decoder = EventDecoder()

    def _drop_stream(self) -> None:
        resp, self._resp = self._resp, None
        if resp is not None:
            resp.close()  # closes the connection: the server ends the SSE session

    # -- SSE --------------------------------------------------------------------------------

    async def _read_stream(self) -> None:
        assert self._resp is not None
        if self._transport.closed:
            raise ClientClosedError("this AdminClient is closed")
        try:
            chunk = await self._resp.content.readany()
        except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as exc:
            # aiohttp raises a bare RuntimeError("Connection closed.") once the
            # connection is gone (the client's session closed under the stream, say).
            if self._transport.closed:
                raise ClientClosedError("this AdminClient is closed") from None
            await self._reconnect(f"{type(exc).__name__}: {exc}")
            return
        if not chunk:
            await self._reconnect("the server ended the stream")
            return
        newest: IncomingMessage | None = None
        parse = functools.partial(parse_event, url=self._url, owner=self._owner)
        for data in self._decoder.feed(chunk):
            message = self._transport.guard(parse, data, self.caller)
            if message.room is not None:
                self._rooms.saw(message, _microseconds(message))
            elif message.archive_id is not None:
                newest = message
            self._pending.append(message)
        if newest is not None:  # held until handed out: accounted for
            self._anchor_id, self._anchor_us = newest.archive_id, _microseconds(newest)

    async def _reconnect(self, reason: str) -> None:
        self._drop_stream()
        attempts = 0
        policy = self._transport.retry
        while True:
            if self._transport.closed:
                raise ClientClosedError("this AdminClient is closed")
            if self._max_reconnects is not None and attempts >= self._max_reconnects:
                raise TransportError(
                    f"the stream of {self.caller} ended ({reason}); gave up after "
                    f"{attempts} reconnection attempts (max_reconnects={self._max_reconnects})"
                )
            if attempts:  # the first try at once: the server ends every stream on time
                delay = policy.delay(attempts, None) if policy else min(0.1 * 2**attempts, 10.0)
                await asyncio.sleep(delay)
            attempts += 1
            self.reconnects += 1
            if self._on_reconnect is not None:
                self._on_reconnect(self.reconnects, reason)
            log.info("subscription of %s: reconnecting (%s)", self.caller, reason)
            try:
                await self._connect()
            except (UnauthorizedError, BadRequestError):
                raise  # wrong credentials, an unknown user: a retry cannot fix them
            except (TransportError, ApiError, ProtocolError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
                continue
            try:
                await self._read_back()
            except BaseException:
                # The anchors did not move: the next step reconnects and reads it all again.
                self._drop_stream()
                raise
            return

    def _is_new(self, message: IncomingMessage) -> bool:
        room = message.room
        if room is not None and bare(message.author or "").lower() == self._owner:
            return False  # the caller's own message, echoed by the room
        if message.archive_id is None:
            return True
        key = ("" if room is None else room.lower(), message.archive_id)
        if key in self._seen_set:
            return False
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(key)
        self._seen_set.add(key)
        return True

    async def _anchor_at_newest(self) -> None:
        """Where the archive stood when the subscription started: read-backs stop there."""
        try:
            page, _ = await self._read_page(None, 1)
        except FeatureDisabledError:
            self._archive_off = True
            return
        if page:
            self._anchor_id, self._anchor_us = page[-1].stanza_id, page[-1].timestamp_us

    async def _read_back(self) -> None:
        """Queue, oldest first, the incoming messages archived since the anchors: the
        caller's archive's and each known room's. The anchors move only once everything is
        read: a failure leaves them for the next reconnection."""
        own, own_anchor = await self._read_back_own()
        rooms, room_anchors = await self._rooms.read_back()
        missed = own + rooms
        missed.sort(key=lambda item: item[0])  # stable: each archive's own order holds
        self._pending.extend(message for _, message in missed)
        if own_anchor is not None:
            self._anchor_id, self._anchor_us = own_anchor
        self._rooms.take(room_anchors)

    async def _read_back_own(
        self,
    ) -> tuple[list[tuple[int, IncomingMessage]], tuple[str | None, int | None] | None]:
        lost = "subscription of %s reconnected, but %s: messages routed to it meanwhile are lost"
        if self._archive_off:
            if self.reconnects:  # the first stream: nothing was missed yet
                log.warning(lost, self.caller, "the server does not archive its messages")
            return [], None
        try:
            gap = await read_gap(self._read_page, self._anchor_id, self._anchor_us)
        except FeatureDisabledError:
            self._archive_off = True
            log.warning(lost, self.caller, "the archive is off")
            return [], None
        # What the gap held is accounted for, whether queued or not (sent by the caller).
        anchor = (gap[0].stanza_id, gap[0].timestamp_us) if gap else None
        messages = [
            (record.timestamp_us or 0, from_archive(record, self.caller))
            for record in reversed(gap)  # oldest first, for the stable sort of ties
            if ("", record.stanza_id) not in self._seen_set
            and bare(record.sender).lower() != self._owner
        ]
        return messages, anchor


def _microseconds(message: IncomingMessage) -> int:
    delta = message.received_at - from_microseconds(0)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
