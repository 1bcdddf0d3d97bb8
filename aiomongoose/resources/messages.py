"""The one-to-one messages API group: send, recent, history (REST ``/messages``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import aiohttp

from .._converter import encode_message, parse_archive
from .._http import Transport
from .._validate import as_timeout, before_seconds, non_negative_int, positive_int
from ..errors import InvalidArgumentError
from ..history import History
from ..jid import validate_jid
from ..models import Message, MessageList

__all__ = ["Messages"]


class Messages:
    """Calls of the one-to-one messages group. Reach it as ``client.messages``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def send(
        self, message: Message, *, timeout: aiohttp.ClientTimeout | float | None = None
    ) -> str | None:
        """Send a chat message from ``message.caller`` (a local user) to ``message.to``.

        REST: ``POST /messages``, answered ``204``; returns ``None`` (the REST API reports no
        id). The recipient is not checked by the server. Raises
        :class:`~aiomongoose.errors.BadRequestError` when the caller does not exist.
        """
        if not isinstance(message, Message):
            raise InvalidArgumentError(f"send() takes a Message, not {type(message).__name__}")
        await self._transport.request(
            "POST", ["messages"], body=encode_message(message), timeout=as_timeout(timeout)
        )
        return None

    async def recent(
        self,
        owner: str,
        with_: str | None = None,
        *,
        before: int | datetime | None = None,
        limit: int | None = None,
        timeout: aiohttp.ClientTimeout | float | None = None,
    ) -> MessageList:
        """The newest messages of ``owner``'s archive, oldest first.

        REST: ``GET /messages/{owner}`` or, with ``with_``, ``GET /messages/{owner}/{with}``.
        ``before`` (inclusive) is Unix seconds or an aware datetime (floored to the second).
        ``limit`` defaults to the server's (100, silently capped at its
        ``max_result_limit``, 50 by default on MongooseIM 6.x): a shorter page does not mean
        there is nothing older; use :meth:`history` to read further back.
        """
        segments = _archive_segments(owner, with_)
        params = _query(before_seconds(before), _limit(limit))
        status, body = await self._transport.request(
            "GET", segments, params=params, timeout=as_timeout(timeout)
        )
        return parse_archive(body, status)

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
        ``cursor=``. ``page_size=None`` uses the server's default page. Raises
        :class:`~aiomongoose.errors.PaginationError` where more than a page of messages
        sits within ~1.5 s, unless ``on_stall="skip"``.
        """
        segments = _archive_segments(owner, with_)
        if page_size is not None:
            positive_int(page_size, "page_size")
        if on_stall not in ("raise", "skip"):
            raise InvalidArgumentError("on_stall must be 'raise' or 'skip'")
        call_timeout = as_timeout(timeout)

        async def fetch(before_s: int | None, limit: int | None) -> MessageList:
            status, body = await self._transport.request(
                "GET", segments, params=_query(before_s, limit), timeout=call_timeout
            )
            return parse_archive(body, status)

        return History(
            fetch,
            owner=owner,
            with_=with_,
            before=before_seconds(before),
            page_size=page_size,
            cursor=cursor,
            on_stall=on_stall,
        )


def _archive_segments(owner: str, with_: str | None) -> list[str]:
    validate_jid(owner, "owner")
    if with_ is None:
        return ["messages", owner]
    validate_jid(with_, "with_")
    return ["messages", owner, with_]


def _limit(limit: int | None) -> int | None:
    return None if limit is None else non_negative_int(limit, "limit")


def _query(before: int | None, limit: int | None) -> dict[str, int]:
    # Only the documented keys: the server rejects or silently ignores anything else.
    params: dict[str, int] = {}
    if before is not None:
        params["before"] = before
    if limit is not None:
        params["limit"] = limit
    return params
