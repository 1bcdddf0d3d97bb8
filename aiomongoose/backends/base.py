"""The interface every backend offers to the resources."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import aiohttp

from ..history import Fetch, Pager
from ..models import Message, MessageList

__all__ = ["Backend"]


class Backend(Protocol):
    """One wire format. ``owner``/``with_`` arrive validated; ``before`` is an int (seconds)
    or an aware datetime, checked; ``limit`` and ``page_size`` are checked ints or None."""

    name: str

    async def send(self, message: Message, timeout: aiohttp.ClientTimeout | None) -> str | None:
        """Send; return the stanza id the server reports, if it reports one."""

    async def recent(
        self,
        owner: str,
        with_: str | None,
        before: int | datetime | None,
        limit: int | None,
        timeout: aiohttp.ClientTimeout | None,
    ) -> MessageList: ...

    def history_parts(
        self,
        owner: str,
        with_: str | None,
        before: int | datetime | None,
        page_size: int | None,
        cursor: object | None,
        timeout: aiohttp.ClientTimeout | None,
    ) -> tuple[Fetch, Pager]: ...

    async def list_users(self, domain: str, timeout: aiohttp.ClientTimeout | None) -> list[str]:
        """The bare JIDs of a domain's users."""
