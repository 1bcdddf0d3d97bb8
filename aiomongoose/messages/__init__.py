"""The one-to-one messages API group: send, recent, history.

The methods validate their arguments (before any request), then build the request with
:mod:`.rest` (``/messages``) or :mod:`.graphql` (the ``stanza`` category), whichever the
client speaks, and parse the answer with the same module.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import aiohttp

from .._api import Api
from .._transport import Transport
from .._validate import (
    as_timeout,
    before_microseconds,
    before_seconds,
    history_options,
    non_negative_int,
)
from ..errors import InvalidArgumentError
from ..jid import validate_jid
from ..models import Message, MessageList
from ..paging import ArchiveKey, CapFloor, History, archive_opener
from ..rooms import Rooms
from . import graphql, rest
from .live import Subscription

__all__ = ["Messages"]


class Messages:
    """Calls of the one-to-one messages group. Reach it as ``client.messages``."""

    def __init__(self, transport: Transport, api: Api) -> None:
        self._transport = transport
        self._api = api
        self._caps = CapFloor()  # what REST answers showed of the server's page cap

    async def send(
        self, message: Message, *, timeout: aiohttp.ClientTimeout | float | None = None
    ) -> str | None:
        """Send a chat message from ``message.caller`` (a local user) to ``message.to``.

        REST: ``POST /messages`` (204), returns ``None``: REST reports no id. GraphQL:
        ``stanza.sendMessage``, returns the stanza id the server generated. The recipient is
        not checked by the server. Raises :class:`~aiomongoose.errors.BadRequestError` when
        the caller does not exist. Never retried once it may have reached the server.
        """
        if not isinstance(message, Message):
            raise InvalidArgumentError(f"send() takes a Message, not {type(message).__name__}")
        call_timeout = as_timeout(timeout)
        if (self._api.known or await self._api.resolve()) == "rest":
            await self._transport.rest(rest.send(message), call_timeout)
            return None  # 204 with an empty body: REST reports no id
        data, status, body = await self._transport.graphql(graphql.send(message), call_timeout)
        return self._transport.guard(graphql.parse_send, data, status, body)

    async def recent(
        self,
        owner: str,
        with_: str | None = None,
        *,
        before: int | datetime | None = None,
        limit: int | None = None,
        timeout: aiohttp.ClientTimeout | float | None = None,
    ) -> MessageList:
        """The newest messages of ``owner``'s archive (with ``with_`` only), oldest first.

        REST: ``GET /messages/{owner}[/{with}]``; GraphQL: ``stanza.getLastMessages``.
        ``before`` (inclusive) is Unix seconds or an aware datetime (REST floors it to the
        second; GraphQL keeps its microseconds). ``limit`` defaults to the server's (REST:
        100, silently capped at ``max_result_limit``, 50 by default on 6.x; GraphQL: 50): a
        shorter page does not mean there is nothing older; :meth:`history` reads further.
        """
        _check_jids(owner, with_)
        before_seconds(before)
        checked_limit = None if limit is None else non_negative_int(limit, "limit")
        call_timeout = as_timeout(timeout)
        if (self._api.known or await self._api.resolve()) == "rest":
            return await self._rest_page(
                owner, with_, before_seconds(before), checked_limit, call_timeout
            )
        page, _ = await self._graphql_page(
            owner, with_, before_microseconds(before), checked_limit, call_timeout
        )
        return page

    def history(
        self,
        owner: str,
        with_: str | None = None,
        *,
        before: int | datetime | None = None,
        page_size: int | None = None,
        cursor: dict[str, Any] | None = None,
        on_stall: Literal["raise", "skip"] = "raise",
        timeout: aiohttp.ClientTimeout | float | None = None,
    ) -> History:
        """Every message of ``owner``'s archive (with ``with_`` only), newest first.

        ``async for message in client.messages.history(owner): ...`` pages backwards with
        ``before`` and yields each archived message exactly once; memory is one page. See
        :class:`~aiomongoose.History` for ``pages()``, ``cursor`` and resuming with
        ``cursor=``. ``page_size=None`` asks for 50 (REST; MongooseIM 6.x's default cap)
        or the server's default (GraphQL). Raises
        :class:`~aiomongoose.errors.PaginationError` where a page of messages sits within
        ~1.5 s and cannot be stepped past (REST), unless ``on_stall="skip"``.
        """
        _check_jids(owner, with_)
        history_options(before, page_size, on_stall)
        call_timeout = as_timeout(timeout)
        return self._history(owner, with_, before, page_size, cursor, on_stall, call_timeout)

    def _history(
        self,
        owner: str,
        with_: str | None,
        before: int | datetime | None,
        page_size: int | None,
        cursor: dict[str, Any] | None,
        on_stall: Literal["raise", "skip"],
        call_timeout: aiohttp.ClientTimeout | None,
        log_doubt: bool = True,
    ) -> History:
        async def rest_read(before_s: int | None, limit: int | None) -> MessageList:
            return await self._rest_page(owner, with_, before_s, limit, call_timeout)

        async def graphql_read(
            before_us: int | None, limit: int | None
        ) -> tuple[MessageList, int | None]:
            return await self._graphql_page(owner, with_, before_us, limit, call_timeout)

        opener = archive_opener(
            rest_read,
            graphql_read,
            before=before,
            page_size=page_size,
            cursor=cursor,
            cap_floor=self._caps.of(owner),
        )
        key = ArchiveKey(owner, with_)
        return History(
            opener, self._api, key=key, on_stall=on_stall, cursor=cursor, log_doubt=log_doubt
        )

    def subscribe(
        self,
        caller: str,
        *,
        poll_interval: float = 1.0,
        max_reconnects: int | None = None,
        on_reconnect: Callable[[int, str], None] | None = None,
    ) -> Subscription:
        """The messages routed to ``caller`` as they arrive: an async iterator of
        :class:`~aiomongoose.models.IncomingMessage`, to use as ``async with
        client.messages.subscribe(jid) as incoming: async for message in incoming``.

        GraphQL (6.0+): a Server-Sent Events stream (``GET {base_url}/graphql/sse``,
        ``stanza.subscribeForMessages``), reconnected with the client's retry backoff when
        it ends or drops (``max_reconnects`` attempts per interruption; ``None``: no limit),
        the gap filled from the archive so that no archived message is lost or repeated.
        REST (3.x-6.5): polls the archive every ``poll_interval`` seconds. Either way only
        messages from others are yielded. Messages of the MUC Light rooms ``caller`` is a
        member of arrive too (``type="groupchat"``, see
        :attr:`~aiomongoose.IncomingMessage.room`), over GraphQL only; after a
        reconnection the caller's rooms are read back the same way
        (docs/guides/live-messages.rst, "Rooms"). ``on_reconnect(n, reason)`` is called before each
        reconnection. Errors before the stream: ``UnauthorizedError``; ``BadRequestError``
        for an unknown user. Leaving the ``async with`` (or ``aclose()``) closes the stream.
        """
        validate_jid(caller, "caller")
        if (
            not isinstance(poll_interval, (int, float))
            or isinstance(poll_interval, bool)
            or not 0 < poll_interval < math.inf
        ):
            raise InvalidArgumentError("poll_interval must be a positive number of seconds")
        if max_reconnects is not None:
            non_negative_int(max_reconnects, "max_reconnects")
        if on_reconnect is not None and not callable(on_reconnect):
            raise InvalidArgumentError("on_reconnect must be callable or None")

        async def read_page(before_us: int | None, limit: int) -> tuple[MessageList, int | None]:
            return await self._graphql_page(caller, None, before_us, limit, None)

        # The caller's MUC Light rooms, read as the rooms group reads them.
        rooms = Rooms(self._transport, self._api)

        async def read_room_page(
            room: str, before_us: int | None, limit: int
        ) -> tuple[MessageList, int | None]:
            return await rooms._page("muc_light", room, before_us, limit, None)

        async def list_rooms() -> list[str]:
            return await rooms.of_user(caller)

        def open_history() -> History:
            # Each poll reads back only to the newest second it knew, usually one page:
            # the end of a small archive is no news for every poll.
            return self._history(caller, None, None, None, None, "raise", None, False)

        return Subscription(
            self._transport,
            self._api,
            caller,
            read_page=read_page,
            read_room_page=read_room_page,
            list_rooms=list_rooms,
            open_history=open_history,
            poll_interval=float(poll_interval),
            max_reconnects=max_reconnects,
            on_reconnect=on_reconnect,
        )

    async def _rest_page(
        self,
        owner: str,
        with_: str | None,
        before_s: int | None,
        limit: int | None,
        timeout: aiohttp.ClientTimeout | None,
    ) -> MessageList:
        status, body = await self._transport.rest(
            rest.recent(owner, with_, before_s, limit), timeout
        )
        page = self._transport.parse(rest.parse_recent, status, body)
        self._caps.saw(owner, len(page))
        return page

    async def _graphql_page(
        self,
        owner: str,
        with_: str | None,
        before_us: int | None,
        limit: int | None,
        timeout: aiohttp.ClientTimeout | None,
    ) -> tuple[MessageList, int | None]:
        if limit == 0:  # PosInt: the server rejects 0; REST answers an empty page
            return MessageList(), 0
        call = graphql.recent(owner, with_, before_us, limit)
        data, status, body = await self._transport.graphql(call, timeout)
        return self._transport.guard(graphql.parse_recent, data, status, body)


def _check_jids(owner: str, with_: str | None) -> None:
    validate_jid(owner, "owner")
    if with_ is not None:
        validate_jid(with_, "with_")
