"""Bulk export of message archives: the API under the ``aiomongoose export`` command.

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
filtered), ``sender``, ``timestamp``, ``message_id``, ``body``. See :func:`export_archives`
for the order of the lines, the checkpoint and resuming.
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

__all__ = [
    "CheckpointError",
    "ExportOptions",
    "ExportProgress",
    "ExportSummary",
    "Format",
    "OutputLockedError",
    "OwnerFailure",
    "checkpoint_path",
    "checkpointed_owners",
    "export_archives",
]


def checkpointed_owners(output: str | os.PathLike[str]) -> list[str] | None:
    """The owners recorded in ``output``'s checkpoint, in order; ``None`` without a checkpoint.

    Raises :class:`CheckpointError` when the checkpoint cannot be read.
    """
    checkpoint = load_checkpoint(checkpoint_path(output))
    return None if checkpoint is None else list(checkpoint.owners)
