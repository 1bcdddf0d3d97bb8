"""The single writer: the only task that touches the output and the checkpoint.

Owner workers put :class:`Item` objects on a bounded queue: a page of encoded lines with the
history cursor after it, a finished owner (with its spool in chronological mode) or a
failed one. The writer takes whatever is queued as one batch, writes it in queue order (so
each owner's pages stay in order), and then, at most every ``interval`` seconds and at the
end, commits: fsync the output, then atomically replace the checkpoint. Blocking file work
runs in a thread so that the workers keep fetching meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from ._options import ExportProgress, OwnerFailure
from ._sink import Sink
from ._sources import Source
from ._spool import Spool

__all__ = ["Item", "Writer", "in_thread"]

T = TypeVar("T")


@attrs.frozen
class Item:
    """What a worker hands to the writer about one archive."""

    owner: Source
    data: bytes = b""
    messages: int = 0
    cursor: dict[str, Any] | None = None
    spool: Spool | None = None
    finished: bool = False
    error: Exception | None = None


async def in_thread(func: Callable[..., T], *args: Any) -> T:
    """Run blocking ``func`` in a thread; on cancellation, wait for it before re-raising."""
    future = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        # The file must not be closed while the thread still writes to it.
        await asyncio.wait([future])
        raise


class Writer:
    """Consumes the queue until every owner in ``pending`` has finished or failed."""

    def __init__(
        self,
        sink: Sink,
        queue: asyncio.Queue[Item],
        progress: ExportProgress,
        pending: set[Source],
        interval: float,
    ) -> None:
        self._sink = sink
        self._queue = queue
        self._progress = progress
        self._pending = pending
        self._interval = interval
        self._dirty = False
        self._last_commit = time.monotonic()
        self.commits = 0

    async def run(self) -> None:
        """Write and commit until all owners are through; the last commit happens here."""
        getter: asyncio.Task[Item] | None = None
        try:
            while self._pending:
                if getter is None:
                    getter = asyncio.ensure_future(self._queue.get())
                timeout = None
                if self._dirty:
                    timeout = max(0.0, self._last_commit + self._interval - time.monotonic())
                done, _ = await asyncio.wait([getter], timeout=timeout)
                if not done:
                    await self._commit()  # nothing came in time: make what we have durable
                    continue
                batch = [getter.result()]
                getter = None
                while not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                await self._write(batch)
                if time.monotonic() - self._last_commit >= self._interval:
                    await self._commit()
            await self._commit()
        finally:
            if getter is not None:
                if getter.done() and not getter.cancelled():
                    taken = getter.result()
                    if taken.spool is not None:
                        taken.spool.close()
                getter.cancel()
            self._discard_queued()

    async def _write(self, batch: list[Item]) -> None:
        try:
            await in_thread(self._write_blocking, batch)
        finally:
            for item in batch:
                if item.spool is not None:
                    item.spool.close()
        # Recorded only once the bytes are in the file: a snapshot never counts unwritten ones.
        progress = self._progress
        for item in batch:
            if item.error is not None:
                kind, jid = item.owner
                progress.failures.append(OwnerFailure(jid, item.error, kind))
                self._pending.discard(item.owner)
            elif item.finished:
                size = item.spool.size if item.spool is not None else 0
                self._sink.record_done(item.owner, size, item.messages)
                progress.written += item.messages
                progress.owners_done += 1
                self._pending.discard(item.owner)
            else:
                assert item.cursor is not None
                self._sink.record_page(item.owner, len(item.data), item.messages, item.cursor)
                progress.written += item.messages
        self._dirty = True

    def _write_blocking(self, batch: list[Item]) -> None:
        for item in batch:
            if item.data:
                self._sink.write(item.data)
            if item.spool is not None:
                self._sink.copy(item.spool)

    async def _commit(self) -> None:
        await in_thread(self._sink.commit, self._sink.snapshot())
        self._dirty = False
        self._last_commit = time.monotonic()
        self.commits += 1

    def _discard_queued(self) -> None:
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item.spool is not None:
                item.spool.close()
