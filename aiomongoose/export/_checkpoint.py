"""The checkpoint file: how much of the output is durable, and where each owner stands.

``<output>.checkpoint.json`` holds::

    {"version": 1,
     "settings": {"format": "jsonl", "with": null, "before": null, "chronological": false},
     "length": 123456,
     "owners": [{"owner": "alice@wonderland.lit", "done": false, "messages": 250,
                 "cursor": {...history cursor after the owner's last written page...}},
                {"owner": "bob@wonderland.lit", "done": true, "messages": 80, "cursor": null}]}

``length`` bytes of the output are durable and hold exactly the pages the cursors say were
written. It is saved by writing a temporary file, fsyncing it, ``os.replace`` over the old
one and fsyncing the directory, always after the output itself was fsynced: whatever moment
the process dies, the checkpoint on disk describes a prefix of the output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs

from .._codec import STRUCTURE_ERRORS, structure_strict
from ._options import CheckpointError

__all__ = [
    "Checkpoint",
    "OwnerState",
    "checkpoint_path",
    "fsync_directory",
    "load_checkpoint",
    "remove_checkpoint",
    "save_checkpoint",
]

_VERSION = 1


def checkpoint_path(output: str | os.PathLike[str]) -> Path:
    """Where the checkpoint of ``output`` lives: ``<output>.checkpoint.json`` beside it."""
    path = Path(output)
    return path.with_name(path.name + ".checkpoint.json")


@attrs.define
class OwnerState:
    """One owner's progress: the history cursor after its last written page, or done."""

    cursor: dict[str, Any] | None = None
    done: bool = False
    messages: int = 0


@attrs.define
class Checkpoint:
    """The durable state of an export (see the module docstring for the file format)."""

    settings: dict[str, Any]
    owners: dict[str, OwnerState]
    length: int = 0

    def to_bytes(self) -> bytes:
        """The file's content."""
        owners = [
            {"owner": owner, "done": st.done, "messages": st.messages, "cursor": st.cursor}
            for owner, st in self.owners.items()
        ]
        data = {
            "version": _VERSION,
            "settings": self.settings,
            "length": self.length,
            "owners": owners,
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    @classmethod
    def from_bytes(cls, raw: bytes) -> Checkpoint:
        """Parse a checkpoint file; :class:`CheckpointError` when it is not one."""
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise CheckpointError("not a valid checkpoint (not JSON)") from exc
        version = data.get("version") if isinstance(data, dict) else None
        if version != _VERSION:
            raise CheckpointError(f"checkpoint version {version!r} is not supported")
        try:
            content = structure_strict(data, _File)
        except STRUCTURE_ERRORS as exc:
            raise CheckpointError(f"not a valid checkpoint ({type(exc).__name__}: {exc})") from exc
        owners: dict[str, OwnerState] = {}
        for entry in content.owners:
            if entry.owner in owners:
                raise CheckpointError(f"checkpoint lists {entry.owner!r} twice")
            owners[entry.owner] = OwnerState(entry.cursor, entry.done, entry.messages)
        return cls(settings=content.settings, owners=owners, length=content.length)


_count = attrs.validators.ge(0)


@attrs.frozen
class _OwnerEntry:
    """One entry of the file's ``owners`` list, as written by :meth:`Checkpoint.to_bytes`."""

    owner: str
    done: bool
    messages: int = attrs.field(validator=_count)
    cursor: dict[str, Any] | None  # checked by the history when it resumes


@attrs.frozen
class _File:
    version: int
    settings: dict[str, Any]
    length: int = attrs.field(validator=_count)
    owners: list[_OwnerEntry]


def load_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint at ``path``, ``None`` when there is none."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from exc
    try:
        return Checkpoint.from_bytes(raw)
    except CheckpointError as exc:
        raise CheckpointError(f"{path}: {exc}") from exc


def save_checkpoint(path: Path, checkpoint: Checkpoint | bytes) -> None:
    """Atomically replace ``path``: write a temporary file, fsync, rename, fsync the directory."""
    data = checkpoint if isinstance(checkpoint, bytes) else checkpoint.to_bytes()
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_directory(path.parent)


def remove_checkpoint(path: Path) -> None:
    """Delete the checkpoint (and a leftover temporary file), durably."""
    for name in (path, path.with_name(path.name + ".tmp")):
        try:
            os.remove(name)
        except FileNotFoundError:
            pass
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make a rename or creation in ``directory`` durable (a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
