"""``History``: the async iterator returned by ``client.messages.history()``.

A thin loop around :class:`~aiomongoose.pagination.BackwardPager`: fetch the page the pager
asks for, hand it over, yield what it says is new. Each response is read whole before
anything is yielded, so breaking out, cancelling or closing the client mid-iteration leaves
no request or response open.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Literal, Protocol

from .errors import PaginationError
from .models import ArchivedMessage, MessageList
from .pagination import Inconsistent, StallDetected

__all__ = ["History"]

log = logging.getLogger("aiomongoose")

# fetch(before, limit): one page of the archive in the server's order, and the limit the
# server reports having applied (GraphQL) or None (REST). `before` is in the pager's unit.
Fetch = Callable[[int | None, int | None], Awaitable[tuple[MessageList, int | None]]]


class Pager(Protocol):
    """What History needs of a paging state machine (REST seconds or GraphQL microseconds)."""

    @property
    def done(self) -> bool: ...

    @property
    def doubt(self) -> str | None: ...

    @property
    def state(self) -> Any: ...

    def next_before(self) -> int | None: ...

    def next_limit(self) -> int | None: ...

    def advance(
        self, page: Sequence[ArchivedMessage], applied_limit: int | None = None
    ) -> list[ArchivedMessage]: ...

    def snapshot(self) -> Any: ...

    def cursor_after(self, prior: Any, consumed: Sequence[ArchivedMessage]) -> Any: ...

    def skip_stall(self) -> int: ...

    def seconds_of(self, before: int | None) -> int: ...

    def skip_note(self) -> str: ...


class History:
    """Messages of one archive, newest first, fetched a page at a time.

    * ``async for message in history`` yields :class:`ArchivedMessage` objects.
    * ``async for page in history.pages()`` yields the new messages of each page as a
      :class:`MessageList` (oldest first within the page, newest page first).
    * ``history.cursor`` is a small JSON-serialisable dict describing the position after
      the last message yielded; ``history(..., cursor=saved)`` resumes right after it, with
      no message lost or repeated, even in another process.
    * ``requests``, ``pages_fetched`` and ``stalls`` count what was done.
    """

    def __init__(
        self,
        fetch: Fetch,
        pager: Pager,
        *,
        owner: str,
        with_: str | None,
        on_stall: Literal["raise", "skip"],
    ) -> None:
        self._fetch = fetch
        self._pager = pager
        self._owner = owner
        self._with = with_
        self._on_stall = on_stall
        self._before_page = pager.snapshot()
        self._buffer: list[ArchivedMessage] = []  # newest first
        self._pos = 0
        self.requests = 0
        self.pages_fetched = 0
        self.stalls = 0

    def __aiter__(self) -> History:
        return self

    async def __anext__(self) -> ArchivedMessage:
        pos = self._pos
        if pos < len(self._buffer):  # the common case: the page is in hand
            self._pos = pos + 1
            return self._buffer[pos]
        while self._pos >= len(self._buffer):
            if self._pager.done:
                self._buffer, self._pos = [], 0
                raise StopAsyncIteration
            await self._load_page()
        item = self._buffer[self._pos]
        self._pos += 1
        return item

    def pages(self) -> AsyncIterator[MessageList]:
        """Iterate page by page: each item holds the new messages of one page, oldest first."""
        return _Pages(self)

    @property
    def cursor(self) -> dict[str, Any]:
        """The position after the last message handed out, as a JSON-serialisable dict."""
        if self._pos >= len(self._buffer):
            state: dict[str, Any] = self._pager.state.to_json()
            return state
        result: dict[str, Any] = self._pager.cursor_after(
            self._before_page, self._buffer[: self._pos]
        )
        return result

    async def _load_page(self) -> None:
        """Fetch until a page brings something new or the pager is done."""
        self._buffer, self._pos = [], 0
        while not self._buffer and not self._pager.done:
            before = self._pager.next_before()
            page, applied_limit = await self._fetch(before, self._pager.next_limit())
            self.requests += 1
            self._before_page = self._pager.snapshot()
            try:
                new = self._pager.advance(page, applied_limit)
            except StallDetected as stall:
                self.stalls += 1
                if self._on_stall == "raise":
                    raise self._error(
                        f"{stall.reason} (page of {len(page)}); pass on_stall='skip' to "
                        "continue below them with a warning",
                        stall.timestamp,
                    ) from None
                self._skip(stall)
                continue
            except Inconsistent as exc:
                raise self._error(str(exc), self._pager.seconds_of(before)) from None
            if new:
                self.pages_fetched += 1
            self._buffer = new
        if self._pager.done and self._pager.doubt:
            log.warning(
                "history of %s%s ended without proof that it is complete: %s",
                self._owner,
                f" with {self._with}" if self._with else "",
                self._pager.doubt,
            )

    def _skip(self, stall: StallDetected) -> None:
        stalled = self._pager.skip_stall()
        log.warning(
            "history of %s%s: could not prove complete the window around timestamp %d "
            "(%d messages delivered there); %s",
            self._owner,
            f" with {self._with}" if self._with else "",
            stalled,
            stall.delivered_at_timestamp,
            self._pager.skip_note(),
        )
        self._before_page = self._pager.snapshot()

    def _error(self, reason: str, timestamp: int) -> PaginationError:
        return PaginationError(reason, owner=self._owner, with_=self._with, timestamp=timestamp)


class _Pages:
    def __init__(self, history: History) -> None:
        self._history = history

    def __aiter__(self) -> _Pages:
        return self

    async def __anext__(self) -> MessageList:
        history = self._history
        # Hand out what message iteration left of the current page first.
        if history._pos < len(history._buffer):
            rest = history._buffer[history._pos :]
        else:
            if history._pager.done:
                raise StopAsyncIteration
            await history._load_page()
            rest = history._buffer
            if not rest:
                raise StopAsyncIteration
        history._pos = len(history._buffer)
        return MessageList(rest[::-1])
