"""Where the lines go: a stream, or a file kept in step with its checkpoint.

Blocking methods (``write``, ``copy``, ``commit``, ``finish``, ``close``) are meant to run
in a worker thread, one at a time; the ``record_*`` methods and ``snapshot`` run on the
event loop. ``length`` and the owner states are only changed by ``record_*``, together, so
that a snapshot always describes exactly the bytes recorded so far.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import InvalidArgumentError
from ._checkpoint import (
    Checkpoint,
    OwnerState,
    checkpoint_path,
    load_checkpoint,
    remove_checkpoint,
    save_checkpoint,
)
from ._options import CheckpointError, ExportOptions
from ._spool import Spool

__all__ = ["FileSink", "Sink", "open_sink"]


class Sink:
    """A stream output: lines are written and flushed; nothing is checkpointed."""

    def __init__(self, stream: BinaryIO, owners: Sequence[str], header: bytes) -> None:
        self._stream = stream
        self.owners = {owner: OwnerState() for owner in owners}
        self.length: int | None = None
        if header:
            stream.write(header)

    def write(self, data: bytes) -> None:
        self._stream.write(data)

    def copy(self, spool: Spool) -> None:
        spool.copy_reversed(self._stream)

    def record_page(self, owner: str, size: int, messages: int, cursor: dict[str, Any]) -> None:
        pass

    def record_done(self, owner: str, size: int, messages: int) -> None:
        pass

    def snapshot(self) -> bytes:
        return b""

    def commit(self, snapshot: bytes) -> None:
        self._stream.flush()

    def finish(self, complete: bool) -> None:
        self._stream.flush()

    def close(self) -> None:
        pass


class FileSink(Sink):
    """A file output with ``<output>.checkpoint.json`` beside it."""

    def __init__(self, path: Path, file: BinaryIO, checkpoint: Checkpoint) -> None:
        self._path = path
        self._file = file
        self._stream = file
        self._checkpoint_path = checkpoint_path(path)
        self._checkpoint = checkpoint
        self.owners = checkpoint.owners
        self.length = checkpoint.length

    def record_page(self, owner: str, size: int, messages: int, cursor: dict[str, Any]) -> None:
        state = self.owners[owner]
        state.cursor = cursor
        state.messages += messages
        self._grow(size)

    def record_done(self, owner: str, size: int, messages: int) -> None:
        state = self.owners[owner]
        state.done, state.cursor = True, None
        state.messages += messages
        self._grow(size)

    def _grow(self, size: int) -> None:
        assert self.length is not None
        self.length += size
        self._checkpoint.length = self.length

    def snapshot(self) -> bytes:
        return self._checkpoint.to_bytes()

    def commit(self, snapshot: bytes) -> None:
        # The output's bytes are durable before the checkpoint that counts them moves.
        self._file.flush()
        os.fsync(self._file.fileno())
        save_checkpoint(self._checkpoint_path, snapshot)

    def finish(self, complete: bool) -> None:
        """After the last commit: a complete export needs no checkpoint any more."""
        if complete:
            remove_checkpoint(self._checkpoint_path)

    def close(self) -> None:
        self._file.close()


def open_sink(
    output: str | os.PathLike[str] | BinaryIO,
    options: ExportOptions,
    owners: Sequence[str],
    header: bytes,
    api: str = "rest",
) -> Sink:
    """Open the output: a stream as is, a path afresh or (``options.resume``) from its checkpoint.

    Raises :class:`CheckpointError` when the checkpoint does not fit this export (``api``
    counts: a REST cursor cannot resume a GraphQL history, nor the other way round).
    """
    settings = {**options.settings(), "api": api}
    if not isinstance(output, (str, os.PathLike)):
        if options.resume:
            raise InvalidArgumentError("resume needs an output path, not a stream")
        return Sink(output, owners, header)
    path = Path(output)
    cp_path = checkpoint_path(path)
    checkpoint = load_checkpoint(cp_path) if options.resume else None
    if checkpoint is not None:
        _check_fits(checkpoint, settings, owners)
        file = _open_truncated(path, checkpoint.length)
    else:
        fresh = {owner: OwnerState() for owner in owners}
        checkpoint = Checkpoint(settings=settings, owners=fresh, length=0)
        # Saved before the output is truncated: a stale checkpoint never describes new bytes.
        save_checkpoint(cp_path, checkpoint)
        file = open(path, "wb")  # closed by FileSink.close
    if checkpoint.length == 0 and header:
        file.write(header)
        checkpoint.length = len(header)
    return FileSink(path, file, checkpoint)


def _check_fits(checkpoint: Checkpoint, settings: dict[str, Any], owners: Sequence[str]) -> None:
    if checkpoint.settings != settings:
        raise CheckpointError(
            f"the checkpoint was written with other settings ({checkpoint.settings}); resume "
            f"with the same format, --with, --before, order and --api, or start afresh"
        )
    missing = [o for o in owners if o not in checkpoint.owners]
    extra = [o for o in checkpoint.owners if o not in set(owners)]
    if missing or extra:
        what = f"{missing[0]} is new" if missing else f"{extra[0]} is not requested any more"
        raise CheckpointError(
            f"the checkpoint was written for other owners ({what}); resume with the same "
            f"owners, or start afresh"
        )


def _open_truncated(path: Path, length: int) -> BinaryIO:
    try:
        file = open(path, "r+b")  # closed by FileSink.close
    except FileNotFoundError:
        if length:
            raise CheckpointError(f"{path} is missing but its checkpoint is not empty") from None
        return open(path, "wb")
    try:
        size = os.fstat(file.fileno()).st_size
        if size < length:
            raise CheckpointError(
                f"{path} is shorter ({size} bytes) than its checkpoint says ({length}): "
                "it was changed since; start afresh"
            )
        # Lines written after the last checkpoint are discarded: they are fetched again.
        file.truncate(length)
        file.seek(length)
    except BaseException:
        file.close()
        raise
    return file
