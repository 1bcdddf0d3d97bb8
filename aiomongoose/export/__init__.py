"""Bulk export of message archives, one-to-one and rooms: the API under ``aiomongoose export``.

::

    async with AdminClient(url, auth=(user, password)) as client:
        owners = await client.users.list("wonderland.lit")
        summary = await export_archives(
            client, owners, "archive.jsonl", ExportOptions(concurrency=4, resume=True)
        )
    if not summary.ok:
        for failure in summary.failures:
            print(failure.owner, failure.message)

Each line is one message (JSON Lines, or CSV with a header): ``owner``, ``with`` (when
filtered) or ``room``, then ``sender``, ``timestamp``, ``message_id``, ``body``. Rooms are
exported with ``rooms=[Room(jid, kind)]``. See :func:`export_archives` for the order of
the lines, the checkpoint, resuming and shards (:func:`shard_of`).
"""

import os

from ._checkpoint import checkpoint_path, load_checkpoint
from ._engine import export_archives
from ._options import (
    CheckpointError,
    ExportOptions,
    ExportProgress,
    ExportSummary,
    Format,
    OutputLockedError,
    OwnerFailure,
)
from ._sources import Room, shard_of

__all__ = [
    "CheckpointError",
    "ExportOptions",
    "ExportProgress",
    "ExportSummary",
    "Format",
    "OutputLockedError",
    "OwnerFailure",
    "Room",
    "checkpoint_path",
    "checkpointed_owners",
    "checkpointed_sources",
    "export_archives",
    "shard_of",
]


def checkpointed_owners(output: str | os.PathLike[str]) -> list[str] | None:
    """The owners recorded in ``output``'s checkpoint, in order; ``None`` without a checkpoint.

    Raises :class:`CheckpointError` when the checkpoint cannot be read.
    """
    sources = checkpointed_sources(output)
    return None if sources is None else sources[0]


def checkpointed_sources(
    output: str | os.PathLike[str],
) -> tuple[list[str], list[Room]] | None:
    """The owners and the rooms recorded in ``output``'s checkpoint, each in order;
    ``None`` without a checkpoint. Raises :class:`CheckpointError` when the checkpoint
    cannot be read."""
    checkpoint = load_checkpoint(checkpoint_path(output))
    if checkpoint is None:
        return None
    owners = [jid for kind, jid in checkpoint.owners if kind == "user"]
    rooms = [Room(jid, kind) for kind, jid in checkpoint.owners if kind != "user"]
    return owners, rooms
