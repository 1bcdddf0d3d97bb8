"""``History``: the async iterator returned by ``client.messages.history()``.

A thin loop around :class:`~aiomongoose.pagination.BackwardPager`: fetch the page the pager
asks for, hand it over, yield what it says is new. Each response is read whole before
anything is yielded, so breaking out, cancelling or closing the client mid-iteration leaves
no request or response open.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

import attrs

from .errors import InvalidArgumentError, PaginationError
from .models import ArchivedMessage, MessageList
from .pagination import BackwardPager, CursorState, Inconsistent, StallDetected

__all__ = ["History"]

log = logging.getLogger("aiomongoose")

# fetch(before, limit): one page of the archive, in the server's order
Fetch = Callable[[int | None, int | None], Awaitable[MessageList]]


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
        *,
        owner: str,
        with_: str | None,
        before: int | None,
        page_size: int | None,
        cursor: dict[str, Any] | None,
        on_stall: Literal["raise", "skip"],
    ) -> None:
        if cursor is not None:
            state = CursorState.from_json(cursor)
            if before is not None and before != state.upper:
                raise InvalidArgumentError("before differs from the cursor's bound: give one")
            if state.limit != page_size:
                # Pages of another size: what we learnt of the server's page size is moot.
                state.limit, state.max_page = page_size, 0
        else:
            # Nothing is archived at or before the epoch (and 3.x reads before=0 as "now").
            state = CursorState(upper=before, limit=page_size, done=before == 0)
        self._fetch = fetch
        self._owner = owner
        self._with = with_
        self._on_stall = on_stall
        self._pager = BackwardPager(state)
        self._before_page = attrs.evolve(state)
        self._buffer: list[ArchivedMessage] = []  # newest first
        self._pos = 0
        self.requests = 0
        self.pages_fetched = 0
        self.stalls = 0

    def __aiter__(self) -> History:
        return self

    async def __anext__(self) -> ArchivedMessage:
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
            return self._pager.state.to_json()
        consumed = self._buffer[: self._pos]
        if not consumed:
            return self._before_page.to_json()
        prior = self._before_page
        oldest = consumed[-1].timestamp
        at_oldest = 0
        for message in reversed(consumed):
            if message.timestamp != oldest:
                break
            at_oldest += 1
        if oldest == prior.oldest:
            at_oldest += prior.at_oldest
        partial = attrs.evolve(
            prior,
            oldest=oldest,
            at_oldest=at_oldest,
            max_page=self._pager.state.max_page,
            probing=0,
            done=False,
        )
        return partial.to_json()

    async def _load_page(self) -> None:
        """Fetch until a page brings something new or the pager is done."""
        self._buffer, self._pos = [], 0
        while not self._buffer and not self._pager.done:
            before = self._pager.next_before()
            page = await self._fetch(before, self._pager.next_limit())
            self.requests += 1
            self._before_page = attrs.evolve(self._pager.state)
            try:
                new = self._pager.advance(page)
            except StallDetected as stall:
                self.stalls += 1
                if self._on_stall == "raise":
                    raise self._error(
                        f"more messages than one page ({len(page)}) sit within about 1.5 s, "
                        "so no second-granular `before` can step past "
                        "them; pass on_stall='skip' to continue below them with a warning",
                        stall.timestamp,
                    ) from None
                self._skip(stall)
                continue
            except Inconsistent as exc:
                raise self._error(str(exc), before or 0) from None
            if new:
                self.pages_fetched += 1
            self._buffer = new

    def _skip(self, stall: StallDetected) -> None:
        stalled = self._pager.skip_stall()
        log.warning(
            "history of %s%s: could not prove complete the window around timestamp %d "
            "(%d messages delivered at that second); continuing with before=%d, so messages "
            "archived between %d and %d.5 that were not delivered are missing",
            self._owner,
            f" with {self._with}" if self._with else "",
            stalled,
            stall.delivered_at_timestamp,
            stalled - 1,
            stalled - 1,
            stalled,
        )
        self._before_page = attrs.evolve(self._pager.state)

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
