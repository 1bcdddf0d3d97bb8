"""The one-to-one messages API group: send, recent, history.

The methods validate their arguments (before any request), then build the request with
:mod:`.rest` (``/messages``) or :mod:`.graphql` (the ``stanza`` category), whichever the
client speaks, and parse the answer with the same module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import aiohttp

from .._api import Api
from .._transport import Transport
from .._validate import (
    as_timeout,
    before_microseconds,
    before_seconds,
    non_negative_int,
    positive_int,
)
from ..errors import InvalidArgumentError
from ..jid import validate_jid
from ..models import Message, MessageList
from ..paging import ArchiveKey, CapFloor, History, archive_opener
from . import graphql, rest

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
        if await self._api.resolve() == "rest":
            await self._transport.rest(rest.send(message), call_timeout)
            return None  # 204 with an empty body: REST reports no id
        data, status, body = await self._transport.graphql(graphql.send(message), call_timeout)
        return graphql.parse_send(data, status, body)

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
        if await self._api.resolve() == "rest":
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
        :class:`~aiomongoose.history.History` for ``pages()``, ``cursor`` and resuming with
        ``cursor=``. ``page_size=None`` asks for 50 (REST; MongooseIM 6.x's default cap)
        or the server's default (GraphQL). Raises
        :class:`~aiomongoose.errors.PaginationError` where a page of messages sits within
        ~1.5 s and cannot be stepped past (REST), unless ``on_stall="skip"``.
        """
        _check_jids(owner, with_)
        before_seconds(before)
        if page_size is not None:
            positive_int(page_size, "page_size")
        if on_stall not in ("raise", "skip"):
            raise InvalidArgumentError("on_stall must be 'raise' or 'skip'")
        call_timeout = as_timeout(timeout)

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
        return History(opener, self._api, key=key, on_stall=on_stall, cursor=cursor)

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
        page = rest.parse_recent(status, body)
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
        return graphql.parse_recent(data, status, body)


def _check_jids(owner: str, with_: str | None) -> None:
    validate_jid(owner, "owner")
    if with_ is not None:
        validate_jid(with_, "with_")
