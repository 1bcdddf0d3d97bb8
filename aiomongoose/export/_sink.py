"""Where the lines go: a stream, or a file kept in step with its checkpoint.

Blocking methods (``write``, ``copy``, ``commit``, ``finish``, ``close``) are meant to run
in a worker thread, one at a time; the ``record_*`` methods and ``snapshot`` run on the
event loop. ``length`` and the owner states are only changed by ``record_*``, together, so
that a snapshot always describes exactly the bytes recorded so far.

A file output is locked for the whole export (``flock`` where the platform has it): a second
export to the same path is refused with :class:`OutputLockedError` instead of interleaving
its lines. The SHA-256 of everything written is kept as it is written (in the writer's
thread) and recorded in each checkpoint; a resume hashes the kept part again and refuses an
output whose content changed (same length or not) since.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock (see the README)
    fcntl = None  # type: ignore[assignment]

from ..errors import InvalidArgumentError
from ._checkpoint import (
    Checkpoint,
    OwnerState,
    checkpoint_path,
    load_checkpoint,
    remove_checkpoint,
    save_checkpoint,
)
from ._options import CheckpointError, ExportOptions, OutputLockedError
from ._sources import Source
from ._spool import Spool

__all__ = ["FileSink", "Sink", "open_sink"]


class Sink:
    """A stream output: lines are written and flushed; nothing is checkpointed."""

    def __init__(self, stream: BinaryIO, owners: Sequence[Source], header: bytes) -> None:
        self._stream = stream
        self.owners = {owner: OwnerState() for owner in owners}
        self.length: int | None = None
        if header:
            stream.write(header)

    def write(self, data: bytes) -> None:
        self._stream.write(data)

    def copy(self, spool: Spool) -> None:
        spool.copy_reversed(self._stream)

    def record_page(self, owner: Source, size: int, messages: int, cursor: dict[str, Any]) -> None:
        pass

    def record_done(self, owner: Source, size: int, messages: int) -> None:
        pass

    def snapshot(self) -> bytes:
        return b""

    def commit(self, snapshot: bytes) -> None:
        self._stream.flush()

    def finish(self, complete: bool) -> None:
        self._stream.flush()

    def close(self) -> None:
        pass


class _Hashing:
    """Writes to a file and hashes what it writes (``Spool.copy_reversed`` writes here)."""

    def __init__(self, file: BinaryIO, digest: Any) -> None:
        self._file = file
        self.digest = digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)  # releases the GIL for large data: the loop goes on
        return self._file.write(data)


class FileSink(Sink):
    """A file output with ``<output>.checkpoint.json`` beside it."""

    def __init__(self, path: Path, file: BinaryIO, checkpoint: Checkpoint, digest: Any) -> None:
        self._path = path
        self._file = file
        self._hashing = _Hashing(file, digest)
        self._stream = self._hashing  # type: ignore[assignment]
        self._checkpoint_path = checkpoint_path(path)
        self._checkpoint = checkpoint
        self.owners = checkpoint.owners
        self.length = checkpoint.length

    def record_page(self, owner: Source, size: int, messages: int, cursor: dict[str, Any]) -> None:
        state = self.owners[owner]
        state.cursor = cursor
        state.messages += messages
        self._grow(size)

    def record_done(self, owner: Source, size: int, messages: int) -> None:
        state = self.owners[owner]
        state.done, state.cursor = True, None
        state.messages += messages
        self._grow(size)

    def _grow(self, size: int) -> None:
        assert self.length is not None
        self.length += size
        self._checkpoint.length = self.length

    def snapshot(self) -> bytes:
        # Taken between batches: the hash covers exactly the `length` bytes written.
        self._checkpoint.digest = "sha256:" + self._hashing.digest.hexdigest()
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
        self._file.close()  # releases the lock


def open_sink(
    output: str | os.PathLike[str] | BinaryIO,
    options: ExportOptions,
    owners: Sequence[Source],
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
    # Locked before the checkpoint is read or written: both belong to the lock's holder.
    file = _open_locked(path, create=not options.resume)
    try:
        checkpoint = load_checkpoint(cp_path) if options.resume else None
        digest = hashlib.sha256()
        if checkpoint is not None:
            _check_fits(checkpoint, settings, owners)
            if file is None:
                if checkpoint.length:
                    raise CheckpointError(f"{path} is missing but its checkpoint is not empty")
                file = _open_locked(path, create=True)
            assert file is not None
            _resume_at(path, file, checkpoint, digest)
        else:
            if file is None:
                file = _open_locked(path, create=True)
            assert file is not None
            fresh = {owner: OwnerState() for owner in owners}
            checkpoint = Checkpoint(settings=settings, owners=fresh, length=0)
            # Saved before the output is truncated: a stale checkpoint never describes new
            # bytes.
            save_checkpoint(cp_path, checkpoint)
            _truncate(file, 0)
        if checkpoint.length == 0 and header:
            file.write(header)
            digest.update(header)
            checkpoint.length = len(header)
    except BaseException:
        if file is not None:
            file.close()
        raise
    return FileSink(path, file, checkpoint, digest)


def _open_locked(path: Path, *, create: bool) -> BinaryIO | None:
    """``path`` opened for reading and writing (not truncated) and locked; ``None`` when it
    does not exist and ``create`` is false. :class:`OutputLockedError` when another export
    holds it."""
    flags = os.O_RDWR | (os.O_CREAT if create else 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except FileNotFoundError:
        if create:
            raise
        return None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise OutputLockedError(
                        f"another export is writing {path} (it holds the file's lock); wait "
                        "for it to end, or write elsewhere"
                    ) from None
                # any other errno: a file system without locks (some network ones): go on
        return os.fdopen(fd, "r+b")  # closed (and unlocked) by FileSink.close
    except BaseException:
        os.close(fd)
        raise


def _truncate(file: BinaryIO, length: int) -> None:
    file.seek(length)
    if stat.S_ISREG(os.fstat(file.fileno()).st_mode):  # not /dev/null, a pipe...
        file.truncate(length)


_READ = 1 << 20


def _resume_at(path: Path, file: BinaryIO, checkpoint: Checkpoint, digest: Any) -> None:
    """Check that the output still holds what the checkpoint describes (its length and, when
    recorded, its digest), and cut off what was written after it."""
    length = checkpoint.length
    size = os.fstat(file.fileno()).st_size
    if size < length:
        raise CheckpointError(
            f"{path} is shorter ({size} bytes) than its checkpoint says ({length}): "
            "it was changed since; start afresh"
        )
    file.seek(0)
    left = length
    while left:
        chunk = file.read(min(_READ, left))
        if not chunk:
            raise CheckpointError(f"{path} ended early while checking it; start afresh")
        digest.update(chunk)
        left -= len(chunk)
    if checkpoint.digest is not None and checkpoint.digest != "sha256:" + digest.hexdigest():
        raise CheckpointError(
            f"{path} was changed since its checkpoint (its first {length} bytes differ from "
            "what the export wrote); start afresh"
        )
    # Lines written after the last checkpoint are discarded: they are fetched again.
    _truncate(file, length)


def _check_fits(checkpoint: Checkpoint, settings: dict[str, Any], owners: Sequence[Source]) -> None:
    if checkpoint.settings != settings:
        raise CheckpointError(
            f"the checkpoint was written with other settings ({checkpoint.settings}); resume "
            f"with the same format, --with, --before, order, --api and --shard, or start afresh"
        )
    missing = [o for o in owners if o not in checkpoint.owners]
    extra = [o for o in checkpoint.owners if o not in set(owners)]
    if missing or extra:
        what = f"{missing[0][1]} is new" if missing else f"{extra[0][1]} is not requested any more"
        raise CheckpointError(
            f"the checkpoint was written for other owners ({what}); resume with the same "
            f"owners, or start afresh"
        )
