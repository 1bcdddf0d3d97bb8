"""The checkpoint file: how much of the output is durable, and where each owner stands.

``<output>.checkpoint.json`` holds::

    {"version": 1,
     "settings": {"format": "jsonl", "with": null, "before": null, "chronological": false,
                  "api": "rest"},
     "length": 123456,
     "digest": "sha256:9f86d0...",
     "owners": [{"owner": "alice@wonderland.lit", "done": false, "messages": 250,
                 "cursor": {...history cursor after the owner's last written page...}},
                {"owner": "bob@wonderland.lit", "done": true, "messages": 80, "cursor": null},
                {"room": "party@muclight.wonderland.lit", "kind": "muc_light", "done": false,
                 "messages": 50, "cursor": {...}}]}

Each entry of ``owners`` is one archive: an owner's (``owner``) or a room's (``room`` and
its ``kind``). ``settings`` also holds ``"shard": [i, n]`` for a sharded export.

``length`` bytes of the output are durable and hold exactly the pages the cursors say were
written; ``digest`` is the SHA-256 of those bytes, so that a resumed export refuses an
output changed in place since (absent in checkpoints of older versions: not checked). It is
saved by writing a temporary file (a unique name: two processes never share one), fsyncing
it, ``os.replace`` over the old one and fsyncing the directory, always after the output
itself was fsynced: whatever moment the process dies, the checkpoint on disk describes a
prefix of the output. Loading checks every stored cursor too: a damaged checkpoint is
refused as a whole rather than failing each owner on every resume.
"""

from __future__ import annotations

import json
import os
import tempfile
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

import attrs

from .._codec import STRUCTURE_ERRORS, structure_strict
from ..errors import InvalidArgumentError
from ..paging.microseconds import GraphQLCursor
from ..paging.seconds_cursor import CursorState
from ._options import CheckpointError
from ._sources import Source

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
    owners: dict[Source, OwnerState]
    length: int = 0
    digest: str | None = None  # "sha256:<hex>" of the first `length` bytes of the output

    def to_bytes(self) -> bytes:
        """The file's content."""
        owners = [
            {
                **({"owner": jid} if kind == "user" else {"room": jid, "kind": kind}),
                "done": st.done,
                "messages": st.messages,
                "cursor": st.cursor,
            }
            for (kind, jid), st in self.owners.items()
        ]
        data: dict[str, Any] = {
            "version": _VERSION,
            "settings": self.settings,
            "length": self.length,
        }
        if self.digest is not None:
            data["digest"] = self.digest
        data["owners"] = owners
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    @classmethod
    def from_bytes(cls, raw: bytes) -> Checkpoint:
        """Parse a checkpoint file; :class:`CheckpointError` when it is not one."""
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: deeply nested arrays
            raise _damaged("not JSON, or nested too deeply") from None
        version = data.get("version") if isinstance(data, dict) else None
        if version != _VERSION:
            raise _damaged(f"version {version!r} is not supported")
        try:
            content = structure_strict(data, _File)
        except STRUCTURE_ERRORS as exc:
            raise _damaged(f"{type(exc).__name__}: {exc}") from None
        owners: dict[Source, OwnerState] = {}
        api = content.settings.get("api", "rest")
        for entry in content.owners:
            source = entry.source()
            if source in owners:
                raise _damaged(f"it lists {source[1]!r} twice")
            if entry.cursor is not None:
                _check_cursor(source[1], entry.cursor, api)
            owners[source] = OwnerState(entry.cursor, entry.done, entry.messages)
        return cls(
            settings=content.settings,
            owners=owners,
            length=content.length,
            digest=content.digest,
        )


def _damaged(detail: str) -> CheckpointError:
    return CheckpointError(f"the checkpoint is damaged ({detail}); start afresh without resume")


def _check_cursor(owner: str, cursor: dict[str, Any], api: object) -> None:
    """A stored history cursor must resume: otherwise every resume would fail the owner."""
    try:
        if api == "graphql":
            GraphQLCursor.from_json(cursor)
        else:
            CursorState.from_json(cursor)
    except InvalidArgumentError as exc:
        raise _damaged(f"the cursor of {owner!r} is invalid: {exc}") from None


_count = attrs.validators.ge(0)


@attrs.frozen
class _OwnerEntry:
    """One entry of the file's ``owners`` list, as written by :meth:`Checkpoint.to_bytes`:
    an owner's archive, or a room's (``room`` and ``kind``)."""

    done: bool
    messages: int = attrs.field(validator=_count)
    cursor: dict[str, Any] | None  # checked by the history when it resumes
    owner: str | None = None
    room: str | None = None
    kind: str | None = None

    def source(self) -> Source:
        if self.owner is not None and self.room is None and self.kind is None:
            return ("user", self.owner)
        if self.owner is None and self.room is not None and self.kind in ("muc_light", "muc"):
            return ("muc_light" if self.kind == "muc_light" else "muc", self.room)
        raise CheckpointError("an entry must name an owner, or a room and its kind")


@attrs.frozen
class _File:
    version: int
    settings: dict[str, Any]
    length: int = attrs.field(validator=_count)
    owners: list[_OwnerEntry]
    digest: str | None = None


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
    # A unique temporary name: two processes (or a leftover of a killed one) never collide.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=_TMP_SUFFIX)
    try:
        with open(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        _remove(Path(tmp))
        raise
    fsync_directory(path.parent)


_TMP_SUFFIX = ".tmp"


def remove_checkpoint(path: Path) -> None:
    """Delete the checkpoint (and temporary files left by killed runs), durably."""
    _remove(path)
    for leftover in path.parent.glob(glob_escape(path.name) + ".*" + _TMP_SUFFIX):
        _remove(leftover)
    fsync_directory(path.parent)


def _remove(path: Path) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


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
