"""Polling the caller's archive over REST: the mode of ``Subscription`` without SSE.

``recent()`` every ``poll_interval`` seconds, paged back with the second-granular care of
``history()``: each poll reads the archive back to the last reported second it had seen and
counts the entries of that second it already knew, so every entry after them is new.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .._transport import Transport
from ..errors import ClientClosedError
from ..jid import bare
from ..models import ArchivedMessage, IncomingMessage
from ..paging import History

__all__ = ["ArchivePoller", "OpenHistory"]

# () -> the caller's archive over REST, newest first.
OpenHistory = Callable[[], History]


class ArchivePoller:
    """The REST mode of :class:`~aiomongoose.messages.live.Subscription`: what reached
    ``caller``'s archive since the last look, from others, oldest first.

    :meth:`anchor` once, then :meth:`poll` for each batch.
    """

    def __init__(
        self,
        transport: Transport,
        caller: str,
        open_history: OpenHistory,
        poll_interval: float,
    ) -> None:
        self._transport = transport
        self.caller = caller
        self._owner = bare(caller).lower()
        self._open_history = open_history
        self._poll_interval = poll_interval
        # The newest reported second seen, and how many entries report it.
        self._second: int | None = None
        self._at_second = 0

    async def anchor(self) -> None:
        """Where the archive stands now: what :meth:`poll` returns comes after it."""
        newest = await self._entries_since(None)
        if newest:
            self._remember_second(newest)
        else:
            self._second, self._at_second = 0, 0  # an empty archive: all that comes is new

    async def poll(self) -> list[IncomingMessage]:
        """Wait ``poll_interval``, then return the new entries sent by others, oldest first."""
        await asyncio.sleep(self._poll_interval)
        if self._transport.closed:
            raise ClientClosedError("this AdminClient is closed")
        entries = await self._entries_since(self._second)
        if not entries:
            return []
        second = self._second
        at_second = [e for e in entries if e.timestamp == second]
        fresh = at_second[self._at_second :] + [e for e in entries if e.timestamp != second]
        incoming = [
            _from_rest(record, self.caller)
            for record in fresh
            if bare(record.sender).lower() != self._owner
        ]
        self._remember_second(entries)
        return incoming

    async def _entries_since(self, second: int | None) -> list[ArchivedMessage]:
        """The archive's entries reporting ``second`` or later, oldest first; with
        ``None``, those of the newest second."""
        newest_first: list[ArchivedMessage] = []
        async for record in self._open_history():
            floor = second
            if floor is None:
                floor = newest_first[0].timestamp if newest_first else record.timestamp
            if record.timestamp < floor:
                break
            newest_first.append(record)
        return newest_first[::-1]

    def _remember_second(self, entries: list[ArchivedMessage]) -> None:
        newest = entries[-1].timestamp
        count = sum(1 for e in entries if e.timestamp == newest)
        if newest == self._second:
            count = max(count, self._at_second)
        self._second, self._at_second = newest, count


def _from_rest(record: ArchivedMessage, caller: str) -> IncomingMessage:
    # A REST record carries no stanza: the address and type are not reported.
    return IncomingMessage(
        sender=record.sender,
        to=bare(caller),
        type="chat",
        message_id=record.message_id,
        body=record.body,
        stanza="",
        received_at=record.sent_at,
    )
