"""Plain-aiohttp helpers for FakeMongooseIM's SSE endpoint: open a stream, read its events.

Every read is bounded in time, so a test that waits for an event that never comes fails
quickly instead of hanging.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from fake_wire import ALICE

from aiomongoose.testing import FakeMongooseIM

if sys.version_info >= (3, 11):
    from asyncio import timeout
else:  # aiohttp depends on async-timeout before 3.11
    from async_timeout import timeout

__all__ = ["DOC", "Stream", "params", "stream", "timeout"]

DOC = (
    "subscription S($caller: JID!) { stanza { subscribeForMessages(caller: $caller) "
    "{ sender timestamp stanza_id stanza } } }"
)
WITHIN = 2.0  # seconds: an event that should arrive arrives well before this


def params(caller: str = ALICE, query: str = DOC, **extra: str) -> dict[str, str]:
    """The query string of a subscription of ``caller``."""
    return {"query": query, "variables": json.dumps({"caller": caller}), **extra}


class Stream:
    """The events of one open SSE response, read line by line."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def lines(self, within: float = WITHIN) -> list[bytes]:
        """The raw lines of the next event, up to and including its blank line."""
        lines: list[bytes] = []
        async with timeout(within):
            while not lines or lines[-1] != b"\n":
                line = await self.response.content.readline()
                if not line:
                    raise EOFError(f"the stream ended after {lines!r}")
                lines.append(line)
        return lines

    async def event(self, within: float = WITHIN) -> tuple[int, Any]:
        """The next event's ``id`` and its ``data`` decoded."""
        id_line, data_line, _blank = await self.lines(within)
        assert id_line.startswith(b"id: ") and data_line.startswith(b"data: ")
        return int(id_line[4:]), json.loads(data_line[6:])

    async def message(self, within: float = WITHIN) -> Any:
        """The next event's ``subscribeForMessages`` object."""
        _id, data = await self.event(within)
        return data["data"]["stanza"]["subscribeForMessages"]

    async def nothing(self, within: float = 0.2) -> None:
        """Assert that no byte arrives for ``within`` seconds."""
        try:
            async with timeout(within):
                chunk = await self.response.content.readany()
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"expected nothing, got {chunk!r}")

    async def broken_off(self, within: float = WITHIN) -> None:
        """Assert that the stream ends without its last chunk (after any pending events)."""
        async with timeout(within):
            try:
                while await self.response.content.readany():
                    pass
            except aiohttp.ClientPayloadError:
                return
        raise AssertionError("the stream ended cleanly")


@asynccontextmanager
async def stream(
    session: aiohttp.ClientSession,
    server: FakeMongooseIM,
    caller: str = ALICE,
    query: str = DOC,
    **kwargs: Any,
) -> AsyncIterator[Stream]:
    """An open subscription of ``caller`` (its session is open once this yields)."""
    async with timeout(WITHIN):
        response = await session.get(server.sse_url, params=params(caller, query), **kwargs)
    async with response:
        assert response.status == 200, await response.read()
        assert response.headers["Content-Type"] == "text/event-stream"
        yield Stream(response)
