"""``History``: the async iterator returned by ``client.messages.history()``.

A thin loop around a pager (:mod:`.seconds` for REST, :mod:`.microseconds` for GraphQL):
fetch the page the pager asks for, hand it over, yield what it says is new. It pages any
archive an :class:`ArchiveKey` names. Each response is read whole before anything is
yielded, so breaking out, cancelling or closing the client mid-iteration leaves no request
or response open.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Literal, Protocol

import attrs

from .._api import Api, Wire
from ..errors import PaginationError
from ..models import ArchivedMessage, MessageList
from .signals import Inconsistent, StallDetected

__all__ = ["ArchiveKey", "Fetch", "History", "Opener", "Pager"]

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


# A pager and the fetch it pages with, for the wire format given: built once it is known.
Opener = Callable[[Wire], tuple[Fetch, Pager]]


@attrs.frozen
class ArchiveKey:
    """Which archive a :class:`History` pages: ``owner``'s, optionally with one peer."""

    owner: str
    with_: str | None = None

    def describe(self) -> str:
        return self.owner if self.with_ is None else f"{self.owner} with {self.with_}"


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
        opener: Opener,
        api: Api,
        *,
        key: ArchiveKey,
        on_stall: Literal["raise", "skip"],
        cursor: dict[str, Any] | None = None,
        log_doubt: bool = True,
    ) -> None:
        self._opener = opener
        self._log_doubt = log_doubt
        self._api = api
        self.key = key
        self._on_stall = on_stall
        self._given_cursor = cursor
        self._fetch: Fetch | None = None
        self._pager: Pager | None = None
        if api.known is not None:
            self._open(api.known)  # a bad cursor or argument raises here, before any request
        self._buffer: list[ArchivedMessage] = []  # newest first
        self._pos = 0
        self.requests = 0
        self.pages_fetched = 0
        self.stalls = 0

    def _open(self, wire: Wire) -> Pager:
        self._fetch, pager = self._opener(wire)
        self._pager = pager
        self._before_page = pager.snapshot()
        return pager

    def __aiter__(self) -> History:
        return self

    async def __anext__(self) -> ArchivedMessage:
        pos = self._pos
        if pos < len(self._buffer):  # the common case: the page is in hand
            self._pos = pos + 1
            return self._buffer[pos]
        while self._pos >= len(self._buffer):
            if self._pager is not None and self._pager.done:
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
    def done(self) -> bool:
        """True once the archive is exhausted (what was fetched may still be handed out)."""
        return self._pager is not None and self._pager.done

    @property
    def cursor(self) -> dict[str, Any] | None:
        """The position after the last message handed out, as a JSON-serialisable dict.

        ``None`` (start from the beginning) only while ``api="auto"`` has not yet probed
        the server and no ``cursor=`` was given.
        """
        pager = self._pager
        if pager is None:
            return self._given_cursor
        if self._pos >= len(self._buffer):
            state: dict[str, Any] = pager.state.to_json()
            return state
        result: dict[str, Any] = pager.cursor_after(self._before_page, self._buffer[: self._pos])
        return result

    async def _load_page(self) -> None:
        """Fetch until a page brings something new or the pager is done."""
        self._buffer, self._pos = [], 0
        pager = self._pager
        if pager is None:  # api="auto": the first page resolves the API
            pager = self._open(await self._api.resolve())
        fetch = self._fetch
        assert fetch is not None
        while not self._buffer and not pager.done:
            before = pager.next_before()
            page, applied_limit = await fetch(before, pager.next_limit())
            self.requests += 1
            self._before_page = pager.snapshot()
            try:
                new = pager.advance(page, applied_limit)
            except StallDetected as stall:
                self.stalls += 1
                if self._on_stall == "raise":
                    raise self._error(
                        f"{stall.reason} (page of {len(page)}); pass on_stall='skip' to "
                        "continue below them with a warning",
                        stall.timestamp,
                    ) from None
                self._skip(pager, stall)
                continue
            except Inconsistent as exc:
                raise self._error(str(exc), pager.seconds_of(before)) from None
            if new:
                self.pages_fetched += 1
            self._buffer = new
        if pager.done and pager.doubt and self._log_doubt:
            log.warning(
                "history of %s ended without proof that it is complete: %s",
                self.key.describe(),
                pager.doubt,
            )

    def _skip(self, pager: Pager, stall: StallDetected) -> None:
        stalled = pager.skip_stall()
        log.warning(
            "history of %s: could not prove complete the window around timestamp %d "
            "(%d messages delivered there); %s",
            self.key.describe(),
            stalled,
            stall.delivered_at_timestamp,
            pager.skip_note(),
        )
        self._before_page = pager.snapshot()

    def _error(self, reason: str, timestamp: int) -> PaginationError:
        key = self.key
        return PaginationError(reason, owner=key.owner, with_=key.with_, timestamp=timestamp)


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
            if history.done:
                raise StopAsyncIteration
            await history._load_page()
            rest = history._buffer
            if not rest:
                raise StopAsyncIteration
        history._pos = len(history._buffer)
        return MessageList(rest[::-1])
