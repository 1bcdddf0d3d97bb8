"""``export_archives``: owners in parallel over one client, one writer, one checkpoint."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Coroutine, Iterable, Iterator
from typing import Any, BinaryIO, Literal

import attrs

from ..client import AdminClient
from ..errors import (
    ApiError,
    InvalidArgumentError,
    InvalidJIDError,
    MongooseIMError,
    ProtocolError,
    TransportError,
)
from ..jid import validate_jid
from ..paging import History
from ._checkpoint import OwnerState
from ._format import LineEncoder
from ._options import ExportOptions, ExportProgress, ExportSummary, OwnerFailure
from ._sink import open_sink
from ._spool import Spool
from ._writer import Item, Writer, in_thread

__all__ = ["export_archives"]


async def export_archives(
    client: AdminClient,
    owners: Iterable[str],
    output: str | os.PathLike[str] | BinaryIO,
    options: ExportOptions | None = None,
    *,
    progress: ExportProgress | None = None,
    invalid_owners: Literal["raise", "fail"] = "raise",
) -> ExportSummary:
    """Export the archives of ``owners`` to ``output`` (a path, or a binary stream).

    Each owner is read with ``client.messages.history(...).pages()``; ``options.concurrency``
    owners at a time share the client. Lines are written by one writer task:

    * newest first (default), an owner's pages are written as they arrive, in order; pages
      of different owners may interleave (``concurrency=1`` keeps each owner contiguous);
    * ``chronological=True`` spools each owner to a temporary file and writes its whole
      history, oldest first, as one contiguous block once it is complete.

    With a path, ``<output>.checkpoint.json`` is kept beside it (see ``_checkpoint``) and
    removed when every owner finished; ``resume=True`` truncates the output to the
    checkpointed length, skips finished owners and continues the others from their cursors
    (a chronological owner that was not finished starts over: none of its lines had been
    written). Without a checkpoint, ``resume=True`` starts afresh.

    An owner whose export fails (:class:`~aiomongoose.errors.MongooseIMError`, including
    :class:`~aiomongoose.errors.PaginationError` unless ``on_stall="skip"``) is recorded in
    the summary's ``failures``; the others go on. ``progress`` (optional) is updated live.
    Duplicate owners are exported once. Raises :class:`~aiomongoose.errors.InvalidJIDError`
    for an invalid owner (with ``invalid_owners="fail"``, as for owners a server listed, it
    is a failure of the summary instead, and the others are exported),
    :class:`~aiomongoose.export.CheckpointError` when ``resume`` finds a checkpoint of
    another export or a damaged one, :class:`~aiomongoose.export.OutputLockedError` when
    another export writes ``output``, and ``OSError`` when the output cannot be written.
    """
    options = options or ExportOptions()
    if invalid_owners not in ("raise", "fail"):
        raise InvalidArgumentError("invalid_owners must be 'raise' or 'fail'")
    valid: list[str] = []
    refused: list[OwnerFailure] = []
    for owner in owners:
        try:
            valid.append(validate_jid(owner, "owner"))
        except InvalidJIDError as exc:
            if invalid_owners == "raise":
                raise
            refused.append(OwnerFailure(owner if isinstance(owner, str) else repr(owner), exc))
    wanted = _unique(valid)
    if not isinstance(client, AdminClient):
        raise InvalidArgumentError("client must be an AdminClient")
    progress = progress if progress is not None else ExportProgress()
    progress.failures.extend(refused)
    encoder = LineEncoder(options.format, options.with_)
    if (
        options.chronological
        and options.spool_dir is None
        and isinstance(output, (str, os.PathLike))
    ):
        options = attrs.evolve(options, spool_dir=os.path.dirname(os.path.abspath(output)))
    api = await client.detect_api()  # free unless api='auto' has not probed yet
    sink = await in_thread(open_sink, output, options, wanted, encoder.header(), api)
    try:
        states = sink.owners
        todo = [owner for owner in wanted if not states[owner].done]
        progress.owners_total = len(wanted) + len(refused)
        progress.owners_skipped = progress.owners_done = len(wanted) - len(todo)
        progress.started = time.monotonic()
        queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=2 * options.concurrency)
        writer = Writer(sink, queue, progress, set(todo), options.checkpoint_interval)
        source = iter(todo)
        retries_before = client.retries
        workers = [
            _worker(client, source, states, encoder, options, queue, progress)
            for _ in range(min(options.concurrency, len(todo)))
        ]
        try:
            await _run_all([writer.run(), *workers])
        finally:
            progress.retries = client.retries - retries_before
        # Complete when only refused owners failed: no resume can export them.
        await in_thread(sink.finish, len(progress.failures) == len(refused))
    finally:
        await in_thread(sink.close)
    return ExportSummary.from_progress(progress, sink.length)


def _unique(owners: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(owners))


async def _run_all(coroutines: list[Coroutine[Any, Any, None]]) -> None:
    """Run the tasks together; the first unexpected exception cancels the others."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _worker(
    client: AdminClient,
    source: Iterator[str],
    states: dict[str, OwnerState],
    encoder: LineEncoder,
    options: ExportOptions,
    queue: asyncio.Queue[Item],
    progress: ExportProgress,
) -> None:
    for owner in source:  # shared: each owner goes to the first free worker
        await _export_owner(client, owner, states[owner], encoder, options, queue, progress)


async def _export_owner(
    client: AdminClient,
    owner: str,
    state: OwnerState,
    encoder: LineEncoder,
    options: ExportOptions,
    queue: asyncio.Queue[Item],
    progress: ExportProgress,
) -> None:
    # Chronological owners restart from scratch: their lines are written only when complete.
    cursor = None if options.chronological else state.cursor
    spool = Spool(options.spool_dir) if options.chronological else None
    history: History | None = None
    counted = [0, 0]  # requests and stalls already added to progress

    def count() -> None:
        if history is not None:
            progress.requests += history.requests - counted[0]
            progress.stalls += history.stalls - counted[1]
            counted[:] = [history.requests, history.stalls]

    messages = 0
    try:
        history = client.messages.history(
            owner,
            options.with_,
            before=options.before if cursor is None else None,
            page_size=options.page_size,
            cursor=cursor,
            on_stall=options.on_stall,
            timeout=options.timeout,
        )
        async for page in history.pages():
            count()
            progress.pages += 1
            progress.messages += len(page)
            messages += len(page)
            if spool is not None:
                spool.add(encoder.encode(owner, page))
            else:
                data = encoder.encode(owner, reversed(page))
                await queue.put(Item(owner, data, len(page), history.cursor))
        count()
    except MongooseIMError as exc:
        count()
        if isinstance(exc, (ApiError, TransportError, ProtocolError)):
            progress.requests += 1  # the request that failed
        if spool is not None:
            spool.close()
        await queue.put(Item(owner, error=exc))
        return
    except BaseException:
        if spool is not None:
            spool.close()
        raise
    try:
        done_messages = messages if spool is not None else 0  # pages were counted as written
        await queue.put(Item(owner, messages=done_messages, spool=spool, finished=True))
    except BaseException:
        if spool is not None:
            spool.close()
        raise
