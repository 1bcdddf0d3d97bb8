"""``export_archives``: archives (owners' and rooms') in parallel over one client, one
writer, one checkpoint."""

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
    UnsupportedOperationError,
)
from ..jid import validate_jid
from ..paging import History
from ._checkpoint import OwnerState
from ._format import LineEncoder
from ._options import ExportOptions, ExportProgress, ExportSummary, OwnerFailure
from ._sink import open_sink
from ._sources import Room, Source, in_shard
from ._spool import Spool
from ._writer import Item, Writer, in_thread

__all__ = ["export_archives"]


async def export_archives(
    client: AdminClient,
    owners: Iterable[str],
    output: str | os.PathLike[str] | BinaryIO,
    options: ExportOptions | None = None,
    *,
    rooms: Iterable[Room] = (),
    progress: ExportProgress | None = None,
    invalid_owners: Literal["raise", "fail"] = "raise",
) -> ExportSummary:
    """Export the archives of ``owners`` and of ``rooms`` to ``output`` (a path, or a
    binary stream).

    Each owner is read with ``client.messages.history(...).pages()``, each room (a
    :class:`~aiomongoose.export.Room`) with ``client.rooms.history(...).pages()``; their
    lines carry ``owner`` or ``room``. ``options.concurrency`` archives at a time share
    the client. Lines are written by one writer task:

    * newest first (default), an archive's pages are written as they arrive, in order;
      pages of different archives may interleave (``concurrency=1`` keeps each contiguous);
    * ``chronological=True`` spools each archive to a temporary file and writes its whole
      history, oldest first, as one contiguous block once it is complete.

    With a path, ``<output>.checkpoint.json`` is kept beside it (see ``_checkpoint``) and
    removed when every archive finished; ``resume=True`` truncates the output to the
    checkpointed length, skips finished archives and continues the others from their
    cursors (a chronological archive that was not finished starts over: none of its lines
    had been written). Without a checkpoint, ``resume=True`` starts afresh.
    ``options.shard=(i, n)`` keeps only the archives of shard ``i`` of ``n``.

    An archive whose export fails (:class:`~aiomongoose.errors.MongooseIMError`, including
    :class:`~aiomongoose.errors.PaginationError` unless ``on_stall="skip"``) is recorded in
    the summary's ``failures``; the others go on. ``progress`` (optional) is updated live.
    Duplicates are exported once. Raises :class:`~aiomongoose.errors.InvalidJIDError` for
    an invalid owner (with ``invalid_owners="fail"``, as for owners a server listed, it is a
    failure of the summary instead, and the others are exported),
    :class:`~aiomongoose.errors.InvalidArgumentError` for ``with_`` together with rooms,
    :class:`~aiomongoose.errors.UnsupportedOperationError` for rooms on a client that
    speaks REST (nothing is written then), :class:`~aiomongoose.export.CheckpointError`
    when ``resume`` finds a checkpoint of another export or a damaged one,
    :class:`~aiomongoose.export.OutputLockedError` when another export writes ``output``,
    and ``OSError`` when the output cannot be written.
    """
    options = options or ExportOptions()
    if invalid_owners not in ("raise", "fail"):
        raise InvalidArgumentError("invalid_owners must be 'raise' or 'fail'")
    user_sources: list[Source] = []
    refused: list[OwnerFailure] = []
    for owner in owners:
        try:
            user_sources.append(("user", validate_jid(owner, "owner")))
        except InvalidJIDError as exc:
            if invalid_owners == "raise":
                raise
            refused.append(OwnerFailure(owner if isinstance(owner, str) else repr(owner), exc))
    room_list = list(rooms)
    if not all(isinstance(room, Room) for room in room_list):
        raise InvalidArgumentError("rooms must be aiomongoose.export.Room values")
    if not isinstance(client, AdminClient):
        raise InvalidArgumentError("client must be an AdminClient")
    if room_list and options.with_ is not None:
        raise InvalidArgumentError("with_ filters one-to-one archives: not with rooms")
    wanted = in_shard(_unique([*user_sources, *(room.source for room in room_list)]), options.shard)
    progress = progress if progress is not None else ExportProgress()
    progress.failures.extend(refused)
    encoder = LineEncoder(
        options.format, options.with_, owners=bool(user_sources), rooms=bool(room_list)
    )
    if (
        options.chronological
        and options.spool_dir is None
        and isinstance(output, (str, os.PathLike))
    ):
        options = attrs.evolve(options, spool_dir=os.path.dirname(os.path.abspath(output)))
    api = await client.detect_api()  # free unless api='auto' has not probed yet
    if room_list and api == "rest":
        raise UnsupportedOperationError(
            "room archives cannot be read over MongooseIM's REST admin API; export them "
            "with api='graphql' (MongooseIM 6.0 or later)"
        )
    sink = await in_thread(open_sink, output, options, wanted, encoder.header(), api)
    try:
        states = sink.owners
        todo = [source for source in wanted if not states[source].done]
        progress.owners_total = len(wanted) + len(refused)
        progress.rooms_total = sum(1 for kind, _ in wanted if kind != "user")
        progress.owners_skipped = progress.owners_done = len(wanted) - len(todo)
        progress.started = time.monotonic()
        queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=2 * options.concurrency)
        writer = Writer(sink, queue, progress, set(todo), options.checkpoint_interval)
        source_iter = iter(todo)
        retries_before = client.retries
        workers = [
            _worker(client, source_iter, states, encoder, options, queue, progress)
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


def _unique(sources: Iterable[Source]) -> list[Source]:
    return list(dict.fromkeys(sources))


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
    sources: Iterator[Source],
    states: dict[Source, OwnerState],
    encoder: LineEncoder,
    options: ExportOptions,
    queue: asyncio.Queue[Item],
    progress: ExportProgress,
) -> None:
    for source in sources:  # shared: each archive goes to the first free worker
        await _export_one(client, source, states[source], encoder, options, queue, progress)


def _history(
    client: AdminClient, source: Source, options: ExportOptions, cursor: dict[str, Any] | None
) -> History:
    kind, jid = source
    before = options.before if cursor is None else None
    if kind == "user":
        return client.messages.history(
            jid,
            options.with_,
            before=before,
            page_size=options.page_size,
            cursor=cursor,
            on_stall=options.on_stall,
            timeout=options.timeout,
        )
    return client.rooms.history(
        jid,
        kind=kind,
        before=before,
        page_size=options.page_size,
        cursor=cursor,
        on_stall=options.on_stall,
        timeout=options.timeout,
    )


async def _export_one(
    client: AdminClient,
    owner: Source,
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
    kind, jid = owner
    field: Literal["owner", "room"] = "owner" if kind == "user" else "room"
    try:
        history = _history(client, owner, options, cursor)
        async for page in history.pages():
            count()
            progress.pages += 1
            progress.messages += len(page)
            messages += len(page)
            if spool is not None:
                spool.add(encoder.encode(jid, page, field))
            else:
                data = encoder.encode(jid, reversed(page), field)
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
