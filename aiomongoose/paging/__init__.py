"""Paging backwards through an archive: one :class:`History` over two pagers.

- :mod:`.seconds`: REST's second-granular pager; :mod:`.seconds_cursor`: its cursor;
  :mod:`.cap_floor`: what REST answers showed of each domain's page cap;
- :mod:`.microseconds`: GraphQL's microsecond pager and its cursor;
- :mod:`.history`: the async iterator, keyed by the archive it pages (:class:`ArchiveKey`);
- :func:`archive_opener`: how a group plugs its page reads into both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from .._api import Wire
from .._validate import before_microseconds, before_seconds
from ..errors import UnsupportedOperationError
from ..models import MessageList
from .cap_floor import CapFloor
from .history import ArchiveKey, Fetch, History, Opener, Pager
from .microseconds import GraphQLPager
from .seconds import BackwardPager

__all__ = ["ArchiveKey", "CapFloor", "History", "archive_opener"]

# read(before, limit) -> page oldest first; GraphQL's also returns the limit applied.
RestRead = Callable[[int | None, int | None], Awaitable[MessageList]]
GraphQLRead = Callable[[int | None, int | None], Awaitable[tuple[MessageList, int | None]]]


def archive_opener(
    rest_read: RestRead | None,
    graphql_read: GraphQLRead,
    *,
    before: int | datetime | None,
    page_size: int | None,
    cursor: object | None,
    cap_floor: int = 0,
    rest_refusal: str = "this archive can only be read over GraphQL (api='graphql')",
) -> Opener:
    """What :class:`History` calls once the wire format is known: the pager for it (from
    ``cursor`` when given) and the fetch it pages with. ``before`` was validated already;
    REST floors it to the second, GraphQL keeps its microseconds. ``rest_read=None``: the
    archive is not readable over REST, and opening it there raises
    :class:`~aiomongoose.errors.UnsupportedOperationError` saying ``rest_refusal``.
    ``cap_floor``: see :class:`.cap_floor.CapFloor`."""

    def open_(wire: Wire) -> tuple[Fetch, Pager]:
        if wire == "graphql":
            return graphql_read, GraphQLPager.start(before_microseconds(before), page_size, cursor)
        if rest_read is None:
            raise UnsupportedOperationError(rest_refusal)
        read = rest_read

        async def fetch(before_s: int | None, limit: int | None) -> tuple[MessageList, None]:
            return await read(before_s, limit), None

        return fetch, BackwardPager.start(before_seconds(before), page_size, cursor, cap_floor)

    return open_
