"""The one-to-one messages API group: send, recent, history.

The methods validate their arguments (before any request) and leave the wire format to
the client's backend: REST ``/messages`` or the GraphQL ``stanza`` category.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import aiohttp

from .._validate import as_timeout, before_seconds, non_negative_int, positive_int
from ..backends import BackendSlot
from ..errors import InvalidArgumentError
from ..history import History
from ..jid import validate_jid
from ..models import Message, MessageList

__all__ = ["Messages"]


class Messages:
    """Calls of the one-to-one messages group. Reach it as ``client.messages``."""

    def __init__(self, backend: BackendSlot) -> None:
        self._backend = backend

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
        return await (await self._backend.get()).send(message, call_timeout)

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
        backend = await self._backend.get()
        return await backend.recent(owner, with_, before, checked_limit, call_timeout)

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
        fetch, pager = self._backend.current().history_parts(
            owner, with_, before, page_size, cursor, call_timeout
        )
        return History(fetch, pager, owner=owner, with_=with_, on_stall=on_stall)


def _check_jids(owner: str, with_: str | None) -> None:
    validate_jid(owner, "owner")
    if with_ is not None:
        validate_jid(with_, "with_")
